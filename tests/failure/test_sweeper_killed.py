"""The clock sweeper killed with SIGKILL in the middle of a batch, then restarted: every due event
fires exactly once, none twice, none missed (DESIGN.md §3)."""

from __future__ import annotations

import datetime as dt
import signal
import time
from collections import Counter

import pytest
from django.db.models import Count

from tests.failure.conftest import child_env, pg_only, run_clock_once, spawn
from zhengwu.core.audit import audit_verify
from zhengwu.core.models import AuditEvent
from zhengwu.workcalendar.models import Clock, ClockEvent, Unit
from zhengwu.workcalendar.services import clock_start
from zhengwu.workcalendar.testing import seed_calendar

pytestmark = [pg_only, pytest.mark.django_db(transaction=True)]

CLOCKS = 40
FIRED_ACTIONS = ("clock.warning", "clock.overdue")
SH = dt.timezone(dt.timedelta(hours=8))


def test_a_sweeper_killed_mid_batch_and_restarted_fires_each_event_once(django_user_model):
    seed_calendar(years=[2025, 2026])
    owner = django_user_model.objects.create_user(username="owner", password="x-Secret-123")
    # Started long ago, so at the real now both the yellow warning and the red overdue are due.
    for _ in range(CLOCKS):
        clock_start(actor="test", owner=owner, kind="test.failure", budget_value=3, budget_unit=Unit.WORKING_DAYS,
                    started_at=dt.datetime(2025, 9, 26, 10, tzinfo=SH))
    env = child_env()

    sweeper = spawn("tick_slowly", env)
    deadline = time.monotonic() + 60
    while ClockEvent.objects.count() < 10 and time.monotonic() < deadline and sweeper.poll() is None:
        time.sleep(0.01)
    sweeper.send_signal(signal.SIGKILL)
    assert sweeper.wait(timeout=10) == -signal.SIGKILL, "the sweeper was killed, not finished"

    # After the kill: each clock fired both events (its claim committed) or none (rolled back with
    # the process), and the audit rows written by the handler match the events one for one.
    fired = Counter(ClockEvent.objects.values_list("clock_id", flat=True))
    assert 10 <= sum(fired.values()) < 2 * CLOCKS, f"killed mid-batch: {sum(fired.values())} events"
    assert set(fired.values()) == {2}
    assert not Clock.objects.filter(next_event_at__isnull=True).exclude(pk__in=fired).exists(), \
        "an interrupted claim must not leave a clock nobody will pick up"
    audited = Counter(int(i) for i in AuditEvent.objects.filter(action__in=FIRED_ACTIONS)
                      .values_list("object_id", flat=True))
    assert audited == fired

    run_clock_once(env)

    assert ClockEvent.objects.count() == 2 * CLOCKS
    per_clock = ClockEvent.objects.values("clock_id", "kind").annotate(n=Count("id"))
    assert len(per_clock) == 2 * CLOCKS and {row["n"] for row in per_clock} == {1}
    assert AuditEvent.objects.filter(action__in=FIRED_ACTIONS).count() == 2 * CLOCKS
    assert not Clock.objects.filter(next_event_at__isnull=False, kind="test.failure",
                                    next_event_at__lte=dt.datetime.now(dt.UTC)).exists()
    assert audit_verify()[1] == []
