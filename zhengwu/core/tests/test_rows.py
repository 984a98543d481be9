"""Instances from hand-written SELECTs (zhengwu.core.rows) equal what the ORM loads."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from zhengwu.core import rows
from zhengwu.core.models import AuditEvent
from zhengwu.notify.models import Outgoing

pytestmark = pytest.mark.django_db


def _outgoing(title: str, minutes: int) -> Outgoing:
    return Outgoing.objects.create(channel="sms", template="t", address="13912345678", recipient_masked="139****5678",
                                   title=title, text="内容",
                                   created_at=timezone.now() - dt.timedelta(minutes=minutes))


def test_first_builds_the_instance_the_orm_would_with_converted_values():
    _outgoing("旧", 10)
    newest = _outgoing("新", 1)
    found = rows.first(Outgoing, "t.channel = %s", ["sms"], order_by="t.created_at DESC")
    orm = Outgoing.objects.get(pk=newest.pk)
    assert found.pk == newest.pk and not found._state.adding
    assert [getattr(found, f.attname) for f in Outgoing._meta.concrete_fields] == \
        [getattr(orm, f.attname) for f in Outgoing._meta.concrete_fields]
    assert found.address == "13912345678"  # decrypted by the field's converter
    assert rows.first(Outgoing, "t.channel = %s", ["email"]) is None


def test_json_columns_come_back_as_python_values():
    from zhengwu.core.audit import audit_record

    audit_record(actor="system", action="test.rows", object_type="x", object_id="1", data={"键": [1, "二"]})
    event = rows.first(AuditEvent, "t.action = %s", ["test.rows"])
    assert event.data == {"键": [1, "二"]} and event.occurred_at.tzinfo is not None


def test_exists_and_the_lock_clause_per_database():
    assert not rows.exists(Outgoing._meta.db_table, "channel = %s", ["sms"])
    _outgoing("一", 1)
    assert rows.exists(Outgoing._meta.db_table, "channel = %s", ["sms"])
    expected = " FOR UPDATE OF c" if connection.vendor == "postgresql" else ""
    assert rows.for_update("c") == expected


def test_reads_made_together_come_back_in_order_and_fail_as_djangos_errors():
    from django.db import DatabaseError, connection, transaction

    from zhengwu.core.rows import fetch_together

    with transaction.atomic():
        first, second, empty = fetch_together([("SELECT %s, %s", [1, "一"]), ("SELECT %s UNION ALL SELECT %s", [2, 3]),
                                               ("SELECT 1 WHERE 1 = %s", [0])])
        assert first == [(1, "一")] and sorted(second) == [(2,), (3,)] and empty == []
    with pytest.raises(DatabaseError), transaction.atomic():
        fetch_together([("SELECT %s", [1]), ("SELECT * FROM no_such_table WHERE id = %s", [1])])
    with connection.cursor() as cursor:  # the connection is usable afterwards
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
