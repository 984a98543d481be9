"""notify_send: one interface for SMS, e-mail and in-app notices, sent when the caller's transaction commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from zhengwu.core.audit import audit_record
from zhengwu.core.errors import NotFound
from zhengwu.notify import templates
from zhengwu.notify.backends import Message, mask_address
from zhengwu.notify.models import Channel, Delivery, Notice

log = logging.getLogger("zhengwu.notify")

DEFAULT_BACKENDS: dict[str, str] = {
    Channel.SMS: "zhengwu.notify.backends.ConsoleBackend",
    Channel.EMAIL: "zhengwu.notify.backends.ConsoleBackend",
}


def _backend(channel: str):
    configured = getattr(settings, "ZHENGWU_NOTIFY_BACKENDS", {}) or {}
    path = configured.get(channel, DEFAULT_BACKENDS[channel])
    return path, import_string(path)()


def notify_send(*, recipient_user=None, phone: str | None = None, email: str | None = None, template: str,
                context: dict[str, Any], channels: Iterable[str] | None = None) -> None:
    """Queue a notice on every channel the recipient can be reached on (or only `channels`);
    sent after the commit.

    A rolled-back write therefore never tells anyone anything. The template is rendered now so a
    wrong template or context fails inside the caller's transaction.
    """
    title, body, sms = templates.render(template, context)
    allowed = set(Channel.values if channels is None else channels)
    phone = phone or (getattr(recipient_user, "phone", "") if recipient_user is not None else "")
    email = email or (getattr(recipient_user, "email", "") if recipient_user is not None else "")
    phone = phone if Channel.SMS in allowed else ""
    email = email if Channel.EMAIL in allowed else ""
    if Channel.IN_APP not in allowed:
        recipient_user = None
    if recipient_user is None and not phone and not email:
        return
    user_id = recipient_user.pk if recipient_user is not None else None
    link = str(context.get("link", ""))
    transaction.on_commit(lambda: _deliver(user_id=user_id, phone=phone, email=email, template=template,
                                           title=title, body=body, sms=sms, link=link))


def _deliver(*, user_id, phone, email, template, title, body, sms, link) -> None:
    # The gateways are called first, then every record of this notice is written in one short
    # transaction (one commit instead of one per row).
    now = timezone.now()
    deliveries = []
    if user_id is not None:
        deliveries.append(Delivery(channel=Channel.IN_APP, template=template, recipient_masked=f"user:{user_id}",
                                   recipient_user_id=user_id, title=title, backend="database",
                                   outcome=Delivery.Outcome.SENT, sent_at=now))
    for channel, address, text in ((Channel.SMS, phone, sms), (Channel.EMAIL, email, body)):
        if not address:
            continue
        path, backend = _backend(channel)
        outcome, error = Delivery.Outcome.SENT, ""
        try:
            backend.send(Message(channel=channel, address=address, title=title, body=text, template=template))
        except Exception as exc:  # a gateway failure must not undo the committed business write
            outcome, error = Delivery.Outcome.FAILED, str(exc)[:300]
            log.warning("notice %s via %s failed: %s", template, channel, error)
        deliveries.append(Delivery(channel=channel, template=template,
                                   recipient_masked=mask_address(channel, address), recipient_user_id=user_id,
                                   title=title, backend=path, outcome=outcome, error=error,
                                   sent_at=timezone.now()))
    with transaction.atomic():
        if user_id is not None:
            Notice.objects.create(recipient_id=user_id, template=template, title=title, body=body, link=link,
                                  created_at=now)
        Delivery.objects.bulk_create(deliveries)


def notice_mark_read(*, actor, notice_id: int) -> Notice:
    with transaction.atomic():
        notice = Notice.objects.select_for_update().filter(pk=notice_id, recipient=actor).first()
        if notice is None:
            raise NotFound("消息不存在", "notice not found")
        if notice.read_at is None:
            notice.read_at = timezone.now()
            notice.save(update_fields=["read_at"])
            audit_record(actor=actor, action="notice.read", obj=notice)
    return notice

