"""电子监察: rules as data, hits as 监察记录 (GB/T 39046 Table 11), 督办单, cards, accountability.

Only `services.py` writes these models; `SupervisionOrder.status` is assigned by one executor
(`services._order_transition`) against the table in `states.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhengwu.catalog.codes import ItemType
from zhengwu.supervision.states import OrderStatus


class Severity(models.TextChoices):
    YELLOW = "yellow", "黄牌（预警）"
    RED = "red", "红牌（超期/严重）"
    INFO = "info", "提示"


class WarningType(models.TextChoices):
    """监察预警类型代码 (GB/T 39046 Table 11, n1). The standard leaves the values open (RULES §12)."""

    YELLOW = "1", "预警（黄牌）"
    RED = "2", "超期（红牌）"
    ANOMALY = "3", "异常"


class RuleKind(models.TextChoices):
    WARNING = "warning", "时限预警"
    ANOMALY = "anomaly", "异常行为"


class SupervisionRule(models.Model):
    """监察规则: rule id + version + enabled + severity + parameters (RULES §12: rules are data).

    Editing a rule bumps `version`; every record keeps the rule id and the version that produced it.
    """

    code = models.CharField("规则编号", max_length=20, unique=True)
    version = models.PositiveIntegerField("版本", default=1)
    name = models.CharField("名称", max_length=100)
    description = models.TextField("说明")
    kind = models.CharField("类别", max_length=10, choices=RuleKind.choices)
    warning_type = models.CharField("监察预警类型代码", max_length=1, choices=WarningType.choices)
    severity = models.CharField("严重程度", max_length=10, choices=Severity.choices)
    enabled = models.BooleanField("启用", default=True)
    parameters = models.JSONField("参数", default=dict, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "监察规则"
        verbose_name_plural = verbose_name
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} {self.name}"


class SupervisionRecord(models.Model):
    """监察记录: one warning or anomaly hit with its evidence (GB/T 39046 Table 11 fields)."""

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        ORDERED = "ordered", "已督办"
        CLOSED = "closed", "已办结"

    number = models.CharField("监察编号", max_length=30, unique=True)
    rule_code = models.CharField("监察规则编号", max_length=20, db_index=True)
    rule_version = models.PositiveIntegerField("规则版本")
    warning_type = models.CharField("监察预警类型代码", max_length=1, choices=WarningType.choices)
    severity = models.CharField("严重程度", max_length=10, choices=Severity.choices)
    occurred_at = models.DateTimeField("状态产生时间", db_index=True)
    recorded_at = models.DateTimeField("记录时间")
    department = models.ForeignKey("org.Department", verbose_name="责任部门", on_delete=models.PROTECT,
                                   related_name="supervision_records")
    window = models.ForeignKey("org.Window", verbose_name="窗口", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    responsible_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="责任人", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    case = models.ForeignKey("cases.Case", verbose_name="办件", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="supervision_records")
    item_type = models.CharField("事项类型代码", max_length=2, blank=True)
    object_type = models.CharField("对象类型", max_length=80, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    clock = models.ForeignKey("workcalendar.Clock", verbose_name="时钟", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    description = models.CharField("监察结果描述", max_length=500)
    evidence = models.JSONField("证据", default=dict, blank=True)
    # Re-running a rule over a period must not duplicate its hits: one record per rule and subject.
    dedup_key = models.CharField("去重键", max_length=200, unique=True)
    status = models.CharField("处理状态", max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        verbose_name = "监察记录"
        verbose_name_plural = verbose_name
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["department", "occurred_at"]),
                   models.Index(fields=["warning_type", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.number} {self.description}"


class NumberCounter(models.Model):
    """Per prefix and year, the last sequence number handed out (row-locked)."""

    prefix = models.CharField(max_length=4)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="supervision_counter_unique")]


class SupervisionOrder(models.Model):
    """督办单: a supervisor's order to a department about 监察记录, answered within N working days
    on the shared clock (kind `supervision.order_reply`), so it warns and goes red like a case."""

    number = models.CharField("督办单编号", max_length=30, unique=True)
    department = models.ForeignKey("org.Department", verbose_name="被督办机构", on_delete=models.PROTECT,
                                   related_name="supervision_orders")
    records = models.ManyToManyField(SupervisionRecord, verbose_name="监察记录", related_name="orders")
    content = models.TextField("督办内容")
    reply_days = models.PositiveSmallIntegerField("回复期限（工作日）")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="督办人", on_delete=models.PROTECT,
                                  related_name="+")
    issued_at = models.DateTimeField("督办发出时间", db_index=True)
    reply_due_at = models.DateTimeField("回复截止时间", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=OrderStatus.choices, default=OrderStatus.ISSUED)
    explanation = models.TextField("情况说明", blank=True)
    rectification = models.TextField("整改措施", blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="回复人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    replied_at = models.DateTimeField("回复时间", null=True, blank=True)
    review_note = models.TextField("审核意见", blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = "督办单"
        verbose_name_plural = verbose_name
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number


class OrderEvent(models.Model):
    """Append-only timeline of a 督办单."""

    order = models.ForeignKey(SupervisionOrder, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("动作", max_length=20)
    from_status = models.CharField("原状态", max_length=10, blank=True)
    to_status = models.CharField("新状态", max_length=10)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    note = models.TextField("说明", blank=True)
    occurred_at = models.DateTimeField("时间")

    class Meta:
        ordering = ["occurred_at", "id"]


class Card(models.Model):
    """黄牌 / 红牌 shown to a department, a window or a staff member, with reasons."""

    class Colour(models.TextChoices):
        YELLOW = "yellow", "黄牌"
        RED = "red", "红牌"

    class Target(models.TextChoices):
        DEPARTMENT = "department", "部门"
        WINDOW = "window", "窗口"
        STAFF = "staff", "工作人员"

    number = models.CharField("编号", max_length=30, unique=True)
    colour = models.CharField("牌色", max_length=6, choices=Colour.choices)
    target = models.CharField("对象类别", max_length=10, choices=Target.choices)
    department = models.ForeignKey("org.Department", verbose_name="部门", on_delete=models.PROTECT,
                                   related_name="+")
    window = models.ForeignKey("org.Window", verbose_name="窗口", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="工作人员", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("理由")
    records = models.ManyToManyField(SupervisionRecord, verbose_name="依据监察记录", blank=True, related_name="cards")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="出具人", on_delete=models.PROTECT,
                                  related_name="+")
    issued_at = models.DateTimeField("出具时间", db_index=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="撤销人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    revoke_reason = models.TextField("撤销理由", blank=True)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    class Meta:
        verbose_name = "黄牌/红牌"
        verbose_name_plural = verbose_name
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.get_colour_display()}"


class AccountabilityKind(models.TextChoices):
    # Seed 001 §58: 诫勉谈话、通报批评、责令检查、责令公开道歉、建议进行组织调整.
    ADMONITION = "admonition", "诫勉谈话"
    CRITICISM = "criticism", "通报批评"
    SELF_EXAMINATION = "self_examination", "责令检查"
    PUBLIC_APOLOGY = "public_apology", "责令公开道歉"
    ORGANISATIONAL = "organisational", "建议进行组织调整"


class AccountabilityRecord(models.Model):
    """问责记录, linked to the evidence (监察记录, 督办单)."""

    number = models.CharField("编号", max_length=30, unique=True)
    kind = models.CharField("问责方式", max_length=20, choices=AccountabilityKind.choices)
    department = models.ForeignKey("org.Department", verbose_name="部门", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="问责对象", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("事由")
    records = models.ManyToManyField(SupervisionRecord, verbose_name="证据：监察记录", blank=True, related_name="+")
    orders = models.ManyToManyField(SupervisionOrder, verbose_name="证据：督办单", blank=True, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="决定人", on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField("决定时间")

    class Meta:
        verbose_name = "问责记录"
        verbose_name_plural = verbose_name
        ordering = ["-decided_at", "-id"]


class Complaint(models.Model):
    """效能投诉 received by the supervision office (the 12345 app will feed these later)."""

    department = models.ForeignKey("org.Department", verbose_name="被投诉部门", on_delete=models.PROTECT,
                                   related_name="+")
    window = models.ForeignKey("org.Window", verbose_name="窗口", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    case = models.ForeignKey("cases.Case", verbose_name="办件", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    summary = models.CharField("投诉摘要", max_length=500)
    received_at = models.DateTimeField("收到时间", db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        verbose_name = "效能投诉"
        verbose_name_plural = verbose_name
        ordering = ["-received_at"]


class ThresholdClock(models.TextChoices):
    """The two clocks of a case, configured separately (issue 4: 法定 and 承诺 each have their own threshold)."""

    LEGAL = "case.legal", "法定办结时限"
    PROMISED = "case.promised", "承诺办结时限"


class WarningThreshold(models.Model):
    """黄牌预警阈值 for one 事项类型 (GB/T 39046 A.1 item type) and one clock of its cases.

    Yellow from `before_days` units before the deadline or once `used_percent` % of the budget is
    used, whichever comes first; either half may be empty (switched off). Without a row the work
    calendar's per-kind setting applies (default: 2 working days left or 80 % used). RULES §12
    marks the typical threshold "recalled, local practice", hence configurable.
    """

    item_type = models.CharField("事项类型", max_length=2, choices=ItemType.choices)
    clock_kind = models.CharField("时限类别", max_length=20, choices=ThresholdClock.choices)
    before_days = models.PositiveSmallIntegerField("截止前（时限单位）", null=True, blank=True)
    used_percent = models.PositiveSmallIntegerField("已用比例（%）", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField("修改时间")

    class Meta:
        verbose_name = "预警阈值"
        verbose_name_plural = verbose_name
        ordering = ["item_type", "clock_kind"]
        constraints = [models.UniqueConstraint(fields=["item_type", "clock_kind"],
                                               name="supervision_threshold_unique")]

    def __str__(self) -> str:
        return f"{self.get_item_type_display()} {self.get_clock_kind_display()}"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "电话回访"
    VISIT = "visit", "上门回访"
    SMS = "sms", "短信"
    ONLINE = "online", "网上回复"
    NOT_REACHED = "not_reached", "多次联系未果"


class RatingFollowUp(models.Model):
    """回访整改: the department's follow-up on a 不满意 / 非常不满意 rating (差评整改, rule A10).

    A rating counts as followed up from the first row recorded within the working days that A10's
    `follow_up_working_days` allows (国办发〔2019〕51号: 差评 to be verified and rectified; the 15 WD
    default is local practice, RULES §12 "recalled", hence a rule parameter).
    """

    rating = models.ForeignKey("cases.Rating", verbose_name="评价", on_delete=models.CASCADE,
                               related_name="follow_ups")
    department = models.ForeignKey("org.Department", verbose_name="整改部门", on_delete=models.PROTECT,
                                   related_name="+")
    contact_method = models.CharField("回访方式", max_length=12, choices=ContactMethod.choices)
    contacted_at = models.DateTimeField("回访时间")
    explanation = models.TextField("情况说明")
    rectification = models.TextField("整改措施")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField("记录时间", db_index=True)

    class Meta:
        verbose_name = "差评回访整改"
        verbose_name_plural = verbose_name
        ordering = ["recorded_at", "id"]


class AppealStatus(models.TextChoices):
    PENDING = "pending", "待裁决"
    UPHELD = "upheld", "申诉成立（撤销）"
    REJECTED = "rejected", "申诉不成立（维持）"


class CardAppeal(models.Model):
    """申诉 against a 黄牌 / 红牌 and the supervisor's ruling (政府督查工作条例: objection → 复核, applied
    for within 30 days, decided within 30 days; RULES §12). One appeal per card; the ruling period is a
    clock on the shared ledger (kind `supervision.card_appeal`, 30 calendar days)."""

    card = models.OneToOneField(Card, verbose_name="黄牌/红牌", on_delete=models.PROTECT, related_name="appeal")
    grounds = models.TextField("申诉理由")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申诉人", on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField("申诉时间")
    ruling_due_at = models.DateTimeField("裁决期限", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING)
    ruling = models.TextField("裁决意见", blank=True)
    ruled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="裁决人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    ruled_at = models.DateTimeField("裁决时间", null=True, blank=True)

    class Meta:
        verbose_name = "黄牌/红牌申诉"
        verbose_name_plural = verbose_name
        ordering = ["-submitted_at", "-id"]
