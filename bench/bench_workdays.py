"""Benchmark: add_working_days over the precomputed index vs chinese_calendar.find_workday.

Standalone: a temporary SQLite database is migrated and seeded from chinesecalendar, then both
functions run on the same random start dates (2005–2025) for N = 20 and N = 200 working days.
Prints µs per call for each, the ratio, and how often the answers agree on working-day starts
(find_workday counts a non-working start day as day 0, so only working-day starts compare).
Target (DESIGN.md §3): < 5 µs per call whatever N, > 200× faster than find_workday at N = 20.

    .venv/bin/python bench/bench_workdays.py [--calls 20000] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(db_path: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["ZHENGWU_ENV"] = "test"
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def per_call_us(fn, starts, n: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        begin = time.perf_counter()
        for d in starts:
            fn(d, n)
        best = min(best, time.perf_counter() - begin)
    return best / len(starts) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000, help="start dates per N for our function")
    parser.add_argument("--baseline-calls", type=int, default=2000, help="start dates per N for find_workday")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp) / "bench.sqlite3")
        import chinese_calendar

        from zhengwu.workcalendar import workdays
        from zhengwu.workcalendar.testing import seed_calendar

        begin = time.perf_counter()
        seed_calendar()
        seed_ms = (time.perf_counter() - begin) * 1000
        workdays._cache.clear()
        begin = time.perf_counter()
        workdays.calendar_index(fresh=True)
        build_ms = (time.perf_counter() - begin) * 1000

        rng = random.Random(args.seed)
        first, span = date(2005, 1, 1), (date(2025, 12, 31) - date(2005, 1, 1)).days
        starts = [first + timedelta(days=rng.randrange(span + 1)) for _ in range(args.calls)]
        base_starts = starts[: args.baseline_calls]

        def ours(d, n):
            return workdays.add_working_days(d, n)

        def theirs(d, n):
            return chinese_calendar.find_workday(n, d)

        print(f"seed calendar (23 years, bulk insert): {seed_ms:.0f} ms; build index: {build_ms:.1f} ms")
        print(f"{'N':>5} {'add_working_days':>18} {'find_workday':>14} {'ratio':>9} {'agree':>12}")
        worst = 0.0
        ratio20 = 0.0
        for n in (20, 200):
            ours_us = per_call_us(ours, starts, n)
            theirs_us = per_call_us(theirs, base_starts, n, repeat=1)
            working = [d for d in base_starts if chinese_calendar.is_workday(d)]
            agree = sum(ours(d, n) == theirs(d, n) for d in working)
            ratio = theirs_us / ours_us
            worst = max(worst, ours_us)
            if n == 20:
                ratio20 = ratio
            print(f"{n:>5} {ours_us:>15.2f} µs {theirs_us:>11.1f} µs {ratio:>8.0f}× {agree:>5}/{len(working):<6}")
        ok = worst < 5 and ratio20 > 200
        print(f"target < 5 µs per call and > 200× at N=20: {'met' if ok else 'NOT met'}")
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
