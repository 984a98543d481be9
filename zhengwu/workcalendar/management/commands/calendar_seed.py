"""Load every year chinesecalendar covers into the work calendar (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from zhengwu.core.errors import DomainError
from zhengwu.workcalendar.services import calendar_seed_from_chinesecalendar


class Command(BaseCommand):
    help = "从 chinesecalendar 载入法定节假日与调休数据；重复运行不做任何修改"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", dest="years", help="只载入指定年份，可重复")

    def handle(self, *args, **options):
        try:
            change = calendar_seed_from_chinesecalendar(actor="manage.py calendar_seed", years=options["years"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if not change.changed:
            self.stdout.write("日历已是最新，未做修改 / nothing changed")
        else:
            self.stdout.write(self.style.SUCCESS(change.summary()))
        if change.years_skipped:
            self.stdout.write(f"已由其他来源维护、未覆盖的年份：{', '.join(map(str, change.years_skipped))}")
