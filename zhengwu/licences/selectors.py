"""Reads of the licences app that users see."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db.models import QuerySet

from zhengwu.core.errors import NotFound
from zhengwu.licences.models import Certificate
from zhengwu.licences.services import holder_id_indexes, licence_verify, masked_holder


def _certificates() -> QuerySet[Certificate]:
    return Certificate.objects.select_related("licence_type", "issuer", "signing_key")


def licences_of_holder(id_number: str, *, include_inactive: bool = False) -> QuerySet[Certificate]:
    """A holder's certificates, found through the keyed index (the number itself is never queried)."""
    queryset = _certificates().filter(holder_id_index__in=holder_id_indexes(id_number))
    if not include_inactive:
        queryset = queryset.filter(status=Certificate.Status.VALID)
    return queryset.order_by("-issued_on", "-id")


def licence_get_by_identifier(identifier: str) -> Certificate:
    certificate = _certificates().filter(identifier=(identifier or "").strip().upper()).first()
    if certificate is None:
        raise NotFound("未找到该电子证照", "no certificate with this identifier")
    return certificate


def licence_public_verification(identifier: str) -> dict[str, Any]:
    """What anyone holding the certificate may see: masked holder, issuer, dates, status, verdict."""
    certificate = licence_get_by_identifier(identifier)
    result = licence_verify(certificate)
    holder_name, holder_id = masked_holder(certificate)
    return {
        "identifier": certificate.identifier,
        "name": certificate.name,
        "number": certificate.number,
        "licence_type": certificate.licence_type.code,
        "holder_name": holder_name,
        "holder_id_type": certificate.get_holder_id_type_display(),
        "holder_id": holder_id,
        "issuer": certificate.issuer_name,
        "issuer_code": certificate.issuer.uscc,
        "issued_on": certificate.issued_on,
        "valid_from": certificate.valid_from,
        "valid_until": certificate.valid_until,
        "status": result.status,
        "status_label": result.status_label,
        "verified": result.ok,
        "authentic": result.authentic,
        "signature_valid": result.signature_valid,
        "digest_valid": result.digest_valid,
        "reasons": result.reasons,
        "checked_on": result.checked_on,
        "signing_key": certificate.signing_key.reference,
        "result": asdict(result),
    }
