"""Archiving audit events older than the retention, without breaking the chain (等保 8.1.4.3 c).

网络安全法 §21 asks for network logs kept no less than six months; RULES.md §10 reads that as
"≥ 180 days in the table, then archived, never deleted". An archive is a gzip file of JSON lines,
one event each with its chain fields (seq, the hashed fields, prev_hash, hash), beside a manifest
(`….manifest.json`) and recorded as an `AuditArchive` row holding the file's SM3 and the chain's
ends. Events leave the table only after the file is on disk (fsync'd) and read back and verified,
in one transaction that also writes the `audit.archive` event; `verify_audit` then checks the
files and the seam (the first row kept follows the archive's last hash).

Only the audit administrator archives (三员分立: the system administrator can neither read nor
remove the log).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from zhengwu.core.append_only import archive_gate
from zhengwu.core.audit import GENESIS, HASHED_KEYS, _hashed_fields, audit_lanes, audit_record, fields_hash
from zhengwu.core.crypto import sm3_hex
from zhengwu.core.errors import Conflict, PermissionDenied, ValidationFailed
from zhengwu.core.models import AuditArchive, AuditEvent, AuditHead

MIN_RETENTION_DAYS = 180
BATCH = 5000


def retention_days() -> int:
    days = settings.ZHENGWU_AUDIT_RETENTION_DAYS
    if days < MIN_RETENTION_DAYS:
        raise ValidationFailed(f"审计日志保留期不得少于 {MIN_RETENTION_DAYS} 天（网络安全法第二十一条），当前为 {days} 天",
                               f"the audit retention must be at least {MIN_RETENTION_DAYS} days, not {days}")
    return days


def archive_dir() -> Path:
    return Path(settings.ZHENGWU_AUDIT_ARCHIVE_DIR)


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Local midnight `retention` days ago: everything before it may go, everything after stays."""
    today = timezone.localdate(now or timezone.now())
    day = today - dt.timedelta(days=retention_days())
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _require_audit_admin(actor) -> None:
    # The predicate lives with the other 三员分立 rules in accounts; imported here, at call time,
    # because core sits below accounts.
    from zhengwu.accounts.permissions import can_export_audit_log

    if not can_export_audit_log.test(actor):
        raise PermissionDenied("只有审计管理员可以归档或查看审计归档", "only the audit administrator may archive the audit log")


def audit_archive_list(*, user) -> list[AuditArchive]:
    _require_audit_admin(user)
    return list(AuditArchive.objects.order_by("lane", "first_seq"))


def _line(event: AuditEvent) -> dict[str, Any]:
    return {**_hashed_fields(event), "prev_hash": event.prev_hash, "hash": event.hash}


def _read_lines(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for raw in handle:
            yield json.loads(raw)


def _check_lines(lines, *, first_seq: int, prev: str) -> tuple[int, int, str, list[tuple[int, str]]]:
    """Walk archived lines as verify walks rows: (count, last seq, last hash, problems)."""
    problems: list[tuple[int, str]] = []
    expected, count, last_seq = first_seq, 0, first_seq - 1
    for line in lines:
        count += 1
        seq = line.get("seq")
        if seq != expected:
            problems.append((expected, f"归档文件缺少第 {expected} 条 / row missing from the archive file"))
        if line.get("prev_hash") != prev:
            problems.append((seq, "归档文件中前序哈希不连续 / archive chain broken before this row"))
        if any(key not in line for key in HASHED_KEYS) or fields_hash(line, line["prev_hash"]) != line.get("hash"):
            problems.append((seq, "归档文件中的内容被修改 / archived row altered"))
        prev = line.get("hash", "")
        last_seq = seq if isinstance(seq, int) else last_seq
        expected = last_seq + 1
    return count, last_seq, prev, problems


def archive_problems(archive: AuditArchive, directory: Path | str | None = None) -> list[tuple[int, str]]:
    """Check one archive file against its manifest row: presence, SM3, then its own chain."""
    path = Path(directory or archive_dir()) / archive.file_name
    if not path.is_file():
        return [(archive.first_seq, f"归档文件不存在：{path} / archive file missing")]
    problems: list[tuple[int, str]] = []
    if sm3_hex(path.read_bytes()) != archive.file_sm3:
        problems.append((archive.first_seq, f"归档文件 SM3 不符：{archive.file_name} / archive file changed"))
    try:
        count, last_seq, last_hash, chain = _check_lines(_read_lines(path), first_seq=archive.first_seq,
                                                         prev=archive.first_prev_hash)
    except (OSError, EOFError, ValueError) as exc:
        return [*problems, (archive.first_seq, f"归档文件无法读取：{exc} / archive file unreadable")]
    problems += chain
    if (count, last_seq, last_hash) != (archive.event_count, archive.last_seq, archive.last_hash):
        problems.append((archive.last_seq, "归档文件与清单不符（条数或链尾）/ archive file does not match its manifest"))
    return problems


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def audit_archive_create(*, actor, before: dt.datetime | None = None, directory: Path | str | None = None,
                         now: dt.datetime | None = None) -> list[AuditArchive]:
    """Move the events older than `before` (default: the retention cutoff) to verified archive files,
    one per lane of the chain (zhengwu.core.audit) that has such events.

    Returns the archives, none when nothing is old enough. `before` later than the cutoff is
    refused: an event younger than the retention is never archived.
    """
    _require_audit_admin(actor)
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    before = before or cutoff
    if before > cutoff:
        raise ValidationFailed(
            f"只能归档保留期（{retention_days()} 天）以前的审计事件，即 {timezone.localtime(cutoff):%Y-%m-%d} 之前",
            f"only events older than the retention ({retention_days()} days, before {cutoff:%Y-%m-%d}) can be archived",
            field="before")
    folder = Path(directory or archive_dir())
    created = []
    for lane in audit_lanes():
        archive = _archive_lane(actor, lane, before=before, folder=folder, now=now)
        if archive is not None:
            created.append(archive)
    return created


def _archive_lane(actor, lane: int, *, before: dt.datetime, folder: Path, now: dt.datetime) -> AuditArchive | None:
    events = AuditEvent.objects.filter(lane=lane)
    first_seq = events.order_by("seq").values_list("seq", flat=True).first()
    if first_seq is None:
        return None
    # The archive is a prefix of the lane: it stops before the first event that must stay.
    young = events.filter(occurred_at__gte=before).order_by("seq").values_list("seq", flat=True).first()
    last_seq = young - 1 if young is not None else events.order_by("-seq").values_list("seq", flat=True)[0]
    if last_seq < first_seq:
        return None
    previous = AuditArchive.objects.filter(lane=lane).order_by("-last_seq").first()
    expected_first, expected_prev = (previous.last_seq + 1, previous.last_hash) if previous else (1, GENESIS)
    if first_seq != expected_first:
        raise Conflict(f"审计表第 {lane} 链的第一条（第 {first_seq} 条）不接续上一个归档（到第 {expected_first - 1} 条），"
                       "先运行 verify_audit", "the table does not continue the last archive; run verify_audit")

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"audit-{lane:02d}-{first_seq:012d}-{last_seq:012d}.jsonl.gz"
    path, part = folder / name, folder / f"{name}.part"
    if path.exists():
        raise Conflict(f"归档文件已存在：{path}", "the archive file already exists")

    # 1. Write the rows, checking their chain on the way: a broken chain is not sealed into a file.
    def rows() -> Iterator[dict[str, Any]]:
        start = first_seq - 1
        while True:
            batch = list(events.filter(seq__gt=start, seq__lte=last_seq).order_by("seq")[:BATCH])
            if not batch:
                return
            for event in batch:
                yield _line(event)
            start = batch[-1].seq

    first_line: dict[str, Any] = {}
    last_line: dict[str, Any] = {}

    def written() -> Iterator[dict[str, Any]]:
        with open(part, "wb") as raw:
            os.fchmod(raw.fileno(), 0o600)
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
                for line in rows():
                    handle.write(json.dumps(line, ensure_ascii=False, sort_keys=True).encode() + b"\n")
                    first_line.setdefault("line", line)
                    last_line["line"] = line
                    yield line
            raw.flush()
            os.fsync(raw.fileno())

    count, seen_last, last_hash, problems = _check_lines(written(), first_seq=first_seq, prev=expected_prev)
    if problems or count != last_seq - first_seq + 1 or seen_last != last_seq:
        part.unlink(missing_ok=True)
        raise Conflict(f"待归档的审计事件链校验失败（第 {lane} 链第 {problems[0][0] if problems else first_seq} 条），未归档；"
                       "先运行 verify_audit",
                       "the events to archive do not verify; nothing was archived")
    os.replace(part, path)
    _fsync_dir(folder)

    # 2. Read the file back from disk and verify it as verify_audit will.
    archive = AuditArchive(
        lane=lane, first_seq=first_seq, last_seq=last_seq, first_prev_hash=expected_prev, last_hash=last_hash, event_count=count,
        first_occurred_at=dt.datetime.fromisoformat(first_line["line"]["occurred_at"]),
        last_occurred_at=dt.datetime.fromisoformat(last_line["line"]["occurred_at"]),
        before=before, file_name=name, file_sm3=sm3_hex(path.read_bytes()), file_size=path.stat().st_size,
        created_at=now, created_by=actor.get_username())
    problems = archive_problems(archive, directory=folder)
    if problems:
        path.unlink(missing_ok=True)
        raise Conflict(f"归档文件回读校验失败：{problems[0][1]}", "the archive file did not verify after writing")
    manifest = {
        "file": name, "sm3": archive.file_sm3, "size": archive.file_size, "events": count, "lane": lane,
        "first_seq": first_seq, "last_seq": last_seq, "first_prev_hash": expected_prev, "last_hash": last_hash,
        "first_occurred_at": first_line["line"]["occurred_at"], "last_occurred_at": last_line["line"]["occurred_at"],
        "before": before.isoformat(), "created_at": now.isoformat(), "created_by": archive.created_by,
        "hash": "SM3 over prev_hash + canonical JSON of " + ", ".join(HASHED_KEYS),
    }
    manifest_path = folder / f"{name[:-len('.jsonl.gz')]}.manifest.json"
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    # 3. Only now leave the table, in one transaction with the manifest row and the archive event.
    try:
        with transaction.atomic():
            AuditHead.objects.select_for_update().filter(pk=lane).first()  # one archiver of the lane at a time
            if AuditArchive.objects.filter(lane=lane, last_seq__gte=first_seq).exists():
                raise Conflict("另一个归档已包含这些事件", "another archive already holds these events")
            kept = events.filter(seq__gte=first_seq, seq__lte=last_seq)
            if kept.count() != count or not kept.filter(seq=last_seq, hash=last_hash).exists():
                raise Conflict("归档期间审计事件发生变化，未删除任何事件", "the events changed while archiving; nothing removed")
            archive.save()
            with archive_gate(kept.db):
                deleted, _ = kept.delete()
            if deleted != count:
                raise Conflict("归档删除的条数与文件不符，已回滚", "the rows removed do not match the file; rolled back")
            audit_record(actor=actor, action="audit.archive", obj=archive, data={
                k: manifest[k] for k in ("file", "sm3", "events", "lane", "first_seq", "last_seq", "last_hash", "before")})
    except BaseException:
        # The rows stayed (rolled back), so the file is a spare copy; left behind it would block the next
        # run ("already exists"), e.g. after a run as the application role, which may not delete events
        # (docs/deploy.md §1). A file another archiver recorded is never touched.
        try:
            recorded = AuditArchive.objects.filter(file_name=name).exists()
        except DatabaseError:
            recorded = True  # cannot tell (connection lost): leave the file
        if not recorded:
            path.unlink(missing_ok=True)
            manifest_path.unlink(missing_ok=True)
        raise
    return archive
