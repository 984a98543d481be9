"""In-app notices (站内消息) and the log of every notice sent on any channel."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhengwu.core.fields import EncryptedCharField


class Channel(models.TextChoices):
    SMS = "sms", "短信"
    EMAIL = "email", "电子邮件"
    IN_APP = "in_app", "站内消息"


class Notice(models.Model):
    """An in-app notice listed to its user."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE,
                                  related_name="notices")
    template = models.CharField("模板", max_length=60)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内消息"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """One notice sent on one channel; the address is stored masked (RULES §10: logs hold no full phone)."""

    class Outcome(models.TextChoices):
        SENT = "sent", "已发送"
        FAILED = "failed", "失败"

    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    template = models.CharField("模板", max_length=60, db_index=True)
    recipient_masked = models.CharField("接收方（脱敏）", max_length=120)
    recipient_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    title = models.CharField("标题", max_length=200)
    backend = models.CharField("发送通道", max_length=120)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices)
    error = models.CharField("错误", max_length=300, blank=True)
    sent_at = models.DateTimeField("时间", db_index=True)

    class Meta:
        verbose_name = "通知发送记录"
        verbose_name_plural = verbose_name
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.title}"


class Outgoing(models.Model):
    """An SMS or e-mail written with the business change that causes it and sent after the commit
    (transactional outbox): a crash after the commit delays the message, never loses it, and the
    service call commits once. Sent messages leave a `Delivery` and are removed from here. The
    address waits encrypted (RULES §10)."""

    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    template = models.CharField("模板", max_length=60)
    address = EncryptedCharField("地址", max_length=254)
    recipient_masked = models.CharField("接收方（脱敏）", max_length=120)
    recipient_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    title = models.CharField("标题", max_length=200)
    text = models.TextField("内容")
    created_at = models.DateTimeField("写入时间")

    class Meta:
        verbose_name = "待发送通知"
        verbose_name_plural = verbose_name
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.title}"
