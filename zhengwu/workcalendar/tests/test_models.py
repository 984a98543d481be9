"""The clock table (workcalendar/models.py, migration 0002)."""

import pytest
from django.db import connection

from zhengwu.workcalendar.models import Clock


@pytest.mark.django_db
def test_the_clock_table_has_exactly_the_indexes_its_lookups_need():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Clock._meta.db_table)
    indexed = sorted(tuple(c["columns"]) for c in constraints.values() if c["index"] or c["unique"] or c["primary_key"])
    # A case's transitions insert and finish clocks, writing every index each time.
    assert indexed == sorted([("id",), ("owner_type_id", "owner_id"), ("status", "due_at"), ("due_at",),
                              ("next_event_at",)]), indexed
