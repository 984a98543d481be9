"""Rows appended to a service call's unit of work (zhengwu.core.appends): written when it ends,
with its audit events, or not at all."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhengwu.core.appends import append
from zhengwu.core.audit import audit_batch, audit_record, audit_verify
from zhengwu.core.models import AuditEvent
from zhengwu.notify.models import Delivery, Outgoing

pytestmark = pytest.mark.django_db


def _outgoing(n: int, address: str = "13912345678") -> Outgoing:
    return Outgoing(channel="sms", template="t", address=address, recipient_masked="139****5678", title=f"第{n}条",
                    text="内容", created_at=timezone.now())


def _delivery(n: int) -> Delivery:
    return Delivery(channel="in_app", template="t", recipient_masked="user:1", title=f"第{n}条", backend="database",
                    outcome=Delivery.Outcome.SENT, sent_at=timezone.now())


def test_rows_are_written_when_the_unit_of_work_ends_with_its_audit_events_in_one_round_trip():
    with transaction.atomic(), audit_batch():
        for n in range(3):
            append(_outgoing(n))
            append(_delivery(n))
        audit_record(actor="system", action="test.append", object_type="x", object_id="1")
        assert Outgoing.objects.count() == 0 and Delivery.objects.count() == 0  # not yet
    assert sorted(Outgoing.objects.values_list("title", flat=True)) == ["第0条", "第1条", "第2条"]
    assert Delivery.objects.count() == 3 and AuditEvent.objects.count() == 1
    assert audit_verify() == (1, [])


def test_the_end_of_a_unit_of_work_is_the_head_lock_and_one_write():
    audit_record(actor="system", action="test.first", object_type="x", object_id="0")  # the head row exists
    with CaptureQueriesContext(connection) as ctx, transaction.atomic(), audit_batch():
        append(_outgoing(1))
        append(_delivery(1))
        audit_record(actor="system", action="test.append", object_type="x", object_id="1")
    writes = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN"))]
    if connection.vendor == "postgresql":
        # The head lock, then the two inserts, the audit insert and the head update as one statement
        # (data-modifying WITH parts under server-side binding, one string of four under client-side).
        assert len(writes) == 2 and writes[0].startswith("SELECT id, last_seq"), writes
        assert writes[1].count("INSERT INTO") == 3 and "UPDATE" in writes[1]
    else:
        # The head lock, then the same statements one by one.
        assert len(writes) == 5 and writes[0].startswith("SELECT id, last_seq") and "UPDATE" in writes[-1], writes
    assert Outgoing.objects.count() == 1 and Delivery.objects.count() == 1


def test_an_encrypted_field_is_encrypted_on_the_way_in_and_read_back():
    with transaction.atomic(), audit_batch():
        append(_outgoing(1, address="13800001111"))
    row = Outgoing.objects.get()
    assert row.address == "13800001111"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT address FROM {Outgoing._meta.db_table}")
        stored = cursor.fetchone()[0]
    assert "13800001111" not in stored and stored.startswith("sm4")


def test_an_exception_drops_what_was_appended():
    with pytest.raises(RuntimeError), transaction.atomic(), audit_batch():
        append(_outgoing(1))
        audit_record(actor="system", action="test.append", object_type="x", object_id="1")
        raise RuntimeError("boom")
    assert Outgoing.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_a_nested_unit_that_fails_drops_only_its_own_rows():
    with transaction.atomic(), audit_batch():
        append(_outgoing(1))
        try:
            with transaction.atomic(), audit_batch():
                append(_outgoing(2))
                raise ValueError("inner")
        except ValueError:
            pass
        append(_outgoing(3))
    assert sorted(Outgoing.objects.values_list("title", flat=True)) == ["第1条", "第3条"]


def test_outside_a_unit_of_work_a_row_is_written_at_once():
    append(_outgoing(1))
    assert Outgoing.objects.count() == 1


def test_many_rows_are_split_into_statements_the_database_accepts():
    with transaction.atomic(), audit_batch():
        for n in range(1500):
            append(_delivery(n))
    assert Delivery.objects.count() == 1500


def test_an_appended_row_is_stored_as_the_orm_stores_it_whatever_the_python_types():
    from zhengwu.notify.models import Notice

    user = get_user_model().objects.create_user(username="appends", password="x-Secret-123")
    now = timezone.now()
    fields = {"template": "t", "title": "标题", "body": "正文", "link": "", "created_at": now}
    Notice.objects.create(recipient_id=user.pk, **fields)
    # A foreign key given as text and a flag given as 1 are prepared by their fields, as save() would.
    append(Notice(recipient_id=str(user.pk), **fields))
    append(Delivery(channel="in_app", template="t", recipient_masked="user:1", title="x", backend="database",
                    outcome=Delivery.Outcome.SENT, sent_at=now))
    saved, appended = Notice.objects.order_by("id")
    assert [getattr(appended, f.attname) for f in Notice._meta.concrete_fields if not f.primary_key] == \
        [getattr(saved, f.attname) for f in Notice._meta.concrete_fields if not f.primary_key]
    assert Delivery.objects.get().sent_at == now


def test_insert_now_gives_the_row_its_id_at_once():
    from zhengwu.core.appends import insert_now

    with transaction.atomic(), audit_batch():
        row = insert_now(_outgoing(1, address="13800002222"))
        assert row.pk is not None and not row._state.adding
        assert Outgoing.objects.get(pk=row.pk).address == "13800002222"  # written now, not at the end
    second = insert_now(_outgoing(2))
    assert second.pk > row.pk


def test_a_write_left_to_the_end_runs_there_first_or_now_outside_a_unit():
    from zhengwu.core.appends import later

    row = Outgoing.objects.create(**{f.name: getattr(_outgoing(1), f.name) for f in Outgoing._meta.concrete_fields
                                     if not f.primary_key})
    update = [(f"UPDATE {Outgoing._meta.db_table} SET title = %s WHERE id = %s", ["改后", row.pk])]
    with transaction.atomic(), audit_batch():
        later(update)
        assert Outgoing.objects.get().title == "第1条"  # not yet
    assert Outgoing.objects.get().title == "改后"
    with pytest.raises(RuntimeError), transaction.atomic(), audit_batch():
        later([(update[0][0], ["不会写入", row.pk])])
        raise RuntimeError("boom")
    later([(update[0][0], ["即时", row.pk])])
    assert Outgoing.objects.get().title == "即时"


def test_a_failing_write_at_the_end_is_djangos_integrity_error_and_leaves_nothing():
    from django.db import IntegrityError

    from zhengwu.notify.models import Notice

    with pytest.raises(IntegrityError), transaction.atomic(), audit_batch():
        append(_outgoing(1))
        nobody: Any = None  # NOT NULL: refused by the database when the unit of work ends
        append(Notice(recipient_id=nobody, template="t", title="无接收人", body="x", created_at=timezone.now()))
    assert Outgoing.objects.count() == 0 and Notice.objects.count() == 0


def test_writes_are_one_statement_only_when_running_them_in_order_would_do_the_same():
    from zhengwu.core.appends import _as_one

    insert = ('INSERT INTO "notify_outgoing" ("title") VALUES (%s)', ["a"])
    by_id = ('UPDATE "notify_delivery" SET "title" = %s WHERE "id" = %s', ["b", 1])
    other_row = ('UPDATE "notify_delivery" SET "title" = %s WHERE "id" = %s', ["c", 2])
    head = ("UPDATE core_audithead SET last_seq = %s, last_hash = %s WHERE id = 1", [5, "h"])
    combined = _as_one([insert, by_id, other_row, head])
    assert combined is not None
    sql, params = combined
    assert sql.startswith("WITH w0 AS (INSERT") and sql.endswith("WHERE id = 1") and params == ["a", "b", 1, "c", 2, 5, "h"]
    same_row = ('UPDATE "notify_delivery" SET "title" = %s WHERE "id" = %s', ["d", 1])
    assert _as_one([by_id, same_row]) is None  # the second must see the first
    assert _as_one([insert, ('UPDATE "notify_outgoing" SET "title" = %s WHERE "id" = %s', ["x", 9])]) is None
    by_condition = ('UPDATE "notify_delivery" SET "title" = %s WHERE "title" = %s', ["e", "b"])
    assert _as_one([by_id, by_condition]) is None and _as_one([by_condition, head]) is not None
    assert _as_one([("WITH k AS (SELECT 1) INSERT INTO x SELECT * FROM k", []), head]) is None
    assert _as_one([("SELECT 1", []), head]) is None
    copy = ('INSERT INTO "notify_notice" ("title") SELECT "title" FROM "notify_delivery" WHERE "id" = %s', [1])
    assert _as_one([by_id, copy]) is None  # the copy must see the update before it
    assert _as_one([copy, by_id]) is not None  # a read before the write sees the same either way
    assert _as_one([(insert[0], ["v"] * 20_000), (insert[0], ["v"] * 20_000)]) is None  # too many parameters


def test_writes_to_one_row_at_the_end_land_in_order():
    from zhengwu.core.appends import later, update_statement

    fields = {f.name: getattr(_outgoing(1), f.name) for f in Outgoing._meta.concrete_fields if not f.primary_key}
    first = Outgoing.objects.create(**fields)
    second = Outgoing.objects.get(pk=first.pk)
    other = Outgoing.objects.create(**fields)
    with transaction.atomic(), audit_batch():
        first.title = "先改"
        later([update_statement(first, ["title"])])
        second.title, second.text = "后改", "内容二"
        later([update_statement(second, ["title", "text"])])
        audit_record(actor="system", action="test.append", object_type="x", object_id="1")
    assert Outgoing.objects.get(pk=first.pk).title == "后改"
    with transaction.atomic(), audit_batch():
        other.title = "先改"
        later([update_statement(other, ["title"])])
        # Matches the row only if it runs after the update before it.
        later([(f"UPDATE {Outgoing._meta.db_table} SET text = %s WHERE title = %s", ["看到了", "先改"])])
        audit_record(actor="system", action="test.append", object_type="x", object_id="2")
    assert Outgoing.objects.get(pk=other.pk).text == "看到了"


def test_a_long_statement_is_numbered_as_the_server_takes_it():
    from zhengwu.core.appends import _numbered

    assert _numbered("UPDATE t SET a = %s, b = '100%%' WHERE c = %s AND d = %s") == \
        "UPDATE t SET a = $1, b = '100%' WHERE c = $2 AND d = $3"


def test_rows_inserted_together_get_their_ids_in_order():
    from zhengwu.core.appends import insert_now_many

    rows = insert_now_many([_outgoing(n) for n in range(3)] + [_delivery(9)])
    assert all(not row._state.adding for row in rows)
    assert [Outgoing.objects.get(pk=row.pk).title for row in rows[:3]] == ["第0条", "第1条", "第2条"]
    assert Delivery.objects.get(pk=rows[3].pk).title == "第9条" and insert_now_many([]) == []


def test_a_plain_row_is_written_as_its_model_instance_would_be():
    from zhengwu.core.appends import Row

    now = timezone.now()
    with transaction.atomic(), audit_batch():
        append(Row(Outgoing, channel="sms", template="t", address="13912345678", recipient_masked="139****5678",
                   title="行", text="内容", created_at=now))
        instance = _outgoing(2)
        instance.created_at = now
        append(instance)
    row, instance = Outgoing.objects.order_by("id")
    same = [f.attname for f in Outgoing._meta.concrete_fields if f.attname not in ("id", "title")]
    assert row.title == "行" and [getattr(row, a) for a in same] == [getattr(instance, a) for a in same]
    with pytest.raises(TypeError):
        Row(Outgoing, no_such_field=1)
