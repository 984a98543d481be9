"""Deemed acceptance, correction lapse and deemed approval, driven by time-machine THROUGH the sweeper."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from zhengwu.cases import services
from zhengwu.cases.models import Case, Decision
from zhengwu.cases.services import CorrectionItem
from zhengwu.cases.states import Status
from zhengwu.cases.tests.conftest import SH, clock_of, moment, pdf_text
from zhengwu.core.models import AuditEvent
from zhengwu.workcalendar.sweeper import sweep_once
from zhengwu.workcalendar.workdays import add_working_days


def _at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, 0, tzinfo=SH)


def test_no_notice_within_five_working_days_is_accepted_from_receipt(submitted, clock):
    received = submitted.received_at
    clock.move_to(_at(9, 18))          # the 5th working day after Monday 3-02 is Monday 3-09: not yet due
    sweep_once()
    assert Case.objects.get(pk=submitted.pk).status == Status.SUBMITTED
    clock.move_to(_at(10, 9))          # the limit ended at 24:00 on 3-09
    result = sweep_once()
    assert result.errors == 0
    case = Case.objects.get(pk=submitted.pk)
    assert case.status == Status.ACCEPTED and case.deemed_accepted
    assert case.accepted_at == received                       # 行政许可法 §32(4): from the day of receipt
    legal = clock_of(case, services.CLOCK_LEGAL)
    assert legal.started_at == received
    assert legal.due_date == add_working_days(dt.date(2026, 3, 2), 20)
    assert "自收到申请材料之日起即为受理" in pdf_text(case.acceptance_pdf)
    assert case.events.filter(action="deem_accept", role="system").count() == 1
    assert AuditEvent.objects.filter(action="case.deem_accept", actor_label="clock_sweeper").exists()
    # Exactly once: a second tick changes nothing.
    sweep_once()
    assert case.events.filter(action="deem_accept").count() == 1


def test_management_command_runs_one_tick(submitted, clock):
    clock.move_to(_at(11))
    call_command("run_clock", "--once")
    assert Case.objects.get(pk=submitted.pk).deemed_accepted


def test_a_correction_notice_in_time_prevents_deemed_acceptance_and_lapses(submitted, clerk, clock):
    services.case_request_correction(actor=clerk, case_no=submitted.case_no, deadline_days=10,
                                     items=[CorrectionItem(name="身份证复印件", reason="不清晰")])
    clock.move_to(_at(10))
    sweep_once()
    case = Case.objects.get(pk=submitted.pk)
    assert case.status == Status.CORRECTION and not case.deemed_accepted
    clock.move_to(_at(17))             # 10 WD from 3-02 ended at 24:00 on 3-16
    sweep_once()
    case.refresh_from_db()
    assert case.status == Status.TERMINATED and "逾期未补正" in case.close_reason


def test_promised_limit_passed_without_decision_is_deemed_approved(accepted, leader, clock):
    services.case_item_policy_set(actor=leader, item_id=accepted.item_id, deemed_approval_enabled=True,
                                  joint_handling=False)
    due = moment(clock_of(accepted, services.CLOCK_PROMISED).due_at)
    clock.move_to(due - dt.timedelta(minutes=1))
    sweep_once()
    assert Case.objects.get(pk=accepted.pk).status == Status.ACCEPTED
    clock.move_to(due + dt.timedelta(hours=9))
    sweep_once()
    case = Case.objects.get(pk=accepted.pk)
    assert case.status == Status.APPROVED and case.deemed_approved and case.decision == "approve"
    decision = Decision.objects.get(case=case)
    assert decision.deemed and decision.decided_by is None
    assert "超时默许" in pdf_text(decision.pdf)
    assert case.events.filter(action="deem_approve", role="system").exists()
    assert clock_of(case, services.CLOCK_LEGAL).status == "completed"
    assert clock_of(case, services.CLOCK_CERTIFICATE).status == "running"


def test_deemed_approval_issues_the_certificate_when_configured(accepted, leader, clock):
    from zhengwu.licences.models import Certificate
    from zhengwu.licences.services import licence_type_create, licence_verify

    licence_type_create(actor="test", code="11100000000013338W001", name="食品经营许可证")
    services.case_item_policy_set(actor=leader, item_id=accepted.item_id, deemed_approval_enabled=True,
                                  joint_handling=False, licence_type_code="11100000000013338W001")
    clock.move_to(moment(clock_of(accepted, services.CLOCK_PROMISED).due_at) + dt.timedelta(hours=9))
    sweep_once()
    case = Case.objects.get(pk=accepted.pk)
    assert case.status == Status.CERTIFICATE_ISSUED
    certificate = Certificate.objects.get(source=case.case_no)
    assert licence_verify(certificate).ok and certificate.content["超时默许"] == "是"


def test_items_without_deemed_approval_only_turn_red(accepted, clock):
    clock.move_to(moment(clock_of(accepted, services.CLOCK_PROMISED).due_at) + dt.timedelta(hours=9))
    sweep_once()
    case = Case.objects.get(pk=accepted.pk)
    assert case.status == Status.ACCEPTED and not case.deemed_approved
    assert AuditEvent.objects.filter(action="clock.overdue", data__kind="case.promised").exists()


def test_suspended_clocks_do_not_fire(accepted, reviewer, clock, leader):
    services.case_item_policy_set(actor=leader, item_id=accepted.item_id, deemed_approval_enabled=True,
                                  joint_handling=False)
    services.case_special_procedure_start(actor=reviewer, case_no=accepted.case_no, kind="expert_review",
                                          reason="专家评审", expected_value=20)
    clock.move_to(_at(30))
    sweep_once()
    assert Case.objects.get(pk=accepted.pk).status == Status.SUSPENDED


def test_deemed_approval_stands_when_the_certificate_must_wait(accepted, leader, clerk, clock):
    from zhengwu.licences.services import licence_type_create

    licence_type_create(actor="test", code="11100000000013338W001", name="食品经营许可证")
    services.case_item_policy_set(actor=leader, item_id=accepted.item_id, deemed_approval_enabled=True,
                                  joint_handling=False, licence_type_code="11100000000013338W001")
    fee = accepted.item_version.fees.get()
    services.fee_notice_issue(actor=clerk, case_no=accepted.case_no,
                              lines=[services.FeeLineInput(fee_item_id=fee.pk, amount="10")])
    clock.move_to(moment(clock_of(accepted, services.CLOCK_PROMISED).due_at) + dt.timedelta(hours=9))
    result = sweep_once()
    assert result.errors == 0
    case = Case.objects.get(pk=accepted.pk)
    assert case.status == Status.APPROVED and case.deemed_approved          # unpaid fee: no certificate yet
    assert AuditEvent.objects.filter(action="case.issue_certificate", data__outcome="deferred").exists()
    assert clock_of(case, services.CLOCK_CERTIFICATE).status == "running"


def test_corrected_application_gets_a_new_acceptance_period_without_a_second_deemed_acceptance(
        submitted, clerk, applicant, item, clock):
    from zhengwu.cases.services import MaterialInput
    from zhengwu.cases.tests.conftest import PDF
    from zhengwu.workcalendar.models import ClockEvent

    req = item.current_version.materials.first()
    services.case_request_correction(actor=clerk, case_no=submitted.case_no,
                                     items=[CorrectionItem(requirement_id=req.pk, reason="未签字")])
    clock.move_to(_at(4, 10))          # corrections supplied on Wednesday 3-04
    services.case_submit_correction(actor=applicant, case_no=submitted.case_no,
                                    materials=[MaterialInput(requirement_id=req.pk, content=PDF, filename="x.pdf")])
    case = Case.objects.get(pk=submitted.pk)
    again = clock_of(case, services.CLOCK_ACCEPTANCE)
    assert again.status == "running" and again.due_date == add_working_days(dt.date(2026, 3, 4), 5)
    clock.move_to(_at(12, 9))          # past the new period: the overdue event fires, acceptance is not deemed
    assert sweep_once().errors == 0
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and not case.deemed_accepted
    assert ClockEvent.objects.filter(clock=again, kind="overdue").count() == 1
    assert services.case_accept(actor=clerk, case_no=case.case_no).status == Status.ACCEPTED
    assert clock_of(case, services.CLOCK_ACCEPTANCE).status == "completed"


def test_a_deferred_certificate_of_a_deemed_approval_is_retried_by_the_certificate_clock(accepted, leader, clock):
    from zhengwu.licences.models import Certificate, LicenceType
    from zhengwu.licences.services import licence_type_create, licence_verify

    licence_type_create(actor="test", code="11100000000013338W001", name="食品经营许可证")
    LicenceType.objects.filter(code="11100000000013338W001").update(is_active=False)
    services.case_item_policy_set(actor=leader, item_id=accepted.item_id, deemed_approval_enabled=True,
                                  joint_handling=False, licence_type_code="11100000000013338W001")
    clock.move_to(moment(clock_of(accepted, services.CLOCK_PROMISED).due_at) + dt.timedelta(hours=9))
    sweep_once()
    case = Case.objects.get(pk=accepted.pk)
    assert case.status == Status.APPROVED and case.deemed_approved and not Certificate.objects.exists()
    assert AuditEvent.objects.filter(action="case.issue_certificate", data__outcome="deferred").count() == 1
    LicenceType.objects.filter(code="11100000000013338W001").update(is_active=True)  # the cause is fixed
    certificate_clock = clock_of(case, services.CLOCK_CERTIFICATE)
    clock.move_to(moment(certificate_clock.warn_at) + dt.timedelta(minutes=1))
    assert sweep_once().errors == 0
    case.refresh_from_db()
    assert case.status == Status.CERTIFICATE_ISSUED
    certificate = Certificate.objects.get(source=case.case_no)
    assert licence_verify(certificate).ok
    assert clock_of(case, services.CLOCK_CERTIFICATE).status == "completed"
    assert AuditEvent.objects.filter(action="case.issue_certificate", data__retry=True).count() == 1
    clock.move_to(moment(certificate_clock.due_at) + dt.timedelta(hours=1))
    sweep_once()
    assert Certificate.objects.filter(source=case.case_no).count() == 1  # exactly once
