"""The work calendar as versioned data, and the clock ledger (DESIGN.md §3).

Calendar: Saturday and Sunday are off unless a `CalendarDay` override says otherwise
(国务院令第146号: 国家机关 rest on Saturday and Sunday); overrides carry the statutory holidays and
the 调休 make-up working days of each year's State Council notice. `RegionalDayOff` adds local days
off (全国年节及纪念日放假办法 §4, e.g. 少数民族节日) for a region and its descendants.

Every calendar write bumps `CalendarRevision`, the stored counter that keys every process's
precomputed working-day index, so a change made in one process reaches all of them.
"""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from zhengwu.core.models import TimeStampedModel


class CalendarRevision(models.Model):
    """Single row: bumped in the same transaction as every calendar change.

    `token` changes with every bump, so a cache built from a transaction that later rolled
    back (same counter value, different data) is never mistaken for the committed state.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    counter = models.PositiveIntegerField("日历数据版本", default=0)
    token = models.CharField("版本令牌", max_length=32, blank=True)
    changed_at = models.DateTimeField("最近变更", null=True, blank=True)

    class Meta:
        verbose_name = "日历数据版本"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"v{self.counter}"


class CalendarYear(TimeStampedModel):
    """One year's arrangement. `published` is False until the State Council notice is loaded;
    deadlines reaching into such a year are still computed (weekends only) and carry a warning."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    version = models.PositiveIntegerField("版本", default=1)
    published = models.BooleanField("已发布放假安排", default=False)
    source = models.CharField("数据来源", max_length=200, blank=True,
                              help_text="如 chinesecalendar 1.11.0、holiday-cn、人工录入")
    papers = models.JSONField("放假通知链接", default=list, blank=True)

    class Meta:
        verbose_name = "日历年度"
        verbose_name_plural = verbose_name
        ordering = ["-year"]

    def __str__(self) -> str:
        state = "已发布" if self.published else "未发布"
        return f"{self.year} 年（v{self.version}，{state}）"


class CalendarDay(TimeStampedModel):
    """A date that differs from, or names, the weekend rule: a statutory day off (also weekend
    days inside a holiday run, so explanations can name them) or a 调休 make-up working day."""

    date = models.DateField("日期", unique=True)
    is_off_day = models.BooleanField("放假", help_text="勾选为休息日；不勾选为调休上班日")
    name = models.CharField("节日名称", max_length=50)
    source_url = models.URLField("通知来源", max_length=300, blank=True)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = verbose_name
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}（{'休' if self.is_off_day else '班'}）"


class RegionalDayOff(TimeStampedModel):
    """An extra day off in one region and all regions under it (全国年节及纪念日放假办法 §4)."""

    region = models.ForeignKey("org.Region", verbose_name="行政区划", on_delete=models.PROTECT,
                               related_name="days_off")
    date = models.DateField("日期")
    name = models.CharField("名称", max_length=50)
    source_url = models.URLField("依据链接", max_length=300, blank=True)

    class Meta:
        verbose_name = "地方假日"
        verbose_name_plural = verbose_name
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["region", "date"], name="workcalendar_regional_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Unit(models.TextChoices):
    WORKING_DAYS = "working_days", "工作日"
    CALENDAR_DAYS = "calendar_days", "自然日"
    WORKING_HOURS = "working_hours", "工作小时"
    HOURS = "hours", "自然小时"


class Clock(TimeStampedModel):
    """A deadline clock owned by any object (a case, a ticket, a request…).

    `due_at`, `warn_at` and `next_event_at` are derived from the segments and extensions and
    stored, so lists sort and filter on them and the sweeper finds due clocks through the index
    on `next_event_at` (NULL for clocks with nothing left to fire).
    """

    class Status(models.TextChoices):
        RUNNING = "running", "计时中"
        SUSPENDED = "suspended", "已挂起"
        STOPPED = "stopped", "已终止"
        COMPLETED = "completed", "已办结"

    # No index of their own: the owner index leads with the type, and a region is never deleted
    # while its clocks run (every case transition writes a clock's indexes).
    owner_type = models.ForeignKey(ContentType, verbose_name="所属对象类型", on_delete=models.PROTECT,
                                   related_name="+", db_index=False)
    owner_id = models.CharField("所属对象编号", max_length=64)
    owner = GenericForeignKey("owner_type", "owner_id")
    kind = models.CharField("时钟类型", max_length=50, help_text="如 case.legal、case.promised")
    budget_value = models.PositiveIntegerField("时限")
    budget_unit = models.CharField("单位", max_length=16, choices=Unit.choices)
    started_at = models.DateTimeField("起算时间")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.RUNNING)
    region = models.ForeignKey("org.Region", verbose_name="适用区划", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+", db_index=False)
    calendar_version = models.PositiveIntegerField("计算所用日历版本", default=0)
    due_at = models.DateTimeField("截止时间", null=True, blank=True, db_index=True,
                                  help_text="期限届满的时刻（截止日 24:00）；挂起期间为空")
    due_date = models.DateField("截止日", null=True, blank=True)
    warn_at = models.DateTimeField("预警时间", null=True, blank=True)
    next_event_at = models.DateTimeField("下一事件时间", null=True, blank=True, db_index=True)
    next_event_kind = models.CharField("下一事件", max_length=20, blank=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "时钟"
        verbose_name_plural = "时钟（时限台账）"
        indexes = [
            models.Index(fields=["owner_type", "owner_id"], name="workcal_clock_owner"),
            models.Index(fields=["status", "due_at"], name="workcal_clock_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.owner_id}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.RUNNING, self.Status.SUSPENDED)


class SuspendReason(models.TextChoices):
    CORRECTION = "correction", "补正"
    SPECIAL_PROCEDURE = "special_procedure", "特别程序"
    THIRD_PARTY = "third_party", "第三方征求意见"
    OTHER = "other", "其他法定事由"


class ClockSegment(models.Model):
    """A stretch of running or suspended time. The open segment has `ended_at` NULL."""

    class Kind(models.TextChoices):
        RUNNING = "running", "计时"
        SUSPENDED = "suspended", "挂起"

    clock = models.ForeignKey(Clock, verbose_name="时钟", on_delete=models.CASCADE, related_name="segments")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    reason = models.CharField("挂起事由", max_length=20, choices=SuspendReason.choices, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    started_at = models.DateTimeField("开始")
    ended_at = models.DateTimeField("结束", null=True, blank=True)

    class Meta:
        verbose_name = "时钟区段"
        verbose_name_plural = verbose_name
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d}"


class ClockExtension(models.Model):
    """An approved extension (行政许可法 §42: once, +10 days, +15 for §26 joint handling)."""

    clock = models.ForeignKey(Clock, verbose_name="时钟", on_delete=models.CASCADE, related_name="extensions")
    value = models.PositiveIntegerField("延长时限")
    approved_by = models.ForeignKey("accounts.User", verbose_name="批准人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_by_label = models.CharField("批准人（显示）", max_length=100, blank=True)
    reason = models.CharField("延期理由", max_length=300)
    approved_at = models.DateTimeField("批准时间")

    class Meta:
        verbose_name = "延期"
        verbose_name_plural = verbose_name
        ordering = ["approved_at", "id"]

    def __str__(self) -> str:
        return f"+{self.value}"


class ClockEvent(models.Model):
    """An event the sweeper fired. Unique per (clock, kind, due moment): exactly once, even
    when a sweeper crashes after firing and the tick is re-run."""

    class Kind(models.TextChoices):
        WARNING = "warning", "预警（黄牌）"
        OVERDUE = "overdue", "超期（红牌）"

    clock = models.ForeignKey(Clock, verbose_name="时钟", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("事件", max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField("对应截止时间")
    scheduled_at = models.DateTimeField("应触发时间")
    fired_at = models.DateTimeField("触发时间")
    handler = models.CharField("处理函数", max_length=200, blank=True)

    class Meta:
        verbose_name = "时钟事件"
        verbose_name_plural = verbose_name
        ordering = ["fired_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["clock", "kind", "due_at"], name="workcalendar_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.clock}"


class ClockRecalculation(models.Model):
    """Why a clock's deadline moved after it was set (calendar change, suspension, extension)."""

    clock = models.ForeignKey(Clock, verbose_name="时钟", on_delete=models.CASCADE, related_name="recalculations")
    reason = models.CharField("原因", max_length=300)
    old_due_at = models.DateTimeField("原截止时间", null=True, blank=True)
    new_due_at = models.DateTimeField("新截止时间", null=True, blank=True)
    calendar_version = models.PositiveIntegerField("日历版本")
    recalculated_at = models.DateTimeField("重算时间")

    class Meta:
        verbose_name = "时限重算记录"
        verbose_name_plural = verbose_name
        ordering = ["recalculated_at", "id"]

    def __str__(self) -> str:
        return self.reason
