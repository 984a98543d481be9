from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengwu.accounts.models import User
from zhengwu.catalog.services import catalog_import


class Command(BaseCommand):
    help = "从 Excel 导入事项目录，全部成功或全部不导入 / import the catalog from an Excel workbook, all or nothing"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--user", help="记入审计日志的操作人用户名（默认 system）")

    def handle(self, *args, file: Path, dry_run: bool, user: str | None, **options):
        if not file.is_file():
            raise CommandError(f"文件不存在：{file}")
        actor: Any = "system"
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"用户不存在：{user}")
        report = catalog_import(actor=actor, data=file.read_bytes(), dry_run=dry_run)
        for error in report.errors:
            self.stderr.write(str(error))
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
