from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhengwu.core.errors import DomainError
from zhengwu.demo.services import demo_seed


class Command(BaseCommand):
    help = "载入演示县（清溪县）的区划、中心、部门、窗口、人员、工作日历和事项；重复运行不作修改。"

    def add_arguments(self, parser):
        parser.add_argument("--no-calendar", action="store_true", help="不载入工作日历")
        parser.add_argument("--no-catalog", action="store_true", help="不载入事项目录")
        parser.add_argument("--no-history", action="store_true", help="不生成近十二个月的历史办件")
        parser.add_argument("--allow-production", action="store_true",
                            help="在生产模式下也载入（演示账户使用公开的密码，慎用）")

    def handle(self, *args, **options):
        if settings.ZHENGWU_ENV == "production" and not options["allow_production"]:
            raise CommandError("生产模式下不载入演示数据（演示账户的密码是公开的）/ refusing to seed demo data in "
                               "production; pass --allow-production to override")
        try:
            summary = demo_seed(with_calendar=not options["no_calendar"], with_catalog=not options["no_catalog"])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(line)
        if not options["no_history"] and not options["no_catalog"]:
            from zhengwu.supervision.history import history_generate

            added = history_generate()
            self.stdout.write(f"  历史办件：新增 {added} 件" if added else "  历史办件已存在，未作修改")
            if added:
                from zhengwu.supervision.history import history_supervision_record

                made = history_supervision_record()
                self.stdout.write("  历史监察记录：" + "，".join(f"{k} {v}" for k, v in made.items()))
