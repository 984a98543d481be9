import pytest

from zhengwu.core import crypto as core_crypto
from zhengwu.licences import crypto


def test_sm4_round_trip_and_fresh_nonce():
    first = crypto.sm4_encrypt("11010519491231002X", label="t", aad=b"row-1")
    second = crypto.sm4_encrypt("11010519491231002X", label="t", aad=b"row-1")
    assert first != second
    assert "11010519491231002X" not in first
    assert crypto.sm4_decrypt(first, label="t", aad=b"row-1") == "11010519491231002X"


@pytest.mark.parametrize("change", ["aad", "label", "body"])
def test_sm4_refuses_altered_or_misplaced_ciphertext(change):
    token = crypto.sm4_encrypt("secret", label="t", aad=b"row-1")
    label, aad = "t", b"row-1"
    if change == "aad":
        aad = b"row-2"
    elif change == "label":
        label = "other"
    else:
        import base64
        raw = bytearray(base64.b64decode(token.split(":", 1)[1]))
        raw[14] ^= 1
        token = "sm4gcm1:" + base64.b64encode(bytes(raw)).decode()
    with pytest.raises(crypto.DecryptionFailed):
        crypto.sm4_decrypt(token, label=label, aad=aad)


def test_keys_follow_the_master_secret(settings):
    token = crypto.sm4_encrypt("secret", label="t")
    settings.ZHENGWU_DATA_KEY = "another-master-secret"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.sm4_decrypt(token, label="t")


def test_sm3_hmac_is_keyed_and_deterministic(settings):
    first = crypto.sm3_hmac_hex("11010519491231002X", label="i")
    assert first == crypto.sm3_hmac_hex("11010519491231002X", label="i")
    assert len(first) == 64
    settings.ZHENGWU_DATA_KEY = "another-master-secret"
    assert crypto.sm3_hmac_hex("11010519491231002X", label="i") != first


def test_sm2_sign_verify_round_trip():
    private_hex, public_hex = crypto.sm2_generate_keypair()
    assert len(private_hex) == 64 and len(public_hex) == 128
    data = "准予行政许可".encode()
    signature = crypto.sm2_sign(data, private_key_hex=private_hex, public_key_hex=public_hex)
    assert crypto.sm2_verify(data, signature, public_key_hex=public_hex)
    assert not crypto.sm2_verify("不予行政许可".encode(), signature, public_key_hex=public_hex)
    _, other_public = crypto.sm2_generate_keypair()
    assert not crypto.sm2_verify(data, signature, public_key_hex=other_public)
    assert not crypto.sm2_verify(data, signature[:-2], public_key_hex=public_hex)


def test_sm2_signatures_use_fresh_nonces():
    private_hex, public_hex = crypto.sm2_generate_keypair()
    signatures = {crypto.sm2_sign(b"x", private_key_hex=private_hex, public_key_hex=public_hex) for _ in range(3)}
    assert len(signatures) == 3


@pytest.mark.parametrize("private_hex", [f"{d:064x}" for d in (0x6, 0xB, 0x41)])
def test_public_keys_starting_with_0_or_4_verify(private_hex):
    # gmssl strips leading "0"/"4" characters from a public key passed to its constructor;
    # these keys' x coordinates start with 0, 04 and 4.
    public_hex = crypto.sm2_public_key(private_hex)
    assert public_hex[0] in "04"
    signature = crypto.sm2_sign(b"licence", private_key_hex=private_hex, public_key_hex=public_hex)
    assert crypto.sm2_verify(b"licence", signature, public_key_hex=public_hex)


def test_sm2_agrees_with_gmssl_both_ways():
    # An independent implementation (gmssl, pure Python) checks the C one: same Z value (default
    # user id), same curve, same encoding of r||s and of the public key.
    from gmssl import sm2 as gm

    private_hex, public_hex = crypto.sm2_generate_keypair()
    engine = gm.CryptSM2(private_key=private_hex, public_key="")
    engine.public_key = public_hex
    assert engine._kg(int(private_hex, 16), gm.default_ecc_table["g"]) == public_hex
    data = "电子证照 1.2.156.3005.2".encode()
    ours = crypto.sm2_sign(data, private_key_hex=private_hex, public_key_hex=public_hex)
    assert engine.verify_with_sm3(ours, data)
    theirs = engine.sign_with_sm3(data, crypto._random_scalar())
    assert crypto.sm2_verify(data, theirs, public_key_hex=public_hex)
    assert not crypto.sm2_verify(data + b"!", theirs, public_key_hex=public_hex)


def test_sm2_verify_refuses_malformed_input():
    private_hex, public_hex = crypto.sm2_generate_keypair()
    signature = crypto.sm2_sign(b"x", private_key_hex=private_hex, public_key_hex=public_hex)
    assert not crypto.sm2_verify(b"x", "zz" * 64, public_key_hex=public_hex)
    assert not crypto.sm2_verify(b"x", signature, public_key_hex="00" * 64)
    assert not crypto.sm2_verify(b"x", signature, public_key_hex=public_hex[:-2])


def test_a_ciphertext_names_its_key_and_reads_under_the_previous_key_during_a_rotation(settings):
    settings.ZHENGWU_DATA_KEY, settings.ZHENGWU_DATA_KEY_PREVIOUS = "a" * 40, ""
    token = core_crypto.sm4_encrypt("secret", label="t")
    old_id = core_crypto.key_id()
    assert token.startswith(f"sm4{old_id}:") and core_crypto.ciphertext_key_id(token) == old_id
    assert len(token) == core_crypto.sm4_ciphertext_length(len(b"secret"))
    settings.ZHENGWU_DATA_KEY = "b" * 40
    with pytest.raises(core_crypto.DecryptionFailed, match=f"key id {old_id}"):
        core_crypto.sm4_decrypt(token, label="t")
    settings.ZHENGWU_DATA_KEY_PREVIOUS = "a" * 40
    assert core_crypto.sm4_decrypt(token, label="t") == "secret"
    assert core_crypto.ciphertext_key_id(core_crypto.sm4_encrypt("secret", label="t")) == core_crypto.key_id() != old_id


def test_the_first_format_without_a_key_id_is_tried_under_both_keys(settings):
    settings.ZHENGWU_DATA_KEY, settings.ZHENGWU_DATA_KEY_PREVIOUS = "a" * 40, ""
    legacy = core_crypto.LEGACY_PREFIX + core_crypto.sm4_encrypt("secret", label="t")[8:]
    assert core_crypto.ciphertext_key_id(legacy) is None and core_crypto.sm4_decrypt(legacy, label="t") == "secret"
    settings.ZHENGWU_DATA_KEY = "b" * 40
    with pytest.raises(core_crypto.DecryptionFailed):
        core_crypto.sm4_decrypt(legacy, label="t")
    settings.ZHENGWU_DATA_KEY_PREVIOUS = "a" * 40
    assert core_crypto.sm4_decrypt(legacy, label="t") == "secret"


def test_lookups_ask_for_the_index_under_both_keys_only_during_a_rotation(settings):
    settings.ZHENGWU_DATA_KEY, settings.ZHENGWU_DATA_KEY_PREVIOUS = "b" * 40, ""
    current = core_crypto.sm3_hmac_hex("X", label="i")
    assert core_crypto.sm3_hmac_hex_all("X", label="i") == [current]
    settings.ZHENGWU_DATA_KEY_PREVIOUS = "a" * 40
    settings.ZHENGWU_DATA_KEY = "a" * 40
    old = core_crypto.sm3_hmac_hex("X", label="i")
    settings.ZHENGWU_DATA_KEY = "b" * 40
    assert core_crypto.sm3_hmac_hex_all("X", label="i") == [current, old]
