"""What the standalone benchmarks share: Django set up on a database given by URL, in test mode, and
a throwaway PostgreSQL cluster to point it at."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def setup_django(url: str, *, migrate: bool = True) -> None:
    """Point Django at `url` (read once at set-up, so one database per process) and migrate it."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["ZHENGWU_ENV"] = "test"
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


FAST_UNSAFE = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class ThrowawayPostgres:
    """initdb + pg_ctl in a temporary directory on loopback, removed by `stop()`.

    `durable`: PostgreSQL's default, production durability (fsync, synchronous_commit and
    full_page_writes on); otherwise off, as ./dev does for the tests. `options`: more `-c` settings."""

    def __init__(self, *, durable: bool = True, max_connections: int = 50, options: str = "") -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(x) for x in re.findall(r"\d+", str(p))])
        if not bins:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = bins[-1]
        self.settings = f"-c max_connections={max_connections}" + ("" if durable else f" {FAST_UNSAFE}") + (
            f" {options}" if options else "")
        self.dir = Path(tempfile.mkdtemp(prefix="zhengwu-bench-pg-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.run_as:
            shutil.chown(self.dir, "postgres", "postgres")

    def _cmd(self, *args: str) -> None:
        subprocess.run([*self.run_as, *args], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> str:
        data = self.dir / "data"
        self._cmd(str(self.bin / "initdb"), "-D", str(data), "-U", "zhengwu", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self._cmd(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-w", "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} {self.settings}", "start")
        subprocess.run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "zhengwu",
                        "zhengwu"], check=True)
        return f"postgres://zhengwu@127.0.0.1:{self.port}/zhengwu"

    def stop(self) -> None:
        subprocess.run([*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)
