"""Benchmark: cases carried from application to completion per second through the service layer.

Standalone. Each database runs in its own worker processes (Django reads DATABASE_URL once):
a temporary SQLite file, and PostgreSQL — a throwaway cluster (initdb in a temporary directory,
loopback) with PostgreSQL's default, production durability: fsync, synchronous_commit and
full_page_writes on, as a service centre runs it and as the issue's baseline was measured
(pgbench ≈ 2,500 tps "here"; 2,052 tps measured on this machine's disk on 2026-12-04, against
≈ 5,500 tps with fsync off). --no-durability starts the cluster as ./dev does for the tests (fsync,
synchronous_commit and full_page_writes off) to show that case too. Or the database given with
--database-url (it is migrated and written to: use a throwaway one). On that PostgreSQL, `pgbench` (TPC-B-like,
`pgbench -i -s 10`, then `pgbench -c 2 -j 2 -T 20`) gives the baseline of the same machine in
the same run; the cases run with the same number of concurrent clients (--clients, default 2)
on PostgreSQL, and one client on SQLite (one writer at a time).

Two paths, each through cases/services.py only:
- 承诺件: submit → accept → review step → decision step → approve → certificate (SM2-signed
  电子证照) → collection at the window (办结);
- 即办件: submit → accept (decided on the spot, §34) → collection (办结).

The platform's production setting is used: 文书 and certificate PDFs are written after the
issuing transaction by the clock process (zhengwu.documents.jobs), and SMS wait in the outbox the
transaction wrote (zhengwu.notify.Outgoing) for the clock process to send; both queues are drained
after the run and their rates printed on their own lines, so their cost is shown, not hidden.

Prints per database: cases/s, service calls/s and status transitions/s (CaseEvents whose status
changed), the rate of a plain Django ORM insert (one per transaction, one client: the issue's other
yardstick, ≈ 1,200/s on PostgreSQL) with what a transition costs in such inserts, the queries each
service call issues (CaptureQueriesContext, one warm case), the PDFs written per second, and the
ratio of transitions/s to pgbench's tps. Target: transitions/s ≥ ¼ of
pgbench's tps.

    .venv/bin/python bench/bench_cases.py [--cases 60] [--immediate 60] [--clients 2]
                                          [--pgbench-seconds 20] [--database-url postgres://…]
                                          [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402  (needs ROOT on the path)
from bench.common import ThrowawayPostgres  # noqa: E402

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LICENCE_TYPE = "11100000000013338W001"


# ------------------------------------------------------------------------------------------------
# Worker: one database, one process


def setup_django(database_url: str, media: Path) -> None:
    os.environ["MEDIA_ROOT"] = str(media)
    common.setup_django(database_url, migrate=False)
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ZHENGWU_DOCUMENTS_DEFERRED = True  # production: PDFs are written by the clock process
    settings.ZHENGWU_NOTIFY_DEFERRED = True  # production: SMS and e-mail are sent by the clock process
    settings.ZHENGWU_NOTIFY_BACKENDS = {"sms": "zhengwu.notify.backends.LocmemBackend",
                                        "email": "zhengwu.notify.backends.LocmemBackend"}


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def load_world():
    """The world build_world made, looked up by its fixed names (in a run worker)."""
    from zhengwu.accounts.models import User
    from zhengwu.catalog.models import ServiceItem
    from zhengwu.org.models import Position

    people: dict[str, User] = {p: User.objects.get(username=f"bench_{p}")
                               for p in (Position.CLERK, Position.REVIEWER, Position.CHIEF_REPRESENTATIVE,
                                         Position.LEADER)}
    people["applicant"] = User.objects.get(username="13900000000")
    promised = ServiceItem.objects.select_related("current_version").get(current_version__name="食品经营许可（新办）")
    immediate = ServiceItem.objects.select_related("current_version").get(current_version__name="个体工商户名称登记")
    return people, promised, immediate


def build_world():
    """A county, a department with one person per position, a 承诺件 with two review steps and a
    licence type, and a 即办件 — all through services, like the test personas."""
    from zhengwu.accounts.models import User
    from zhengwu.cases import services
    from zhengwu.catalog.codes import CaseKind
    from zhengwu.catalog.tests.factories import published_item
    from zhengwu.licences.services import licence_type_create
    from zhengwu.org.models import Department, Position, Region, ServiceCentre, StaffPost, Window
    from zhengwu.workcalendar.testing import seed_calendar

    seed_calendar([2025, 2026])
    region = Region.objects.create(code="330729", name="清溪县", level=Region.Level.COUNTY)
    centre = ServiceCentre.objects.create(name="清溪县政务服务中心", kind=ServiceCentre.Kind.COUNTY, region=region)
    dept = Department.objects.create(name="清溪县市场监督管理局", short_name="县市场监督管理局", region=region,
                                     centre=centre, uscc="11330729002500017H")
    window = Window.objects.create(centre=centre, number="01", name="市场监管窗口", department=dept)
    people: dict[str, User] = {}
    for position in (Position.CLERK, Position.REVIEWER, Position.CHIEF_REPRESENTATIVE, Position.LEADER):
        user = User.objects.create_user(username=f"bench_{position}", password="x-Bench-2026", real_name="测试")
        StaffPost.objects.create(user=user, position=position, department=dept,
                                 window=window if position == Position.CLERK else None)
        people[position] = user
    people["applicant"] = User.objects.create_user(username="13900000000", password="x-Bench-2026",
                                                   real_name="张三", kind=User.Kind.APPLICANT)
    promised = published_item(dept, name="食品经营许可（新办）", steps=[
        {"order": 1, "name": "审查", "role": Position.REVIEWER, "budget_days": 2},
        {"order": 2, "name": "决定", "role": Position.CHIEF_REPRESENTATIVE, "budget_days": 1}])
    immediate = published_item(dept, name="个体工商户名称登记", case_kind=CaseKind.IMMEDIATE, promised_limit_value=0,
                               steps=[{"order": 1, "name": "审核", "role": Position.CLERK, "budget_days": 0}])
    licence_type_create(actor="bench", code=LICENCE_TYPE, name="食品经营许可证")
    services.case_item_policy_set(actor=people[Position.LEADER], item_id=promised.pk, deemed_approval_enabled=False,
                                  joint_handling=False, licence_type_code=LICENCE_TYPE, validity_years=5)
    return people, promised, immediate


def _paths(people, promised, immediate):
    from zhengwu.cases import services
    from zhengwu.cases.models import ApplicantType, Delivery, IdType
    from zhengwu.cases.services import ApplicantInput, MaterialInput
    from zhengwu.org.models import Position

    clerk, reviewer = people[Position.CLERK], people[Position.REVIEWER]
    chief, applicant = people[Position.CHIEF_REPRESENTATIVE], people["applicant"]
    person = ApplicantInput(applicant_type=ApplicantType.PERSON, name="张三", id_type=IdType.ID_CARD,
                            id_number="11010519491231002X", phone="13912345678")

    def materials(item):
        return [MaterialInput(requirement_id=r.pk, content=PDF, filename="a.pdf")
                for r in item.current_version.materials.all()]

    # The applicant's form (files read, materials listed) is ready before the call, as it is when the
    # portal submits it: only the service call is timed.
    promised_files, immediate_files = materials(promised), materials(immediate)

    def promised_path(key: str):
        holder = {}

        def submit():
            holder["no"] = services.case_submit(actor=applicant, item_id=promised.pk, applicant=person,
                                                materials=promised_files, idempotency_key=key).case_no
        return [
            ("case_submit", submit),
            ("case_accept", lambda: services.case_accept(actor=clerk, case_no=holder["no"])),
            ("case_step_pass (审查)", lambda: services.case_step_pass(actor=reviewer, case_no=holder["no"],
                                                                     opinion="符合")),
            ("case_step_pass (决定)", lambda: services.case_step_pass(actor=chief, case_no=holder["no"],
                                                                     opinion="拟准予")),
            ("case_decide", lambda: services.case_decide(actor=chief, case_no=holder["no"], outcome="approve")),
            ("case_issue_certificate", lambda: services.case_issue_certificate(actor=clerk, case_no=holder["no"])),
            ("case_deliver", lambda: services.case_deliver(actor=clerk, case_no=holder["no"],
                                                           method=Delivery.Method.COLLECTION)),
        ]

    def immediate_path(key: str):
        holder = {}

        def submit():
            holder["no"] = services.case_submit(actor=applicant, item_id=immediate.pk, applicant=person,
                                                materials=immediate_files, idempotency_key=key).case_no
        return [
            ("case_submit", submit),
            ("case_accept (即办)", lambda: services.case_accept(actor=clerk, case_no=holder["no"])),
            ("case_deliver", lambda: services.case_deliver(actor=clerk, case_no=holder["no"],
                                                           method=Delivery.Method.COLLECTION)),
        ]

    return promised_path, immediate_path


def _shape(sql: str) -> str:
    """The query with its literals removed, to find the same lookup issued again and again."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    sql = re.sub(r"IN \([^)]*\)", "IN (…)", sql)
    return sql[:150]


def _count_queries(path) -> list[tuple[str, int, list[tuple[int, str]]]]:
    from collections import Counter

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    out = []
    for name, call in path:
        with CaptureQueriesContext(connection) as ctx:
            call()
        repeated = Counter(_shape(q["sql"]) for q in ctx.captured_queries)
        out.append((name, len(ctx.captured_queries), [(n, sql) for sql, n in repeated.most_common(4) if n > 1]))
    return out


def _run(make_path, n: int, prefix: str) -> dict:
    from django.db.models import F

    from zhengwu.cases.models import CaseEvent

    calls = 0
    per_call: dict[str, float] = {}
    began_at = time.perf_counter()
    begin = began_at
    for i in range(n):
        for name, call in make_path(f"{prefix}-{i}"):
            started = time.perf_counter()
            call()
            per_call[name] = per_call.get(name, 0.0) + time.perf_counter() - started
            calls += 1
    elapsed = time.perf_counter() - begin
    # This client's own cases only (other clients run at the same time).
    mine = CaseEvent.objects.filter(case__idempotency_key__startswith=f"{prefix}-")
    transitions = mine.exclude(from_status=F("to_status")).count()
    return {"cases": n, "seconds": elapsed, "calls": calls, "transitions": transitions,
            "began_at": began_at, "ended_at": began_at + elapsed, "events": mine.count(),
            "ms_per_call": {name: total / max(n, 1) * 1000 for name, total in per_call.items()},
            "cases_per_s": n / elapsed, "calls_per_s": calls / elapsed, "transitions_per_s": transitions / elapsed}


def _status_changes() -> int:
    from django.db.models import F

    from zhengwu.cases.models import CaseEvent

    return CaseEvent.objects.exclude(from_status=F("to_status")).count()


BENCH_MOMENT = (2026, 3, 2, 9, 0)  # Monday 09:00, a working week far from holidays and unpublished years


def _travel():
    import datetime as dt
    from zoneinfo import ZoneInfo

    import time_machine

    return time_machine.travel(dt.datetime(*BENCH_MOMENT, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True)


def prepare(database_url: str) -> dict:
    """Migrate, build the world, warm it with two cases per path, count the queries of one case."""
    media = Path(os.environ["BENCH_MEDIA"])
    setup_django(database_url, media)
    migrate()
    from django.db import connection

    with _travel():
        people, promised, immediate = build_world()
        promised_path, immediate_path = _paths(people, promised, immediate)
        for i in range(2):
            for _n, call in promised_path(f"warm-p-{i}"):
                call()
            for _n, call in immediate_path(f"warm-i-{i}"):
                call()
        queries = {"promised": _count_queries(promised_path("q-p")),
                   "immediate": _count_queries(immediate_path("q-i"))}
    _drain()
    return {"vendor": connection.vendor, "queries": queries}


def run(database_url: str, n_promised: int, n_immediate: int, client: int, start_at: float) -> dict:
    """One client: carry its share of cases; all clients start at the same wall-clock moment."""
    media = Path(os.environ["BENCH_MEDIA"])
    setup_django(database_url, media)
    delay = start_at - time.time()  # real time, before travelling
    if delay > 0:
        time.sleep(delay)
    with _travel():
        people, promised, immediate = load_world()
        promised_path, immediate_path = _paths(people, promised, immediate)
        return {"promised": _run(promised_path, n_promised, f"c{client}-p"),
                "immediate": _run(immediate_path, n_immediate, f"c{client}-i")}


def _until_empty(work) -> tuple[int, float]:
    """Call `work(limit=200)` until it handles nothing; (items handled, seconds)."""
    begin = time.perf_counter()
    done = 0
    while handled := work(limit=200):
        done += handled
    return done, time.perf_counter() - begin


def _drain() -> dict:
    from zhengwu.documents.jobs import documents_render_pending
    from zhengwu.notify.services import notify_outgoing_send

    written, seconds = _until_empty(documents_render_pending)
    sent, send_seconds = _until_empty(notify_outgoing_send)
    return {"documents": written, "seconds": seconds, "per_s": written / seconds if seconds else 0.0,
            "messages": sent, "send_seconds": send_seconds,
            "send_per_s": sent / send_seconds if send_seconds else 0.0}


def plain_inserts(n: int = 1000) -> dict:
    """The issue's second yardstick: one plain Django ORM insert per transaction (autocommit), one
    client, the same database, after the run. A rendered RenderJob row: no foreign key, not queued."""
    from django.utils import timezone as tz

    from zhengwu.documents.models import RenderJob

    now = tz.now()
    begin = time.perf_counter()
    for i in range(n):
        RenderJob.objects.create(renderer="notice", model_label="bench.plain", object_id=str(i), field_name="pdf",
                                 filename="plain.pdf", created_at=now, rendered_at=now)
    seconds = time.perf_counter() - begin
    RenderJob.objects.filter(model_label="bench.plain").delete()
    return {"inserts": n, "seconds": seconds, "per_s": n / seconds}


def drain(database_url: str) -> dict:
    setup_django(database_url, Path(os.environ["BENCH_MEDIA"]))
    with _travel():
        return {**_drain(), "plain": plain_inserts()}


# ------------------------------------------------------------------------------------------------
# Orchestrator: SQLite, PostgreSQL, pgbench


def pgbench(database_url: str, seconds: int) -> float:
    exe = shutil.which("pgbench") or next((str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))),
                                          None)
    if exe is None:
        raise RuntimeError("pgbench is missing (Debian: postgresql-contrib / postgresql)")
    subprocess.run([exe, "-i", "-s", "10", "-q", database_url], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    out = subprocess.run([exe, "-c", "2", "-j", "2", "-T", str(seconds), database_url], check=True,
                         capture_output=True, text=True).stdout
    subprocess.run([exe, "-i", "-I", "d", database_url], check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    match = re.search(r"tps = ([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"cannot read pgbench output:\n{out}")
    return float(match.group(1))


def _spawn(*argv: str, media: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "BENCH_MEDIA": media}
    return subprocess.Popen([sys.executable, __file__, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def _result(proc: subprocess.Popen, what: str) -> dict:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{err[-4000:]}")
    return json.loads(out.strip().splitlines()[-1])


def _merge(parts: list[dict], wall: float) -> dict:
    """Several clients' results as one: counts added, rates over the common wall-clock time."""
    counts = {key: sum(part[key] for part in parts) for key in ("cases", "calls", "transitions")}
    ms_per_call: dict[str, float] = {}
    for part in parts:
        for name, ms in part["ms_per_call"].items():
            ms_per_call[name] = ms_per_call.get(name, 0.0) + ms / len(parts)
    return {**counts, "seconds": wall, "ms_per_call": ms_per_call, "cases_per_s": counts["cases"] / wall,
            "calls_per_s": counts["calls"] / wall, "transitions_per_s": counts["transitions"] / wall}


def run_database(database_url: str, args, clients: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-media-") as media:
        data = _result(_spawn("--prepare", database_url, media=media), "prepare")
        start_at = time.time() + 3.0  # every client imported Django and is waiting by then
        procs = [_spawn("--run", database_url, "--client", str(c), "--cases", str(args.cases // clients),
                        "--immediate", str(args.immediate // clients), "--start-at", str(start_at), media=media)
                 for c in range(clients)]
        parts = [_result(p, f"client {c}") for c, p in enumerate(procs)]
        for kind in ("promised", "immediate"):
            # The clients ran the promised paths first, then the immediate ones, all from start_at.
            ends = [part[kind]["ended_at"] for part in parts]
            begins = [part[kind]["began_at"] for part in parts]
            data.setdefault("results", {})[kind] = _merge([part[kind] for part in parts], max(ends) - min(begins))
        data["clients"] = clients
        data["documents"] = _result(_spawn("--drain", database_url, media=media), "drain")
    return data


def report(name: str, data: dict, tps: float | None, verbose: bool = True) -> bool:
    print(f"\n== {name} ({data['vendor']}, {data['clients']} client(s) at once) ==")
    for kind, label in (("promised", "承诺件 full path"), ("immediate", "即办件 path")):
        r = data["results"][kind]
        print(f"  {label:18} {r['cases']:4d} cases in {r['seconds']:6.2f} s: {r['cases_per_s']:7.2f} cases/s, "
              f"{r['calls_per_s']:7.1f} service calls/s, {r['transitions_per_s']:7.1f} transitions/s")
    docs = data["documents"]
    print(f"  PDFs written afterwards by the clock process: {docs['documents']} in {docs['seconds']:.2f} s "
          f"({docs['per_s']:.1f} per second, one process)")
    print(f"  SMS sent afterwards from the outbox by the clock process: {docs['messages']} in "
          f"{docs['send_seconds']:.2f} s ({docs['send_per_s']:.1f} per second, one process, test gateway)")
    plain = docs["plain"]
    one_client = data["results"]["promised"]["transitions_per_s"] / data["clients"]
    print(f"  plain Django ORM insert, one per transaction, one client: {plain['per_s']:7.1f} per second; "
          f"one client's transitions/s = {one_client:.1f}, so a transition costs ≈ "
          f"{plain['per_s'] / one_client if one_client else 0:.1f} plain inserts")
    print("  queries per service call (one warm case) and mean time per call, with the statements issued "
          "more than once:")
    for kind in ("promised", "immediate"):
        timing = data["results"][kind]["ms_per_call"]
        for call, count, repeated in data["queries"][kind]:
            print(f"    {kind:9} {call:26} {count:4d} queries  {timing.get(call, 0):7.1f} ms")
            if verbose:
                for n, sql in repeated:
                    print(f"        {n:3d}× {sql}")
    if tps is None:
        return True
    rate = data["results"]["promised"]["transitions_per_s"]
    ratio = rate / tps
    ok = ratio >= 0.25
    print(f"  pgbench TPC-B-like (-c 2 -j 2, same cluster): {tps:8.1f} tps; transitions/s ÷ pgbench tps = {ratio:.3f} "
          f"(target ≥ 0.25: {'met' if ok else 'MISSED'})")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=60, help="承诺件 carried through the full path (all clients)")
    parser.add_argument("--immediate", type=int, default=60, help="即办件 carried through (all clients)")
    parser.add_argument("--clients", type=int, default=2, help="concurrent clients on PostgreSQL (pgbench uses 2)")
    parser.add_argument("--pgbench-seconds", type=int, default=20)
    parser.add_argument("--database-url", default="", help="a throwaway PostgreSQL database instead of a new cluster")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-durability", action="store_true",
                        help="start the cluster with fsync, synchronous_commit and full_page_writes off")
    parser.add_argument("--prepare", default="", help=argparse.SUPPRESS)
    parser.add_argument("--run", default="", help=argparse.SUPPRESS)
    parser.add_argument("--drain", default="", help=argparse.SUPPRESS)
    parser.add_argument("--client", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.prepare:
        print(json.dumps(prepare(args.prepare)))
        return 0
    if args.run:
        print(json.dumps(run(args.run, args.cases, args.immediate, args.client, args.start_at)))
        return 0
    if args.drain:
        print(json.dumps(drain(args.drain)))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        # SQLite has one writer at a time: one client.
        sqlite = run_database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args, clients=1)
    ok = report("SQLite", sqlite, None)
    if args.no_postgres:
        return 0
    cluster = None
    url = args.database_url or os.environ.get("BENCH_DATABASE_URL", "")
    try:
        if not url:
            cluster = ThrowawayPostgres(durable=not args.no_durability)
            url = cluster.start()
        tps = pgbench(url, args.pgbench_seconds)
        postgres = run_database(url, args, clients=max(1, args.clients))
        ok = report("PostgreSQL", postgres, tps, verbose=False) and ok
        sqlite_ratio = sqlite["results"]["promised"]["transitions_per_s"] / tps
        print(f"\nSQLite (one client) transitions/s ÷ pgbench tps = {sqlite_ratio:.3f}")
    finally:
        if cluster is not None:
            cluster.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
