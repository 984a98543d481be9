"""Model fields for personal data at rest: an SM4-encrypted column and its SM3-HMAC keyed index.

`EncryptedCharField` holds the plaintext in Python and SM4-GCM ciphertext in the database
(`zhengwu.core.crypto`), so callers read and assign `case.applicant_id_number` as before. The
ciphertext has a fresh nonce every time, so the column cannot be searched, compared or ordered:
every lookup but "is empty" raises, and searches go through a `KeyedIndexField` next to it, which
`save()` and `bulk_create()` fill from its source column (`Field.pre_save`).

Not covered, by design of Django: `QuerySet.update()` and `bulk_update()` of the source column
do not recompute the index; no code here writes ID numbers that way (but `rotate_data_key` does,
setting both columns itself).

`CiphertextField` marks a text column whose service encrypts it itself with per-row associated data
(licence holders, SM2 private keys): it says how, so `manage.py rotate_data_key` finds and re-encrypts
it like the others (zhengwu/core/keyrotation.py).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.db import models

from zhengwu.core.crypto import (
    DecryptionFailed,
    sm3_hmac_hex,
    sm3_hmac_hex_all,
    sm4_ciphertext_length,
    sm4_decrypt,
    sm4_encrypt,
)

ID_NUMBER_INDEX_LABEL = "personal.id_number_index"


def id_number_normalise(value: str | None) -> str:
    """Upper case, no spaces or hyphens: the form every index is computed on."""
    return (value or "").strip().upper().replace(" ", "").replace("-", "")


def id_number_index(value: str | None) -> str:
    """The keyed index of an ID number ('' for none): equal numbers match, the column alone reveals nothing."""
    text = id_number_normalise(value)
    return sm3_hmac_hex(text, label=ID_NUMBER_INDEX_LABEL) if text else ""


def id_number_indexes(value: str | None) -> list[str]:
    """What to look an ID number up by: its index under the current key and, while a key rotation is
    under way, under the previous key too (rows not rotated yet). [] for none."""
    text = id_number_normalise(value)
    return sm3_hmac_hex_all(text, label=ID_NUMBER_INDEX_LABEL) if text else []


class EncryptedCharField(models.CharField):
    """A short text stored SM4-GCM encrypted; `max_length` counts plaintext characters.

    The associated data is the column's label (`app.Model.field`), so a ciphertext copied into
    another encrypted column does not decrypt. The empty string stays empty (it says "none", not
    who), so blank checks still work.
    """

    def __init__(self, *args: Any, purpose: str = "", **kwargs: Any) -> None:
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.purpose:
            kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    @property
    def crypto_label(self) -> str:
        return self.purpose or f"{self.model._meta.label}.{self.name}"

    def _aad(self) -> bytes:
        return self.crypto_label.encode()

    def db_type_parameters(self, connection: Any) -> Any:
        params = super().db_type_parameters(connection)
        # A character may take 4 UTF-8 bytes; the column holds the base64 ciphertext of the longest.
        params["max_length"] = sm4_ciphertext_length(4 * (self.max_length or 0))
        return params

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        try:
            return sm4_decrypt(value, label=self.crypto_label, aad=self._aad())
        except DecryptionFailed as exc:
            raise DecryptionFailed(
                f"{self.crypto_label} 无法解密：数据被改动，或 ZHENGWU_DATA_KEY 与加密时不同 / "
                f"cannot decrypt {self.crypto_label}: altered, or another ZHENGWU_DATA_KEY ({exc})"
            ) from None

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        if not value:
            return value
        return sm4_encrypt(str(value), label=self.crypto_label, aad=self._aad())

    def get_lookup(self, lookup_name: str) -> Any:
        lookup = super().get_lookup(lookup_name)
        if lookup is not None and lookup_name in ("isnull", "exact"):
            return _empty_only(lookup) if lookup_name == "exact" else lookup
        raise FieldError(
            f"{self.crypto_label} 已加密，不能按 {lookup_name} 查询，请用其索引列 / "
            f"{self.crypto_label} is encrypted: query its keyed index instead of `{lookup_name}`"
        )

    def get_transform(self, name: str) -> Any:
        raise FieldError(f"{self.crypto_label} 已加密，不能变换 / {self.crypto_label} is encrypted: no `{name}`")


def _empty_only(base: type[models.Lookup]) -> type[models.Lookup]:
    class EmptyExact(base):  # type: ignore[valid-type, misc]
        def get_db_prep_lookup(self, value: Any, connection: Any) -> Any:
            if value not in ("", None):
                raise FieldError(
                    "加密列只能与空值比较，请用其索引列查询 / an encrypted column compares only with '': "
                    "query its keyed index"
                )
            return super().get_db_prep_lookup(value, connection)

    return EmptyExact


class KeyedIndexField(models.CharField):
    """SM3-HMAC of another column's normalised value, recomputed whenever the row is saved."""

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = id_number_index(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


class CiphertextField(models.TextField):
    """A text column holding `sm4_encrypt` output that its service makes and reads itself, because the
    associated data is a value of the row (so a ciphertext copied to another row does not decrypt).

    Declares what `rotate_data_key` needs to re-encrypt it: the crypto `label`, the field whose value
    is the associated data (`aad_field`), and the keyed index kept beside it, if any (`index_field`,
    an SM3-HMAC under `index_label` of the normalised plaintext, as `id_number_normalise`).
    """

    def __init__(self, *args: Any, label: str, aad_field: str, index_field: str = "", index_label: str = "",
                 **kwargs: Any) -> None:
        self.crypto_label, self.aad_field = label, aad_field
        self.index_field, self.index_label = index_field, index_label
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(label=self.crypto_label, aad_field=self.aad_field)
        if self.index_field:
            kwargs.update(index_field=self.index_field, index_label=self.index_label)
        return name, path, args, kwargs
