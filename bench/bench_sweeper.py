"""Benchmark: one clock-sweeper tick with 1,000 due clocks among 100,000 and among 1,000,000 open clocks.

Standalone: a temporary SQLite database (or a throwaway database given with --database-url) is
migrated and filled with clocks by INSERT … SELECT (no ORM loop). The clocks have a bench kind that
falls through to the default audit-only handler, so the tick measures the sweeper's own path: find
through the index, claim, fire the warning and overdue events once, reschedule.
Prints the tick time at both sizes and their ratio. Target: the two within 2× of each other (the
sweeper finds due clocks through the index on next_event_at, so the open-clock count must not matter).

    .venv/bin/python bench/bench_sweeper.py [--due 1000] [--small 100000] [--large 1000000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup_django  # noqa: E402  (needs ROOT on the path)


def insert_clocks(first_id: int, count: int, *, due: bool, ct_id: int) -> None:
    """Bulk-insert `count` running clocks; due ones have their warning and deadline in the past."""
    from django.db import connection

    if due:
        warn, deadline, nxt = "2026-03-05 16:00:00", "2026-03-09 16:00:00", "2026-03-05 16:00:00"
    else:
        warn, deadline, nxt = "2027-03-05 16:00:00", "2027-03-09 16:00:00", "2027-03-05 16:00:00"
    cols = ("id, created_at, updated_at, owner_type_id, owner_id, kind, budget_value, budget_unit, started_at, "
            "status, calendar_version, due_at, due_date, warn_at, next_event_at, next_event_kind, note")
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            tz = "+00"
            cur.execute(
                f"INSERT INTO workcalendar_clock ({cols}) SELECT g, now(), now(), %s, g::text, 'bench.noop', 5, "
                f"'working_days', '2026-03-02 01:00:00{tz}', 'running', 1, '{deadline}{tz}', '2026-03-09', "
                f"'{warn}{tz}', '{nxt}{tz}', 'warning', '' FROM generate_series(%s, %s) g",
                [ct_id, first_id, first_id + count - 1])
            cur.execute("SELECT setval(pg_get_serial_sequence('workcalendar_clock', 'id'), %s)",
                        [first_id + count])
        else:
            cur.execute(
                f"WITH RECURSIVE g(n) AS (SELECT %s UNION ALL SELECT n + 1 FROM g WHERE n < %s) "
                f"INSERT INTO workcalendar_clock ({cols}) SELECT n, '2026-03-02 01:00:00', '2026-03-02 01:00:00', %s, "
                f"CAST(n AS TEXT), 'bench.noop', 5, 'working_days', '2026-03-02 01:00:00', 'running', 1, "
                f"'{deadline}', '2026-03-09', '{warn}', '{nxt}', 'warning', '' FROM g",
                [first_id, first_id + count - 1, ct_id])


def tick_ms(repeat_due: int, ct_id: int, next_id: int) -> tuple[float, int]:
    from datetime import datetime

    from zhengwu.workcalendar.sweeper import sweep_once

    insert_clocks(next_id, repeat_due, due=True, ct_id=ct_id)
    begin = time.perf_counter()
    result = sweep_once(now=datetime(2026, 3, 20, tzinfo=UTC))
    elapsed = (time.perf_counter() - begin) * 1000
    if result.claimed != repeat_due or result.errors:
        raise SystemExit(f"sweeper claimed {result.claimed} of {repeat_due} (errors {result.errors})")
    return elapsed, result.fired


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="", help="a throwaway database (default: temporary SQLite)")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL cluster (as ./dev test)")
    args = parser.parse_args()
    cluster = None
    if args.postgres and not args.database_url:
        from bench_bulletin import Cluster

        cluster = Cluster()
        args.database_url = cluster.start()
    try:
        return run(args)
    finally:
        if cluster is not None:
            cluster.stop()


def run(args) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        from django.contrib.contenttypes.models import ContentType
        from django.db import connection

        from zhengwu.supervision.models import SupervisionOrder

        ct_id = ContentType.objects.get_for_model(SupervisionOrder).pk
        print(f"database: {connection.vendor}")
        begin = time.perf_counter()
        insert_clocks(1, args.small, due=False, ct_id=ct_id)
        print(f"inserted {args.small:,} open clocks in {time.perf_counter() - begin:.1f} s")
        small_ms, fired = tick_ms(args.due, ct_id, 10_000_001)
        print(f"tick with {args.due:,} due among {args.small + args.due:,}: {small_ms:,.0f} ms "
              f"({fired} events, {small_ms / args.due:.2f} ms per clock)")
        begin = time.perf_counter()
        insert_clocks(args.small + 1, args.large - args.small, due=False, ct_id=ct_id)
        print(f"inserted {args.large - args.small:,} more open clocks in {time.perf_counter() - begin:.1f} s")
        large_ms, fired = tick_ms(args.due, ct_id, 20_000_001)
        print(f"tick with {args.due:,} due among {args.large + 2 * args.due:,}: {large_ms:,.0f} ms "
              f"({fired} events, {large_ms / args.due:.2f} ms per clock)")
        ratio = large_ms / small_ms
        ok = ratio < 2
        print(f"ratio large/small: {ratio:.2f}× — target within 2×: {'met' if ok else 'NOT met'}")
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
