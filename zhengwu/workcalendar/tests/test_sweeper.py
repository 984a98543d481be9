import os
import signal
import threading
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from zhengwu.core.models import AuditEvent, Heartbeat
from zhengwu.workcalendar import handlers
from zhengwu.workcalendar.models import Clock, ClockEvent, Unit
from zhengwu.workcalendar.services import clock_complete, clock_extend, clock_fire_due_events, clock_start
from zhengwu.workcalendar.sweeper import run_forever, sweep_once

pytestmark = pytest.mark.django_db
TZ = timezone.get_default_timezone()
CALLS: list[tuple[int, str]] = []


def at(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def record_call(clock, event):
    CALLS.append((clock.pk, event.kind))


def failing_handler(clock, event):
    raise RuntimeError("owner app bug")


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(username="sweep-owner", password="x-Secret-123")


@pytest.fixture
def clock(work_calendar, owner, time_machine):
    time_machine.move_to(at(2025, 9, 26))
    return clock_start(actor="clerk", owner=owner, kind="test.notice", budget_value=5,
                       budget_unit=Unit.WORKING_DAYS, started_at=at(2025, 9, 26))


def test_nothing_fires_before_the_warning(clock, time_machine):
    time_machine.move_to(clock.warn_at.replace(microsecond=0) - timedelta(seconds=1))
    result = sweep_once()
    assert result.candidates == 0 and not ClockEvent.objects.exists()


def test_warning_then_overdue_each_fire_exactly_once(clock, time_machine):
    time_machine.move_to(clock.warn_at)
    assert sweep_once().fired == 1
    clock.refresh_from_db()
    assert clock.next_event_at == clock.due_at and clock.next_event_kind == "overdue"
    assert sweep_once().fired == 0
    time_machine.move_to(clock.due_at)
    assert sweep_once().by_kind == {"overdue": 1}
    clock.refresh_from_db()
    assert clock.next_event_at is None
    assert sweep_once().candidates == 0
    assert list(ClockEvent.objects.values_list("kind", flat=True)) == ["warning", "overdue"]
    assert AuditEvent.objects.filter(action__in=["clock.warning", "clock.overdue"]).count() == 2


def test_a_late_sweeper_fires_both_events_in_one_tick(clock, time_machine):
    time_machine.move_to(at(2025, 12, 1))
    result = sweep_once()
    assert result.fired == 2 and result.claimed == 1


def test_a_rerun_after_a_crash_never_fires_twice(clock, time_machine):
    time_machine.move_to(at(2025, 12, 1))
    sweep_once()
    # A crash between firing and storing next_event_at is simulated by restoring the old value.
    Clock.objects.filter(pk=clock.pk).update(next_event_at=clock.next_event_at)
    result = sweep_once()
    assert result.claimed == 1 and result.fired == 0
    assert ClockEvent.objects.count() == 2


def test_a_claim_already_taken_by_another_sweeper_is_skipped(clock, time_machine):
    time_machine.move_to(at(2025, 12, 1))
    stale = clock.next_event_at
    Clock.objects.filter(pk=clock.pk).update(next_event_at=stale + timedelta(microseconds=1))
    assert clock_fire_due_events(clock_id=clock.pk, claimed_at=stale, now=timezone.now()) is None
    assert not ClockEvent.objects.exists()


def test_an_extension_rearms_the_events_for_the_new_deadline(clock, time_machine):
    time_machine.move_to(clock.due_at)
    sweep_once()
    clock = clock_extend(actor="leader", clock=clock, value=10, reason="复杂")
    assert clock.next_event_at is not None and clock.next_event_at > timezone.now()
    time_machine.move_to(clock.due_at)
    assert sweep_once().fired == 2
    assert ClockEvent.objects.filter(kind="overdue").count() == 2


def test_finished_clocks_never_fire(clock, time_machine):
    clock_complete(actor="x", clock=clock)
    time_machine.move_to(at(2025, 12, 1))
    assert sweep_once().candidates == 0


def test_registered_handler_runs_in_the_claim_transaction(clock, time_machine, monkeypatch):
    CALLS.clear()
    monkeypatch.setitem(handlers.CLOCK_HANDLERS, "test.notice",
                        "zhengwu.workcalendar.tests.test_sweeper.record_call")
    time_machine.move_to(at(2025, 12, 1))
    sweep_once()
    calls = list(CALLS)
    assert calls == [(clock.pk, "warning"), (clock.pk, "overdue")]
    assert set(ClockEvent.objects.values_list("handler", flat=True)) == {
        "zhengwu.workcalendar.tests.test_sweeper.record_call"}


def test_a_failing_handler_rolls_back_and_is_retried(clock, time_machine, monkeypatch):
    monkeypatch.setitem(handlers.CLOCK_HANDLERS, "test.notice",
                        "zhengwu.workcalendar.tests.test_sweeper.failing_handler")
    time_machine.move_to(at(2025, 12, 1))
    result = sweep_once()
    assert result.errors == 1 and result.fired == 0
    assert not ClockEvent.objects.exists()
    clock.refresh_from_db()
    assert clock.next_event_at is not None
    monkeypatch.setitem(handlers.CLOCK_HANDLERS, "test.notice", "zhengwu.workcalendar.handlers.audit_only")
    assert sweep_once().fired == 2


def test_run_clock_once_writes_the_heartbeat(clock, time_machine):
    time_machine.move_to(at(2025, 12, 1))
    call_command("run_clock", "--once")
    beat = Heartbeat.objects.get(name="clock_sweeper")
    assert beat.info["fired"] == 2 and beat.info["claimed"] == 1 and beat.info["ticks"] == 1


def _ignore(signum, frame):
    pass


def test_the_loop_finishes_its_tick_and_exits_on_sigterm(db):
    # A stray SIGTERM must never kill the test runner, even if the loop fails early.
    previous = signal.signal(signal.SIGTERM, _ignore)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGTERM))
    try:
        timer.start()
        ticks = run_forever(interval=0.05)
        timer.join()
        assert signal.getsignal(signal.SIGTERM) is _ignore
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous)
    assert ticks >= 2
    assert Heartbeat.objects.get(name="clock_sweeper").info["ticks"] == ticks


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent sweepers need a server database")
def test_concurrent_sweepers_fire_each_event_once(django_user_model, time_machine):
    from zhengwu.workcalendar.testing import seed_calendar

    seed_calendar(years=[2025])
    owner = django_user_model.objects.create_user(username="many", password="x-Secret-123")
    time_machine.move_to(at(2025, 9, 26))
    for _ in range(60):
        clock_start(actor="x", owner=owner, kind="test.concurrent", budget_value=3, budget_unit=Unit.WORKING_DAYS,
                    started_at=at(2025, 9, 26))
    now = at(2025, 12, 1)
    results = []

    def worker():
        from django.db import connection as conn

        try:
            results.append(sweep_once(now=now, batch=7))
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.fired for r in results) == 120 and sum(r.claimed for r in results) == 60
    assert ClockEvent.objects.count() == 120
    assert not Clock.objects.filter(next_event_at__isnull=False).exists()


def test_the_clock_process_sends_waiting_notices_between_ticks(settings):
    import threading

    from zhengwu.accounts.models import User
    from zhengwu.notify.backends import LocmemBackend
    from zhengwu.notify.models import Outgoing
    from zhengwu.notify.services import notify_send
    from zhengwu.workcalendar.sweeper import _wait_sending

    settings.ZHENGWU_NOTIFY_DEFERRED = True
    settings.ZHENGWU_NOTIFY_POLL_SECONDS = 0.2
    settings.ZHENGWU_NOTIFY_BACKENDS = {"sms": "zhengwu.notify.backends.LocmemBackend",
                                        "email": "zhengwu.notify.backends.LocmemBackend"}
    LocmemBackend.outbox = []
    citizen = User.objects.create_user("citizen9", password="x-12345678", kind=User.Kind.APPLICANT,
                                       phone="13812341234")
    notify_send(recipient_user=citizen, template="case.submitted",
                context={"case_no": "2026-SJ-000001", "query_code": "AB12CD", "item_name": "食品经营许可"})
    assert Outgoing.objects.count() == 1
    assert _wait_sending(threading.Event(), 0.3) is False
    assert [m.address for m in LocmemBackend.outbox] == ["13812341234"] and not Outgoing.objects.exists()
