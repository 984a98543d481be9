"""The render queue of 文书: a notice's number and wording are fixed by the transaction that issues
it; its PDF is written from this row afterwards (by the clock process, or on first download)."""

from __future__ import annotations

from django.db import models


class RenderJob(models.Model):
    renderer = models.CharField("渲染器", max_length=40)
    model_label = models.CharField("对象类型", max_length=60)
    object_id = models.CharField("对象编号", max_length=40)
    field_name = models.CharField("文件字段", max_length=60)
    filename = models.CharField("文件名", max_length=200)
    params = models.JSONField("文书内容", default=dict, blank=True)
    created_at = models.DateTimeField("登记时间")
    rendered_at = models.DateTimeField("生成时间", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.CharField("最近错误", max_length=500, blank=True)

    class Meta:
        verbose_name = "文书生成任务"
        verbose_name_plural = verbose_name
        indexes = [
            # The worker reads only the pending rows, oldest first.
            models.Index(fields=["id"], name="documents_pending_idx", condition=models.Q(rendered_at__isnull=True)),
            models.Index(fields=["model_label", "object_id", "field_name"], name="documents_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.model_label}:{self.object_id}.{self.field_name}"
