"""Per-request cost of each kind of the load test's mixed phase (bench/load_test.py), one at a time in
one process: the same settings (bench/load_app.py), the same demo county on a throwaway PostgreSQL
cluster (or --database-url), the same requests (progress query, guide page, the clerk's workbench,
walk-in registration and its acceptance through the API). Prints per kind the median wall and CPU
time and the number of SQL queries; --profile KIND adds cProfile's top functions for that kind.
Documents are deferred as in production (bench/load_app.py): their PDFs are the clock process's
work, not counted here.

    .venv/bin/python bench/load_profile.py --repeat 30 [--profile staff]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_test import CSRF_TOKEN, PDF, run_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--profile", choices=["progress", "guide", "staff", "walk_in", "accept"], default=None)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--no-seed", action="store_true", help="the database at --database-url is seeded already")
    args = parser.parse_args()
    cluster, env = run_database(args.database_url)
    try:
        if not args.no_seed:
            for command in (["migrate", "--noinput", "-v", "0"], ["calendar_seed"], ["seed_demo"]):
                subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT,
                               env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"}, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "ZHENGWU_ENV", "DJANGO_SETTINGS_MODULE")})
        return measure(args)
    finally:
        if cluster is not None:
            cluster.stop()


def measure(args) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from stdnum.cn import ric

    from zhengwu.accounts.models import User
    from zhengwu.cases.models import Case
    from zhengwu.catalog.models import ServiceItem

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    rng = random.Random(5)
    cases = list(Case.objects.exclude(status="draft").values_list("case_no", "query_code")[:500])
    codes = list(ServiceItem.objects.filter(status="published").values_list("basic_code", flat=True)[:200])
    clerk = User.objects.filter(posts__position="clerk").first()
    assert clerk is not None
    item = ServiceItem.objects.filter(status="published", department__in=clerk.posts.values("department"),
                                      current_version__isnull=False).select_related("current_version").first()
    assert item is not None and item.current_version is not None
    materials = [{"requirement_id": pk, "name": name, "filename": f"{pk}.pdf", "content_base64": PDF}
                 for pk, name in item.current_version.materials.filter(required=True).values_list("id", "name")]
    public = Client(REMOTE_ADDR="10.0.0.1")
    staff = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.0.0.2")
    staff.force_login(clerk)
    staff.cookies[settings.CSRF_COOKIE_NAME] = CSRF_TOKEN
    created: list[str] = []

    def id_number() -> str:
        body = f"110101{rng.randrange(1960, 2000)}0{rng.randrange(1, 10)}1{rng.randrange(0, 10)}{rng.randrange(100, 999)}"
        return body + ric.calc_check_digit(body + "0")

    def walk_in():
        payload = {"item_id": item.pk, "materials": materials, "summary": "压测", "applicant": {
            "applicant_type": "person", "name": "张三", "id_type": "id_card", "id_number": id_number(),
            "phone": "13800000000"}}
        response = staff.post("/api/v1/cases/walk-in", json.dumps(payload), content_type="application/json",
                              HTTP_X_CSRFTOKEN=CSRF_TOKEN)
        if response.status_code == 201:
            created.append(response.json()["case_no"])
        return response, 201

    def accept():
        if not created:
            walk_in()
        return staff.post(f"/api/v1/cases/{created.pop()}/accept", "{}", content_type="application/json",
                          HTTP_X_CSRFTOKEN=CSRF_TOKEN), 200

    def progress():
        case_no, code = rng.choice(cases)
        return public.get(f"/api/v1/cases/progress?case_no={case_no}&query_code={code}"), 200

    kinds = {
        "progress": progress,
        "guide": lambda: (public.get(f"/guide/{rng.choice(codes)}/"), 200),
        "staff": lambda: (staff.get("/work/"), 200),
        "walk_in": walk_in,
        "accept": accept,
    }
    for call in kinds.values():  # warm: caches, compiled queries, connections
        for _ in range(3):
            call()
    for code in codes:
        public.get(f"/guide/{code}/")
    print(f"{'kind':<10}{'wall ms':>10}{'cpu ms':>10}{'queries':>9}")
    for kind, call in kinds.items():
        if kind == "accept":
            while len(created) < args.repeat:
                walk_in()
        walls, cpus, queries = [], [], []
        profiler = cProfile.Profile() if args.profile == kind else None
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as captured:
                wall, cpu = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.enable()
                response, expected = call()
                if profiler:
                    profiler.disable()
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
            assert response.status_code == expected, (kind, response.status_code, response.content[:300])
            queries.append(len(captured.captured_queries))
        print(f"{kind:<10}{statistics.median(walls) * 1e3:>10.1f}{statistics.median(cpus) * 1e3:>10.1f}"
              f"{statistics.median(queries):>9.0f}")
        if profiler:
            pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(int(os.environ.get("PROFILE_LINES", "45")))
            if kind in ("staff", "walk_in", "accept"):
                for q in captured.captured_queries:
                    print(f"  {q['time']}s {q['sql'][:400]}")
    from zhengwu.portal.services import guide_view_flush

    guide_view_flush()  # while the database is still there (the counts are otherwise written at exit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
