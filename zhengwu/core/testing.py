"""Test helpers of the core app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from zhengwu.core.append_only import drop_statements, install_statements


@contextmanager
def audit_triggers_dropped() -> Iterator[None]:
    """Play a database owner who drops the append-only triggers to tamper with the audit log.

    Only for tests that show `verify_audit` still notices; the triggers are put back on exit.
    """
    with connection.cursor() as cursor:
        for statement in drop_statements(connection.vendor):
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in install_statements(connection.vendor):
                cursor.execute(statement)
