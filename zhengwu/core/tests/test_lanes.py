"""The audit log's lanes (zhengwu.core.audit): a transaction that finds the first chain head held by
another appends to the next free lane instead of waiting for that transaction's commit; every lane
is a whole chain that verify_audit and the archive handle on its own."""

from __future__ import annotations

import datetime as dt
import threading
import time
from contextlib import contextmanager

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from zhengwu.core import audit
from zhengwu.core.archive import audit_archive_create
from zhengwu.core.audit import Entry, audit_record_many, audit_verify
from zhengwu.core.models import AuditEvent, AuditHead
from zhengwu.core.testing import audit_triggers_dropped

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("lanes are PostgreSQL's (SKIP LOCKED); SQLite has one writer and appends to lane 1")
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '10s'")  # a wrong wait fails the test instead of hanging it


@contextmanager
def _held(*lanes: int):
    """Another session holds these heads' locks, as a transaction in the middle of its commit would."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT id FROM core_audithead WHERE id = ANY(%s) FOR UPDATE", [list(lanes)])
            assert len(cursor.fetchall()) == len(lanes)
        yield other
    finally:
        with other.cursor() as cursor:
            cursor.execute("ROLLBACK")
        other.close()


def _append(action: str, when: dt.datetime | None = None) -> AuditEvent:
    with transaction.atomic():
        return audit_record_many(actor="system", occurred_at=when, entries=[Entry(action, data={"名": "张三"})])[0]


def test_a_held_head_sends_the_next_transaction_to_another_lane_and_both_lanes_verify():
    first = _append("test.one")
    assert (first.lane, first.seq) == (1, 1)
    with _held(1):
        second = _append("test.two")  # would wait for the other session without lanes
        third = _append("test.three")
    assert (second.lane, second.seq) == (2, 1) and (third.lane, third.seq) == (2, 2)
    assert third.prev_hash == second.hash and second.prev_hash == audit.GENESIS
    fourth = _append("test.four")
    assert (fourth.lane, fourth.seq, fourth.prev_hash) == (1, 2, first.hash), "lane 1 again once it is free"
    assert AuditHead.objects.get(pk=2).last_hash == third.hash
    assert audit_verify() == (4, [])


def test_a_change_in_any_lane_is_found_and_named_with_its_lane():
    _append("test.one")
    with _held(1):
        _append("test.two")
        _append("test.three")
    with audit_triggers_dropped():
        AuditEvent.objects.filter(lane=2, seq=1).update(data={"名": "李四"})
    checked, problems = audit_verify()
    assert checked == 3 and [(p.lane, p.seq) for p in problems] == [(2, 1)]
    assert str(problems[0]).startswith("第 2 链第 1 条")
    with audit_triggers_dropped():
        AuditEvent.objects.filter(lane=2, seq=2).delete()
    _, problems = audit_verify()
    assert ("rows deleted at the end" in problems[-1].problem) and problems[-1].lane == 2


def test_missing_lanes_are_created_and_with_every_lane_held_the_call_waits_for_its_own(monkeypatch):
    monkeypatch.setattr(audit, "LANES", 1)
    _append("test.one")
    monkeypatch.setattr(audit, "LANES", 3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid() % 3 + 1")
        own = cursor.fetchone()[0]
    assert list(AuditHead.objects.values_list("id", flat=True)) == [1]
    with _held(1) as other:
        # Only lane 1 exists and it is held: the call creates lanes 2 and 3 and takes lane 2.
        event = _append("test.two")
        assert (event.lane, event.seq) == (2, 1)
    with _held(1, 2, 3) as other:
        # Every lane held: the call waits for its own lane (by backend pid).
        release = threading.Timer(0.5, lambda: other.connection.execute("ROLLBACK"))
        release.start()
        began = time.monotonic()
        event = _append("test.three")
        waited = time.monotonic() - began
    assert sorted(AuditHead.objects.values_list("id", flat=True)) == [1, 2, 3]
    assert (event.lane, event.seq) == {1: (1, 2), 2: (2, 2), 3: (3, 1)}[own]
    assert waited >= 0.4
    assert audit_verify() == (3, [])


def test_the_archive_writes_one_file_per_lane_and_the_lanes_still_verify(auditadmin, settings, tmp_path):
    settings.ZHENGWU_AUDIT_ARCHIVE_DIR = tmp_path
    old = timezone.now() - dt.timedelta(days=400)
    _append("test.old.1", old)
    with _held(1):
        _append("test.old.2", old)
        _append("test.old.3", old)
    _append("test.recent")  # lane 1, younger than the retention: stays
    archives = audit_archive_create(actor=auditadmin)
    assert [(a.lane, a.first_seq, a.last_seq, a.event_count) for a in archives] == [(1, 1, 1, 1), (2, 1, 2, 2)]
    assert sorted(p.name for p in tmp_path.glob("*.jsonl.gz")) == [
        "audit-01-000000000001-000000000001.jsonl.gz", "audit-02-000000000001-000000000002.jsonl.gz"]
    assert not AuditEvent.objects.filter(action__startswith="test.old").exists()
    checked, problems = audit_verify()
    assert problems == [] and checked == AuditEvent.objects.count() + 3


def test_a_head_taken_with_the_first_reads_ends_the_unit_and_a_direct_append_makes_it_stale():
    from zhengwu.core.audit import audit_batch, audit_record, head_statement, head_taken

    _append("test.one")
    with transaction.atomic(), audit_batch():
        statement = head_statement()
        assert statement is not None
        with connection.cursor() as cursor:
            cursor.execute(*statement)
            head_taken(cursor.fetchall())
        audit_record(actor="system", action="test.batched.1")
    with transaction.atomic(), audit_batch():
        statement = head_statement()
        assert statement is not None
        with connection.cursor() as cursor:
            cursor.execute(*statement)
            head_taken(cursor.fetchall())
        # Appended now, to the lane the batch holds: the batch's copy of its head is out of date,
        # and its end must read the head again rather than number its event twice.
        audit_record_many(actor="system", entries=[Entry("test.direct")])
        audit_record(actor="system", action="test.batched.2")
    events = list(AuditEvent.objects.order_by("id").values_list("action", "lane", "seq"))
    assert events == [("test.one", 1, 1), ("test.batched.1", 1, 2), ("test.direct", 1, 3), ("test.batched.2", 1, 4)]
    assert audit_verify() == (4, [])
