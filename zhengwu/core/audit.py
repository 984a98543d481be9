"""The audit log: append-only events chained by an SM3 hash (DESIGN.md §4).

`audit_record` must be called inside the transaction of the write it records, so the event
and the change commit or roll back together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from zhengwu.core import context
from zhengwu.core.crypto import sm3_hex
from zhengwu.core.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "ip": event.ip,
        "outcome": event.outcome,
        "data": event.data,
    }


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    return sm3_hex(prev_hash.encode() + _canonical(_hashed_fields(event)))


def _actor_parts(actor) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor
    if getattr(actor, "is_authenticated", False):
        return actor.pk, actor.get_username()
    return None, "anonymous"


@dataclass(frozen=True)
class Entry:
    action: str
    obj: models.Model | None = None
    data: dict[str, Any] | None = None
    outcome: str = AuditEvent.Outcome.SUCCESS
    object_type: str = ""
    object_id: str = ""
    object_repr: str = ""


def audit_record(*, actor, action: str, obj: models.Model | None = None, data: dict[str, Any] | None = None,
                 outcome: str = AuditEvent.Outcome.SUCCESS, object_type: str = "", object_id: str = "",
                 object_repr: str = "") -> AuditEvent:
    return audit_record_many(actor=actor, entries=[Entry(action, obj, data, outcome, object_type, object_id,
                                                         object_repr)])[0]


def audit_record_many(*, actor, entries: Iterable[Entry], occurred_at: datetime | None = None) -> list[AuditEvent]:
    """Append several events in one locked step (one head update, one bulk insert)."""
    entries = list(entries)
    if not entries:
        return []
    actor_id, actor_label = _actor_parts(actor)
    ctx = context.current()
    now = occurred_at or timezone.now()
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            AuditHead.objects.get_or_create(pk=1)
            head = AuditHead.objects.select_for_update().get(pk=1)
        prev = head.last_hash
        seq = head.last_seq
        events = []
        for entry in entries:
            seq += 1
            obj = entry.obj
            event = AuditEvent(
                seq=seq,
                occurred_at=now,
                actor_id=actor_id,
                actor_label=actor_label,
                action=entry.action,
                object_type=entry.object_type or (obj._meta.label_lower if obj is not None else ""),
                object_id=entry.object_id or (str(obj.pk) if obj is not None and obj.pk is not None else ""),
                object_repr=(entry.object_repr or (str(obj) if obj is not None else ""))[:200],
                ip=ctx.ip,
                outcome=entry.outcome,
                data=json.loads(_canonical(entry.data or {})),
                prev_hash=prev,
            )
            event.hash = event_hash(event, prev)
            prev = event.hash
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        AuditHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev)
    return events


@dataclass
class ChainProblem:
    seq: int
    problem: str


def audit_verify(batch_size: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain; return (events checked, problems). Detects edits, deletions and forks."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    queryset = AuditEvent.objects.order_by("seq")
    start = 0
    while True:
        batch = list(queryset.filter(seq__gt=start)[:batch_size])
        if not batch:
            break
        for event in batch:
            checked += 1
            if event.seq != expected_seq:
                problems.append(ChainProblem(expected_seq, f"缺少第 {expected_seq}–{event.seq - 1} 条 / rows missing"))
            if event.prev_hash != prev:
                problems.append(ChainProblem(event.seq, "前序哈希不连续 / chain broken before this row"))
            if event_hash(event, event.prev_hash) != event.hash:
                problems.append(ChainProblem(event.seq, "内容被修改 / row content altered"))
            prev = event.hash
            expected_seq = event.seq + 1
            last_seq = event.seq
        start = batch[-1].seq
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != last_seq or head.last_hash != (prev if checked else head.last_hash)):
        problems.append(ChainProblem(last_seq + 1, f"链尾缺失（链头记录到第 {head.last_seq} 条）/ rows deleted at the end"))
    return checked, problems
