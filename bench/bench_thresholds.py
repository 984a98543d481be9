"""Benchmark: saving a per-item-type warning threshold recomputes every open clock of that item type.

Standalone: a temporary SQLite database (or a throwaway database given with --database-url) is
migrated; open accepted cases of one 行政许可 item are imported in bulk (`history.case_history_import`,
two clocks each), then `services.warning_threshold_set` changes the promised clock's threshold, which
recomputes every open promised clock in one transaction (ClockRecalculation + audit per moved clock).
Prints the time at both sizes, per clock, and their ratio. Target: linear (ratio ≈ size ratio), and a
county's open clocks of one item type (hundreds) recomputed well under a second.

    .venv/bin/python bench/bench_thresholds.py [--small 500] [--large 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup_django  # noqa: E402  (needs ROOT on the path)


def world():
    from zhengwu.catalog.tests.factories import published_item
    from zhengwu.org.models import Position, ServiceCentre
    from zhengwu.org.tests.factories import (
        CentreFactory,
        DepartmentFactory,
        RegionFactory,
        StaffPostFactory,
        UserFactory,
    )
    from zhengwu.workcalendar.testing import seed_calendar

    seed_calendar([2026])
    county = RegionFactory.create(code="330729", name="清溪县", parent=None)
    centre = CentreFactory.create(name="清溪县政务服务中心", kind=ServiceCentre.Kind.COUNTY, region=county)
    dept = DepartmentFactory.create(name="清溪县市场监督管理局", short_name="县市场监督管理局", region=county,
                                    centre=centre, uscc="11330729002500017H")
    supervisor = UserFactory.create(username="bench_supervisor", real_name="监察员")
    StaffPostFactory.create(user=supervisor, position=Position.SUPERVISOR, centre=centre)
    item = published_item(dept, name="食品经营许可", legal_limit_value=20, promised_limit_value=10, themes=[])
    return dept, item, supervisor


def import_open_cases(dept, item, start: int, count: int) -> None:
    from zoneinfo import ZoneInfo

    from zhengwu.supervision.history import HistoricalCase, case_history_import

    sh = ZoneInfo("Asia/Shanghai")
    rows = []
    for i in range(start, start + count):
        at = dt.datetime(2026, 9, 1, 9, tzinfo=sh) + dt.timedelta(days=i % 60, minutes=i % 400)
        rows.append(HistoricalCase(case_no=f"BENCH{i:07d}", item_version_id=item.current_version_id,
                                   department_id=dept.pk, received_at=at, accepted_at=at, status="accepted"))
    for chunk in range(0, len(rows), 1000):
        case_history_import(actor="bench", rows=rows[chunk:chunk + 1000])


def measure(supervisor, before: int) -> tuple[float, int]:
    from zhengwu.supervision.services import warning_threshold_set

    t = time.perf_counter()
    _, moved = warning_threshold_set(actor=supervisor, item_type="01", clock_kind="case.promised",
                                     before_days=before, used_percent=None)
    return time.perf_counter() - t, moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(args.database_url or f"sqlite:///{tmp}/bench.sqlite3")
        dept, item, supervisor = world()
        import_open_cases(dept, item, 0, args.small)
        small, moved_small = measure(supervisor, 5)
        import_open_cases(dept, item, args.small, args.large - args.small)
        large, moved_large = measure(supervisor, 3)
    print(f"threshold change, {moved_small:>6} open clocks moved: {small * 1000:8.1f} ms "
          f"({small / max(moved_small, 1) * 1e6:.0f} µs per clock)")
    print(f"threshold change, {moved_large:>6} open clocks moved: {large * 1000:8.1f} ms "
          f"({large / max(moved_large, 1) * 1e6:.0f} µs per clock)")
    print(f"ratio large/small: {large / small:.2f} for {moved_large / max(moved_small, 1):.2f}× the clocks")


if __name__ == "__main__":
    main()
