from __future__ import annotations

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class AuditHead(models.Model):
    """The tip of one lane of the audit chain (its id is the lane number).

    The log is a few hash chains ("lanes", `zhengwu.core.audit.LANES`), each with its own head row.
    Appending locks a head row until the transaction ends, so the appends of one lane are
    serialised and its chain never forks; concurrent transactions take different lanes instead of
    queueing behind one another's commit. The row also lets verify_audit notice rows deleted from
    the end of its lane.
    """

    id = models.PositiveSmallIntegerField("链", primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = verbose_name


class AuditEvent(models.Model):
    """Append-only audit event (等保 8.1.4.3: time, user, event type, outcome), chained by SM3."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", "成功"
        FAILURE = "failure", "失败"
        DENIED = "denied", "拒绝"

    lane = models.PositiveSmallIntegerField("链", default=1)
    seq = models.BigIntegerField("序号")  # within the lane: 1, 2, 3 … without gaps
    occurred_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_constraint=False,
    )
    actor_label = models.CharField("操作人标识", max_length=150, blank=True)
    action = models.CharField("操作", max_length=80, db_index=True)
    object_type = models.CharField("对象类型", max_length=80, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    data = models.JSONField("内容", default=dict, blank=True)
    prev_hash = models.CharField("前一条哈希", max_length=64)
    hash = models.CharField("哈希 (SM3)", max_length=64)

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = verbose_name
        ordering = ["lane", "seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        constraints = [models.UniqueConstraint(fields=["lane", "seq"], name="core_auditevent_lane_seq")]

    def __str__(self) -> str:
        return f"#{self.lane}-{self.seq} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("审计事件只能追加，不能修改 / audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("审计事件只能追加，不能删除 / audit events are append-only")


class Heartbeat(models.Model):
    """Liveness of a background process (the clock sweeper), written at every tick."""

    name = models.CharField("进程", max_length=50, unique=True)
    beat_at = models.DateTimeField("最近心跳")
    started_at = models.DateTimeField("启动时间")
    pid = models.IntegerField("进程号", default=0)
    host = models.CharField("主机", max_length=100, blank=True)
    info = models.JSONField("最近一次运行", default=dict, blank=True)

    class Meta:
        verbose_name = "后台进程心跳"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return self.name


class AuditArchive(models.Model):
    """One file of audit events moved out of the table after the retention (网络安全法 §21: ≥ 6 months).

    The row is the manifest that `verify_audit` trusts: the file's SM3 and the chain ends it must
    reproduce. Like the events, it is append-only (database triggers refuse UPDATE and DELETE), and
    the `audit.archive` event that records it sits in the chain itself.
    """

    lane = models.PositiveSmallIntegerField("链", default=1)
    first_seq = models.BigIntegerField("起始序号")
    last_seq = models.BigIntegerField("结束序号")
    first_prev_hash = models.CharField("起始前序哈希", max_length=64)
    last_hash = models.CharField("结束哈希", max_length=64)
    event_count = models.BigIntegerField("事件数")
    first_occurred_at = models.DateTimeField("最早事件时间")
    last_occurred_at = models.DateTimeField("最晚事件时间")
    before = models.DateTimeField("归档截止时间")
    file_name = models.CharField("文件名", max_length=200)
    file_sm3 = models.CharField("文件 SM3", max_length=64)
    file_size = models.BigIntegerField("文件字节数")
    created_at = models.DateTimeField("归档时间")
    created_by = models.CharField("归档人", max_length=150)

    class Meta:
        verbose_name = "审计归档"
        verbose_name_plural = verbose_name
        ordering = ["lane", "first_seq"]
        constraints = [models.UniqueConstraint(fields=["lane", "first_seq"], name="core_auditarchive_lane_first"),
                       models.UniqueConstraint(fields=["lane", "last_seq"], name="core_auditarchive_lane_last")]

    def __str__(self) -> str:
        return f"{self.file_name} (#{self.lane}: {self.first_seq}–{self.last_seq})"
