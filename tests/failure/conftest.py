"""Helpers of the failure tests: PostgreSQL only, real processes, real signals."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from zhengwu.cases.tests.conftest import awaiting_decision  # noqa: F401  (fixture re-exported)

ROOT = Path(__file__).resolve().parents[2]

pg_only = pytest.mark.skipif(connection.vendor != "postgresql",
                             reason="failure tests kill processes around a server database: PostgreSQL pass only")


def database_url(settings_dict: dict) -> str:
    auth = settings_dict["USER"] + (f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else "")
    return f"postgres://{auth}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


def child_env(url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a child process on the test database (or `url`)."""
    env = {**os.environ, "ZHENGWU_ENV": "test", "DATABASE_URL": url or database_url(connection.settings_dict),
           "MEDIA_ROOT": str(settings.MEDIA_ROOT), "PYTHONPATH": str(ROOT)}
    env.update(extra)
    return env


def spawn(mode: str, env: dict[str, str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.failure._child", mode], cwd=ROOT, env=env, **kwargs)


def run_clock_once(env: dict[str, str]) -> None:
    """The restarted sweeper: the real command, unpatched."""
    subprocess.run([sys.executable, "manage.py", "run_clock", "--once"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)


def _pg_bin() -> Path:
    """The newest installed server's binaries, as ./dev picks them."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                   if p.parent.name.isdigit() else 0)
    return found[-1] if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


class Cluster:
    """A PostgreSQL cluster of our own in a temporary directory, on a random loopback port."""

    def __init__(self) -> None:
        import socket
        import tempfile

        # Under /tmp itself: pytest's tmp_path is private to root, and the server runs as postgres.
        self.dir = Path(tempfile.mkdtemp(prefix="zhengwu-failure-pg."))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            subprocess.run(["chown", "postgres:postgres", str(self.dir)], check=True)
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgres://zhengwu@127.0.0.1:{self.port}/zhengwu"

    def _pg(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([*self.run_as, *args], check=True, capture_output=True, timeout=timeout)

    def start(self) -> None:
        self._pg(str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-U", "zhengwu", "--auth=trust", "-E", "UTF8",
                 "--locale=C.UTF-8")
        self.ctl("start")
        subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "zhengwu", "zhengwu"],
                       check=True, capture_output=True)

    def ctl(self, action: str) -> None:
        # fsync stays on: a restart must not lose what was acknowledged as committed.
        self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-m", "fast",
                 "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir}", action)

    def stop(self) -> None:
        import shutil

        with contextlib.suppress(subprocess.SubprocessError):
            self.ctl("stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def psql(self, sql: str, stdin: str | None = None) -> str:
        out = subprocess.run([str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "zhengwu", "-d",
                              "zhengwu", "-v", "ON_ERROR_STOP=1", "-qtA", *(["-c", sql] if sql else [])],
                             input=stdin, check=True, capture_output=True, text=True, timeout=60)
        return out.stdout


@pytest.fixture
def cluster():
    """A throwaway cluster holding the test database's schema (copied with pg_dump --schema-only)."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL server binaries are not installed")
    own = Cluster()
    try:
        own.start()
        s = connection.settings_dict
        schema = subprocess.run([str(PG_BIN / "pg_dump"), "--schema-only", "--no-owner", "-h", s["HOST"] or "127.0.0.1",
                                 "-p", str(s["PORT"] or 5432), "-U", s["USER"], s["NAME"]],
                                check=True, capture_output=True, text=True, timeout=60).stdout
        own.psql("", stdin=schema)
        yield own
    finally:
        own.stop()
