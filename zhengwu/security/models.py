from __future__ import annotations

from django.db import models


class RateLimitCounter(models.Model):
    """One fixed window's count of one client address in one rate-limit group.

    Kept in the database so every gunicorn worker and every app server counts together; each hit
    is one atomic upsert (`zhengwu.security.ratelimit.hit`). Expired windows are swept as new
    windows open.
    """

    key = models.CharField("键", max_length=200, unique=True)
    count = models.PositiveIntegerField("次数", default=0)
    expires_at = models.BigIntegerField("过期时间（Unix 秒）", db_index=True)

    class Meta:
        verbose_name = "限流计数"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
