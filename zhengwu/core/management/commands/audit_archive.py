"""Archive audit events older than the retention (zhengwu/core/archive.py); the audit administrator's command."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhengwu.core.archive import archive_dir, audit_archive_create, audit_archive_list, retention_days
from zhengwu.core.errors import DomainError


class Command(BaseCommand):
    help = ("将超过保留期的审计事件归档到文件（先写入并校验文件，再移出数据表），仅审计管理员可用 / "
            "archive audit events older than the retention; audit administrator only")

    def add_arguments(self, parser):
        parser.add_argument("--user", default=None,
                            help="执行归档的审计管理员账号，默认 AUDIT_ARCHIVE_USER / the audit administrator's username")
        parser.add_argument("--before", type=dt.date.fromisoformat, default=None,
                            help="归档此日期（当地时间 0 点）之前的事件，默认按保留期 / archive events before this date")
        parser.add_argument("--out", default=None, help="归档目录，默认 AUDIT_ARCHIVE_DIR / archive directory")
        parser.add_argument("--list", action="store_true", help="列出已有归档 / list the archives")

    def handle(self, *args, **options):
        # The daily timer (deploy/zhengwu-audit-archive.service) names its account in AUDIT_ARCHIVE_USER;
        # the archive still runs only as an audit administrator (三员分立), checked by the service.
        username = options["user"] or settings.ZHENGWU_AUDIT_ARCHIVE_USER
        if not username:
            raise CommandError("请用 --user 或 AUDIT_ARCHIVE_USER 指定执行归档的审计管理员账号 / "
                               "name the audit administrator with --user or AUDIT_ARCHIVE_USER")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户不存在：{username} / no such user")
        try:
            if options["list"]:
                for archive in audit_archive_list(user=user):
                    self.stdout.write(f"{archive.file_name}  第 {archive.lane} 链 #{archive.first_seq}–#{archive.last_seq}  "
                                      f"{archive.event_count} 条  SM3 {archive.file_sm3}")
                return
            before = options["before"]
            if before is not None:
                before = timezone.make_aware(dt.datetime.combine(before, dt.time.min))
            created = audit_archive_create(actor=user, before=before, directory=options["out"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if not created:
            self.stdout.write(f"没有超过保留期（{retention_days()} 天）的审计事件 / nothing older than the retention")
            return
        for archive in created:
            self.stdout.write(f"已归档第 {archive.lane} 链 {archive.event_count} 条（第 {archive.first_seq}–{archive.last_seq} 条）到 "
                              f"{options['out'] or archive_dir()}/{archive.file_name}，SM3 {archive.file_sm3}")
