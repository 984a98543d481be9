from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from zhengwu.core.audit import audit_verify
from zhengwu.core.errors import Conflict, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.workcalendar.clocks import compute_schedule
from zhengwu.workcalendar.models import Clock, ClockSegment, SuspendReason, Unit
from zhengwu.workcalendar.services import (
    clock_complete,
    clock_explain,
    clock_extend,
    clock_resume,
    clock_start,
    clock_state,
    clock_stop,
    clock_suspend,
)
from zhengwu.workcalendar.workdays import add_working_days

pytestmark = pytest.mark.django_db
TZ = timezone.get_default_timezone()


def at(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(username="case-owner", password="x-Secret-123")


@pytest.fixture
def leader(django_user_model):
    return django_user_model.objects.create_user(username="leader", password="x-Secret-123", real_name="王局长")


def start(owner, when, n=20, unit=Unit.WORKING_DAYS, kind="case.legal"):
    return clock_start(actor="clerk", owner=owner, kind=kind, budget_value=n, budget_unit=unit, started_at=when)


def test_start_stores_due_warning_and_next_event(work_calendar, owner, time_machine):
    time_machine.move_to(at(2025, 9, 26, 15))
    clock = start(owner, at(2025, 9, 26, 10))
    assert clock.due_date == date(2025, 10, 30)
    assert clock.due_at == at(2025, 10, 31, 0)  # 24:00 of the due day
    # 20 WD: "2 WD before due" = day 18, "80 % used" = day 17 → the earlier, day 17 (10-27).
    assert clock.warn_at == at(2025, 10, 27, 0) and add_working_days(date(2025, 9, 26), 17) == date(2025, 10, 27)
    assert clock.next_event_at == clock.warn_at and clock.next_event_kind == "warning"
    assert clock.owner == owner and clock.segments.count() == 1
    assert AuditEvent.objects.filter(action="clock.start", object_id=str(clock.pk)).exists()


def test_warning_rule_is_configurable_per_kind(work_calendar, owner, settings, time_machine):
    time_machine.move_to(at(2025, 9, 26, 15))
    settings.ZHENGWU_CLOCK_WARNINGS = {"hotline.reply": {"before": 5, "fraction": None}}
    clock = start(owner, at(2025, 9, 26), kind="hotline.reply")
    assert clock.warn_at == at(2025, 10, 23, 0) and add_working_days(date(2025, 9, 26), 15) == date(2025, 10, 23)


def test_suspension_adds_the_suspended_working_days_and_explains(work_calendar, owner, leader, time_machine):
    time_machine.move_to(at(2025, 9, 26, 10))
    clock = start(owner, at(2025, 9, 26, 10))
    time_machine.move_to(at(2025, 10, 13, 9))
    clock = clock_suspend(actor="reviewer", clock=clock, reason=SuspendReason.SPECIAL_PROCEDURE, note="专家评审")
    assert clock.status == Clock.Status.SUSPENDED and clock.due_at is None and clock.next_event_at is None
    assert clock_state(clock) == "suspended"
    time_machine.move_to(at(2025, 10, 20, 9))
    clock = clock_resume(actor="reviewer", clock=clock)
    # (10-13, 10-20] holds 5 working days: the due date moves from 10-30 by 5 WD.
    assert clock.due_date == add_working_days(date(2025, 10, 30), 5) == date(2025, 11, 6)
    clock = clock_extend(actor="leader", clock=clock, value=10, reason="需现场核查", approved_by=leader)
    assert clock.due_date == add_working_days(date(2025, 11, 6), 10) == date(2025, 11, 20)
    lines = clock_explain(clock)
    text = "\n".join(lines)
    assert lines[0] == "起算：2025-09-26（星期五），当日不计入，自次日起算（民法典第二百零一条）"
    assert "时限：20 个工作日" in text
    assert "挂起：2025-10-13（星期一） 至 2025-10-20（星期一）（特别程序），期间不计入时限，顺延 5 个工作日" in text
    assert "延期：+10 个工作日，经 王局长 批准（需现场核查" in text
    assert "国庆节" in text and "截止：2025-11-20（星期四） 24:00" in text
    assert any(line.startswith("预警：") for line in lines)
    assert [s.kind for s in clock.segments.all()] == ["running", "suspended", "running"]
    assert audit_verify()[1] == []


def test_a_clock_can_be_suspended_twice(work_calendar, owner, time_machine):
    time_machine.move_to(at(2025, 11, 3))
    clock = start(owner, at(2025, 11, 3))
    for a, b in [((2025, 11, 5), (2025, 11, 7)), ((2025, 11, 10), (2025, 11, 11))]:
        time_machine.move_to(at(*a))
        clock = clock_suspend(actor="x", clock=clock, reason=SuspendReason.CORRECTION)
        time_machine.move_to(at(*b))
        clock = clock_resume(actor="x", clock=clock)
    assert clock.due_date == add_working_days(date(2025, 11, 3), 23)


def test_transitions_outside_the_table_conflict(work_calendar, owner, time_machine):
    time_machine.move_to(at(2025, 11, 3))
    clock = start(owner, at(2025, 11, 3))
    with pytest.raises(Conflict):
        clock_resume(actor="x", clock=clock)
    clock = clock_complete(actor="x", clock=clock)
    assert clock.status == Clock.Status.COMPLETED and clock.next_event_at is None
    assert clock.due_date == date(2025, 12, 1)  # kept for on-time statistics
    assert clock_state(clock) == "done"
    for action in (lambda: clock_suspend(actor="x", clock=clock, reason="correction"),
                   lambda: clock_stop(actor="x", clock=clock),
                   lambda: clock_extend(actor="x", clock=clock, value=10, reason="r")):
        with pytest.raises(Conflict):
            action()
    assert "（未超期）" in clock_explain(clock)[-1]


def test_bad_input_changes_nothing(work_calendar, owner, time_machine):
    time_machine.move_to(at(2025, 11, 3))
    for kwargs in ({"budget_value": -1}, {"budget_value": 99999}, {"budget_unit": "weeks"}, {"kind": ""},
                   {"started_at": at(2025, 11, 9)}, {"started_at": datetime(2025, 11, 3, 9, 0)}):  # noqa: DTZ001
        args = {"owner": owner, "kind": "case.legal", "budget_value": 20, "budget_unit": Unit.WORKING_DAYS,
                "started_at": at(2025, 11, 3), **kwargs}
        with pytest.raises(ValidationFailed):
            clock_start(actor="x", **args)
    assert Clock.objects.count() == 0
    clock = start(owner, at(2025, 11, 3))
    with pytest.raises(ValidationFailed):
        clock_suspend(actor="x", clock=clock, reason="lunch")
    with pytest.raises(ValidationFailed):
        clock_suspend(actor="x", clock=clock, reason="correction", at=at(2025, 11, 2))
    with pytest.raises(ValidationFailed):
        clock_extend(actor="x", clock=clock, value=10, reason=" ")
    assert ClockSegment.objects.filter(clock=clock).count() == 1


def test_state_is_derived_from_stored_deadlines_and_now(work_calendar, owner, time_machine):
    time_machine.move_to(at(2025, 9, 26))
    clock = start(owner, at(2025, 9, 26))
    assert clock_state(clock, at(2025, 10, 24, 23)) == "green"
    assert clock_state(clock, at(2025, 10, 27, 0)) == "yellow"
    assert clock_state(clock, at(2025, 10, 30, 23, 59)) == "yellow"
    assert clock_state(clock, at(2025, 10, 31, 0)) == "red"
    time_machine.move_to(at(2025, 11, 3))
    assert clock_state(clock) == "red"  # no sweeper has run
    clock = clock_complete(actor="x", clock=clock)
    assert "（超期）" in clock_explain(clock)[-1]


def test_calendar_day_clock_rolls_its_last_day_over(work_calendar, owner, time_machine):
    # 行政复议法 §20-style 60 calendar days from 2025-08-05 ends on Saturday 10-04 (国庆) → 10-09.
    time_machine.move_to(at(2025, 8, 5))
    clock = start(owner, at(2025, 8, 5), n=60, unit=Unit.CALENDAR_DAYS, kind="review.appeal")
    assert clock.due_date == date(2025, 10, 9)
    assert any("民法典第二百零三条" in line for line in clock_explain(clock))


def test_working_hour_clock_for_urgent_tickets(work_calendar, owner, time_machine):
    time_machine.move_to(at(2025, 9, 30, 16))
    clock = start(owner, at(2025, 9, 30, 16), n=2, unit=Unit.WORKING_HOURS, kind="hotline.urgent")
    assert clock.due_at == at(2025, 10, 9, 9, 30)
    # 80 % of 120 min = 96 min: 90 min on 09-30, 6 min on 10-09.
    assert clock.warn_at == at(2025, 10, 9, 9, 6)
    assert "截止：2025-10-09（星期四） 09:30" in clock_explain(clock)


def test_natural_hour_clock_and_its_suspension(work_calendar, owner, time_machine):
    time_machine.move_to(at(2025, 10, 1, 8))
    clock = start(owner, at(2025, 10, 1, 8), n=24, unit=Unit.HOURS, kind="hotline.emergency")
    assert clock.due_at == at(2025, 10, 2, 8)
    time_machine.move_to(at(2025, 10, 1, 9))
    clock = clock_suspend(actor="x", clock=clock, reason=SuspendReason.THIRD_PARTY)
    time_machine.move_to(at(2025, 10, 1, 12, 30))
    clock = clock_resume(actor="x", clock=clock)
    assert clock.due_at == at(2025, 10, 2, 11, 30)


def test_a_zero_budget_is_due_at_the_end_of_the_start_day(work_calendar, owner, time_machine):
    time_machine.move_to(at(2025, 11, 3, 9))
    clock = start(owner, at(2025, 11, 3, 9), n=0, kind="case.immediate")
    assert clock.due_at == at(2025, 11, 4, 0) and clock.warn_at <= clock.due_at


def test_schedule_of_a_clock_overdue_before_suspension_keeps_the_past_due(work_calendar):
    from zhengwu.workcalendar.clocks import Seg

    s = compute_schedule(kind="k", unit=Unit.WORKING_DAYS, budget=2, started_at=at(2025, 11, 3), extensions=[],
                         segments=[Seg("running", at(2025, 11, 3), at(2025, 11, 10)),
                                   Seg("suspended", at(2025, 11, 10), at(2025, 11, 12)),
                                   Seg("running", at(2025, 11, 12), None)])
    assert s.due_date == date(2025, 11, 5)


def test_unpublished_year_warning_reaches_the_explanation(work_calendar, owner, time_machine):
    time_machine.move_to(at(2026, 12, 21))
    clock = start(owner, at(2026, 12, 21), n=20)
    assert clock.due_at is not None
    assert any(line.startswith("注意：2027 年放假安排尚未发布") for line in clock_explain(clock))


def test_stop_records_the_reason(work_calendar, owner, time_machine):
    time_machine.move_to(at(2025, 11, 3))
    clock = start(owner, at(2025, 11, 3))
    time_machine.move_to(at(2025, 11, 3) + timedelta(hours=2))
    clock = clock_stop(actor="x", clock=clock, reason="申请人撤回")
    assert clock.status == Clock.Status.STOPPED
    event = AuditEvent.objects.get(action="clock.stop")
    assert event.data["reason"] == "申请人撤回" and event.data["on_time"] is True


def test_completed_while_suspended_is_not_late_for_the_suspended_time(work_calendar, owner, time_machine):
    time_machine.move_to(at(2025, 11, 3))
    clock = start(owner, at(2025, 11, 3), n=5)
    time_machine.move_to(at(2025, 11, 4))
    clock = clock_suspend(actor="x", clock=clock, reason=SuspendReason.SPECIAL_PROCEDURE)
    time_machine.move_to(at(2025, 11, 20))
    clock = clock_complete(actor="x", clock=clock)
    # 1 WD used before the suspension; 4 left from 11-20 → 11-26. Finished on 11-20: on time.
    assert clock.due_date == date(2025, 11, 26)
    assert clock_explain(clock)[-1].endswith("（未超期）")
