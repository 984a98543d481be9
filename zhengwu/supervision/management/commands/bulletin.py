from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhengwu.core.errors import DomainError
from zhengwu.supervision.selectors import bulletin_files


class Command(BaseCommand):
    help = "生成效能通报（Excel 与 PDF）：--month YYYY-MM 或 --from/--to 日期，--out 目录。"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="统计月份 YYYY-MM")
        parser.add_argument("--from", dest="first", help="起始日期 YYYY-MM-DD（含）")
        parser.add_argument("--to", dest="last", help="结束日期 YYYY-MM-DD（含）")
        parser.add_argument("--out", required=True, help="输出目录")
        parser.add_argument("--min-sample", type=int, default=None, help="最小样本量（默认见设置）")
        parser.add_argument("--centre", type=int, default=None, help="只统计该中心（含其分中心、便民服务中心）进驻部门")

    def handle(self, *args, **options):
        import datetime as dt

        from zhengwu.supervision.bulletin import Period

        try:
            if options["month"]:
                period = Period.parse_month(options["month"])
            elif options["first"] and options["last"]:
                period = Period.days(dt.date.fromisoformat(options["first"]), dt.date.fromisoformat(options["last"]))
            else:
                raise CommandError("请给出 --month 或 --from 与 --to / give --month or --from and --to")
            out = Path(options["out"])
            out.mkdir(parents=True, exist_ok=True)
            departments = None
            if options["centre"]:
                from django.db.models import Q

                from zhengwu.org.models import Department

                centre = options["centre"]
                departments = Department.objects.filter(Q(centre_id=centre) | Q(centre__parent_id=centre))
            paths = bulletin_files(period=period, out=out, min_sample=options["min_sample"], departments=departments)
        except (DomainError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for path in paths:
            self.stdout.write(f"已写入 {path}")
