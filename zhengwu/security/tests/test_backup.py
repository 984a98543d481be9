"""Backup, damage, restore: case and audit counts come back and the audit chain verifies."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from zhengwu.cases import services
from zhengwu.cases.models import Case
from zhengwu.cases.tests.conftest import full_materials, person
from zhengwu.core.audit import audit_record, audit_verify
from zhengwu.core.errors import ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.core.testing import audit_triggers_dropped
from zhengwu.security.backup import _pg_args

pytestmark = pytest.mark.django_db(transaction=True)


def _need_pg_tools():
    if connection.vendor == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore not installed: the PostgreSQL backup cannot run here")


def _db_file(folder: Path) -> Path:
    return next(p for p in folder.iterdir() if p.suffix in {".sqlite3", ".dump"})


def _submit(item, applicant, key):
    return services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                materials=full_materials(item), idempotency_key=key)


def test_backup_then_restore_brings_back_cases_and_a_valid_audit_chain(item, applicant, tmp_path):
    _need_pg_tools()
    _submit(item, applicant, "b-1")
    _submit(item, applicant, "b-2")
    out = tmp_path / "backups"
    call_command("backup", "--out", str(out))
    backup = _db_file(out)
    assert (out / f"{backup.name}.sha256").exists()
    media_archive = next(out.glob("*-media.tar.gz"))
    stored = sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    assert stored, "the submitted materials are on disk"
    # The backup's own event is written after the snapshot, so the file holds one event fewer.
    cases, events = Case.objects.count(), AuditEvent.objects.count() - 1
    assert cases == 2

    # After the backup: a new case, and rows lost (as a failing disk or a bad script would).
    _submit(item, applicant, "b-3")
    with audit_triggers_dropped(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE seq > 3")
    assert audit_verify()[1], "the damaged chain is noticed before the restore"

    stored[0].unlink()
    call_command("restore", str(backup), "--media", str(media_archive))
    assert stored[0].is_file(), "the lost upload is back"
    assert Case.objects.count() == cases
    assert AuditEvent.objects.count() == events + 2  # + the restore and media-restore events
    assert not AuditEvent.objects.filter(action="security.backup").exists()
    assert list(AuditEvent.objects.order_by("-seq").values_list("action", flat=True)[:2]) == [
        "security.restore_media", "security.restore"]
    call_command("verify_audit")
    audit_record(actor=None, action="test.after_restore")
    assert audit_verify()[1] == [], "the chain continues from the restored head"


def test_a_tampered_backup_is_refused(applicant, tmp_path):
    _need_pg_tools()
    call_command("backup", "--out", str(tmp_path))
    backup = _db_file(tmp_path)
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


def test_a_media_archive_cannot_write_outside_media_root(tmp_path, db):
    archive = tmp_path / "evil-media.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        payload = b"owned"
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    from zhengwu.security.backup import media_restore

    with pytest.raises(ValidationFailed):
        media_restore(actor=None, path=archive)
    assert not (tmp_path.parent / "escaped.txt").exists() and not list(tmp_path.rglob("escaped.txt"))
