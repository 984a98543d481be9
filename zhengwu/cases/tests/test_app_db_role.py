"""PostgreSQL only: the application's role (manage.py db_grant_app_role) submits a case, and is refused
any change of the schema and any change or removal of audit events (zhengwu/security/dbroles.py)."""

from __future__ import annotations

import datetime as dt
import secrets
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from zhengwu.cases import selectors, services
from zhengwu.cases.models import Case
from zhengwu.core.append_only import archive_gate
from zhengwu.core.models import AuditEvent

from .conftest import full_materials, person

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app_role():
    if connection.vendor != "postgresql":
        pytest.skip("database roles exist on PostgreSQL only; ./dev test runs this on PostgreSQL")
    role = f"zhengwu_app_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        # DDL takes no bound parameters; a URL-safe token needs no quoting.
        cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{secrets.token_urlsafe(16)}'")
    try:
        yield role
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


@contextmanager
def connected_as(role: str):
    """The default connection, reopened as `role` (what the web and sweeper processes use in production)."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["USER"] = role
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == role
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def _refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return str(refused.value)


def test_the_app_role_works_through_the_services_and_owns_nothing(app_role, item, applicant, capsys, tmp_path):
    call_command("db_grant_app_role", app_role)
    assert "REVOKE UPDATE, DELETE, TRUNCATE" in capsys.readouterr().out
    before = AuditEvent.objects.count()
    with connected_as(app_role):
        case = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                    materials=full_materials(item), idempotency_key="role-1")
        assert Case.objects.get(pk=case.pk).applicant_id_number == person().id_number
        assert selectors.progress_query(case_no=case.case_no, query_code=case.query_code)  # PREPAREd per connection
        assert AuditEvent.objects.count() > before, "the service appended its audit events"
        call_command("backup", "--out", str(tmp_path))  # the nightly backup unit runs as this role (pg_dump)
        assert list(tmp_path.glob("zhengwu-*.dump"))

        for sql in ("CREATE TABLE zz_intruder (id int)",
                    "ALTER TABLE cases_case ADD COLUMN zz_intruder int",
                    "DROP TABLE cases_case",
                    "DROP TRIGGER core_auditevent_append_only ON core_auditevent",
                    "TRUNCATE cases_case"):
            message = _refused(sql)
            assert "permission denied" in message or "must be owner" in message, (sql, message)
        for sql in ("UPDATE core_auditevent SET action = 'x'", "DELETE FROM core_auditevent",
                    "TRUNCATE core_auditevent", "DELETE FROM core_auditarchive"):
            assert "permission denied" in _refused(sql), sql
        # Not even through the gate the archive uses: privileges stop the app role before the trigger.
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), archive_gate():
            AuditEvent.objects.filter(pk__in=AuditEvent.objects.values("pk")[:1])._raw_delete(connection.alias)
    assert Case.objects.filter(pk=case.pk).exists() and AuditEvent.objects.count() > before
    call_command("verify_audit")


def test_the_audit_archive_needs_the_owner_and_a_refused_run_leaves_nothing_behind(app_role, auditadmin, settings,
                                                                                   tmp_path):
    # deploy/zhengwu-audit-archive.service reads the owner's DATABASE_URL (/etc/zhengwu/env.owner).
    from zhengwu.core.archive import audit_archive_create
    from zhengwu.core.audit import Entry, audit_record_many
    from zhengwu.core.models import AuditArchive

    settings.ZHENGWU_AUDIT_ARCHIVE_DIR = tmp_path
    audit_record_many(actor="system", occurred_at=timezone.now() - dt.timedelta(days=400),
                      entries=[Entry("test.old", data={"i": i}) for i in range(3)])
    call_command("db_grant_app_role", app_role)
    with connected_as(app_role), pytest.raises(DatabaseError, match="permission denied"):
        audit_archive_create(actor=auditadmin)
    assert not list(tmp_path.iterdir()) and not AuditArchive.objects.exists()
    archives = audit_archive_create(actor=auditadmin)
    assert [archive.event_count for archive in archives] == [3]
    call_command("verify_audit")


def test_tables_of_later_migrations_get_the_same_grants(app_role):
    call_command("db_grant_app_role", app_role)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE zz_later (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text)")
    try:
        with connected_as(app_role), connection.cursor() as cursor:
            cursor.execute("INSERT INTO zz_later (v) VALUES ('x') RETURNING id")
            assert cursor.fetchone()[0] == 1
            cursor.execute("UPDATE zz_later SET v = 'y'")
            cursor.execute("DELETE FROM zz_later")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE zz_later")


def test_the_grant_refuses_a_role_that_would_not_be_bound(app_role):
    with pytest.raises(CommandError, match="不存在"):
        call_command("db_grant_app_role", "zhengwu_no_such_role")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()
    with pytest.raises(CommandError, match="表所有者|超级用户"):
        call_command("db_grant_app_role", owner)
    with pytest.raises(CommandError, match="名称无效"):
        call_command("db_grant_app_role", 'x"; DROP TABLE cases_case; --')


def test_the_sql_can_be_printed_for_the_dba(capsys):
    call_command("db_grant_app_role", "zhengwu_app", "--print", "--owner", "zhengwu_owner", "--database", "zhengwu")
    out = capsys.readouterr().out
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO "zhengwu_app";' in out
    assert 'REVOKE UPDATE, DELETE, TRUNCATE ON "core_auditevent", "core_auditarchive" FROM "zhengwu_app";' in out
    assert 'ALTER DEFAULT PRIVILEGES FOR ROLE "zhengwu_owner"' in out
