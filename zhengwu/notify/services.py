"""notify_send: one interface for SMS, e-mail and in-app notices, sent when the caller's transaction commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from zhengwu.core.appends import Row, append
from zhengwu.core.audit import audit_record
from zhengwu.core.errors import NotFound
from zhengwu.notify import templates
from zhengwu.notify.backends import Message, mask_address
from zhengwu.notify.models import Channel, Delivery, Notice, Outgoing

log = logging.getLogger("zhengwu.notify")

DEFAULT_BACKENDS: dict[str, str] = {
    Channel.SMS: "zhengwu.notify.backends.ConsoleBackend",
    Channel.EMAIL: "zhengwu.notify.backends.ConsoleBackend",
}


def _backend(channel: str):
    configured = getattr(settings, "ZHENGWU_NOTIFY_BACKENDS", {}) or {}
    path = configured.get(channel, DEFAULT_BACKENDS[channel])
    return path, import_string(path)()


_ALL_CHANNELS = frozenset(Channel.values)  # (`Channel.values` builds its list on every use)


def notify_send(*, recipient_user=None, phone: str | None = None, email: str | None = None, template: str,
                context: dict[str, Any], channels: Iterable[str] | None = None) -> None:
    """Notify on every channel the recipient can be reached on (or only `channels`), as part of
    the caller's transaction.

    The in-app notice is written now, with the business change; SMS and e-mail wait in the outbox
    (`Outgoing`) and go out after the commit: at once in this process unless
    `ZHENGWU_NOTIFY_DEFERRED` (production), where the clock process sends them within seconds
    (`notify_outgoing_send`). A rolled-back write therefore never tells anyone anything, and a
    crash after the commit delays a message but does not lose it. The template is rendered now so
    a wrong template or context fails inside the caller's transaction.
    """
    title, body, sms = templates.render(template, context)
    allowed = _ALL_CHANNELS if channels is None else set(channels)
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
    now = timezone.now()
    # Appended to the caller's unit of work (core.appends): written with its audit events, in
    # the same round trip, when the service call ends.
    if user_id is not None:
        append(Row(Notice, recipient_id=user_id, template=template, title=title, body=body, link=link,
                   created_at=now))
        append(Row(Delivery, channel=Channel.IN_APP, template=template, recipient_masked=f"user:{user_id}",
                   recipient_user_id=user_id, title=title, backend="database", outcome=Delivery.Outcome.SENT,
                   sent_at=now))
    waiting = False
    for channel, address, text in ((Channel.SMS, phone, sms), (Channel.EMAIL, email, body)):
        if address:
            waiting = True
            append(Row(Outgoing, channel=channel, template=template, address=address,
                       recipient_masked=mask_address(channel, address), recipient_user_id=user_id,
                       title=title, text=text, created_at=now))
    if waiting and not deferred():
        # Whatever waits once this commits, this message among it (the clock process does the same).
        transaction.on_commit(lambda: _send(None, limit=1000))


def deferred() -> bool:
    return bool(getattr(settings, "ZHENGWU_NOTIFY_DEFERRED", False))


def notify_outgoing_send(*, limit: int = 100) -> int:
    """Send up to `limit` waiting SMS and e-mails, oldest first; the number handled. Run by the
    clock process between its ticks; several senders never send one message twice (rows are
    claimed FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer)."""
    return _send(None, limit=limit)


def _send(ids: list[int] | None, *, limit: int = 100) -> int:
    with transaction.atomic():
        qs = Outgoing.objects.order_by("id")
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        rows = list(qs.select_for_update(skip_locked=True)[:limit])
        deliveries = []
        for row in rows:
            path, backend = _backend(row.channel)
            outcome, error = Delivery.Outcome.SENT, ""
            try:
                backend.send(Message(channel=row.channel, address=row.address, title=row.title, body=row.text,
                                     template=row.template))
            except Exception as exc:  # a gateway failure is recorded; the business write stands
                outcome, error = Delivery.Outcome.FAILED, str(exc)[:300]
                log.warning("notice %s via %s failed: %s", row.template, row.channel, error)
            deliveries.append(Delivery(channel=row.channel, template=row.template,
                                       recipient_masked=row.recipient_masked, recipient_user_id=row.recipient_user_id,
                                       title=row.title, backend=path, outcome=outcome, error=error,
                                       sent_at=timezone.now()))
        if rows:
            Delivery.objects.bulk_create(deliveries)
            Outgoing.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return len(rows)


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

