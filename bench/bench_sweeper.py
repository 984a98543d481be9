"""Benchmark: the clock sweeper's throughput (events fired per second) in one process.

Standalone: a temporary SQLite database is migrated and seeded; N clocks are started with a
3-working-day budget on 2025-09-26, then one `sweep_once` at 2025-12-01 fires their warning and
overdue events (claim, ClockEvent insert, default audit handler, next event) and a second tick
proves nothing fires twice. Also times `clock_start`. The baseline, measured in the same run on
the same database, is a bare Django ORM single-row create in its own transaction (DESIGN.md §2
measured ≈ 3,100 tx/s on an idle machine of this kind): one clock claim is one transaction of about
17 statements (claim, load, fired-events check, two events each with a chained audit row, next
event), so the ratio says how many bare inserts one claim costs.

    .venv/bin/python bench/bench_sweeper.py [--clocks 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clocks", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        os.environ["ZHENGWU_ENV"] = "test"
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        import django

        django.setup()
        import time_machine
        from django.core.management import call_command
        from django.utils import timezone

        call_command("migrate", verbosity=0, interactive=False)
        from django.db import transaction

        from zhengwu.accounts.models import User
        from zhengwu.core.models import Heartbeat
        from zhengwu.workcalendar.models import ClockEvent, Unit
        from zhengwu.workcalendar.services import clock_start
        from zhengwu.workcalendar.sweeper import sweep_once
        from zhengwu.workcalendar.testing import seed_calendar

        seed_calendar()
        begin = time.perf_counter()
        for i in range(args.clocks):
            with transaction.atomic():
                Heartbeat.objects.create(name=f"bench-{i}", beat_at=timezone.now(), started_at=timezone.now())
        baseline = args.clocks / (time.perf_counter() - begin)
        tz = timezone.get_default_timezone()
        owner = User.objects.create(username="bench-owner")
        with time_machine.travel(datetime(2025, 9, 26, 10, tzinfo=tz), tick=False):
            begin = time.perf_counter()
            for _ in range(args.clocks):
                clock_start(actor="bench", owner=owner, kind="bench.clock", budget_value=3,
                            budget_unit=Unit.WORKING_DAYS)
            start_s = time.perf_counter() - begin
        now = datetime(2025, 12, 1, 9, tzinfo=tz)
        begin = time.perf_counter()
        first = sweep_once(now=now)
        sweep_s = time.perf_counter() - begin
        second = sweep_once(now=now)
        claims_per_s = first.claimed / sweep_s
        print(f"clock_start: {args.clocks / start_s:,.0f} clocks/s ({start_s / args.clocks * 1000:.2f} ms each)")
        print(f"sweep_once: {first.claimed} clocks claimed, {first.fired} events in {sweep_s:.2f} s = "
              f"{claims_per_s:,.0f} claims/s, {first.fired / sweep_s:,.0f} events/s")
        print(f"baseline ORM single-row create, same run: {baseline:,.0f} tx/s; ratio claims/baseline = "
              f"{claims_per_s / baseline:.3f} (one claim costs ≈ {baseline / claims_per_s:.0f} bare inserts)")
        print(f"second tick fired {second.fired} (must be 0); ClockEvent rows {ClockEvent.objects.count()}")
        ok = second.fired == 0 and first.fired == 2 * args.clocks
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
