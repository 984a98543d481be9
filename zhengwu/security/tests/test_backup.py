"""Backup, damage, restore: case and audit counts come back and the audit chain verifies."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from zhengwu.cases import services
from zhengwu.cases.models import Case
from zhengwu.cases.tests.conftest import full_materials, person
from zhengwu.core.audit import audit_record, audit_verify
from zhengwu.core.models import AuditEvent
from zhengwu.security.backup import _pg_args

pytestmark = pytest.mark.django_db(transaction=True)


def _need_pg_tools():
    if connection.vendor == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore not installed: the PostgreSQL backup cannot run here")


def _submit(item, applicant, key):
    return services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                materials=full_materials(item), idempotency_key=key)


def test_backup_then_restore_brings_back_cases_and_a_valid_audit_chain(item, applicant, tmp_path):
    _need_pg_tools()
    _submit(item, applicant, "b-1")
    _submit(item, applicant, "b-2")
    out = tmp_path / "backups"
    call_command("backup", "--out", str(out))
    backup = next(p for p in out.iterdir() if not p.name.endswith(".sha256"))
    assert (out / f"{backup.name}.sha256").exists()
    # The backup's own event is written after the snapshot, so the file holds one event fewer.
    cases, events = Case.objects.count(), AuditEvent.objects.count() - 1
    assert cases == 2

    # After the backup: a new case, and rows lost (as a failing disk or a bad script would).
    _submit(item, applicant, "b-3")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE seq > 3")
    assert audit_verify()[1], "the damaged chain is noticed before the restore"

    call_command("restore", str(backup))
    assert Case.objects.count() == cases
    assert AuditEvent.objects.count() == events + 1  # + the restore event
    assert not AuditEvent.objects.filter(action="security.backup").exists()
    assert AuditEvent.objects.order_by("-seq").values_list("action", flat=True)[0] == "security.restore"
    call_command("verify_audit")
    audit_record(actor=None, action="test.after_restore")
    assert audit_verify()[1] == [], "the chain continues from the restored head"


def test_a_tampered_backup_is_refused(applicant, tmp_path):
    _need_pg_tools()
    call_command("backup", "--out", str(tmp_path))
    backup = next(p for p in tmp_path.iterdir() if not p.name.endswith(".sha256"))
    with backup.open("r+b") as fh:
        fh.seek(200)
        fh.write(b"\x00garbage\x00")
    with pytest.raises(CommandError, match="校验值不符"):
        call_command("restore", str(backup))


def test_restore_in_production_needs_yes(settings, tmp_path, db):
    settings.ZHENGWU_ENV = "production"
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "any.sqlite3"))
    with pytest.raises(CommandError, match="不存在"):
        call_command("restore", str(tmp_path / "any.sqlite3"), "--yes")


@pytest.mark.skipif(shutil.which("pg_restore") is None, reason="pg_restore not installed")
def test_postgres_dump_restores_into_a_scratch_database(item, applicant, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: runs in the second half of ./dev test")
    _submit(item, applicant, "s-1")
    call_command("backup", "--out", str(tmp_path))
    dump = next(p for p in tmp_path.iterdir() if p.suffix == ".dump")
    scratch = f"zhengwu_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{scratch}"')
    try:
        args, env = _pg_args(connection.settings_dict)
        subprocess.run(["pg_restore", "--no-owner", "--single-transaction", *args, "-d", scratch, str(dump)],
                       env=env, check=True, capture_output=True)
        out = subprocess.run(["psql", *args, "-d", scratch, "-tAc",
                              f"SELECT count(*) FROM {Case._meta.db_table}; "
                              f"SELECT count(*) FROM {AuditEvent._meta.db_table}"],
                             env=env, check=True, capture_output=True, text=True).stdout.split()
        assert [int(x) for x in out] == [Case.objects.count(), AuditEvent.objects.count() - 1]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
