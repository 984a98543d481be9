"""电子证照: licence types, departments' SM2 signing keys, certificates, their reuse, and the
gap-free counters behind certificate serials and 文书 numbers."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from zhengwu.core.fields import CiphertextField
from zhengwu.core.models import TimeStampedModel
from zhengwu.org.models import Department


class DocumentCounter(models.Model):
    """The last number handed out per department, kind and year.

    Numbers come from locking this row inside the caller's transaction, so a rolled-back write
    also gives its number back: the sequence has no gaps and no duplicates.
    """

    department = models.ForeignKey(Department, verbose_name="部门", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("种类", max_length=40)
    year = models.PositiveIntegerField("年度")
    last_value = models.PositiveIntegerField("已用到", default=0)

    class Meta:
        verbose_name = "编号计数器"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["department", "kind", "year"], name="licences_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.department_id}/{self.kind}/{self.year}: {self.last_value}"


class LicenceType(TimeStampedModel):
    """证照类型: code = the competent ministry's 统一社会信用代码 + a 3-digit type number."""

    code = models.CharField("证照类型代码", max_length=21, unique=True, validators=[
        RegexValidator(r"^[0-9A-HJ-NPQRTUWXY]{18}\d{3}$", "类型代码应为 18 位统一社会信用代码加 3 位数字"),
    ])
    name = models.CharField("证照名称", max_length=100)
    ministry = models.CharField("主管部门", max_length=100, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "证照类型"
        verbose_name_plural = verbose_name
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class SigningKey(TimeStampedModel):
    """A department's SM2 key pair. The private key is stored SM4-encrypted; retired keys stay
    so that certificates signed with them can still be verified."""

    department = models.ForeignKey(Department, verbose_name="部门", on_delete=models.PROTECT,
                                   related_name="signing_keys")
    reference = models.CharField("密钥标识", max_length=80, unique=True)
    public_key = models.CharField("SM2 公钥（x‖y，十六进制）", max_length=128)
    private_key_cipher = CiphertextField("SM2 私钥（SM4 加密）", label="licences.signing_key", aad_field="reference")
    is_active = models.BooleanField("在用", default=True)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "签名密钥"
        verbose_name_plural = verbose_name
        ordering = ["department", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["department"], condition=models.Q(is_active=True),
                                    name="licences_one_active_key_per_department"),
        ]

    def __str__(self) -> str:
        return self.reference


class HolderIdType(models.TextChoices):
    ID_CARD = "id_card", "居民身份证"
    USCC = "uscc", "统一社会信用代码"
    OTHER = "other", "其他证件"


class Certificate(TimeStampedModel):
    """One 电子证照. Rows are written once by licence_issue; only status and reuse change later."""

    class Status(models.TextChoices):
        VALID = "valid", "有效"
        REVOKED = "revoked", "已注销"
        # Never stored: derived from valid_until and today, so a late job never shows a wrong state.
        EXPIRED = "expired", "已过期"

    identifier = models.CharField("电子证照标识", max_length=128, unique=True)
    licence_type = models.ForeignKey(LicenceType, verbose_name="证照类型", on_delete=models.PROTECT,
                                     related_name="certificates")
    name = models.CharField("证照名称", max_length=100)
    number = models.CharField("证照编号", max_length=64)
    holder_name = models.CharField("持证主体", max_length=200)
    holder_id_type = models.CharField("持证主体代码类型", max_length=10, choices=HolderIdType.choices)
    holder_id_cipher = CiphertextField("持证主体代码（SM4 加密）", label="licences.holder_id", aad_field="identifier",
                                       index_field="holder_id_index", index_label="licences.holder_id_index")
    holder_id_index = models.CharField("持证主体代码索引（SM3-HMAC）", max_length=64, db_index=True)
    issuer = models.ForeignKey(Department, verbose_name="颁发机构", on_delete=models.PROTECT,
                               related_name="certificates")
    issuer_name = models.CharField("颁发机构名称", max_length=100, help_text="签发时的名称，部门更名不影响已签发证照")
    issued_on = models.DateField("颁发日期")
    valid_from = models.DateField("有效期起")
    valid_until = models.DateField("有效期至", null=True, blank=True, help_text="空表示长期有效")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.VALID)
    revoked_at = models.DateTimeField("注销时间", null=True, blank=True)
    revoked_reason = models.CharField("注销原因", max_length=500, blank=True)
    content = models.JSONField("照面信息", default=dict, blank=True)
    content_digest = models.CharField("摘要（SM3）", max_length=64)
    signature = models.CharField("签名（SM2）", max_length=128)
    signing_key = models.ForeignKey(SigningKey, verbose_name="签名密钥", on_delete=models.PROTECT,
                                    related_name="certificates")
    pdf = models.FileField("版式文件", upload_to="licences/%Y/", blank=True)
    source = models.CharField("来源", max_length=200, blank=True, help_text="如办件编号")
    reuse_count = models.PositiveIntegerField("复用次数", default=0)

    class Meta:
        verbose_name = "电子证照"
        verbose_name_plural = verbose_name
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_until__isnull=True)
                                   | models.Q(valid_until__gte=models.F("valid_from")),
                                   name="licences_certificate_validity_range"),
            models.CheckConstraint(condition=models.Q(status__in=["valid", "revoked"]),
                                   name="licences_certificate_stored_status"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.number}"

    def current_status(self, today: date | None = None) -> str:
        if self.status == self.Status.REVOKED:
            return self.Status.REVOKED
        today = today or timezone.localdate()
        if self.valid_until is not None and today > self.valid_until:
            return self.Status.EXPIRED
        return self.Status.VALID

    def current_status_label(self, today: date | None = None) -> str:
        return self.Status(self.current_status(today)).label


class CertificateReuse(models.Model):
    """A later application that relied on this certificate instead of asking for paper (国务院令716号 §11)."""

    certificate = models.ForeignKey(Certificate, verbose_name="电子证照", on_delete=models.PROTECT,
                                    related_name="reuses")
    purpose = models.CharField("用途", max_length=200)
    reference = models.CharField("关联业务", max_length=100, blank=True, help_text="如新办件编号")
    used_at = models.DateTimeField("使用时间")
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="使用人", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "证照复用记录"
        verbose_name_plural = verbose_name
        ordering = ["-used_at"]

    def __str__(self) -> str:
        return f"{self.certificate_id} · {self.purpose}"
