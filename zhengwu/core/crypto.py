"""国密 primitives behind one interface.

SM3 and SM4 come from OpenSSL through `cryptography` (about 500x faster than pure Python);
SM2 signatures come from gmssl. Callers never import either library directly, so a faster
or certified binding can replace them here.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()
