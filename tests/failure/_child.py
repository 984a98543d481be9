"""The processes the failure tests kill: `python -m tests.failure._child MODE`, run from the repository root.

Each sets Django up against the database in DATABASE_URL (the test database, or a throwaway
cluster) and does real work that the parent test interrupts with SIGKILL or a database restart.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def slow_handler(clock, event) -> None:
    """The default handler, slowed so that a batch of due clocks takes long enough to be cut."""
    from zhengwu.workcalendar.handlers import audit_only

    audit_only(clock, event)
    time.sleep(float(os.environ.get("CHILD_HANDLER_SLEEP", "0.03")))


def _tick_slowly() -> None:
    from zhengwu.workcalendar import handlers
    from zhengwu.workcalendar.sweeper import run_forever

    handlers.CLOCK_HANDLERS["test.failure"] = "tests.failure._child.slow_handler"
    run_forever(once=True)


def _hang_in_certificate() -> None:
    """Deemed approval runs; the process stops dead inside the certificate step, after the decision."""
    import zhengwu.licences.services as licences
    from zhengwu.workcalendar.sweeper import run_forever

    marker = Path(os.environ["CHILD_MARKER"])

    def hang(**kwargs):
        marker.write_text(str(os.getpid()))
        time.sleep(120)
        raise SystemExit("the parent should have killed this process")

    licences.licence_issue = hang
    run_forever(once=True)


def _write_in_a_loop() -> None:
    """A request-shaped writer: each iteration is one 'request' (request_started / finished, as
    gunicorn's workers send them) that writes one audited record, and reports what committed."""
    from django.core.signals import request_finished, request_started
    from django.db import DatabaseError, transaction

    from zhengwu.core.audit import audit_record

    stop = Path(os.environ["CHILD_STOP"])
    pause = Path(os.environ["CHILD_PAUSE"])
    i = 0
    while not stop.exists():
        if pause.exists():  # an idle worker: its persistent connection stays open, unused
            time.sleep(0.01)
            continue
        i += 1
        begun = time.time()
        request_started.send(sender=None)
        try:
            with transaction.atomic():
                audit_record(actor="load", action="load.write", data={"i": i})
            print(f"ok {i} {begun:.3f}", flush=True)
        except DatabaseError as exc:
            print(f"err {i} {begun:.3f} {type(exc).__name__}", flush=True)
            time.sleep(0.02)
        finally:
            request_finished.send(sender=None)
        time.sleep(0.005)


MODES = {"tick_slowly": _tick_slowly, "hang_in_certificate": _hang_in_certificate, "write": _write_in_a_loop}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    MODES[sys.argv[1]]()
