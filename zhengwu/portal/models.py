from __future__ import annotations

from django.db import models

from zhengwu.catalog.models import ServiceItem


class GuideViewDay(models.Model):
    """How often a guide page was opened on one day: the basis of 热门事项 on the home page."""

    item = models.ForeignKey(ServiceItem, verbose_name="事项", on_delete=models.CASCADE, related_name="+")
    day = models.DateField("日期")
    views = models.PositiveIntegerField("浏览次数", default=0)

    class Meta:
        verbose_name = "办事指南浏览量"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["item", "day"], name="portal_guide_view_day_unique")]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.item_id} {self.day} {self.views}"
