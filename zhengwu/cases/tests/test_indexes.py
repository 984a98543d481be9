"""The case table's indexes: every transition changes a case's status, and so writes every one of
them; only the lookups the code makes may have one (cases/models.py, migration 0005)."""

import pytest
from django.db import connection

from zhengwu.cases.models import Case

pytestmark = pytest.mark.django_db


def test_the_case_table_has_exactly_the_indexes_its_lookups_need():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Case._meta.db_table)
    indexed = sorted(tuple(c["columns"]) for c in constraints.values() if c["index"] or c["unique"] or c["primary_key"])
    assert indexed == sorted([
        ("id",), ("case_no",), ("idempotency_key",),  # the primary key and two unique columns
        ("department_id", "status"), ("applicant_id", "created_at"), ("status",),  # queues, my cases, supervisors
        ("item_id",),  # per-item statistics and bulletins
        ("applicant_id_index",), ("agent_id_index",),  # search by ID number (keyed index)
    ]), indexed  # no second LIKE index on PostgreSQL, no index on a column nobody searches by
