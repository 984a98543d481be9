"""国密 for 电子证照: SM4-GCM for personal data and private keys at rest, SM3-HMAC lookup index,
SM2 key pairs and SM2-with-SM3 signatures (gmalglib, a C implementation: 0.4 ms a signature
against gmssl's pure Python 18 ms; the tests cross-check every signature with gmssl).

SM4-GCM, SM3-HMAC and the HKDF-SM3 key derivation live in `zhengwu.core.crypto` (shared with the
encrypted 身份证 columns of cases) and are re-exported here; the master secret is ZHENGWU_DATA_KEY.
"""

from __future__ import annotations

import secrets

from gmalglib.sm2 import SM2

from zhengwu.core.crypto import (  # noqa: F401  (re-exported: licences' callers use this module)
    DecryptionFailed,
    cipher_prefix,
    constant_time_equal,
    derived_key,
    sm3_hmac_hex,
    sm3_hmac_hex_all,
    sm4_decrypt,
    sm4_encrypt,
)

# GB/T 32918 curve order n.
_N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)


def _random_scalar() -> str:
    return f"{secrets.randbelow(_N - 1) + 1:064x}"


def _engine(*, private_key_hex: str = "", public_key_hex: str = "") -> SM2:
    # Every nonce comes from `secrets` (a reused or guessable SM2 nonce reveals the private key).
    # The default user id 1234567812345678 of GB/T 35276 goes into the Z value, as before.
    if private_key_hex:
        return SM2(sk=bytes.fromhex(private_key_hex), rnd_fn=secrets.token_bytes)
    return SM2(pk=b"\x04" + bytes.fromhex(public_key_hex), rnd_fn=secrets.token_bytes)


def sm2_public_key(private_key_hex: str) -> str:
    """x||y (128 hex digits) of d·G."""
    return SM2.get_pk(bytes.fromhex(private_key_hex))[1:].hex()


def sm2_generate_keypair() -> tuple[str, str]:
    """Return (private key hex, public key hex x||y) for a fresh SM2 key pair."""
    private_hex = _random_scalar()
    return private_hex, sm2_public_key(private_hex)


def sm2_sign(data: bytes, *, private_key_hex: str, public_key_hex: str) -> str:
    """SM2 signature with SM3 (Z value included, GB/T 32918), as r||s hex."""
    return _engine(private_key_hex=private_key_hex).sign(data).hex()


def sm2_verify(data: bytes, signature_hex: str, *, public_key_hex: str) -> bool:
    if len(signature_hex) != 128 or len(public_key_hex) != 128:
        return False
    try:
        return bool(_engine(public_key_hex=public_key_hex).verify(data, bytes.fromhex(signature_hex)))
    except (ValueError, TypeError):
        return False
