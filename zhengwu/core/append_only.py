"""Database triggers that keep the audit tables append-only (等保 8.1.4.3 c).

The model already refuses `save()` on a stored event and `delete()`; these triggers refuse the
same through any SQL, so a script, a shell or a bulk `QuerySet.update()` cannot edit or remove a
row either. One path is let through: `audit_archive_create` deleting rows it has just written to a
verified archive file, which it announces inside its own transaction (`archive_gate`):

- PostgreSQL: `SET LOCAL zhengwu.audit_gate = 'archive'` (a transaction-scoped setting);
  TRUNCATE is refused too, unless the gate says 'flush' (the test runner's flush, `manage.py flush`
  in test mode only).
- SQLite: the trigger asks the function `zhengwu_audit_gate()`, which each Django connection
  registers (`zhengwu.core.apps`) and which answers the purpose set on that connection
  ('archive', 'flush' or ''). A connection
  without the function (the sqlite3 shell) fails on "no such function", i.e. is refused too.

The database owner can still drop a trigger; against that, run the app as a role that does not own
the tables (docs/security.md) and keep `verify_audit` and the off-host archives.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connections

GATE_SETTING = "zhengwu.audit_gate"
GATE_FUNCTION = "zhengwu_audit_gate"
TABLES = ("core_auditevent", "core_auditarchive")
# Only the event table gives way to the archive; the archive manifests are never changed.
ARCHIVABLE = "core_auditevent"

_MESSAGE = "审计记录只能追加，不能修改或删除 / audit records are append-only"

POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION zhengwu_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND TG_TABLE_NAME = '{ARCHIVABLE}'
                AND current_setting('{GATE_SETTING}', true) = 'archive' THEN
            RETURN OLD;
        END IF;
        IF TG_OP = 'TRUNCATE' AND current_setting('{GATE_SETTING}', true) = 'flush' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION '{_MESSAGE}: % %', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$;
    """,
    *[
        stmt
        for table in TABLES
        for stmt in (
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION zhengwu_audit_append_only();",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION zhengwu_audit_append_only();",
        )
    ],
]
POSTGRES_DROP = [
    *[f"DROP TRIGGER IF EXISTS {table}_{name} ON {table};" for table in TABLES for name in ("append_only", "no_truncate")],
    "DROP FUNCTION IF EXISTS zhengwu_audit_append_only();",
]

SQLITE_INSTALL = [
    stmt
    for table in TABLES
    for stmt in (
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END;",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        + (f"WHEN {GATE_FUNCTION}() NOT IN ('archive', 'flush') " if table == ARCHIVABLE
           else f"WHEN {GATE_FUNCTION}() <> 'flush' ")
        + f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END;",
    )
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {table}_{name};" for table in TABLES for name in ("no_update", "no_delete")]


def run_in_migration(statements_for):
    """A `RunPython` function that runs `statements_for(vendor)` (`install_statements` or
    `drop_statements`) on the migrating database."""

    def run(apps, schema_editor):
        for statement in statements_for(schema_editor.connection.vendor):
            schema_editor.execute(statement, params=None)

    return run


def install_statements(vendor: str) -> list[str]:
    return POSTGRES_INSTALL if vendor == "postgresql" else SQLITE_INSTALL


def drop_statements(vendor: str) -> list[str]:
    return POSTGRES_DROP if vendor == "postgresql" else SQLITE_DROP


def register_sqlite_gate(sender, connection, **kwargs) -> None:
    """connection_created receiver: give each SQLite connection its gate function."""
    if connection.vendor != "sqlite":
        return
    wrapper = connection
    connection.connection.create_function(GATE_FUNCTION, 0, lambda: getattr(wrapper, "zhengwu_audit_gate", ""))


@contextmanager
def archive_gate(using: str = "default", purpose: str = "archive") -> Iterator[None]:
    """Let this transaction delete audit events (purpose "archive") or flush the tables ("flush")."""
    connection = connections[using]
    if purpose == "archive" and not connection.in_atomic_block:
        raise RuntimeError("archive_gate must be used inside the archive's transaction")
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        local = "true" if connection.in_atomic_block else "false"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT set_config(%s, %s, {local})", [GATE_SETTING, purpose])
        try:
            yield
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT set_config(%s, '', {local})", [GATE_SETTING])
            except DatabaseError:
                pass  # the transaction failed; its rollback drops the local setting anyway
    else:
        connection.zhengwu_audit_gate = purpose  # type: ignore[attr-defined]
        try:
            yield
        finally:
            connection.zhengwu_audit_gate = ""  # type: ignore[attr-defined]
