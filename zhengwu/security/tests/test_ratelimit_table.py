"""The rate-limit counter table is UNLOGGED on PostgreSQL (migration 0002): no WAL flush per hit."""

from __future__ import annotations

import pytest
from django.db import connection

from zhengwu.security.models import RateLimitCounter
from zhengwu.security.ratelimit import Group, hit

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="UNLOGGED is PostgreSQL's")
def test_counter_table_is_unlogged():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", [RateLimitCounter._meta.db_table])
        assert cursor.fetchone() == ("u",)


def test_counts_still_add_up():
    group = Group(name="progress", paths=("/x",), methods=frozenset(), limit=2, window=60)
    decisions = [hit(group, "10.0.0.1", store="database", now=1_000_000.0) for _ in range(3)]
    assert [d.count for d in decisions] == [1, 2, 3]
    assert [d.allowed for d in decisions] == [True, True, False]
