"""国密 primitives behind one interface.

SM3 and SM4 come from OpenSSL through `cryptography` (about 500x faster than pure Python);
SM2 signatures come from gmssl (`zhengwu.licences.crypto`). Callers never import either library
directly, so a faster or certified binding can replace them here.

Symmetric keys are derived with HKDF-SM3 from `settings.ZHENGWU_DATA_KEY` (environment variable
`ZHENGWU_DATA_KEY`, required in production) or, outside production, from `SECRET_KEY`; each use
gets its own `info` label, so one derived key never serves two purposes. The salt is historical:
licences were the first user.

Each ciphertext names the master secret it was made under: `sm4` + a 4-hex key id + `:` (the id is
an HKDF output of the master, not the master; the prefix has the 8 characters of the first format
`sm4gcm1:`, which carries no id, so column widths hold). Decryption picks the master by that id
among `ZHENGWU_DATA_KEY` and, during a rotation only, `ZHENGWU_DATA_KEY_PREVIOUS`; a `sm4gcm1:`
value is tried under both (GCM's tag tells a wrong key). `manage.py rotate_data_key`
(zhengwu/core/keyrotation.py) re-encrypts what is not under the current key.
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

# The first format, before ciphertexts named their key: still read, never written.
LEGACY_PREFIX = "sm4gcm1:"
CIPHER_PREFIX = LEGACY_PREFIX  # kept for callers that size or recognise ciphertexts by it
_KEYED_PREFIX = "sm4"
KEY_ID_LENGTH = 4
_PREFIX_LENGTH = len(_KEYED_PREFIX) + KEY_ID_LENGTH + 1
_HEX = frozenset("0123456789abcdef")
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


def _previous_secret() -> bytes:
    return (getattr(settings, "ZHENGWU_DATA_KEY_PREVIOUS", "") or "").encode()


@lru_cache(maxsize=16)
def _derive(master: bytes, label: str, length: int) -> bytes:
    return HKDF(algorithm=hashes.SM3(), length=length, salt=b"zhengwu.licences", info=label.encode()).derive(master)


@lru_cache(maxsize=16)
def key_id_of(master: bytes) -> str:
    """The 4-hex id written into each ciphertext made under this master secret."""
    return _derive(master, "zhengwu.key_id", KEY_ID_LENGTH // 2).hex()


def key_id() -> str:
    """Id of the current master secret (ZHENGWU_DATA_KEY)."""
    return key_id_of(_master_secret())


def previous_key_id() -> str:
    """Id of ZHENGWU_DATA_KEY_PREVIOUS, or '' when no rotation is under way."""
    previous = _previous_secret()
    return key_id_of(previous) if previous else ""


@lru_cache(maxsize=16)
def _keyring(current: bytes, previous: bytes) -> dict[str, bytes]:
    ring = {key_id_of(previous): previous} if previous else {}
    ring[key_id_of(current)] = current  # the current key wins should the two ids collide
    return ring


def derived_key(label: str, length: int = 16) -> bytes:
    return _derive(_master_secret(), label, length)


def cipher_prefix(kid: str | None = None) -> str:
    """What every ciphertext made under the key `kid` (default: the current key) starts with."""
    return f"{_KEYED_PREFIX}{kid or key_id()}:"


def sm4_ciphertext_length(plaintext_bytes: int) -> int:
    """Characters of `sm4_encrypt`'s output for a plaintext of that many UTF-8 bytes."""
    return _PREFIX_LENGTH + 4 * -(-(_NONCE + plaintext_bytes + _TAG) // 3)


def ciphertext_key_id(value: str) -> str | None:
    """The key id a ciphertext names; None for the first format (no id) and for anything else."""
    if len(value) > _PREFIX_LENGTH and value[_PREFIX_LENGTH - 1] == ":" and value.startswith(_KEYED_PREFIX):
        kid = value[len(_KEYED_PREFIX):_PREFIX_LENGTH - 1]
        if set(kid) <= _HEX:
            return kid
    return None


def is_ciphertext(value: str) -> bool:
    return value.startswith(LEGACY_PREFIX) or ciphertext_key_id(value) is not None


def _sm4(key: bytes, nonce: bytes, tag: bytes | None = None):
    return Cipher(algorithms.SM4(key), modes.GCM(nonce, tag))


def sm4_encrypt(plaintext: str, *, label: str, aad: bytes = b"") -> str:
    """SM4-GCM under the current key with a fresh 96-bit nonce: prefix + base64(nonce ‖ ciphertext ‖ tag)."""
    master = _master_secret()
    nonce = os.urandom(_NONCE)
    encryptor = _sm4(_derive(master, label, 16), nonce).encryptor()
    if aad:
        encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    return cipher_prefix(key_id_of(master)) + base64.b64encode(nonce + body + encryptor.tag).decode()


def _open(raw: bytes, key: bytes, aad: bytes) -> str:
    nonce, body, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    decryptor = _sm4(key, nonce, tag).decryptor()
    if aad:
        decryptor.authenticate_additional_data(aad)
    return (decryptor.update(body) + decryptor.finalize()).decode()


def sm4_decrypt(token: str, *, label: str, aad: bytes = b"") -> str:
    ring = _keyring(_master_secret(), _previous_secret())
    kid = ciphertext_key_id(token)
    if kid is not None:
        master = ring.get(kid)
        if master is None:
            raise DecryptionFailed(f"encrypted under key id {kid}, neither ZHENGWU_DATA_KEY nor ZHENGWU_DATA_KEY_PREVIOUS")
        masters = [master]
        raw = base64.b64decode(token[_PREFIX_LENGTH:])
    elif token.startswith(LEGACY_PREFIX):
        masters = list(reversed(ring.values()))  # current first, then the previous key
        raw = base64.b64decode(token[len(LEGACY_PREFIX):])
    else:
        raise DecryptionFailed("unknown ciphertext format")
    for master in masters:
        try:
            return _open(raw, _derive(master, label, 16), aad)
        except InvalidTag:
            continue
    raise DecryptionFailed("ciphertext altered or wrong key")


def sm3_hmac_hex(value: str, *, label: str, previous: bool = False) -> str:
    """Keyed SM3-HMAC under the current key, or under ZHENGWU_DATA_KEY_PREVIOUS with `previous`."""
    mac = crypto_hmac.HMAC(_derive(_previous_secret() if previous else _master_secret(), label, 32), hashes.SM3())
    mac.update(value.encode())
    return mac.finalize().hex()


def sm3_hmac_hex_all(value: str, *, label: str) -> list[str]:
    """The keyed index under every key in use: the current one, and the previous one during a rotation,
    so a lookup also finds the rows `rotate_data_key` has not reached yet."""
    indexes = [sm3_hmac_hex(value, label=label)]
    if _previous_secret():
        indexes.append(sm3_hmac_hex(value, label=label, previous=True))
    return indexes


def constant_time_equal(a: str, b: str) -> bool:
    return std_hmac.compare_digest(a.encode(), b.encode())
