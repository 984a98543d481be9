"""Benchmark: the monthly 效能通报 (all five levels) over 1,000,000 cases on PostgreSQL.

Standalone: starts a throwaway PostgreSQL cluster in a temporary directory (as ./dev test does) unless
--database-url names a throwaway database; migrates; creates a county with 20 departments, their
windows, staff and items through the services; then inserts the cases, their decisions, two clocks
each and ratings with INSERT … SELECT over generate_series (twelve months of history). Prints the
set-up time, the bulletin time for one month and for the whole year. Target: the month under 10 s.

    .venv/bin/python bench/bench_bulletin.py [--cases 1000000] [--database-url postgres://…]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ThrowawayPostgres, setup_django  # noqa: E402  (needs ROOT on the path)


def _insert(model, values: dict[str, str], source: str, params: list) -> None:
    """INSERT INTO model's table SELECT <every concrete column> FROM source; columns not in
    `values` get their field default as a literal (blank strings, False, NULL)."""
    from django.db import connection

    cols, exprs = [], []
    for f in model._meta.concrete_fields:
        cols.append(f'"{f.column}"')
        if f.column in values:
            exprs.append(values[f.column])
        elif f.has_default() and not callable(f.default):
            default = f.default
            exprs.append("TRUE" if default is True else "FALSE" if default is False else
                         str(default) if isinstance(default, int) else "'" + str(default).replace("'", "''") + "'")
        elif f.null:
            exprs.append("NULL")
        else:
            exprs.append("''")
    select = ", ".join(exprs)
    if params:
        select = select.replace("%", "%%")  # only the source carries placeholders
    sql = f'INSERT INTO "{model._meta.db_table}" ({", ".join(cols)}) SELECT {select} FROM {source}'
    with connection.cursor() as cur:
        cur.execute(sql, params or None)


def build(cases: int) -> None:
    from django.db import connection

    from zhengwu.accounts.models import User
    from zhengwu.cases.models import Case, Decision, Rating
    from zhengwu.catalog.tests.factories import published_item
    from zhengwu.org import services as org
    from zhengwu.org.models import Position, Region, ServiceCentre
    from zhengwu.org.tests.factories import UserFactory
    from zhengwu.supervision.models import SupervisionRecord
    from zhengwu.workcalendar.models import Clock
    from zhengwu.workcalendar.testing import seed_calendar

    seed_calendar([2024, 2025, 2026])
    province = Region.objects.create(code="330000", name="浙江省", level=1)
    city = Region.objects.create(code="330700", name="金华市", level=2, parent=province)
    county = Region.objects.create(code="330729", name="清溪县", level=3, parent=city)
    centre = org.centre_create(actor="bench", name="清溪县政务服务中心", kind=ServiceCentre.Kind.COUNTY, region=county)
    from stdnum.cn import uscc

    versions, depts, windows, staff = [], [], [], []
    for i in range(20):
        body = f"11330729MB{i:07d}"
        dept = org.department_create(actor="bench", name=f"清溪县第{i + 1}局", uscc=body + uscc.calc_check_digit(body),
                                     region=county, centre=centre)
        window = org.window_create(actor="bench", centre=centre, number=f"{i + 1:02d}", name=f"第{i + 1}窗口",
                                   department=dept)
        clerk: User = UserFactory.create(username=f"clerk{i}", real_name=f"窗口{i}")
        org.staff_post_create(actor="bench", user=clerk, position=Position.CLERK, department=dept, window=window)
        for k in range(3):
            extra = {"case_kind": "1", "promised_limit_value": 0,
                     "steps": [{"order": 1, "name": "审核", "role": Position.CLERK, "budget_days": 0}]} if k == 0 \
                else {"promised_limit_value": 3 + k * 2}
            item = published_item(dept, name=f"事项{i}-{k}", themes=[], **extra)
            versions.append((item.pk, item.current_version_id, dept.pk, window.pk, clerk.pk))
        depts.append(dept.pk)
        windows.append(window.pk)
        staff.append(clerk.pk)
    n = len(versions)
    arr = lambda idx: "(ARRAY[" + ",".join(str(v[idx]) for v in versions) + "])[1 + g % " + str(n) + "]"  # noqa: E731
    received = "('2025-04-01 09:00+08'::timestamptz + (g % 365) * interval '1 day' + (g % 7) * interval '1 hour')"
    accepted = f"({received} + interval '30 minutes')"
    open_case = "(g % 20 = 0)"
    decided = f"(CASE WHEN {open_case} THEN NULL ELSE {accepted} + ((g * 7) % 9) * interval '1 day' END)"
    from zhengwu.core.fields import id_number_index

    # The number column is SM4-encrypted: one ciphertext (and its keyed index) serves every row.
    id_cipher = Case._meta.get_field("applicant_id_number").get_db_prep_save("11010519491231002X", connection)
    _insert(Case, {
        "id": "g", "case_no": "'BN' || g", "query_code": "'BENCH001'", "item_id": arr(0),
        "item_version_id": arr(1), "department_id": arr(2), "window_id": arr(3), "first_responder_id": arr(4),
        "applicant_type": "'person'", "applicant_name": "'张三'", "applicant_id_type": "'id_card'",
        "applicant_id_number": f"'{id_cipher}'", "applicant_id_index": f"'{id_number_index('11010519491231002X')}'",
        "channel": "'window'",
        "status": f"CASE WHEN {open_case} THEN 'accepted' ELSE 'completed' END", "version": "1",
        "created_at": received, "received_at": received, "accepted_at": accepted, "decided_at": decided,
        "completed_at": decided, "completed_on_site": "(g % 10 <> 0)",
        "decision": f"CASE WHEN {open_case} THEN '' ELSE 'approve' END",
    }, "generate_series(1, %s) g", [cases])
    _insert(Decision, {"id": "c.id", "case_id": "c.id", "outcome": "'approve'", "reasons": "'符合条件'",
                       "decided_by_id": "c.first_responder_id", "decided_at": "c.decided_at", "deemed": "FALSE"},
            "cases_case c WHERE c.decided_at IS NOT NULL", [])
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(Case).pk
    for offset, kind, days in ((0, "case.legal", 28), (cases, "case.promised", 7)):
        _insert(Clock, {
            "id": f"c.id + {offset}", "created_at": "c.accepted_at", "updated_at": "c.accepted_at",
            "owner_type_id": str(ct), "owner_id": "c.id::text", "kind": f"'{kind}'", "budget_value": "5",
            "budget_unit": "'working_days'", "started_at": "c.accepted_at",
            "status": "CASE WHEN c.decided_at IS NULL THEN 'running' ELSE 'completed' END",
            "calendar_version": "1", "due_at": f"date_trunc('day', c.accepted_at) + interval '{days} days'",
            "due_date": f"(c.accepted_at + interval '{days - 1} days')::date",
            "warn_at": f"date_trunc('day', c.accepted_at) + interval '{days - 2} days'",
            "ended_at": "c.decided_at", "note": "''", "next_event_kind": "''",
        }, "cases_case c", [])
    _insert(Rating, {"id": "c.id", "case_id": "c.id",
                     "level": "(ARRAY['very_satisfied','satisfied','basically_satisfied','dissatisfied',"
                              "'very_dissatisfied'])[1 + (c.id * 13) % 5]",
                     "channel": "'hall_tablet'", "rated_at": "c.decided_at + interval '5 minutes'", "comment": "''"},
            "cases_case c WHERE c.decided_at IS NOT NULL AND c.id % 5 < 2", [])
    _insert(SupervisionRecord, {
        "id": "c.id", "number": "'JC' || c.id", "rule_code": "'W02'", "rule_version": "1", "warning_type": "'2'",
        "severity": "'red'", "occurred_at": "c.accepted_at + interval '8 days'", "recorded_at": "now()",
        "department_id": "c.department_id", "window_id": "c.window_id", "responsible_user_id": "c.first_responder_id",
        "case_id": "c.id", "description": "'超期'", "evidence": "'{}'::jsonb", "dedup_key": "'bench:' || c.id",
        "status": "'open'"}, "cases_case c WHERE c.id % 50 = 0", [])
    with connection.cursor() as cur:
        for table in ("cases_case", "cases_decision", "workcalendar_clock", "cases_rating",
                      "supervision_supervisionrecord"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cur.execute("ANALYZE")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="", help="a throwaway PostgreSQL database")
    args = parser.parse_args()
    cluster = None
    url = args.database_url
    try:
        if not url:
            cluster = ThrowawayPostgres(durable=False, options="-c shared_buffers=256MB -c work_mem=64MB "
                                                                "-c maintenance_work_mem=256MB")
            url = cluster.start()
        setup_django(url)
        from zhengwu.supervision.bulletin import Period, bulletin_compute

        begin = time.perf_counter()
        build(args.cases)
        print(f"set-up: {args.cases:,} cases with decisions, 2 clocks each, ratings: "
              f"{time.perf_counter() - begin:.0f} s")
        bulletin_compute(Period.month(2025, 6))  # warm the calendar index and the connection
        times = []
        for month in (3, 2):
            begin = time.perf_counter()
            b = bulletin_compute(Period.month(2026, month))
            times.append(time.perf_counter() - begin)
        month_s = min(times)
        print(f"monthly bulletin (2026-03, 5 levels): {month_s:.2f} s; received "
              f"{b.total.values['received']:,}, completed {b.total.values['completed']:,}")
        from datetime import date

        begin = time.perf_counter()
        year = bulletin_compute(Period.days(date(2025, 4, 1), date(2026, 3, 31)))
        print(f"yearly bulletin (12 months): {time.perf_counter() - begin:.2f} s; "
              f"received {year.total.values['received']:,}")
        ok = month_s < 10
        print(f"target monthly bulletin < 10 s over {args.cases:,} cases: {'met' if ok else 'NOT met'} "
              f"({month_s / 10:.2f} of the budget)")
        return 0 if ok else 1
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    raise SystemExit(main())
