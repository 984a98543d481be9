"""Every write of the licences app: 证照类型, signing keys, 文书 numbers, issue, revoke, reuse."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from zhengwu.core import rows
from zhengwu.core.appends import insert_now
from zhengwu.core.audit import audit_record, step_atomic
from zhengwu.core.counters import counter_next
from zhengwu.core.crypto import sm3_hex
from zhengwu.core.errors import Conflict, ValidationFailed
from zhengwu.core.fields import id_number_normalise
from zhengwu.core.masking import mask_id_number, mask_name
from zhengwu.documents.notice import NoticeKind, format_document_number
from zhengwu.licences import crypto
from zhengwu.licences.identifier import build_identifier, is_valid_identifier
from zhengwu.licences.models import (
    Certificate,
    CertificateReuse,
    DocumentCounter,
    HolderIdType,
    LicenceType,
    SigningKey,
)
from zhengwu.org.models import Department

# Declared on the columns, so rotate_data_key re-encrypts them the same way (zhengwu.core.fields.CiphertextField).
_HOLDER_ID_FIELD = Certificate._meta.get_field("holder_id_cipher")
HOLDER_ID_LABEL = _HOLDER_ID_FIELD.crypto_label  # type: ignore[union-attr]
HOLDER_ID_INDEX_LABEL = _HOLDER_ID_FIELD.index_label  # type: ignore[union-attr]
SIGNING_KEY_LABEL = SigningKey._meta.get_field("private_key_cipher").crypto_label  # type: ignore[union-attr]
SERIAL_KIND = "licence_serial"
FIRST_VERSION = 1


# ---------------------------------------------------------------------------------------------
# Counters: 文书 numbers and certificate serials


def _counter_next(*, department: Department, kind: str, year: int) -> int:
    """Next value of a gap-free counter, inside the caller's transaction (one statement)."""
    return counter_next(DocumentCounter, field="last_value", department=department, kind=kind, year=year)


def document_number_next(*, department: Department, kind: NoticeKind | str, year: int, actor=None) -> str:
    """The next 文号 for a notice, e.g. 城关市监受字〔2026〕第0001号.

    Call it inside the transaction that issues the notice: if that transaction rolls back, the
    number is given back, so numbers per department, kind and year have no gaps.
    """
    notice_kind = NoticeKind.of(kind)
    if year < 2000 or year > 2999:
        raise ValidationFailed(f"年度无效：{year}", f"invalid year {year}", field="year")
    with step_atomic():
        seq = _counter_next(department=department, kind=f"notice:{notice_kind.code}", year=year)
        prefix = (department.short_name or department.name) + notice_kind.number_word
        number = format_document_number(prefix=prefix, year=year, seq=seq)
        audit_record(actor=actor, action="document_number.allocate", obj=department,
                     data={"kind": notice_kind.code, "year": year, "seq": seq, "number": number})
    return number


# ---------------------------------------------------------------------------------------------
# Reference data and keys


def licence_type_create(*, actor, code: str, name: str, ministry: str = "") -> LicenceType:
    code = (code or "").strip().upper()
    name = (name or "").strip()
    if len(code) != 21 or not code[18:].isdigit():
        raise ValidationFailed("证照类型代码应为主管部门统一社会信用代码加 3 位数字",
                               "type code = ministry USCC + 3 digits", field="code")
    if not uscc.is_valid(code[:18]):
        raise ValidationFailed("证照类型代码中的统一社会信用代码无效", "invalid ministry USCC in type code",
                               field="code")
    if not name:
        raise ValidationFailed("请填写证照名称", "name is required", field="name")
    with transaction.atomic():
        if LicenceType.objects.filter(code=code).exists():
            raise Conflict(f"证照类型代码 {code} 已存在", f"licence type {code} exists", field="code")
        licence_type = LicenceType.objects.create(code=code, name=name, ministry=ministry.strip())
        audit_record(actor=actor, action="licence_type.create", obj=licence_type, data={"code": code, "name": name})
    return licence_type


def _key_reference(department: Department, public_key: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
    return f"SM2-{department.uscc}-{stamp}-{sm3_hex(bytes.fromhex(public_key))[:8].upper()}"


def signing_key_rotate(*, actor, department: Department) -> SigningKey:
    """Retire the department's current key (kept for verification) and create a new one."""
    private_hex, public_hex = crypto.sm2_generate_keypair()
    with transaction.atomic():
        now = timezone.now()
        retired = list(SigningKey.objects.select_for_update().filter(department=department, is_active=True))
        SigningKey.objects.filter(pk__in=[k.pk for k in retired]).update(is_active=False, retired_at=now)
        reference = _key_reference(department, public_hex)
        key = SigningKey.objects.create(
            department=department, reference=reference, public_key=public_hex,
            private_key_cipher=crypto.sm4_encrypt(private_hex, label=SIGNING_KEY_LABEL, aad=reference.encode()),
        )
        audit_record(actor=actor, action="signing_key.create", obj=key,
                     data={"department": department.uscc, "retired": [k.reference for k in retired]})
    return key


def _active_signing_key(*, actor, department: Department) -> SigningKey:
    key = rows.first(SigningKey, "t.department_id = %s AND t.is_active", [department.pk],
                     order_by="t.created_at DESC, t.id DESC")
    return key or signing_key_rotate(actor=actor, department=department)


# ---------------------------------------------------------------------------------------------
# Certificates


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def normalise_holder_id(holder_id_type: str, value: str) -> str:
    text = (value or "").strip().upper().replace(" ", "")
    if holder_id_type == HolderIdType.ID_CARD:
        try:
            # The check character and birth date, not stdnum's list of current area codes:
            # holders born in a county whose code has since been retired keep their number (RULES §9).
            if len(text) != 18 or not text[:17].isdigit() or ric.calc_check_digit(text) != text[-1]:
                raise StdnumError()
            ric.get_birth_date(text)
        except StdnumError:
            raise ValidationFailed("居民身份证号码无效", "invalid resident ID number",
                                   field="holder_id_number") from None
    elif holder_id_type == HolderIdType.USCC:
        try:
            text = uscc.validate(text)
        except StdnumError:
            raise ValidationFailed("统一社会信用代码无效", "invalid unified social credit code",
                                   field="holder_id_number") from None
    elif holder_id_type == HolderIdType.OTHER:
        if not text or len(text) > 50:
            raise ValidationFailed("请填写 1–50 位证件号码", "ID number must have 1–50 characters",
                                   field="holder_id_number")
    else:
        raise ValidationFailed(f"持证主体代码类型无效：{holder_id_type!r}", "invalid holder ID type",
                               field="holder_id_type")
    return text


def holder_id_index(value: str) -> str:
    """Keyed SM3-HMAC of an ID number: equal numbers match, the column alone reveals nothing."""
    return crypto.sm3_hmac_hex(id_number_normalise(value), label=HOLDER_ID_INDEX_LABEL)


def holder_id_indexes(value: str) -> list[str]:
    """What to look a holder up by: the index under the current key and, during a key rotation,
    under the previous one (certificates `rotate_data_key` has not reached yet)."""
    return crypto.sm3_hmac_hex_all(id_number_normalise(value), label=HOLDER_ID_INDEX_LABEL)


def _holder_id_aad(identifier: str) -> bytes:
    # Binds each ciphertext to its certificate: copying it into another row does not decrypt.
    return identifier.encode()


def holder_id_decrypt(certificate: Certificate) -> str:
    return crypto.sm4_decrypt(certificate.holder_id_cipher, label=HOLDER_ID_LABEL,
                              aad=_holder_id_aad(certificate.identifier))


def signed_payload(certificate: Certificate, holder_id_number: str) -> bytes:
    """The canonical bytes that are digested and signed: every printed field of the certificate.

    The issuer enters through the identifier and its name as printed, never through the live
    Department row, so correcting a department's data later does not invalidate what it issued."""
    return _canonical({
        "identifier": certificate.identifier,
        "licence_type": certificate.licence_type.code,
        "name": certificate.name,
        "number": certificate.number,
        "holder_name": certificate.holder_name,
        "holder_id_type": certificate.holder_id_type,
        "holder_id_number": holder_id_number,
        "issuer_name": certificate.issuer_name,
        "issued_on": certificate.issued_on.isoformat(),
        "valid_from": certificate.valid_from.isoformat(),
        "valid_until": certificate.valid_until.isoformat() if certificate.valid_until else "",
        "content": certificate.content,
    })


def holder_is_person(holder_id_type: str) -> bool:
    return holder_id_type != HolderIdType.USCC


def masked_holder(certificate: Certificate) -> tuple[str, str]:
    """(name, id) as shown on public pages, lists and logs: persons' names keep the surname;
    an organisation's name is public (政府信息公开条例 §15 applies to persons)."""
    name = mask_name(certificate.holder_name) if holder_is_person(certificate.holder_id_type) \
        else certificate.holder_name
    try:
        holder_id = mask_id_number(holder_id_decrypt(certificate))
    except crypto.DecryptionFailed:
        holder_id = "（无法解密）"
    return name, holder_id


def licence_issue(*, actor, licence_type: LicenceType, issuer: Department, holder_name: str, holder_id_type: str,
                  holder_id_number: str, number: str, content: dict, valid_from: date, valid_until: date | None,
                  source: str = "") -> Certificate:
    """Issue a signed 电子证照 with its PDF (行政许可法 §44: within 10 days of the decision)."""
    from zhengwu.documents.jobs import document_enqueue

    holder_name = (holder_name or "").strip()
    number = (number or "").strip()
    if not holder_name:
        raise ValidationFailed("请填写持证主体名称", "holder name is required", field="holder_name")
    if not number:
        raise ValidationFailed("请填写证照编号", "certificate number is required", field="number")
    holder_id = normalise_holder_id(holder_id_type, holder_id_number)
    if not licence_type.is_active:
        raise ValidationFailed(f"证照类型“{licence_type.name}”已停用", "licence type is inactive",
                               field="licence_type")
    if not issuer.is_active:
        raise ValidationFailed(f"颁发机构“{issuer.name}”已停用", "issuer is inactive", field="issuer")
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed("有效期截止日期不能早于起始日期", "valid_until is before valid_from",
                               field="valid_until")
    if not isinstance(content, dict):
        raise ValidationFailed("照面信息应为键值对", "content must be a mapping", field="content")
    # Round-tripped through JSON now, so the digest recomputed from the stored row sees the same
    # values; key order is kept for printing (the digest sorts keys, PostgreSQL's jsonb reorders them).
    stored_content = json.loads(json.dumps(content, ensure_ascii=False, default=str))
    issued_on = timezone.localdate()

    with step_atomic():
        key = _active_signing_key(actor=actor, department=issuer)
        seq = _counter_next(department=issuer, kind=SERIAL_KIND, year=issued_on.year)
        serial = f"{issued_on.year}{seq:06d}"
        identifier = build_identifier(type_code=licence_type.code, issuer_code=issuer.uscc, serial=serial,
                                      version=FIRST_VERSION)
        certificate = Certificate(
            identifier=identifier, licence_type=licence_type, name=licence_type.name, number=number,
            holder_name=holder_name, holder_id_type=holder_id_type,
            holder_id_cipher=crypto.sm4_encrypt(holder_id, label=HOLDER_ID_LABEL, aad=_holder_id_aad(identifier)),
            holder_id_index=holder_id_index(holder_id),
            issuer=issuer, issuer_name=issuer.name, issued_on=issued_on, valid_from=valid_from,
            valid_until=valid_until, content=stored_content, signing_key=key, source=(source or "").strip()[:200],
        )
        payload = signed_payload(certificate, holder_id)
        certificate.content_digest = sm3_hex(payload)
        private_hex = crypto.sm4_decrypt(key.private_key_cipher, label=SIGNING_KEY_LABEL, aad=key.reference.encode())
        certificate.signature = crypto.sm2_sign(payload, private_key_hex=private_hex, public_key_hex=key.public_key)
        insert_now(certificate)  # as save() does, without compiling the INSERT on every issue
        # The signed content is final here; the printable PDF follows from it (zhengwu.documents.jobs).
        # Rendered now (tests) it fills `certificate.pdf` in memory as in the row; deferred, both stay empty.
        document_enqueue(renderer="certificate", obj=certificate, field_name="pdf", filename=f"{identifier}.pdf")
        name_masked, id_masked = masked_holder(certificate)
        audit_record(actor=actor, action="licence.issue", obj=certificate, data={
            "identifier": identifier, "licence_type": licence_type.code, "number": number,
            "holder_name": name_masked, "holder_id": id_masked, "issuer": issuer.uscc,
            "signing_key": key.reference, "digest": certificate.content_digest, "source": certificate.source,
        })
    return certificate


def licence_revoke(*, actor, certificate: Certificate, reason: str) -> Certificate:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写注销原因", "a reason is required", field="reason")
    with transaction.atomic():
        now = timezone.now()
        # Conditional update: of two concurrent revocations exactly one changes the row.
        changed = Certificate.objects.filter(pk=certificate.pk, status=Certificate.Status.VALID).update(
            status=Certificate.Status.REVOKED, revoked_at=now, revoked_reason=reason[:500], updated_at=now)
        if changed != 1:
            raise Conflict("该证照已注销", "the certificate is already revoked")
        audit_record(actor=actor, action="licence.revoke", obj=certificate,
                     data={"identifier": certificate.identifier, "reason": reason[:500]})
    certificate.refresh_from_db()
    return certificate


@dataclass(frozen=True)
class VerificationResult:
    ok: bool
    identifier_valid: bool
    digest_valid: bool
    signature_valid: bool
    status: str
    status_label: str
    in_validity_period: bool
    checked_on: date
    reasons: list[str] = field(default_factory=list)

    @property
    def authentic(self) -> bool:
        """Issued by the issuer and unaltered, whatever its status now."""
        return self.identifier_valid and self.digest_valid and self.signature_valid


def licence_verify(certificate: Certificate, *, today: date | None = None) -> VerificationResult:
    """Recompute the digest from the stored fields, check the SM2 signature with the issuer's public
    key, then status and validity dates. Reads only."""
    today = today or timezone.localdate()
    reasons: list[str] = []
    identifier_valid = is_valid_identifier(certificate.identifier)
    if not identifier_valid:
        reasons.append("电子证照标识校验位错误")
    try:
        payload: bytes | None = signed_payload(certificate, holder_id_decrypt(certificate))
    except crypto.DecryptionFailed:
        payload = None
        reasons.append("持证主体代码无法解密，数据可能被篡改")
    digest_valid = payload is not None and crypto.constant_time_equal(sm3_hex(payload), certificate.content_digest)
    if payload is not None and not digest_valid:
        reasons.append("证照内容与签发时不一致，数据可能被篡改")
    key = certificate.signing_key
    key_matches = key.department_id == certificate.issuer_id
    if not key_matches:
        reasons.append("签名密钥不属于颁发机构")
    signature_valid = payload is not None and key_matches and crypto.sm2_verify(
        payload, certificate.signature, public_key_hex=key.public_key)
    if payload is not None and key_matches and not signature_valid:
        reasons.append("SM2 签名验证失败")
    status = certificate.current_status(today)
    if status == Certificate.Status.REVOKED:
        reasons.append(f"证照已于 {timezone.localtime(certificate.revoked_at):%Y-%m-%d} 注销"
                       if certificate.revoked_at else "证照已注销")
    elif status == Certificate.Status.EXPIRED:
        reasons.append("证照已超过有效期")
    in_period = certificate.valid_from <= today and (certificate.valid_until is None
                                                     or today <= certificate.valid_until)
    if today < certificate.valid_from:
        reasons.append("证照尚未生效")
    ok = identifier_valid and digest_valid and signature_valid and status == Certificate.Status.VALID and in_period
    return VerificationResult(ok=ok, identifier_valid=identifier_valid, digest_valid=digest_valid,
                              signature_valid=signature_valid, status=status,
                              status_label=Certificate.Status(status).label, in_validity_period=in_period,
                              checked_on=today, reasons=reasons)


def licence_reuse(*, actor, certificate: Certificate, purpose: str, reference: str = "") -> CertificateReuse:
    """Record that a later application relies on this certificate instead of a paper copy.

    Only a certificate that verifies (authentic, valid, within its dates) may be reused."""
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationFailed("请填写复用用途", "purpose is required", field="purpose")
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().select_related("licence_type", "issuer", "signing_key") \
            .get(pk=certificate.pk)
        result = licence_verify(locked)
        if not result.ok:
            raise Conflict("该证照未通过验证，不能复用：" + "；".join(result.reasons),
                           "the certificate does not verify and cannot be reused",
                           details=[{"reason": r} for r in result.reasons])
        reuse = CertificateReuse.objects.create(
            certificate=locked, purpose=purpose[:200], reference=(reference or "").strip()[:100],
            used_at=timezone.now(), used_by=actor if getattr(actor, "is_authenticated", False) else None)
        Certificate.objects.filter(pk=locked.pk).update(reuse_count=F("reuse_count") + 1)
        audit_record(actor=actor, action="licence.reuse", obj=locked,
                     data={"identifier": locked.identifier, "purpose": reuse.purpose, "reference": reuse.reference})
    certificate.refresh_from_db(fields=["reuse_count"])
    return reuse
