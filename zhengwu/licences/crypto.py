"""国密 for 电子证照: SM4-GCM for personal data and private keys at rest, SM3-HMAC lookup index,
SM2 key pairs and SM2-with-SM3 signatures (gmssl).

SM4-GCM, SM3-HMAC and the HKDF-SM3 key derivation live in `zhengwu.core.crypto` (shared with the
encrypted 身份证 columns of cases) and are re-exported here; the master secret is ZHENGWU_DATA_KEY.
"""

from __future__ import annotations

import secrets

from gmssl import sm2

from zhengwu.core.crypto import (  # noqa: F401  (re-exported: licences' callers use this module)
    DecryptionFailed,
    constant_time_equal,
    derived_key,
    sm3_hmac_hex,
    sm4_decrypt,
    sm4_encrypt,
)

_CURVE = sm2.default_ecc_table
_N = int(_CURVE["n"], 16)


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
