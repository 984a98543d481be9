"""Audit retention: events older than the retention go to a verified file, the chain still verifies."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from config.env import read_env
from zhengwu.core.archive import audit_archive_create, audit_archive_list
from zhengwu.core.audit import Entry, audit_record_many, audit_verify
from zhengwu.core.errors import PermissionDenied, ValidationFailed
from zhengwu.core.models import AuditArchive, AuditEvent

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 9, 1, 10, 0, tzinfo=dt.UTC)


def _at(days_ago: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days_ago)


@pytest.fixture
def archive_dir(settings, tmp_path):
    settings.ZHENGWU_AUDIT_ARCHIVE_DIR = tmp_path / "archive"
    settings.ZHENGWU_AUDIT_RETENTION_DAYS = 180
    return tmp_path / "archive"


@pytest.fixture
def history():
    """Events 400, 300 and 200 days old (3 each), then 170 and 10 days old (2 each): 13 in all."""
    for days in (400, 300, 200, 170, 10):
        n = 3 if days >= 200 else 2
        audit_record_many(actor="system", occurred_at=_at(days),
                          entries=[Entry(f"test.{days}.{i}", data={"i": i, "名": "张三"}) for i in range(n)])
    assert AuditEvent.objects.count() == 13


def _archive(actor, **kwargs):
    """The events here are appended one transaction after another, all in lane 1: its archive or None."""
    created = audit_archive_create(actor=actor, now=NOW, **kwargs)
    assert len(created) <= 1 and all(archive.lane == 1 for archive in created)
    return created[0] if created else None


def test_archive_moves_old_events_to_a_file_and_the_chain_still_verifies(auditadmin, archive_dir, history):
    archive = _archive(auditadmin)
    assert (archive.first_seq, archive.last_seq, archive.event_count) == (1, 9, 9)
    # The table keeps the young rows plus the archive's own event, and the seam joins.
    kept = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in kept] == [10, 11, 12, 13, 14]
    assert kept[0].prev_hash == archive.last_hash
    assert kept[-1].action == "audit.archive" and kept[-1].data["sm3"] == archive.file_sm3
    with gzip.open(archive_dir / archive.file_name, "rt", encoding="utf-8") as handle:
        lines = [json.loads(raw) for raw in handle]
    assert [line["seq"] for line in lines] == list(range(1, 10)) and lines[0]["data"]["名"] == "张三"
    manifest = json.loads((archive_dir / "audit-01-000000000001-000000000009.manifest.json").read_text())
    assert manifest["last_hash"] == archive.last_hash and manifest["sm3"] == archive.file_sm3
    assert audit_verify() == (14, [])
    call_command("verify_audit")


def test_a_second_archive_continues_the_first(auditadmin, archive_dir, history):
    first = _archive(auditadmin, before=_at(250))
    assert (first.first_seq, first.last_seq) == (1, 6)
    second = _archive(auditadmin)
    assert (second.first_seq, second.last_seq, second.first_prev_hash) == (7, 9, first.last_hash)
    assert audit_verify() == (15, [])
    assert _archive(auditadmin) is None, "nothing left that is older than the retention"


def test_events_younger_than_the_retention_are_never_archived(auditadmin, archive_dir, history):
    with pytest.raises(ValidationFailed):
        _archive(auditadmin, before=_at(100))
    assert not AuditArchive.objects.exists() and AuditEvent.objects.count() == 13
    archive = _archive(auditadmin)
    assert archive.last_occurred_at < _at(180)
    assert AuditEvent.objects.filter(occurred_at__lt=_at(180)).count() == 0
    assert AuditEvent.objects.filter(occurred_at__gte=_at(180)).count() == 5  # 170 and 10 days old + the archive event


def test_a_tampered_archive_file_is_detected(auditadmin, archive_dir, history):
    archive = _archive(auditadmin)
    path = archive_dir / archive.file_name
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = [json.loads(raw) for raw in handle]
    lines[4]["actor_label"] = "someone-else"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines)
    checked, problems = audit_verify()
    assert {p.seq for p in problems} >= {5}
    assert any("SM3" in p.problem for p in problems) and any("修改" in p.problem for p in problems)
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_a_missing_archive_file_fails_verification_unless_pointed_at_a_copy(auditadmin, archive_dir, history, tmp_path):
    archive = _archive(auditadmin)
    copy = tmp_path / "offsite"
    copy.mkdir()
    (archive_dir / archive.file_name).rename(copy / archive.file_name)
    assert any("不存在" in p.problem for p in audit_verify()[1])
    assert audit_verify(archive_dir=copy)[1] == []
    call_command("verify_audit", "--archive-dir", str(copy))


def test_a_broken_chain_is_not_archived(auditadmin, archive_dir, history):
    from zhengwu.core.testing import audit_triggers_dropped

    with audit_triggers_dropped():
        AuditEvent.objects.filter(seq=3).update(action="changed")
    with pytest.raises(Exception, match="链校验失败"):
        _archive(auditadmin)
    assert AuditEvent.objects.count() == 13 and not AuditArchive.objects.exists()
    assert not list(archive_dir.iterdir())


def test_a_failed_removal_leaves_no_file_behind_and_the_next_run_succeeds(auditadmin, archive_dir, history,
                                                                           monkeypatch):
    # E.g. a run with the application's database role, which may not delete audit events.
    from django.db import DatabaseError

    from zhengwu.core import archive as archive_module

    def refused(*args, **kwargs):
        raise DatabaseError("permission denied for table core_auditevent")

    with monkeypatch.context() as patch:
        patch.setattr(archive_module.AuditEvent.objects.none().__class__, "delete", refused)
        with pytest.raises(DatabaseError, match="permission denied"):
            _archive(auditadmin)
    assert AuditEvent.objects.count() == 13 and not AuditArchive.objects.exists()
    assert not list(archive_dir.iterdir()), "no spare file to block the next run"
    archive = _archive(auditadmin)
    assert archive is not None and archive.event_count == 9 and audit_verify() == (14, [])


@pytest.mark.parametrize("persona", ["sysadmin", "secadmin", "clerk"])
def test_only_the_audit_administrator_archives_or_lists(request, persona, archive_dir, history):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        _archive(user)
    with pytest.raises(PermissionDenied):
        audit_archive_list(user=user)
    assert AuditEvent.objects.count() == 13


def test_a_retention_below_180_days_is_refused(settings, auditadmin, archive_dir, history):
    with pytest.raises(ImproperlyConfigured, match="AUDIT_RETENTION_DAYS"):
        read_env({"AUDIT_RETENTION_DAYS": "179"})
    assert read_env({"AUDIT_RETENTION_DAYS": "365"}).audit_retention_days == 365
    assert read_env({}).audit_retention_days == 180
    settings.ZHENGWU_AUDIT_RETENTION_DAYS = 90
    with pytest.raises(ValidationFailed, match="180"):
        _archive(auditadmin)
    assert not AuditArchive.objects.exists()


def test_a_longer_retention_keeps_more(settings, auditadmin, archive_dir, history):
    settings.ZHENGWU_AUDIT_RETENTION_DAYS = 365
    archive = _archive(auditadmin)
    assert archive.event_count == 3  # only the 400-day-old events


def test_the_command_archives_by_policy_and_lists(auditadmin, archive_dir, history, time_machine, capsys):
    time_machine.move_to(NOW)
    with pytest.raises(CommandError):
        call_command("audit_archive", "--user", "nobody")
    call_command("audit_archive", "--user", auditadmin.username)
    assert "已归档第 1 链 9 条" in capsys.readouterr().out
    call_command("audit_archive", "--user", auditadmin.username, "--list")
    assert "audit-01-000000000001-000000000009.jsonl.gz" in capsys.readouterr().out
    before = timezone.localdate(NOW).isoformat()
    with pytest.raises(CommandError, match="保留期"):
        call_command("audit_archive", "--user", auditadmin.username, "--before", before)
    call_command("verify_audit")


def test_the_daily_run_acts_as_the_configured_audit_administrator_only(settings, auditadmin, sysadmin, archive_dir,
                                                                      history, time_machine, capsys):
    # deploy/zhengwu-audit-archive.service runs `audit_archive` with no --user: AUDIT_ARCHIVE_USER names the account.
    time_machine.move_to(NOW)
    settings.ZHENGWU_AUDIT_ARCHIVE_USER = ""
    with pytest.raises(CommandError, match="AUDIT_ARCHIVE_USER"):
        call_command("audit_archive")
    settings.ZHENGWU_AUDIT_ARCHIVE_USER = sysadmin.username
    with pytest.raises(CommandError, match="审计管理员"):
        call_command("audit_archive")
    assert not AuditArchive.objects.exists() and AuditEvent.objects.count() == 13
    settings.ZHENGWU_AUDIT_ARCHIVE_USER = auditadmin.username
    call_command("audit_archive")
    assert "已归档第 1 链 9 条" in capsys.readouterr().out
    assert AuditEvent.objects.get(action="audit.archive").actor_label == auditadmin.username
    call_command("audit_archive")
    assert "没有超过保留期" in capsys.readouterr().out, "a second run the same day finds nothing and succeeds"


def test_the_audit_log_page_lists_the_archives_for_the_audit_administrator_only(client, auditadmin, sysadmin,
                                                                                archive_dir, history):
    archive = _archive(auditadmin)
    client.force_login(auditadmin)
    page = client.get("/accounts/audit/").content.decode()
    assert archive.file_name in page and archive.file_sm3 in page
    client.force_login(sysadmin)
    assert client.get("/accounts/audit/").status_code == 403
