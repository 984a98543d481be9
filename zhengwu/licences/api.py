"""REST: public verification of an 电子证照 by its identifier."""

from __future__ import annotations

from datetime import date

from ninja import Router, Schema

from zhengwu.licences.selectors import licence_public_verification

router = Router(tags=["电子证照"])


class VerificationOut(Schema):
    identifier: str
    name: str
    number: str
    licence_type: str
    holder_name: str
    holder_id_type: str
    holder_id: str
    issuer: str
    issuer_code: str
    issued_on: date
    valid_from: date
    valid_until: date | None
    status: str
    status_label: str
    verified: bool
    authentic: bool
    signature_valid: bool
    digest_valid: bool
    reasons: list[str]
    checked_on: date
    signing_key: str


@router.get("/verify/{identifier}", response=VerificationOut, auth=None, summary="核验电子证照")
def verify(request, identifier: str):
    """Recompute the SM3 digest, verify the issuer's SM2 signature and report status; holder data masked."""
    return licence_public_verification(identifier)
