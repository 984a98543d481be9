"""The audit log: append-only events chained by an SM3 hash (DESIGN.md §4).

`audit_record` must be called inside the transaction of the write it records, so the event
and the change commit or roll back together. A service that records several events wraps its
transaction body in `audit_batch()`: the events are collected and appended in one locked step
at the end of the block (one bulk insert and one head update, in the statement that ends the
unit of work) instead of three statements each. The lane head it appends to is taken with the
unit's first reads where the service sends them together (`head_statement`), else at its end.

The log is `LANES` hash chains ("lanes"), each with its own head row (`AuditHead`, id = lane) and
its own sequence numbers 1, 2, 3 … A head stays locked until its transaction commits, flush to
disk included, so with one chain every service call queued behind the other's commit; a
transaction now takes the first lane nobody holds. Each lane is a complete chain: `audit_verify`
walks them one by one and finds an edited, removed or inserted row in any of them, and rows cut
from a lane's end against its head. Events are shown in time order (`occurred_at`, then id).
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from zhengwu.core import context
from zhengwu.core.appends import Row, insert_statements, run_statements
from zhengwu.core.crypto import sm3_hex
from zhengwu.core.models import AuditArchive, AuditEvent, AuditHead

GENESIS = "0" * 64
# Lanes on PostgreSQL: more than the transactions that append at once (the hall's busy hour is a
# few dozen); an unused lane costs one head row. SQLite has one writer at a time: lane 1 only.
LANES = 16
_FREE_LANE = (f"SELECT id, last_seq, last_hash FROM {AuditHead._meta.db_table} WHERE id <= %s ORDER BY id LIMIT 1"
              " FOR UPDATE SKIP LOCKED")


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


HASHED_KEYS = ("seq", "occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id",
               "object_repr", "ip", "outcome", "data")


def fields_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """The chain hash of one event given as its hashed fields (a row, or a line of an archive file)."""
    return sm3_hex(prev_hash.encode() + _canonical({key: fields[key] for key in HASHED_KEYS}))


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    return fields_hash(_hashed_fields(event), prev_hash)


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
    actor: Any = field(default=None, compare=False)
    occurred_at: datetime | None = None
    has_actor: bool = False


@dataclass
class _Batch:
    """A service call's unit of work: its audit entries, the rows it appends and the writes it
    leaves to its end (core.appends)."""

    entries: list[Entry] = field(default_factory=list)
    rows: list[Any] = field(default_factory=list)  # model instances and appends.Row
    statements: list[tuple[str, list[Any]]] = field(default_factory=list)
    head: tuple[int, int, str] | None = None  # a lane head taken with the first reads (`head_taken`)


_BATCH: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar("zhengwu_audit_batch", default=None)


def pending_rows() -> list[Any] | None:
    """The open unit of work's appended rows (see `zhengwu.core.appends.append`), or None."""
    batch = _BATCH.get()
    return None if batch is None else batch.rows


def pending_statements() -> list[tuple[str, list[Any]]] | None:
    """The open unit of work's deferred writes (see `zhengwu.core.appends.later`), or None."""
    batch = _BATCH.get()
    return None if batch is None else batch.statements


@contextmanager
def audit_batch() -> Iterator[None]:
    """The unit of work of a service call. Collect the `audit_record` calls and the appended rows
    (`zhengwu.core.appends.append`) made inside the block and write them together when it ends
    without an exception: the rows, then the audit events, in one round trip after the chain head is
    locked. Use it inside the transaction it records:

        with transaction.atomic(), audit_batch():
            ...

    An exception drops what was collected (the transaction rolls back with it). Nested batches join
    the outermost one.
    """
    outer = _BATCH.get()
    if outer is not None:
        # Inside a savepoint of the outer transaction: its events and rows go if the savepoint rolls back.
        marks = len(outer.entries), len(outer.rows), len(outer.statements)
        try:
            yield
        except BaseException:
            del outer.entries[marks[0]:]
            del outer.rows[marks[1]:]
            del outer.statements[marks[2]:]
            raise
        return
    batch = _Batch()
    token = _BATCH.set(batch)
    try:
        yield
    finally:
        _BATCH.reset(token)
    if batch.entries or batch.rows or batch.statements:
        audit_record_many(actor=None, entries=batch.entries, rows=batch.rows, ids=False, before=batch.statements,
                          head=batch.head)


def head_statement() -> tuple[str, list[Any]] | None:
    """The statement that takes a free lane's head (PostgreSQL), for a unit of work to send with the
    reads it starts with, in the same round trip; the lane is then its own until it commits, and its
    end needs no round trip of its own before the last one. None where there are no lanes (SQLite)."""
    if not connection.features.has_select_for_update_skip_locked:
        return None
    return _FREE_LANE, [LANES]


def head_taken(rows: Sequence[Sequence[Any]]) -> None:
    """Keep for the open unit of work's end the head that `head_statement()` returned. No row (the
    lanes are all held, or not created yet): the end takes one itself, as without this."""
    batch = _BATCH.get()
    if batch is not None and rows:
        lane, seq, prev = rows[0]
        batch.head = (int(lane), int(seq), prev)


def step_atomic():
    """`transaction.atomic()` for a service that other services call. Inside a caller's
    `audit_batch()` the caller owns the transaction and lets every error propagate, so no savepoint
    is made (two statements fewer per call); called on its own it is a normal atomic block, so a
    caller that catches its error keeps a usable transaction."""
    return transaction.atomic(savepoint=_BATCH.get() is None)


def audit_record(*, actor, action: str, obj: models.Model | None = None, data: dict[str, Any] | None = None,
                 outcome: str = AuditEvent.Outcome.SUCCESS, object_type: str = "", object_id: str = "",
                 object_repr: str = "") -> AuditEvent | None:
    """Append one event now, or add it to the open `audit_batch()` (then None is returned)."""
    entry = Entry(action, obj, data, outcome, object_type, object_id, object_repr, actor=actor,
                  occurred_at=timezone.now(), has_actor=True)
    batch = _BATCH.get()
    if batch is not None:
        # The object's id and label are read now: a later change or deletion must not alter them.
        batch.entries.append(_frozen(entry))
        return None
    return audit_record_many(actor=actor, entries=[entry])[0]


def _frozen(entry: Entry) -> Entry:
    obj = entry.obj
    if obj is None:
        return entry
    return Entry(entry.action, None, entry.data, entry.outcome,
                 entry.object_type or obj._meta.label_lower,
                 entry.object_id or (str(obj.pk) if obj.pk is not None else ""),
                 entry.object_repr or str(obj), actor=entry.actor, occurred_at=entry.occurred_at,
                 has_actor=entry.has_actor)


def audit_record_many(*, actor, entries: Iterable[Entry], occurred_at: datetime | None = None,
                      rows: Sequence[Any] = (), ids: bool = True,
                      before: Sequence[tuple[str, Sequence[Any]]] = (),
                      head: tuple[int, int, str] | None = None) -> list[AuditEvent]:
    """Append several events in one locked step (one head lock, then one round trip for the insert
    and the head update). An entry that names its own actor or time keeps them; the others take
    `actor` and `occurred_at` (or now). `rows` (unsaved, appended by a unit of work) go in the same
    round trip, after the writes `before`; with `ids=False` the events do too, and are returned
    without their ids."""
    entries = list(entries)
    if not entries:
        run_statements([*before, *insert_statements(rows)])
        return []
    default_actor = _actor_parts(actor)
    ctx = context.current()
    now = occurred_at or timezone.now()
    # No savepoint of its own: inside a service's transaction the events share its fate.
    with transaction.atomic(savepoint=False):
        open_batch = _BATCH.get()
        if open_batch is not None:
            open_batch.head = None  # appended to a lane the batch may have taken: its copy is stale
        lane, seq, prev = head or _head_locked()
        events: list[Any] = []
        # Without ids asked for, plain rows (core.appends.Row): nobody reads these events back.
        make: Any = AuditEvent if ids else partial(Row, AuditEvent)
        for entry in entries:
            seq += 1
            obj = entry.obj
            actor_id, actor_label = _actor_parts(entry.actor) if entry.has_actor else default_actor
            event = make(
                lane=lane,
                seq=seq,
                occurred_at=entry.occurred_at or now,
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
        advance = (f"UPDATE {AuditHead._meta.db_table} SET last_seq = %s, last_hash = %s WHERE id = %s",
                   [seq, prev, lane])
        if ids:
            AuditEvent.objects.bulk_create(events)  # the caller gets the events with their ids
            run_statements([*before, *insert_statements(rows), advance])
        else:
            # A unit of work's end: nobody reads the events back, so their ids are not asked for.
            run_statements([*before, *insert_statements([*rows, *events]), advance])
    return events


def _head_locked() -> tuple[int, int, str]:
    """A lane's head (lane, last sequence number, last hash), locked until the transaction ends.
    Plain SQL: every service call passes here once, and the ORM's statement building cost more.

    PostgreSQL: the first lane no other transaction holds (SKIP LOCKED), so two service calls do
    not wait for each other's commit. When none is free, the missing lanes are created and looked
    at again; when all are held, the call waits for one (chosen by its backend's pid). SQLite: lane 1.
    """
    table = AuditHead._meta.db_table
    free = head_statement()
    with connection.cursor() as cursor:
        if free is not None:
            cursor.execute(*free)
            row = cursor.fetchone()
            if row is None:
                cursor.execute(f"INSERT INTO {table} (id, last_seq, last_hash) SELECT g, 0, %s "
                               "FROM generate_series(1, %s) AS g ON CONFLICT (id) DO NOTHING", [GENESIS, LANES])
                cursor.execute(*free)
                row = cursor.fetchone()
            if row is None:
                cursor.execute(f"SELECT id, last_seq, last_hash FROM {table} WHERE id = pg_backend_pid() %% %s + 1 "
                               "FOR UPDATE", [LANES])
                row = cursor.fetchone()
        else:
            suffix = " FOR UPDATE" if connection.features.has_select_for_update else ""
            sql = f"SELECT id, last_seq, last_hash FROM {table} WHERE id = 1{suffix}"
            cursor.execute(sql)
            row = cursor.fetchone()
            if row is None:
                AuditHead.objects.get_or_create(pk=1)
                cursor.execute(sql)
                row = cursor.fetchone()
    return int(row[0]), int(row[1]), row[2]


@dataclass
class ChainProblem:
    seq: int
    problem: str
    lane: int = 1

    def __str__(self) -> str:
        return f"第 {self.lane} 链第 {self.seq} 条：{self.problem}"


def audit_lanes() -> list[int]:
    """Every lane that has a head, an event or an archive."""
    lanes = set(AuditHead.objects.values_list("id", flat=True))
    lanes.update(AuditArchive.objects.values_list("lane", flat=True).distinct())
    lanes.update(AuditEvent.objects.order_by().values_list("lane", flat=True).distinct())
    return sorted(lanes)


def audit_verify(batch_size: int = 5000, archive_dir=None) -> tuple[int, list[ChainProblem]]:
    """Walk every lane of the chain, archives first; return (events checked, problems).

    Detects edits, deletions and forks in the table and in the archive files (their SM3 and their
    own chain), and a seam that does not join: the first row kept must follow the last archived one.
    """
    checked = 0
    problems: list[ChainProblem] = []
    for lane in audit_lanes():
        lane_checked, lane_problems = _verify_lane(lane, batch_size, archive_dir)
        checked += lane_checked
        problems += lane_problems
    return checked, problems


def _verify_lane(lane: int, batch_size: int, archive_dir) -> tuple[int, list[ChainProblem]]:
    from zhengwu.core.archive import archive_problems

    problems: list[ChainProblem] = []

    def problem(seq: int, text: str) -> None:
        problems.append(ChainProblem(seq, text, lane))

    prev = GENESIS
    expected_seq = 1
    checked = 0
    for archive in AuditArchive.objects.filter(lane=lane).order_by("first_seq"):
        if archive.first_seq != expected_seq:
            problem(expected_seq, f"归档缺少第 {expected_seq}–{archive.first_seq - 1} 条 / archive gap")
        if archive.first_prev_hash != prev:
            problem(archive.first_seq, "归档与前序哈希不连续 / archive does not follow the chain")
        for seq, text in archive_problems(archive, directory=archive_dir):
            problem(seq, text)
        checked += archive.event_count
        prev = archive.last_hash
        expected_seq = archive.last_seq + 1
    last_seq = expected_seq - 1
    events = AuditEvent.objects.filter(lane=lane)
    if last_seq and events.filter(seq__lte=last_seq).exists():
        problem(last_seq, "已归档的事件仍在表中 / archived rows are still in the table")
    queryset = events.order_by("seq")
    start = last_seq
    while True:
        batch = list(queryset.filter(seq__gt=start)[:batch_size])
        if not batch:
            break
        for event in batch:
            checked += 1
            if event.seq != expected_seq:
                problem(expected_seq, f"缺少第 {expected_seq}–{event.seq - 1} 条 / rows missing")
            if event.prev_hash != prev:
                problem(event.seq, "前序哈希不连续 / chain broken before this row")
            if event_hash(event, event.prev_hash) != event.hash:
                problem(event.seq, "内容被修改 / row content altered")
            prev = event.hash
            expected_seq = event.seq + 1
            last_seq = event.seq
        start = batch[-1].seq
    head = AuditHead.objects.filter(pk=lane).first()
    if head is not None and (head.last_seq != last_seq or (last_seq and head.last_hash != prev)):
        problem(last_seq + 1, f"链尾缺失（链头记录到第 {head.last_seq} 条）/ rows deleted at the end")
    elif head is None and (last_seq or checked):
        problem(last_seq + 1, "链头缺失 / the lane's head row is missing")
    return checked, problems
