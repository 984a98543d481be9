"""Rotating ZHENGWU_DATA_KEY: re-encrypt every encrypted value and rebuild every keyed index.

The columns come from the model registry, not from a list: every `EncryptedCharField` (with the
`KeyedIndexField` whose source it is) and every `CiphertextField` of every installed model
(zhengwu/core/fields.py). Each ciphertext names its key (zhengwu/core/crypto.py), so the rows still to
do are those whose value does not start with the current key's prefix: a run after a crash, or a
second run, touches only those. During the rotation the application runs with the new key as
`ZHENGWU_DATA_KEY` and the old one as `ZHENGWU_DATA_KEY_PREVIOUS`: it reads both, writes the new one,
and its keyed lookups ask for both indexes (`id_number_indexes`), so nothing goes missing meanwhile.

Each batch is one transaction: lock the rows, decrypt, re-encrypt, rewrite the index, and append an
audit event with the counts (never a value). Before the first batch every key id still in use is
checked, and one value of each is decrypted: a wrong or missing previous key is refused with nothing
changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from zhengwu.core.audit import audit_batch, audit_record
from zhengwu.core.crypto import (
    DecryptionFailed,
    cipher_prefix,
    ciphertext_key_id,
    key_id,
    previous_key_id,
    sm3_hmac_hex,
    sm4_decrypt,
    sm4_encrypt,
)
from zhengwu.core.errors import Conflict, ValidationFailed
from zhengwu.core.fields import (
    CiphertextField,
    EncryptedCharField,
    KeyedIndexField,
    id_number_index,
    id_number_normalise,
)
from zhengwu.core.models import AuditEvent

DEFAULT_BATCH = 500
LEGACY = "sm4gcm1"  # how the first format (no key id) is counted and reported


@dataclass(frozen=True)
class EncryptedColumn:
    model: type[models.Model]
    field: str
    label: str
    aad_field: str = ""  # '' → the associated data is the label itself (EncryptedCharField)
    index_field: str = ""
    index: Callable[[str], str] | None = None
    stores_plaintext: bool = False  # EncryptedCharField encrypts what update() is given

    @property
    def name(self) -> str:
        return f"{self.model._meta.label}.{self.field}"

    def aad(self, value: Any) -> bytes:
        return str(value).encode() if self.aad_field else self.label.encode()

    def pending(self) -> models.QuerySet:
        """Rows whose value is not (yet) under the current key; empty values say "none" and stay."""
        raw = Cast(self.field, output_field=models.TextField())
        return (self.model._base_manager.annotate(_raw=raw).exclude(_raw__isnull=True).exclude(_raw="")
                .exclude(_raw__startswith=cipher_prefix()))

    def rows(self, qs: models.QuerySet) -> models.QuerySet:
        return qs.values_list("pk", "_raw", self.aad_field or "pk")


def _hmac_index(label: str) -> Callable[[str], str]:
    def index(plain: str) -> str:
        return sm3_hmac_hex(id_number_normalise(plain), label=label)
    return index


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted column of every installed model. Columns with per-row associated data
    (licence holders, signing keys) come first: the certificate reuse check compares a holder's
    index with the current key's, so those few rows are best done at the start of the window."""
    found: list[EncryptedColumn] = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        fields = model._meta.local_concrete_fields
        for f in fields:
            if isinstance(f, EncryptedCharField):
                index = next((i for i in fields if isinstance(i, KeyedIndexField) and i.source == f.name), None)
                found.append(EncryptedColumn(model, f.name, f.crypto_label, index_field=index.name if index else "",
                                             index=id_number_index if index else None, stores_plaintext=True))
            elif isinstance(f, CiphertextField):
                found.append(EncryptedColumn(model, f.name, f.crypto_label, aad_field=f.aad_field, index_field=f.index_field,
                                             index=_hmac_index(f.index_label) if f.index_field else None))
    return sorted(found, key=lambda c: (not c.aad_field, c.name))


def indexed_fields() -> set[str]:
    """`app.Model.field` of every keyed index the rotation rebuilds."""
    return {f"{c.model._meta.label}.{c.index_field}" for c in encrypted_columns() if c.index_field}


@dataclass
class ColumnReport:
    name: str
    pending: int = 0
    by_key: dict[str, int] = field(default_factory=dict)
    rewritten: int = 0


def _kid(raw: str) -> str:
    return ciphertext_key_id(raw) or LEGACY


def _decrypt(column: EncryptedColumn, pk: Any, raw: str, aad_value: Any) -> str:
    try:
        return sm4_decrypt(raw, label=column.label, aad=column.aad(aad_value))
    except DecryptionFailed:
        raise Conflict(
            f"{column.name} 第 {pk} 行无法用 ZHENGWU_DATA_KEY 或 ZHENGWU_DATA_KEY_PREVIOUS 解密"
            f"（密钥标识 {_kid(raw)}），本批已回滚",
            f"{column.name} row {pk} decrypts under neither ZHENGWU_DATA_KEY nor ZHENGWU_DATA_KEY_PREVIOUS "
            f"(key id {_kid(raw)}); this batch was rolled back") from None


def data_key_survey() -> list[ColumnReport]:
    """Per column, how many values are not under the current key yet, by the key id they name."""
    reports = []
    for column in encrypted_columns():
        kids = Counter(_kid(raw) for raw in column.pending().values_list("_raw", flat=True).iterator(chunk_size=2000))
        reports.append(ColumnReport(column.name, pending=sum(kids.values()), by_key=dict(sorted(kids.items()))))
    return reports


def _preflight(*, actor) -> list[ColumnReport]:
    """Refuse, before any change, unless every key id in use is the current or the previous key and
    one value of each decrypts (a 4-hex id could collide; GCM's tag cannot be fooled)."""
    current, previous = key_id(), previous_key_id()
    if previous and previous == current:
        raise ValidationFailed("新旧密钥的标识相同，请另行生成一个新的 ZHENGWU_DATA_KEY",
                               "the new and the previous key have the same key id: generate another new key")
    reports = data_key_survey()
    readable = {previous, LEGACY} - {""}
    unknown = {r.name: {k: n for k, n in r.by_key.items() if k not in readable} for r in reports}
    unknown = {name: kids for name, kids in unknown.items() if kids}
    problems = [f"{name}: " + ", ".join(f"{n} 条密钥标识 {k}" for k, n in kids.items()) for name, kids in unknown.items()]
    if not problems:
        to_sample = {r.name: set(r.by_key) for r in reports}
        for column in encrypted_columns():
            wanted = to_sample[column.name]
            for pk, raw, aad_value in column.rows(column.pending().order_by("pk")).iterator(chunk_size=2000):
                if not wanted:
                    break
                if _kid(raw) not in wanted:
                    continue
                wanted.discard(_kid(raw))
                try:
                    _decrypt(column, pk, raw, aad_value)
                except Conflict:
                    problems.append(f"{column.name}: 密钥标识 {_kid(raw)} 的数据无法解密")
    if problems:
        audit_record(actor=actor, action="data_key.rotate", object_type="core.data_key",
                     outcome=AuditEvent.Outcome.FAILURE,
                     data={"current_key_id": current, "previous_key_id": previous, "problems": problems})
        hint = ("ZHENGWU_DATA_KEY_PREVIOUS 不是这些数据加密时所用的密钥" if previous
                else "有数据不在当前密钥下，请把原密钥设为 ZHENGWU_DATA_KEY_PREVIOUS")
        raise ValidationFailed(
            f"{hint}（当前密钥标识 {current}，旧密钥标识 {previous or '未设置'}）：{'；'.join(problems)}。未作任何修改",
            f"values under a key that is neither ZHENGWU_DATA_KEY ({current}) nor ZHENGWU_DATA_KEY_PREVIOUS "
            f"({previous or 'unset'}); nothing changed", field="ZHENGWU_DATA_KEY_PREVIOUS")
    return reports


def _rotate_batch(column: EncryptedColumn, *, actor, size: int) -> int:
    """One transaction: the next `size` rows of the column not under the current key, rewritten."""
    with transaction.atomic(), audit_batch():
        rows = list(column.rows(column.pending().select_for_update().order_by("pk"))[:size])
        if not rows:
            return 0
        kids: Counter[str] = Counter()
        manager = column.model._base_manager
        for pk, raw, aad_value in rows:
            plain = _decrypt(column, pk, raw, aad_value)
            kids[_kid(raw)] += 1
            stored = plain if column.stores_plaintext else sm4_encrypt(plain, label=column.label,
                                                                       aad=column.aad(aad_value))
            values: dict[str, Any] = {column.field: stored}
            if column.index_field and column.index is not None:
                values[column.index_field] = column.index(plain)
            manager.filter(pk=pk).update(**values)
        audit_record(actor=actor, action="data_key.rotate_batch", object_type="core.data_key",
                     data={"column": column.name, "rows": len(rows), "from": dict(kids), "to": key_id()})
    return len(rows)


def data_key_rotate(*, actor, batch_size: int = DEFAULT_BATCH, progress: Callable[[str, int], None] | None = None,
                    ) -> list[ColumnReport]:
    """Re-encrypt under ZHENGWU_DATA_KEY every value that is not under it yet; returns what was done."""
    if batch_size < 1:
        raise ValidationFailed("每批条数至少为 1", "the batch size must be at least 1", field="batch_size")
    reports = {r.name: r for r in _preflight(actor=actor)}
    for column in encrypted_columns():
        report = reports[column.name]
        while True:
            done = _rotate_batch(column, actor=actor, size=batch_size)
            if not done:
                break
            report.rewritten += done
            if progress is not None:
                progress(column.name, report.rewritten)
    remaining = {r.name: r.pending for r in data_key_survey() if r.pending}
    with transaction.atomic(), audit_batch():
        audit_record(actor=actor, action="data_key.rotate", object_type="core.data_key", data={
            "current_key_id": key_id(), "previous_key_id": previous_key_id(),
            "rewritten": {r.name: r.rewritten for r in reports.values()}, "remaining": remaining})
    return list(reports.values())
