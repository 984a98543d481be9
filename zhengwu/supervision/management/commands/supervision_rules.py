import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from zhengwu.core.errors import DomainError
from zhengwu.supervision.bulletin import Period
from zhengwu.supervision.services import SYSTEM_ACTOR, rules_run


class Command(BaseCommand):
    help = "按监察规则检查一个时期的办件记录（可重复运行，不重复记录）：--from/--to 日期或 --month，--rule 可多次给出。"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM")
        parser.add_argument("--from", dest="first", help="YYYY-MM-DD（含）")
        parser.add_argument("--to", dest="last", help="YYYY-MM-DD（含）")
        parser.add_argument("--rule", action="append", dest="rules", help="只运行这些规则（如 A01）")

    def handle(self, *args, **options):
        try:
            if options["month"]:
                period = Period.parse_month(options["month"])
            elif options["first"] and options["last"]:
                period = Period.days(dt.date.fromisoformat(options["first"]), dt.date.fromisoformat(options["last"]))
            else:
                raise CommandError("请给出 --month 或 --from 与 --to / give --month or --from and --to")
            result = rules_run(actor=SYSTEM_ACTOR, start=period.start, end=period.end, codes=options["rules"])
        except (DomainError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for code, (hits, created) in result.items():
            self.stdout.write(f"{code}：命中 {hits}，新记录 {created}")
