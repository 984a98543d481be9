"""国密 primitives behind one interface.

SM3 and SM4 come from OpenSSL through `cryptography` (about 500x faster than pure Python);
SM2 signatures come from gmssl (`zhengwu.licences.crypto`). Callers never import either library
directly, so a faster or certified binding can replace them here.

Symmetric keys are derived with HKDF-SM3 from `settings.ZHENGWU_DATA_KEY` (environment variable
`ZHENGWU_DATA_KEY`, required in production) or, outside production, from `SECRET_KEY`; each use
gets its own `info` label, so one derived key never serves two purposes. Changing the master
secret makes stored ciphertexts unreadable and keyed indexes stale: re-encrypt before rotating
(docs/security.md). The salt is historical: licences were the first user.
"""

from __future__ import annotations

import base64
import hmac as std_hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

CIPHER_PREFIX = "sm4gcm1:"
_NONCE = 12
_TAG = 16


class DecryptionFailed(Exception):
    """The ciphertext was altered or encrypted under another master secret."""


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def _master_secret() -> bytes:
    return (getattr(settings, "ZHENGWU_DATA_KEY", "") or settings.SECRET_KEY).encode()


@lru_cache(maxsize=16)
def _derive(master: bytes, label: str, length: int) -> bytes:
    return HKDF(algorithm=hashes.SM3(), length=length, salt=b"zhengwu.licences", info=label.encode()).derive(master)


def derived_key(label: str, length: int = 16) -> bytes:
    return _derive(_master_secret(), label, length)


def sm4_ciphertext_length(plaintext_bytes: int) -> int:
    """Characters of `sm4_encrypt`'s output for a plaintext of that many UTF-8 bytes."""
    return len(CIPHER_PREFIX) + 4 * -(-(_NONCE + plaintext_bytes + _TAG) // 3)


def is_ciphertext(value: str) -> bool:
    return value.startswith(CIPHER_PREFIX)


def sm4_encrypt(plaintext: str, *, label: str, aad: bytes = b"") -> str:
    """SM4-GCM with a fresh 96-bit nonce: prefix + base64(nonce ‖ ciphertext ‖ tag)."""
    nonce = os.urandom(_NONCE)
    encryptor = Cipher(algorithms.SM4(derived_key(label)), modes.GCM(nonce)).encryptor()
    if aad:
        encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    return CIPHER_PREFIX + base64.b64encode(nonce + body + encryptor.tag).decode()


def sm4_decrypt(token: str, *, label: str, aad: bytes = b"") -> str:
    if not token.startswith(CIPHER_PREFIX):
        raise DecryptionFailed("unknown ciphertext format")
    raw = base64.b64decode(token[len(CIPHER_PREFIX):])
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
