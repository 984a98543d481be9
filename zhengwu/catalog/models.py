"""政务服务事项 (ServiceItem) and its 实施清单 versions (ServiceItemVersion).

An item is the stable identity (basic code, department, lifecycle status); everything a guide
publishes lives on a version. A published version is never changed or deleted: cases keep the
version they were applied under, and 流程再造 figures compare versions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhengwu.catalog.codes import (
    CaseKind,
    ExerciseLevel,
    FeeStandardKind,
    HandlingScope,
    ImplementerNature,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    OnlineDepth,
    PowerSource,
    ResultType,
    SpecialProcedureKind,
    SystemLevel,
    ThemeAudience,
    ThemeKind,
)
from zhengwu.core.models import TimeStampedModel
from zhengwu.org.models import Department, Position, Window


class Theme(TimeStampedModel):
    """服务主题 (自然人 / 法人) and 人生事件 such as 出生, 上学, 开办企业."""

    code = models.CharField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=50)
    audience = models.CharField("面向", max_length=10, choices=ThemeAudience.choices)
    kind = models.CharField("类别", max_length=12, choices=ThemeKind.choices, default=ThemeKind.TOPIC)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "服务主题"
        verbose_name_plural = verbose_name
        ordering = ["audience", "kind", "order", "code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_audience_display()}）"


class ServiceItem(TimeStampedModel):
    """政务服务事项: the stable identity of an item at one department."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        SUSPENDED = "suspended", "已暂停"
        CANCELLED = "cancelled", "已取消"

    # Sized beyond the 12 characters seen in practice: GB/T 39046 and platforms disagree (RULES §1.4).
    basic_code = models.CharField("基本编码", max_length=36, unique=True)
    department = models.ForeignKey(Department, verbose_name="实施主体", on_delete=models.PROTECT,
                                   related_name="service_items")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    current_version = models.OneToOneField(
        "ServiceItemVersion", verbose_name="现行版本", null=True, blank=True, on_delete=models.PROTECT,
        related_name="current_of",
    )
    windows = models.ManyToManyField(Window, verbose_name="办理窗口", blank=True, related_name="service_items")
    # name + full pinyin + initials of the current published version, lower case, written on publish:
    # search is then one LIKE query that answers the same on SQLite and PostgreSQL.
    search_text = models.TextField("检索文本", blank=True, default="")
    status_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True)
    first_published_at = models.DateTimeField("首次发布时间", null=True, blank=True)
    cancelled_reason = models.CharField("取消/暂停原因", max_length=500, blank=True)

    class Meta:
        verbose_name = "政务服务事项"
        verbose_name_plural = verbose_name
        ordering = ["basic_code"]
        indexes = [models.Index(fields=["department", "status"])]

    def __str__(self) -> str:
        name = self.current_version.name if self.current_version is not None else ""
        return f"{self.basic_code} {name}".strip()

    @property
    def current(self) -> ServiceItemVersion:
        """The current version, for items known to have one (published or suspended)."""
        if self.current_version is None:
            raise ValueError(f"事项 {self.basic_code} 没有已发布的版本")
        return self.current_version


class ServiceItemVersion(TimeStampedModel):
    """实施清单: the elements of GB/T 39046 Table 4 for one item at one time."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "现行"
        SUPERSEDED = "superseded", "已废止"

    item = models.ForeignKey(ServiceItem, verbose_name="事项", on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    status = models.CharField("版本状态", max_length=10, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    change_note = models.CharField("变更说明", max_length=500, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发布人", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    effective_from = models.DateTimeField("生效时间", null=True, blank=True)
    effective_to = models.DateTimeField("失效时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    # 1–5 名称与编码
    name = models.CharField("事项名称", max_length=200)
    basic_code = models.CharField("基本编码", max_length=36)
    implementation_code = models.CharField("实施编码", max_length=36)
    business_item_code = models.CharField("业务办理项编码", max_length=50, blank=True)
    local_code = models.CharField("地方编码", max_length=50, blank=True)
    item_type = models.CharField("事项类型", max_length=2, choices=ItemType.choices)
    # 6–14 依据与主体
    legal_basis = models.TextField("设定依据")
    exercise_level = models.CharField("行使层级", max_length=1, choices=ExerciseLevel.choices,
                                      default=ExerciseLevel.COUNTY)
    power_source = models.CharField("权力来源", max_length=1, choices=PowerSource.choices,
                                    default=PowerSource.OWN)
    authority_division = models.TextField("权限划分", blank=True)
    exercise_content = models.TextField("行使内容", blank=True)
    implementer_nature = models.CharField("实施主体性质", max_length=1, choices=ImplementerNature.choices,
                                          default=ImplementerNature.STATUTORY)
    entrusting_department = models.CharField("委托部门", max_length=100, blank=True)
    # 15–20 时限
    legal_limit_value = models.PositiveIntegerField("法定办结时限", default=0)
    legal_limit_unit = models.CharField("法定时限单位", max_length=14, choices=LimitUnit.choices,
                                        default=LimitUnit.WORKING_DAYS)
    legal_limit_note = models.CharField("法定时限说明", max_length=500, blank=True)
    promised_limit_value = models.PositiveIntegerField("承诺办结时限", default=0)
    promised_limit_unit = models.CharField("承诺时限单位", max_length=14, choices=LimitUnit.choices,
                                           default=LimitUnit.WORKING_DAYS)
    promised_limit_note = models.CharField("承诺时限说明", max_length=500, blank=True)
    case_kind = models.CharField("办件类型", max_length=1, choices=CaseKind.choices, default=CaseKind.PROMISED)
    # 21–28 条件与流程
    acceptance_conditions = models.TextField("受理条件", blank=True)
    process_description = models.TextField("办理流程", blank=True)
    joint_departments = models.CharField("共同实施部门", max_length=500, blank=True)
    handling_agency = models.CharField("承办机构", max_length=200, blank=True)
    intermediary_services = models.TextField("中介服务", blank=True)
    quantity_limit = models.TextField("数量限制", blank=True)
    # 29–32 结果与收费
    result_name = models.CharField("结果名称", max_length=200, blank=True)
    result_type = models.CharField("结果类型", max_length=12, choices=ResultType.choices, default=ResultType.OTHER)
    result_sample = models.FileField("结果样本", upload_to="catalog/results/%Y/", blank=True)
    fee_required = models.BooleanField("是否收费", default=False)
    fee_basis = models.TextField("收费依据", blank=True)
    # 33–49 对象、形式、网办
    handling_scope = models.CharField("通办范围", max_length=10, choices=HandlingScope.choices,
                                      default=HandlingScope.NONE)
    service_objects = models.JSONField("服务对象", default=list, blank=True,
                                       help_text="GB/T 39046 A.4 代码列表")
    handling_forms = models.JSONField("办理形式", default=list, blank=True, help_text="GB/T 39046 A.5 代码列表")
    jurisdiction = models.CharField("行政管辖", max_length=200, blank=True)
    in_hall = models.BooleanField("是否进驻政务大厅", default=True)
    supports_appointment = models.BooleanField("是否支持预约办理", default=False)
    supports_online_payment = models.BooleanField("是否支持网上支付", default=False)
    supports_delivery = models.BooleanField("是否支持物流快递", default=False)
    supports_online = models.BooleanField("是否网办", default=False)
    online_url = models.CharField("网办地址", max_length=500, blank=True)
    online_depth = models.PositiveSmallIntegerField("网上办理深度", choices=OnlineDepth.choices,
                                                    default=OnlineDepth.DISCLOSURE)
    system_level = models.CharField("运行系统层级", max_length=10, choices=SystemLevel.choices, blank=True)
    onsite_visits = models.PositiveSmallIntegerField("到办事现场次数", default=0)
    onsite_reason = models.CharField("必须现场办理原因说明", max_length=500, blank=True)
    # 50–55 地点与咨询
    location = models.CharField("办理地点", max_length=300, blank=True)
    office_hours = models.CharField("办理时间", max_length=300, blank=True)
    consultation_method = models.CharField("咨询方式", max_length=300, blank=True)
    consultation_phone = models.CharField("咨询电话", max_length=50, blank=True)
    complaint_phone = models.CharField("监督投诉电话", max_length=50, blank=True)
    themes = models.ManyToManyField(Theme, verbose_name="服务主题", blank=True, related_name="versions")

    class Meta:
        verbose_name = "实施清单版本"
        verbose_name_plural = verbose_name
        ordering = ["item", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="catalog_version_unique_number"),
            # One draft at a time per item: a second editor continues the same draft.
            models.UniqueConstraint(fields=["item"], condition=models.Q(status="draft"),
                                    name="catalog_version_one_draft"),
            models.UniqueConstraint(fields=["item"], condition=models.Q(status="published"),
                                    name="catalog_version_one_published"),
        ]
        indexes = [models.Index(fields=["published_at"])]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"

    @property
    def is_immediate(self) -> bool:
        return self.case_kind == CaseKind.IMMEDIATE

    def save(self, *args, **kwargs):
        # A published 实施清单 is a legal record cases were applied under: once out of draft only
        # its bookkeeping (status, effective dates) may change, and only through named fields.
        if self.pk is not None and self.status != self.Status.DRAFT:
            fields = set(kwargs.get("update_fields") or ())
            if not fields or not fields <= VERSION_BOOKKEEPING_FIELDS:
                raise RuntimeError("已发布的实施清单版本不可修改 / a published version is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status != self.Status.DRAFT:
            raise RuntimeError("已发布的实施清单版本不可删除 / a published version is never deleted")
        return super().delete(*args, **kwargs)


VERSION_BOOKKEEPING_FIELDS = frozenset(
    {"status", "published_at", "published_by", "effective_from", "effective_to", "updated_at"}
)


class MaterialRequirement(models.Model):
    """申请材料 of one version."""

    version = models.ForeignKey(ServiceItemVersion, verbose_name="版本", on_delete=models.CASCADE,
                                related_name="materials")
    order = models.PositiveSmallIntegerField("序号", default=1)
    name = models.CharField("材料名称", max_length=300)
    source = models.CharField("来源渠道", max_length=14, choices=MaterialSource.choices,
                              default=MaterialSource.APPLICANT)
    issuer = models.CharField("出具机构", max_length=200, blank=True)
    form = models.CharField("材料形式", max_length=10, choices=MaterialForm.choices, default=MaterialForm.EITHER)
    original_count = models.PositiveSmallIntegerField("原件份数", default=1)
    copy_count = models.PositiveSmallIntegerField("复印件份数", default=0)
    required = models.BooleanField("是否必备", default=True)
    paper_spec = models.CharField("纸质规格", max_length=50, blank=True, default="A4")
    notes = models.TextField("填报须知", blank=True)
    acceptance_standard = models.TextField("受理标准", blank=True)
    basis = models.CharField("要求提供材料的依据", max_length=500, blank=True)
    blank_form = models.FileField("空白表格", upload_to="catalog/forms/%Y/", blank=True)
    sample_file = models.FileField("示例样表", upload_to="catalog/samples/%Y/", blank=True)

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = verbose_name
        ordering = ["version", "order", "id"]

    def __str__(self) -> str:
        return self.name


class ProcessStep(models.Model):
    """办理环节: ordered steps with the acting role and a working-day budget."""

    version = models.ForeignKey(ServiceItemVersion, verbose_name="版本", on_delete=models.CASCADE,
                                related_name="steps")
    order = models.PositiveSmallIntegerField("序号", default=1)
    name = models.CharField("环节名称", max_length=100)
    role = models.CharField("办理岗位", max_length=24, choices=Position.choices, default=Position.REVIEWER)
    budget_days = models.PositiveSmallIntegerField("时限（工作日）", default=0)
    description = models.TextField("办理标准", blank=True)

    class Meta:
        verbose_name = "办理环节"
        verbose_name_plural = verbose_name
        ordering = ["version", "order", "id"]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class FeeItem(models.Model):
    """收费项目 of one version (一口收费 charges only these)."""

    version = models.ForeignKey(ServiceItemVersion, verbose_name="版本", on_delete=models.CASCADE,
                                related_name="fees")
    order = models.PositiveSmallIntegerField("序号", default=1)
    name = models.CharField("收费项目名称", max_length=200)
    standard = models.CharField("收费标准", max_length=500)
    # The standard as an amount, so a fee notice cannot charge outside it: a fixed amount (min =
    # max), a range, or "text" when the standard needs the case's own figures and no amount
    # can be set in advance (the clerk then types the amount and how it was worked out).
    amount_kind = models.CharField("收费标准类型", max_length=8, choices=FeeStandardKind.choices,
                                   default=FeeStandardKind.TEXT)
    amount_min = models.DecimalField("金额（元）/下限", max_digits=16, decimal_places=2, null=True, blank=True,
                                     help_text="固定金额填金额；金额区间填下限")
    amount_max = models.DecimalField("金额上限（元）", max_digits=16, decimal_places=2, null=True, blank=True,
                                     help_text="仅金额区间填写")
    basis = models.CharField("收费依据", max_length=500)
    reducible = models.BooleanField("是否允许减免", default=False)
    reduction_basis = models.CharField("允许减免依据", max_length=500, blank=True)

    class Meta:
        verbose_name = "收费项目"
        verbose_name_plural = verbose_name
        ordering = ["version", "order", "id"]

    def __str__(self) -> str:
        return self.name

    def amount_bounds(self):
        """(lowest, highest) amount the standard allows, or None when it is not an amount."""
        if self.amount_kind == FeeStandardKind.FIXED and self.amount_min is not None:
            return self.amount_min, self.amount_min
        if self.amount_kind == FeeStandardKind.RANGE and self.amount_min is not None and self.amount_max is not None:
            return self.amount_min, self.amount_max
        return None


class SpecialProcedure(models.Model):
    """特别程序 the item may need (行政许可法 §45): time not counted, told to the applicant in writing."""

    version = models.ForeignKey(ServiceItemVersion, verbose_name="版本", on_delete=models.CASCADE,
                                related_name="special_procedures")
    kind = models.CharField("特别程序种类", max_length=14, choices=SpecialProcedureKind.choices)
    duration_value = models.PositiveIntegerField("预计时限")
    duration_unit = models.CharField("时限单位", max_length=14, choices=LimitUnit.choices,
                                     default=LimitUnit.WORKING_DAYS)
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "特别程序"
        verbose_name_plural = verbose_name
        ordering = ["version", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "kind"], name="catalog_special_unique_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.duration_value}{self.get_duration_unit_display()}"


class FaqEntry(models.Model):
    """常见问题."""

    version = models.ForeignKey(ServiceItemVersion, verbose_name="版本", on_delete=models.CASCADE,
                                related_name="faqs")
    order = models.PositiveSmallIntegerField("序号", default=1)
    question = models.CharField("问题", max_length=500)
    answer = models.TextField("解答")

    class Meta:
        verbose_name = "常见问题"
        verbose_name_plural = verbose_name
        ordering = ["version", "order", "id"]

    def __str__(self) -> str:
        return self.question
