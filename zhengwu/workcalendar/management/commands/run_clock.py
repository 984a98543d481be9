"""The clock sweeper: fires warning / overdue / deemed-decision events exactly once."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from zhengwu.workcalendar.sweeper import run_forever


class Command(BaseCommand):
    help = "时钟清扫进程：按 next_event_at 索引找出到期时钟，原子认领并触发事件；SIGTERM/SIGINT 时完成本轮后退出"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="只运行一轮")
        parser.add_argument("--interval", type=float, default=None,
                            help="轮询间隔秒数（默认 settings.ZHENGWU['SWEEPER_INTERVAL_SECONDS']）")

    def handle(self, *args, **options):
        ticks = run_forever(interval=options["interval"], once=options["once"], stdout=self.stdout)
        if not options["once"]:
            self.stdout.write(f"时钟清扫进程退出，共运行 {ticks} 轮")
