"""Print a deadline: the due date alone on the first line, then the explanation."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from zhengwu.core.errors import DomainError
from zhengwu.workcalendar.workdays import explain_working_days


class Command(BaseCommand):
    help = "期限计算器：起算日 + N 个工作日 → 截止日（第一行仅输出 YYYY-MM-DD，随后为计算说明）"

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="起算日 YYYY-MM-DD（当日不计入）")
        parser.add_argument("--working-days", type=int, required=True, dest="working_days")
        parser.add_argument("--region", default=None, help="行政区划代码（计入地方假日）")

    def handle(self, *args, **options):
        try:
            start = date.fromisoformat(options["start"])
        except ValueError:
            raise CommandError(f"起算日格式应为 YYYY-MM-DD：{options['start']!r}") from None
        region = None
        if options["region"]:
            from zhengwu.org.models import Region

            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(f"行政区划代码不存在：{options['region']}")
        try:
            exp = explain_working_days(start, options["working_days"], region)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(exp.due.isoformat())
        for line in exp.lines:
            self.stdout.write(line)
        for warning in exp.warnings:
            self.stdout.write(f"注意：{warning}")
