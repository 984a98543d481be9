"""Rate-limit counts kept in the database, shared by every worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from zhengwu.security.models import RateLimitCounter
from zhengwu.security.ratelimit import Group, hit

ROOT = Path(__file__).resolve().parents[3]
GROUP = Group("login", ("/accounts/login/",), frozenset({"POST"}), limit=50, window=60)

WORKER = """
import os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from zhengwu.security.ratelimit import Group, hit
group = Group("login", ("/accounts/login/",), frozenset({"POST"}), limit=50, window=60)
go = sys.argv[1]
while not os.path.exists(go):
    time.sleep(0.005)
now = float(sys.argv[2])
print(" ".join(str(hit(group, "10.9.8.7", store="database", now=now).count) for _ in range(40)), flush=True)
"""


@pytest.mark.django_db
def test_database_counts_reset_with_the_window_and_closed_windows_are_swept():
    t = 60 * 16_667 + 20.0
    assert [hit(GROUP, "1.2.3.4", now=t).count for _ in range(3)] == [1, 2, 3]
    assert hit(GROUP, "5.6.7.8", now=t).count == 1
    decisions = [hit(GROUP, "1.2.3.4", now=t) for _ in range(48)]
    assert [d.allowed for d in decisions[-2:]] == [True, False] and decisions[-1].retry_after == 40
    assert RateLimitCounter.objects.count() == 2
    # The next window starts from zero, and opening it removes the closed ones.
    assert hit(GROUP, "1.2.3.4", now=t + 120).count == 1
    assert list(RateLimitCounter.objects.values_list("count", flat=True)) == [1]


@pytest.mark.django_db
def test_the_cache_store_remains_available():
    from django.core.cache import cache

    cache.clear()
    t = 60 * 16_667 + 20.0
    assert [hit(GROUP, "1.2.3.4", store="cache", now=t).count for _ in range(2)] == [1, 2]
    assert not RateLimitCounter.objects.exists()
    cache.clear()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two processes need a server database")
def test_two_worker_processes_share_one_counter(tmp_path):
    s = connection.settings_dict
    url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    env = {**os.environ, "ZHENGWU_ENV": "test", "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    go, now = tmp_path / "go", str(60 * 16_667 + 5.0)
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(go), now], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, text=True) for _ in range(2)]
    time.sleep(2.5)  # both are set up and polling for the start
    go.touch()
    outputs = [w.communicate(timeout=60)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers)
    counts = [int(c) for out in outputs for c in out.split()]
    # Atomic increments: 80 hits from two processes get the counts 1..80, each exactly once, so
    # exactly 50 (the limit) are allowed between them, not 50 per process.
    assert sorted(counts) == list(range(1, 81))
    assert sum(c <= GROUP.limit for c in counts) == 50
    assert RateLimitCounter.objects.get().count == 80
