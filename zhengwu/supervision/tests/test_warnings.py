"""Yellow and red warnings through the sweeper, across the 2026 National Day holiday with 调休."""

from __future__ import annotations

from zhengwu.cases import services as case_services
from zhengwu.notify.models import Notice
from zhengwu.supervision.models import SupervisionRecord
from zhengwu.supervision.services import rule_update
from zhengwu.supervision.tests.conftest import at
from zhengwu.workcalendar.models import ClockEvent
from zhengwu.workcalendar.sweeper import sweep_once


def _records(case, code, kind="case.promised"):
    return SupervisionRecord.objects.filter(case=case, rule_code=code, evidence__clock_kind=kind)


def test_promised_clock_turns_yellow_then_red_across_national_day(holiday_case, holiday_clock, clerk, leader,
                                                                  django_capture_on_commit_callbacks):
    promised = case_services.case_clock(holiday_case, case_services.CLOCK_PROMISED)
    assert promised is not None
    # 10 WD from Fri 09-18 (not counted): Sun 09-20 counts, 09-25..27 and 10-01..07 do not → due Fri 10-09.
    assert str(promised.due_date) == "2026-10-09"
    # Yellow: 2 WD left or 80 % used, the earlier → from the 8th working day, Wed 09-30.
    holiday_clock.move_to(at(2026, 9, 29, 23, 0))
    sweep_once()
    assert not _records(holiday_case, "W01").exists()
    holiday_clock.move_to(at(2026, 9, 30, 8, 0))
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep_once()
    assert result.errors == 0
    yellow = _records(holiday_case, "W01").get()
    assert yellow.warning_type == "1" and yellow.severity == "yellow"
    assert yellow.department_id == holiday_case.department_id and yellow.responsible_user_id == clerk.pk
    assert yellow.rule_version == 1 and yellow.number.startswith("JC2026")
    assert {n.recipient_id for n in Notice.objects.filter(template="supervision.warning")} == {clerk.pk, leader.pk}
    # Holiday week: nothing turns red while the office is closed, nor on the last day itself.
    for moment in (at(2026, 10, 5), at(2026, 10, 9, 23, 59)):
        holiday_clock.move_to(moment)
        sweep_once()
        assert not _records(holiday_case, "W02").exists()
    holiday_clock.move_to(at(2026, 10, 10, 0, 30))  # Sat 10-10 is a 调休 working day
    sweep_once()
    red = _records(holiday_case, "W02").get()
    assert red.warning_type == "2" and red.severity == "red"
    # Exactly once: more ticks and a re-run change nothing.
    sweep_once()
    sweep_once()
    assert _records(holiday_case, "W01").count() == 1 and _records(holiday_case, "W02").count() == 1
    assert ClockEvent.objects.filter(clock=promised).count() == 2


def test_legal_clock_warns_on_its_own_schedule(holiday_case, holiday_clock):
    legal = case_services.case_clock(holiday_case, case_services.CLOCK_LEGAL)
    assert legal is not None
    assert str(legal.due_date) == "2026-10-22"  # 20 WD incl. Sun 09-20 and Sat 10-10
    holiday_clock.move_to(at(2026, 10, 16, 23, 0))
    sweep_once()
    assert not _records(holiday_case, "W01", "case.legal").exists()
    holiday_clock.move_to(at(2026, 10, 19, 9, 0))  # 17th working day: 80 % of 20 used
    sweep_once()
    assert _records(holiday_case, "W01", "case.legal").count() == 1
    holiday_clock.move_to(at(2026, 10, 23, 9, 0))
    sweep_once()
    assert _records(holiday_case, "W02", "case.legal").count() == 1


def test_a_decided_case_gets_no_red(holiday_case, holiday_clock, reviewer, chief_representative):
    holiday_clock.move_to(at(2026, 9, 21, 10, 0))
    case_services.case_step_pass(actor=reviewer, case_no=holiday_case.case_no, opinion="符合条件")
    case_services.case_decide(actor=chief_representative, case_no=holiday_case.case_no, outcome="approve",
                              reasons="材料齐全")
    holiday_clock.move_to(at(2026, 10, 30))
    sweep_once()
    assert not SupervisionRecord.objects.filter(case=holiday_case, rule_code__in=["W01", "W02"],
                                                evidence__clock_kind__in=["case.legal", "case.promised"]).exists()


def test_a_disabled_warning_rule_records_nothing(holiday_case, holiday_clock):
    rule_update(actor="supervision", code="W01", enabled=False)
    holiday_clock.move_to(at(2026, 10, 10, 9, 0))
    sweep_once()
    assert not _records(holiday_case, "W01").exists()
    assert _records(holiday_case, "W02").exists()
