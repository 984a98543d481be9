"""The database itself refuses UPDATE and DELETE on the audit tables, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from zhengwu.core.append_only import archive_gate
from zhengwu.core.audit import audit_record, audit_verify
from zhengwu.core.models import AuditArchive, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    for i in range(3):
        audit_record(actor="system", action=f"test.{i}", data={"i": i})


def _refused(sql: str, params=()) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize("sql", [
    "UPDATE core_auditevent SET action = 'forged' WHERE seq = 2",
    "UPDATE core_auditevent SET hash = prev_hash",
    "DELETE FROM core_auditevent WHERE seq = 3",
    "DELETE FROM core_auditevent",
])
def test_raw_sql_update_and_delete_of_events_are_refused(events, sql):
    _refused(sql)
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.0", "test.1", "test.2"]
    assert audit_verify() == (3, [])


def test_queryset_update_and_delete_are_refused(events):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(outcome="failure")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 3


def test_archive_manifests_are_append_only_even_through_the_gate(events):
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    AuditArchive.objects.create(first_seq=1, last_seq=1, first_prev_hash="0" * 64, last_hash="a" * 64, event_count=1,
                                first_occurred_at=now, last_occurred_at=now, before=now, file_name="f", file_sm3="b" * 64,
                                file_size=1, created_at=now, created_by="x")
    _refused("UPDATE core_auditarchive SET last_hash = %s", ["c" * 64])
    _refused("DELETE FROM core_auditarchive")
    with transaction.atomic(), archive_gate():
        _refused("DELETE FROM core_auditarchive")
    assert AuditArchive.objects.get().last_hash == "a" * 64


def test_the_archive_gate_lets_its_transaction_delete_but_never_update(events):
    with transaction.atomic(), archive_gate():
        _refused("UPDATE core_auditevent SET action = 'forged' WHERE seq = 1")
    with transaction.atomic():
        with archive_gate():
            assert AuditEvent.objects.filter(seq=1).delete()[0] == 1
        # Closed again for the rest of the transaction.
        _refused("DELETE FROM core_auditevent WHERE seq = 2")
    assert AuditEvent.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE and session settings are PostgreSQL's")
def test_postgres_refuses_truncate_and_a_gate_left_from_another_transaction(events):
    _refused("TRUNCATE core_auditevent")
    with transaction.atomic(), archive_gate():
        pass
    # SET LOCAL ended with its transaction: a later one is refused again.
    _refused("DELETE FROM core_auditevent WHERE seq = 1")
    assert AuditEvent.objects.count() == 3


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the gate function is SQLite's")
def test_sqlite_without_the_gate_function_refuses_delete(events):
    with connection.cursor() as cursor:
        cursor.execute("SELECT zhengwu_audit_gate()")
        assert cursor.fetchone() == ("",)
    raw = connection.connection
    # A bare connection (like the sqlite3 shell) has no such function: the trigger fails, refusing the delete.
    raw.create_function("zhengwu_audit_gate", 0, None)
    try:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditevent WHERE seq = 1")
    finally:
        from zhengwu.core.append_only import register_sqlite_gate

        register_sqlite_gate(None, connection)
    assert AuditEvent.objects.count() == 3
