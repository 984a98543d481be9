"""Import State Council holiday arrangements from holiday-cn JSON files (one year per file)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhengwu.core.errors import DomainError
from zhengwu.workcalendar.services import calendar_import_holiday_cn


class Command(BaseCommand):
    help = "导入 holiday-cn 格式的放假安排 JSON（{year, papers, days[{name,date,isOffDay}]}），全部成功或全部不导入"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="例如 2027.json")

    def handle(self, *args, **options):
        docs = []
        for name in options["files"]:
            path = Path(name)
            try:
                docs.append(json.loads(path.read_text(encoding="utf-8")))
            except FileNotFoundError:
                raise CommandError(f"文件不存在：{path} / file not found") from None
            except (ValueError, UnicodeDecodeError) as exc:
                raise CommandError(f"{path} 不是有效的 JSON：{exc} / not valid JSON") from None
        try:
            change = calendar_import_holiday_cn(actor="manage.py import_holidays", payload=docs)
        except DomainError as exc:
            lines = [exc.message] + [f"  {d.get('field')}: {d.get('message')}" for d in exc.details]
            raise CommandError("\n".join(lines)) from None
        if not change.changed:
            self.stdout.write("数据与现有日历一致，未做修改 / nothing changed")
        else:
            self.stdout.write(self.style.SUCCESS(change.summary()))
