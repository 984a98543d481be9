"""PostgreSQL restarted under load (pg_ctl restart -m fast on a cluster of our own): no committed
record is lost, and the app reconnects by itself (CONN_MAX_AGE with CONN_HEALTH_CHECKS)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from tests.failure.conftest import ROOT, child_env, pg_only, spawn

pytestmark = [pg_only, pytest.mark.django_db]


def test_a_database_restart_under_load_loses_no_committed_record_and_the_app_reconnects(cluster, tmp_path):
    stop, pause = tmp_path / "stop", tmp_path / "pause"
    env = child_env(cluster.url, CHILD_STOP=str(stop), CHILD_PAUSE=str(pause), DB_CONN_MAX_AGE="60")
    writer = spawn("write", env, stdout=subprocess.PIPE, text=True)
    lines: list[tuple[str, int, float]] = []

    def read() -> None:
        assert writer.stdout is not None
        for raw in writer.stdout:
            status, i, begun, *_ = raw.split()
            lines.append((status, int(i), float(begun)))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def wait_for(predicate, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not predicate() and time.monotonic() < deadline:
            time.sleep(0.01)

    try:
        wait_for(lambda: sum(s == "ok" for s, _, _ in lines) >= 50)
        assert writer.poll() is None, "the writer is running"
        down = time.time()
        cluster.ctl("restart")
        up = time.time()
        wait_for(lambda: sum(s == "ok" and t > up for s, _, t in lines) >= 50)
        # Then a restart while the worker is idle: its kept connection is dead when it wakes up.
        pause.touch()
        time.sleep(0.2)
        idle_from = len(lines)
        cluster.ctl("restart")
        pause.unlink()
        wait_for(lambda: sum(s == "ok" for s, _, _ in lines[idle_from:]) >= 20)
    finally:
        stop.touch()
        writer.wait(timeout=30)
        reader.join(timeout=5)

    ok = {i for s, i, _ in lines if s == "ok"}
    failed = {i for s, i, _ in lines if s == "err"}
    stored = {int(v) for v in cluster.psql("SELECT data->>'i' FROM core_auditevent WHERE action = 'load.write'").split()}
    assert ok <= stored, f"committed records lost: {sorted(ok - stored)[:10]}"
    # A failed attempt may have committed before its acknowledgement was lost; nothing else is extra.
    assert stored - ok <= failed
    assert lines[idle_from:] and all(s == "ok" for s, _, _ in lines[idle_from:]), \
        f"the first request after an idle restart failed: {lines[idle_from:idle_from + 3]}"
    after = [(s, t) for s, _, t in lines if t > up]
    assert sum(s == "ok" for s, _ in after) >= 50, "the writer reconnected after the restart"
    # With health checks, a request that starts once the server is back never fails on a dead connection.
    assert [t for s, t in after if s == "err"] == []
    print(f"restart took {up - down:.2f} s; {len(failed)} requests failed during it; "
          f"{len(ok)} committed, {len(stored)} stored")
    verify = subprocess.run([sys.executable, "manage.py", "verify_audit"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert verify.returncode == 0, verify.stderr
