"""国密 for 电子证照: SM4-GCM for personal data and private keys at rest, SM3-HMAC lookup index,
SM2 key pairs and SM2-with-SM3 signatures (gmssl).

Keys are derived with HKDF-SM3 from ZHENGWU_LICENCE_DATA_KEY when set, else SECRET_KEY; each use
gets its own `info` label, so one derived key never serves two purposes. Rotating the master secret
makes stored ciphertexts unreadable: re-encrypt before rotating (docs/licences.md).
"""

from __future__ import annotations

import base64
import hmac as std_hmac
import os
import secrets
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from gmssl import sm2

_CIPHER_PREFIX = "sm4gcm1:"
_NONCE = 12
_TAG = 16
_CURVE = sm2.default_ecc_table
_N = int(_CURVE["n"], 16)


class DecryptionFailed(Exception):
    """The ciphertext was altered or encrypted under another master secret."""


def _master_secret() -> bytes:
    return (getattr(settings, "ZHENGWU_LICENCE_DATA_KEY", "") or settings.SECRET_KEY).encode()


@lru_cache(maxsize=16)
def _derive(master: bytes, label: str, length: int) -> bytes:
    return HKDF(algorithm=hashes.SM3(), length=length, salt=b"zhengwu.licences", info=label.encode()).derive(master)


def derived_key(label: str, length: int = 16) -> bytes:
    return _derive(_master_secret(), label, length)


def sm4_encrypt(plaintext: str, *, label: str, aad: bytes = b"") -> str:
    nonce = os.urandom(_NONCE)
    encryptor = Cipher(algorithms.SM4(derived_key(label)), modes.GCM(nonce)).encryptor()
    if aad:
        encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    return _CIPHER_PREFIX + base64.b64encode(nonce + body + encryptor.tag).decode()


def sm4_decrypt(token: str, *, label: str, aad: bytes = b"") -> str:
    if not token.startswith(_CIPHER_PREFIX):
        raise DecryptionFailed("unknown ciphertext format")
    raw = base64.b64decode(token[len(_CIPHER_PREFIX):])
    nonce, body, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    decryptor = Cipher(algorithms.SM4(derived_key(label)), modes.GCM(nonce, tag)).decryptor()
    if aad:
        decryptor.authenticate_additional_data(aad)
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except InvalidTag:
        raise DecryptionFailed("ciphertext altered or wrong key") from None


def sm3_hmac_hex(value: str, *, label: str) -> str:
    mac = crypto_hmac.HMAC(derived_key(label, 32), hashes.SM3())
    mac.update(value.encode())
    return mac.finalize().hex()


def constant_time_equal(a: str, b: str) -> bool:
    return std_hmac.compare_digest(a.encode(), b.encode())


def _random_scalar() -> str:
    # gmssl's own default nonce comes from `random.choice`, which is predictable; a reused or
    # guessable SM2 nonce reveals the private key, so every scalar here comes from `secrets`.
    return f"{secrets.randbelow(_N - 1) + 1:064x}"


def _sm2(private_key_hex: str, public_key_hex: str) -> sm2.CryptSM2:
    engine = sm2.CryptSM2(private_key=private_key_hex, public_key="")
    # gmssl's constructor does `public_key.lstrip("04")`, which also eats leading 0s and 4s of x
    # (one key in eight); the attribute is set directly so the key is used exactly as stored.
    engine.public_key = public_key_hex
    return engine


def sm2_public_key(private_key_hex: str) -> str:
    """x||y (128 hex digits) of d·G."""
    return _sm2(private_key_hex, "")._kg(int(private_key_hex, 16), _CURVE["g"])


def sm2_generate_keypair() -> tuple[str, str]:
    """Return (private key hex, public key hex x||y) for a fresh SM2 key pair."""
    private_hex = _random_scalar()
    return private_hex, sm2_public_key(private_hex)


def sm2_sign(data: bytes, *, private_key_hex: str, public_key_hex: str) -> str:
    """SM2 signature with SM3 (Z value included, GB/T 32918), as r||s hex."""
    return _sm2(private_key_hex, public_key_hex).sign_with_sm3(data, _random_scalar())


def sm2_verify(data: bytes, signature_hex: str, *, public_key_hex: str) -> bool:
    if len(signature_hex) != 128:
        return False
    try:
        return bool(_sm2("", public_key_hex).verify_with_sm3(signature_hex, data))
    except (ValueError, TypeError, ZeroDivisionError):
        return False
