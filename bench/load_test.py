"""Load test on loopback (issue 5): gunicorn (2 sync workers) on a throwaway PostgreSQL cluster with the
demo county, 50 client threads for --seconds mixing public progress queries, guide pages and staff
workbench pages; then the progress query alone and a bare JSON endpoint (one indexed SELECT, from
bench/load_app.py) alone, same server, same database, same run. Prints req/s, p50/p95/p99, errors
and the ratio progress ÷ bare (target ≥ 0.70). Exits 1 when a target is missed.

    .venv/bin/python bench/load_test.py --seconds 60 --clients 50 --compare-seconds 20
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_start() -> tuple[str, list[str], str]:
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    tmp = tempfile.mkdtemp(prefix="zhengwu-load-pg.")
    port = free_port()
    run: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
        run = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*run, str(bindir / "initdb"), "-D", f"{tmp}/data", "-U", "zhengwu", "--auth=trust", "-E", "UTF8",
                    "--locale=C.UTF-8"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*run, str(bindir / "pg_ctl"), "-D", f"{tmp}/data", "-l", f"{tmp}/log", "-w", "-o",
                    f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp} -c max_connections=200", "start"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "zhengwu", "zhengwu"], check=True)
    stop = [*run, str(bindir / "pg_ctl"), "-D", f"{tmp}/data", "-m", "fast", "stop"]
    return f"postgres://zhengwu@127.0.0.1:{port}/zhengwu", stop, tmp


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}

    def add(self, kind: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            if not ok:
                self.errors[kind] = self.errors.get(kind, 0) + 1


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else 0.0


def request(port: int, path: str, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def run_phase(port: int, clients: int, seconds: float, pick, max_requests: int) -> tuple[Stats, float]:
    stats = Stats()
    deadline = time.monotonic() + seconds
    counter = iter(range(max_requests))
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            with lock:
                if next(counter, None) is None:
                    return
            kind, path, headers = pick(rng)
            start = time.perf_counter()
            try:
                status = request(port, path, headers)
                ok = status < 400
            except OSError:
                ok = False
            stats.add(kind, time.perf_counter() - start, ok)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats, time.monotonic() - began


def report(title: str, stats: Stats, elapsed: float) -> dict[str, float]:
    print(f"\n{title} ({elapsed:.1f} s)")
    print(f"{'kind':<12}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'errors':>8}")
    every: list[float] = []
    rates = {}
    for kind, values in sorted(stats.latencies.items()):
        every += values
        rates[kind] = len(values) / elapsed
        print(f"{kind:<12}{len(values):>10}{rates[kind]:>10.1f}{pct(values, 50):>10.1f}{pct(values, 95):>10.1f}"
              f"{pct(values, 99):>10.1f}{stats.errors.get(kind, 0):>8}")
    errors = sum(stats.errors.values())
    print(f"{'all':<12}{len(every):>10}{len(every) / elapsed:>10.1f}{pct(every, 50):>10.1f}{pct(every, 95):>10.1f}"
          f"{pct(every, 99):>10.1f}{errors:>8}")
    rates["all"], rates["p99"], rates["errors"] = len(every) / elapsed, pct(every, 99), errors
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="mixed phase duration")
    parser.add_argument("--compare-seconds", type=float, default=20, help="duration of each comparison phase")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per phase")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    args = parser.parse_args()

    stop: list[str] = []
    pg_tmp = ""
    url = args.database_url
    if not url:
        url, stop, pg_tmp = pg_start()
    env = {**os.environ, "DATABASE_URL": url, "ZHENGWU_ENV": "test", "DJANGO_SETTINGS_MODULE": "bench.load_app",
           "PYTHONPATH": str(ROOT)}
    server = None
    try:
        for command in (["migrate", "--noinput", "-v", "0"], ["calendar_seed"], ["seed_demo"]):
            subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "ZHENGWU_ENV", "DJANGO_SETTINGS_MODULE")})
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.conf import settings
        from django.test import Client

        from zhengwu.accounts.models import User
        from zhengwu.cases.models import Case
        from zhengwu.catalog.models import ServiceItem

        cases = list(Case.objects.values_list("case_no", "query_code")[:500])
        codes = list(ServiceItem.objects.filter(status="published").values_list("basic_code", flat=True)[:200])
        clerk = User.objects.filter(posts__position="clerk").first()
        assert cases and codes and clerk, "seed_demo gave no cases, items or clerk"
        client = Client()
        client.force_login(clerk)
        staff_cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"}

        port = free_port()
        server = subprocess.Popen([str(Path(PY).parent / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                                   "--log-level", "warning", "--env", "DJANGO_SETTINGS_MODULE=bench.load_app"],
                                  cwd=ROOT, env=env)
        for _ in range(100):
            try:
                request(port, "/healthz", {})
                break
            except OSError:
                time.sleep(0.2)

        def progress(rng):
            case_no, query_code = rng.choice(cases)
            return "progress", f"/api/v1/cases/progress?case_no={case_no}&query_code={query_code}", {}

        def bare(rng):
            return "bare", f"/bench/bare?case_no={rng.choice(cases)[0]}", {}

        def mixed(rng):
            roll = rng.random()
            if roll < 0.5:
                return progress(rng)
            if roll < 0.85:
                return "guide", f"/guide/{rng.choice(codes)}/", {}
            return "staff", "/work/", staff_cookie

        print(f"demo: {len(cases)} cases, {len(codes)} published items; {args.clients} clients; gunicorn 2 sync workers")
        for pick in (progress, bare):  # warm both workers
            run_phase(port, 4, 2, pick, 200)
        mixed_rates = report("mixed: 50 % progress, 35 % guide pages, 15 % staff workbench",
                             *run_phase(port, args.clients, args.seconds, mixed, args.max_requests))
        progress_rates = report("progress query alone",
                                *run_phase(port, args.clients, args.compare_seconds, progress, args.max_requests))
        bare_rates = report("bare JSON endpoint, one indexed SELECT",
                            *run_phase(port, args.clients, args.compare_seconds, bare, args.max_requests))
        ratio = progress_rates["all"] / bare_rates["all"] if bare_rates["all"] else 0.0
        print(f"\nprogress ÷ bare = {ratio:.2f} (target ≥ 0.70); mixed p99 {mixed_rates['p99']:.0f} ms "
              f"(target < 300 ms); errors {int(mixed_rates['errors'])} (target 0)")
        missed = ratio < 0.70 or mixed_rates["p99"] >= 300 or mixed_rates["errors"] > 0
        return 1 if missed else 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        if stop:
            subprocess.run(stop, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.rmtree(pg_tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
