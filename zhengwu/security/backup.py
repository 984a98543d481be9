"""Backup and restore of the database (等保 8.1.4.5 e: 本地数据备份与恢复).

SQLite: the online backup API copies a consistent snapshot while the platform keeps running
(copying the file under WAL could catch it half-written). PostgreSQL: pg_dump's custom format,
restored with pg_restore in one transaction. Each backup gets a SHA-256 sidecar checked before a
restore, so a damaged or altered file is refused instead of half-restored.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from zhengwu.core.audit import audit_record
from zhengwu.core.errors import Conflict, PermissionDenied, ValidationFailed

SQLITE = "django.db.backends.sqlite3"
POSTGRES = "django.db.backends.postgresql"


def _engine(alias: str) -> str:
    engine = connections[alias].settings_dict["ENGINE"]
    if engine not in (SQLITE, POSTGRES):
        raise ValidationFailed(f"不支持的数据库：{engine}", f"unsupported database {engine}")
    return engine


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_args(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    args = []
    if settings_dict.get("HOST"):
        args += ["-h", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["-p", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["-U", str(settings_dict["USER"])]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        # Through the environment, never the command line, where `ps` would show it.
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise Conflict(f"找不到 {cmd[0]}，请安装 PostgreSQL 客户端", f"{cmd[0]} not found")
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise Conflict(f"{cmd[0]} 执行失败：{result.stderr.strip()[:500]}", f"{cmd[0]} failed")


def backup_create(*, actor, out_dir: Path | str, alias: str = "default") -> Path:
    """Write a backup into out_dir and return its path (a .sha256 file sits next to it)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    engine = _engine(alias)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    connection = connections[alias]
    if engine == SQLITE:
        target = out / f"zhengwu-{stamp}.sqlite3"
        connection.ensure_connection()
        dest = sqlite3.connect(target)
        try:
            connection.connection.backup(dest)
        finally:
            dest.close()
    else:
        target = out / f"zhengwu-{stamp}.dump"
        args, env = _pg_args(connection.settings_dict)
        _run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", *args, "-f", str(target),
              connection.settings_dict["NAME"]], env)
    checksum = _write_sidecar(target)
    data = {"file": target.name, "sha256": checksum, "bytes": target.stat().st_size}
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(media.iterdir()):
        # Uploaded materials and certificates are part of the case record: back them up together.
        archive = out / f"zhengwu-{stamp}-media.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(media, arcname=".")
        data["media"] = archive.name
        data["media_sha256"] = _write_sidecar(archive)
    with transaction.atomic(using=alias):
        audit_record(actor=actor, action="security.backup", object_type="security.backup", object_repr=target.name,
                     data=data)
    return target


def _write_sidecar(path: Path) -> str:
    checksum = _sha256(path)
    Path(f"{path}.sha256").write_text(f"{checksum}  {path.name}\n")
    return checksum


def _check_sidecar(path: Path) -> None:
    sidecar = Path(f"{path}.sha256")
    if sidecar.exists() and sidecar.read_text().split()[0] != _sha256(path):
        raise ValidationFailed(f"备份文件 {path.name} 校验值不符，可能已损坏或被篡改，拒绝恢复",
                               "the backup's checksum does not match; refusing to restore")


def media_restore(*, actor, path: Path | str, confirmed: bool = False) -> int:
    """Unpack a media archive over MEDIA_ROOT; returns the number of files. Names that would leave
    MEDIA_ROOT (absolute, .., links out) are refused by tarfile's data filter."""
    archive = Path(path)
    if getattr(settings, "ZHENGWU_ENV", "") == "production" and not confirmed:
        raise PermissionDenied("生产环境恢复附件会覆盖现有文件，请确认后加 --yes 执行",
                               "restoring media in production overwrites files; pass --yes to confirm")
    if not archive.is_file():
        raise ValidationFailed(f"备份文件不存在：{archive}", f"no such backup file {archive}")
    _check_sidecar(archive)
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            tar.extractall(media, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise ValidationFailed(f"附件备份无法解开：{exc}", "the media archive cannot be unpacked") from None
    with transaction.atomic():
        audit_record(actor=actor, action="security.restore_media", object_type="security.backup",
                     object_repr=archive.name, data={"file": archive.name, "files": len(members)})
    return len(members)


def backup_restore(*, actor, path: Path | str, alias: str = "default", confirmed: bool = False) -> None:
    """Replace the database's contents with a backup. Refused in production unless confirmed."""
    source = Path(path)
    if getattr(settings, "ZHENGWU_ENV", "") == "production" and not confirmed:
        raise PermissionDenied("生产环境恢复数据会覆盖现有全部数据，请确认后加 --yes 执行",
                               "restoring in production overwrites all data; pass --yes to confirm")
    if not source.is_file():
        raise ValidationFailed(f"备份文件不存在：{source}", f"no such backup file {source}")
    _check_sidecar(source)
    engine = _engine(alias)
    connection = connections[alias]
    if engine == SQLITE:
        if source.suffix != ".sqlite3":
            raise ValidationFailed("SQLite 只能从 .sqlite3 备份恢复", "SQLite restores need a .sqlite3 backup")
        connection.ensure_connection()
        src = sqlite3.connect(source)
        try:
            # Copies page by page into the live connection, so the file and its WAL stay consistent.
            src.backup(connection.connection)
        finally:
            src.close()
    else:
        args, env = _pg_args(connection.settings_dict)
        connection.close()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              *args, "-d", connection.settings_dict["NAME"], str(source)], env)
    # Recorded after the restore, so the event extends the restored chain instead of vanishing with it.
    with transaction.atomic(using=alias):
        audit_record(actor=actor, action="security.restore", object_type="security.backup",
                     object_repr=source.name, data={"file": source.name})
