"""Organisation: 行政区划, service centres, departments (实施主体), windows, staff posts, AB posts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhengwu.core.models import TimeStampedModel


class Region(TimeStampedModel):
    """A GB/T 2260 division: 6 digits down to county, 9 for a township, 12 for a village.

    Codes are unique over the whole history: a retired code stays in the table (valid_to set),
    so it can never be given to another division.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, "省级"
        PREFECTURE = 2, "地级"
        COUNTY = 3, "县级"
        TOWNSHIP = 4, "乡级"
        VILLAGE = 5, "村级"

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices)
    parent = models.ForeignKey("self", verbose_name="上级区划", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    valid_from = models.DateField("启用日期", null=True, blank=True)
    valid_to = models.DateField("停用日期", null=True, blank=True)

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = verbose_name
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


class ServiceCentre(TimeStampedModel):
    class Kind(models.TextChoices):
        CITY = "city", "市级政务服务中心"
        COUNTY = "county", "县级政务服务中心"
        BRANCH = "branch", "分中心"
        TOWNSHIP = "township", "便民服务中心"
        VILLAGE = "village", "便民服务室"

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    region = models.ForeignKey(Region, verbose_name="所在区划", on_delete=models.PROTECT, related_name="centres")
    parent = models.ForeignKey("self", verbose_name="上级中心", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    address = models.CharField("地址", max_length=200, blank=True)
    opening_hours = models.CharField("办公时间", max_length=200, blank=True)
    phone = models.CharField("咨询电话", max_length=30, blank=True)
    complaint_phone = models.CharField("投诉电话", max_length=30, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "服务中心"
        verbose_name_plural = verbose_name
        ordering = ["region__code", "name"]

    def __str__(self) -> str:
        return self.name


class Department(TimeStampedModel):
    """实施主体: the authority that decides, identified by its 统一社会信用代码."""

    class Nature(models.TextChoices):
        # GB/T 39046 A.3 实施主体性质
        STATUTORY = "1", "法定机关"
        AUTHORISED = "2", "授权组织"
        ENTRUSTED = "3", "受委托组织"
        OTHER = "9", "其他"

    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=50, blank=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    nature = models.CharField("实施主体性质", max_length=1, choices=Nature.choices, default=Nature.STATUTORY)
    region = models.ForeignKey(Region, verbose_name="所属区划", on_delete=models.PROTECT, related_name="departments")
    centre = models.ForeignKey(ServiceCentre, verbose_name="进驻中心", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="departments")
    consultation_phone = models.CharField("咨询电话", max_length=30, blank=True)
    complaint_phone = models.CharField("监督投诉电话", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "部门（实施主体）"
        verbose_name_plural = verbose_name
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Window(TimeStampedModel):
    """窗口: a counter in a centre. The items it serves are linked from the catalog side."""

    centre = models.ForeignKey(ServiceCentre, verbose_name="所属中心", on_delete=models.PROTECT, related_name="windows")
    number = models.CharField("窗口号", max_length=20)
    name = models.CharField("名称", max_length=100)
    department = models.ForeignKey(Department, verbose_name="所属部门", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="windows",
                                   help_text="综合窗口可不属于单一部门")
    is_comprehensive = models.BooleanField("综合窗口", default=False)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "窗口"
        verbose_name_plural = verbose_name
        ordering = ["centre", "number"]
        constraints = [models.UniqueConstraint(fields=["centre", "number"], name="org_window_unique_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Position(models.TextChoices):
    CLERK = "clerk", "窗口人员"
    REVIEWER = "reviewer", "审批人员"
    CHIEF_REPRESENTATIVE = "chief_representative", "首席代表"
    SECTION_HEAD = "section_head", "科室负责人"
    LEADER = "leader", "分管领导"
    SUPERVISOR = "supervisor", "监察员"
    CENTRE_ADMIN = "centre_admin", "中心管理员"


class StaffPost(TimeStampedModel):
    """A staff member's post: position, in a department (business posts) or a centre (supervision,
    centre administration), optionally at a window. Department scope of every query comes from here."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="人员", on_delete=models.PROTECT,
                             related_name="posts")
    position = models.CharField("岗位", max_length=24, choices=Position.choices)
    department = models.ForeignKey(Department, verbose_name="部门", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="posts")
    centre = models.ForeignKey(ServiceCentre, verbose_name="中心", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="posts")
    window = models.ForeignKey(Window, verbose_name="窗口", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="posts")
    is_active = models.BooleanField("在岗", default=True)

    class Meta:
        verbose_name = "人员岗位"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["user", "position", "department", "centre"], name="org_post_unique"),
        ]

    def __str__(self) -> str:
        # The username, not the person's name: posts are listed and logged, names are masked there.
        unit = self.department or self.centre
        return f"{self.user.username} · {self.get_position_display()} · {unit}"


class BackupPost(TimeStampedModel):
    """AB岗: when the A post's holder is absent, the B post's holder sees and acts on A's work."""

    primary = models.ForeignKey(StaffPost, verbose_name="A岗", on_delete=models.PROTECT, related_name="backups")
    backup = models.ForeignKey(StaffPost, verbose_name="B岗", on_delete=models.PROTECT, related_name="covers")

    class Meta:
        verbose_name = "AB岗"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["primary", "backup"], name="org_backup_unique")]

    def __str__(self) -> str:
        return f"A:{self.primary} ↔ B:{self.backup}"


class Absence(TimeStampedModel):
    """A staff member marked absent (leave, training, business trip) for a period."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="人员", on_delete=models.PROTECT,
                             related_name="absences")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    reason = models.CharField("事由", max_length=200)

    class Meta:
        verbose_name = "缺岗登记"
        verbose_name_plural = verbose_name
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="org_absence_range"),
        ]

    def __str__(self) -> str:
        return f"{self.user.username} {self.starts_on}–{self.ends_on}"
