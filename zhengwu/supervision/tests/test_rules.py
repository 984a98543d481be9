"""Anomaly rules A01–A10: for each, a record that must hit and one that must not.

The case services refuse most offending acts, so the offending records are written directly, as a
legacy import or a data fix would leave them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from zhengwu.cases import services as cs
from zhengwu.cases.models import (
    CaseEvent,
    CorrectionNotice,
    Decision,
    Extension,
    FeeNotice,
    FeeNoticeLine,
    Rating,
    SpecialProcedure,
)
from zhengwu.cases.services import CorrectionItem, FeeLineInput
from zhengwu.cases.states import Status
from zhengwu.catalog.tests.factories import published_item
from zhengwu.core.errors import PermissionDenied
from zhengwu.supervision.models import SupervisionRecord
from zhengwu.supervision.services import rule_update, rules_run
from zhengwu.supervision.tests.conftest import SH
from zhengwu.workcalendar.workdays import add_working_days

YEAR = (dt.datetime(2026, 1, 1, tzinfo=SH), dt.datetime(2027, 1, 1, tzinfo=SH))


def run(code: str, actor="supervision") -> list[SupervisionRecord]:
    rules_run(actor=actor, start=YEAR[0], end=YEAR[1], codes=[code])
    return list(SupervisionRecord.objects.filter(rule_code=code))


def _day(d: dt.date, hour=10) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, hour, tzinfo=SH)


# A01 -------------------------------------------------------------------------------------------

def test_a01_correction_notice_after_five_working_days_hits(submitted, clerk):
    late = _day(add_working_days(submitted.received_at.date(), 6))
    CorrectionNotice.objects.create(case=submitted, items=[{"name": "营业执照", "reason": "模糊"}], issued_at=late,
                                    issued_by=clerk, deadline=late.date() + dt.timedelta(days=20))
    (hit,) = run("A01")
    assert hit.case_id == submitted.pk and hit.responsible_user_id == clerk.pk
    assert hit.evidence["working_days"] == 6 and hit.rule_version == 1


def test_a01_notice_on_the_fifth_working_day_does_not_hit(submitted, clerk):
    on_time = _day(add_working_days(submitted.received_at.date(), 5), 17)
    CorrectionNotice.objects.create(case=submitted, items=[], issued_at=on_time, issued_by=clerk,
                                    deadline=on_time.date() + dt.timedelta(days=20))
    assert run("A01") == []


# A02 -------------------------------------------------------------------------------------------

def test_a02_second_correction_notice_hits_once_even_when_rerun(submitted, clerk):
    cs.case_request_correction(actor=clerk, case_no=submitted.case_no, deadline_days=10,
                               items=[CorrectionItem(name="营业执照", reason="模糊")])
    CaseEvent.objects.create(case=submitted, occurred_at=timezone.now() + dt.timedelta(days=3),
                             action="request_correction", actor=clerk, role="clerk", note="再次补正")
    assert len(run("A02")) == 1
    assert len(run("A02")) == 1  # re-runnable: no duplicate


def test_a02_a_single_notice_does_not_hit(submitted, clerk):
    cs.case_request_correction(actor=clerk, case_no=submitted.case_no, deadline_days=10,
                               items=[CorrectionItem(name="营业执照", reason="模糊")])
    assert run("A02") == []


# A03 -------------------------------------------------------------------------------------------

def test_a03_denial_without_reasons_or_report_hits(awaiting_decision, chief_representative):
    Decision.objects.create(case=awaiting_decision, outcome="deny", reasons="", decided_by=chief_representative,
                            decided_at=timezone.now())
    (hit,) = run("A03")
    assert "未说明理由" in hit.description and "未否定报备" in hit.description


def test_a03_rejection_without_reason_hits(submitted):
    type(submitted).objects.filter(pk=submitted.pk).update(status=Status.REJECTED, closed_at=timezone.now(),
                                                           rejection_reason="")
    (hit,) = run("A03")
    assert "不予受理" in hit.description


def test_a03_reasoned_and_reported_denial_does_not_hit(awaiting_decision, chief_representative, leader):
    cs.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="deny",
                   reasons="经现场核查，经营场所不符合食品安全要求")
    assert run("A03") == []


# A04 -------------------------------------------------------------------------------------------

def test_a04_special_procedure_without_written_notice_hits(accepted, reviewer):
    SpecialProcedure.objects.create(case=accepted, kind="expert_review", reason="专家评审", expected_value=10,
                                    resume_status=Status.ACCEPTED, started_at=timezone.now(), started_by=reviewer)
    (hit,) = run("A04")
    assert hit.responsible_user_id == reviewer.pk


def test_a04_special_procedure_started_through_the_service_does_not_hit(accepted, reviewer):
    cs.case_special_procedure_start(actor=reviewer, case_no=accepted.case_no, kind="expert_review",
                                    reason="需组织专家评审", expected_value=10)
    assert run("A04") == []


# A05 -------------------------------------------------------------------------------------------

def test_a05_extension_beyond_the_legal_maximum_hits(accepted, leader):
    Extension.objects.create(case=accepted, days=20, reason="情况复杂", approver=leader, approver_position="leader",
                             approved_at=timezone.now())
    (hit,) = run("A05")
    assert "超过上限 10" in hit.description


def test_a05_extension_approved_by_a_clerk_hits(accepted, clerk):
    Extension.objects.create(case=accepted, days=5, reason="情况复杂", approver=clerk, approver_position="clerk",
                             approved_at=timezone.now())
    (hit,) = run("A05")
    assert "无批准权限" in hit.description


def test_a05_approved_extension_does_not_hit(accepted, leader):
    cs.case_extend(actor=leader, case_no=accepted.case_no, days=10, reason="需补充核查")
    assert run("A05") == []


# A06 -------------------------------------------------------------------------------------------

def test_a06_decision_on_the_day_of_acceptance_for_an_expert_review_item_hits(awaiting_decision,
                                                                               chief_representative):
    # The item's process includes an expert review (catalog special procedure).
    cs.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="approve",
                   reasons="符合条件")
    (hit,) = run("A06")
    assert hit.evidence["working_days"] == 0


def test_a06_decision_after_the_minimum_does_not_hit(awaiting_decision, chief_representative, clock):
    clock.move_to(dt.datetime(2026, 3, 5, 10, tzinfo=SH))
    cs.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="approve",
                   reasons="符合条件")
    assert run("A06") == []


def test_a06_items_without_inspection_or_review_are_not_checked(dept_market, awaiting_decision,
                                                                chief_representative):
    rule_update(actor="supervision", code="A06", parameters={"special_kinds": [], "step_keywords": ["现场踏勘"]})
    cs.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="approve",
                   reasons="符合条件")
    assert run("A06") == []


# A07 -------------------------------------------------------------------------------------------

def test_a07_case_registered_after_its_decision_hits(awaiting_decision, chief_representative):
    cs.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="approve",
                   reasons="符合条件")
    type(awaiting_decision).objects.filter(pk=awaiting_decision.pk).update(
        created_at=timezone.now() + dt.timedelta(days=2))
    (hit,) = run("A07")
    assert "先办后补" in hit.description


def test_a07_normal_order_does_not_hit(awaiting_decision, chief_representative):
    cs.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="approve",
                   reasons="符合条件")
    assert run("A07") == []


# A08 -------------------------------------------------------------------------------------------

def test_a08_fee_item_of_another_item_hits(accepted, clerk, dept_market):
    other = published_item(dept_market, name="另一事项", themes=[], fee_required=True, fee_basis="文件",
                           fees=[{"order": 1, "name": "检测费", "standard": "100元", "basis": "文件"}])
    foreign = other.current_version.fees.get()  # type: ignore[union-attr]
    notice = FeeNotice.objects.create(case=accepted, notice_no="JF-1", total=Decimal("100"),
                                      issued_at=timezone.now(), issued_by=clerk)
    FeeNoticeLine.objects.create(fee_notice=notice, fee_item=foreign, name=foreign.name, amount=Decimal("100"))
    (hit,) = run("A08")
    assert "不在本事项收费目录" in hit.description and hit.responsible_user_id == clerk.pk


def test_a08_catalog_fee_does_not_hit(accepted, clerk):
    fee = accepted.item_version.fees.get()
    cs.fee_notice_issue(actor=clerk, case_no=accepted.case_no, lines=[FeeLineInput(fee_item_id=fee.pk, amount=10)])
    assert run("A08") == []


# A09 -------------------------------------------------------------------------------------------

def test_a09_acceptance_by_staff_not_posted_to_a_window_of_the_item_hits(accepted, clerk):
    # The item is served by no window the clerk is posted to.
    hits = run("A09")
    assert hits and all(h.responsible_user_id == clerk.pk for h in hits)
    assert "accept" in {h.evidence["action"] for h in hits}


def test_a09_staff_at_a_window_serving_the_item_do_not_hit(item, window_market, submitted, clerk):
    item.windows.add(window_market)
    cs.case_accept(actor=clerk, case_no=submitted.case_no)
    assert run("A09") == []


# A10 -------------------------------------------------------------------------------------------

def _rated(case, level, when):
    return Rating.objects.create(case=case, level=level, channel="pc", rated_at=when)


def test_a10_bad_rating_without_follow_up_hits_after_the_period(accepted, clock):
    _rated(accepted, "very_dissatisfied", timezone.now())
    assert run("A10") == []  # still within the 15 working days
    clock.move_to(dt.datetime(2026, 3, 25, 9, tzinfo=SH))
    (hit,) = run("A10")
    assert hit.evidence["level"] == "very_dissatisfied"


def test_a10_followed_up_or_good_ratings_do_not_hit(accepted, clock, clerk, awaiting_decision):
    _rated(accepted, "dissatisfied", timezone.now())
    CaseEvent.objects.create(case=accepted, occurred_at=timezone.now() + dt.timedelta(days=1),
                             action="rating_follow_up", actor=clerk, role="clerk", note="已回访")
    clock.move_to(dt.datetime(2026, 3, 25, 9, tzinfo=SH))
    assert run("A10") == []


# running rules ------------------------------------------------------------------------------------

def test_a_disabled_rule_does_not_run_and_versions_are_recorded(accepted, leader):
    Extension.objects.create(case=accepted, days=20, reason="情况复杂", approver=leader, approver_position="leader",
                             approved_at=timezone.now())
    rule_update(actor="supervision", code="A05", enabled=False)
    assert run("A05") == []
    rule = rule_update(actor="supervision", code="A05", enabled=True)
    (hit,) = run("A05")
    assert hit.rule_version == rule.version == 3


def test_only_supervisors_run_rules(accepted, clerk, supervisor):
    with pytest.raises(PermissionDenied):
        rules_run(actor=clerk, start=YEAR[0], end=YEAR[1])
    assert isinstance(rules_run(actor=supervisor, start=YEAR[0], end=YEAR[1]), dict)


def test_the_command_reruns_rules_over_a_month(submitted, clerk):
    import io

    from django.core.management import call_command

    late = _day(add_working_days(submitted.received_at.date(), 7))
    CorrectionNotice.objects.create(case=submitted, items=[], issued_at=late, issued_by=clerk,
                                    deadline=late.date() + dt.timedelta(days=20))
    out = io.StringIO()
    call_command("supervision_rules", "--month", "2026-03", "--rule", "A01", stdout=out)
    assert "A01：命中 1，新记录 1" in out.getvalue()
    call_command("supervision_rules", "--month", "2026-03", "--rule", "A01", stdout=out)
    assert "A01：命中 1，新记录 0" in out.getvalue()
