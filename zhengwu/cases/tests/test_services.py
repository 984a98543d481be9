"""Case services: every rule of the lifecycle, on the real database, with the real calendar."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from zhengwu.cases import selectors, services
from zhengwu.cases.models import (
    ApplicantType,
    Case,
    CaseEvent,
    CaseMaterial,
    CorrectionNotice,
    DenialReport,
    IdType,
)
from zhengwu.cases.services import CorrectionItem, MaterialInput
from zhengwu.cases.states import Status
from zhengwu.cases.tests.conftest import (
    ID_PERSON,
    PDF,
    PNG,
    SH,
    USCC_ORG,
    clock_of,
    full_materials,
    pdf_text,
    person,
)
from zhengwu.catalog.codes import SpecialProcedureKind
from zhengwu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.documents.notice import chinese_date
from zhengwu.notify.models import Notice
from zhengwu.workcalendar.workdays import add_working_days

# --- submission -------------------------------------------------------------------------------

def test_submit_creates_one_case_per_idempotency_key(item, applicant, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                     materials=full_materials(item), idempotency_key="dup-1")
    again = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                 materials=full_materials(item), idempotency_key="dup-1")
    assert again.pk == first.pk and Case.objects.count() == 1
    assert re.fullmatch(r"2026-[A-Z]+-000001", first.case_no)
    assert re.fullmatch(r"[A-Z2-9]{8}", first.query_code)
    assert first.status == Status.SUBMITTED and first.received_at is not None
    assert first.item_version_id == item.current_version_id and first.department_id == item.department_id
    assert first.materials.count() == 2
    assert AuditEvent.objects.filter(action="case.submit", object_id=str(first.pk)).count() == 1
    # 行政许可法 §32(4): the 5-WD acceptance clock runs from receipt.
    acceptance = clock_of(first, services.CLOCK_ACCEPTANCE)
    assert acceptance.due_date == add_working_days(dt.date(2026, 3, 2), 5)
    assert Notice.objects.filter(recipient=applicant, template="case.submitted").count() == 1


def test_draft_then_submit(item, applicant):
    draft = services.case_draft_create(actor=applicant, item_id=item.pk, applicant=person())
    assert draft.status == Status.DRAFT
    services.case_material_add(actor=applicant, case_no=draft.case_no, materials=full_materials(item))
    case = services.case_submit(actor=applicant, case_no=draft.case_no)
    assert case.status == Status.SUBMITTED and case.version == draft.version + 1


def test_case_numbers_count_per_department_and_year(item, applicant):
    nos = [services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                materials=full_materials(item), idempotency_key=f"n-{i}").case_no for i in range(3)]
    assert [n[-6:] for n in nos] == ["000001", "000002", "000003"]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"id_number": "110105194912310021"}, "applicant_id_number"),     # wrong check digit
    ({"id_number": "11010519491331002X"}, "applicant_id_number"),     # 13th month
    ({"phone": "12345"}, "applicant_phone"),
    ({"name": "  "}, "applicant_name"),
    ({"id_type": IdType.USCC, "id_number": USCC_ORG}, "applicant_id_type"),  # a person with a USCC
])
def test_bad_applicant_data_is_refused_and_changes_nothing(item, applicant, kwargs, field):
    with pytest.raises(ValidationFailed) as info:
        services.case_submit(actor=applicant, item_id=item.pk, applicant=person(**kwargs),
                             materials=full_materials(item))
    assert info.value.field == field
    assert not Case.objects.exists() and not CaseMaterial.objects.exists()


def test_retired_area_code_and_organisations_are_accepted(item, clerk):
    # RULES §9: 440524 is a retired county code; the check digit and date are valid.
    case = services.case_register_walk_in(actor=clerk, item_id=item.pk, applicant=person(id_number="440524188001010014"),
                                          materials=full_materials(item))
    assert case.applicant_id_number == "440524188001010014"
    org = services.case_register_walk_in(
        actor=clerk, item_id=item.pk, materials=full_materials(item),
        applicant=person(applicant_type=ApplicantType.ORGANISATION, name="清溪县好味食品有限公司", id_type=IdType.USCC,
                         id_number=USCC_ORG.lower(), legal_representative="王五",
                         agent_name="赵六", agent_id_number=ID_PERSON))
    assert org.applicant_id_number == USCC_ORG and org.agent_name == "赵六"
    with pytest.raises(ValidationFailed, match="统一社会信用代码"):
        services.case_register_walk_in(
            actor=clerk, item_id=item.pk, materials=full_materials(item),
            applicant=person(applicant_type=ApplicantType.ORGANISATION, name="某公司", id_type=IdType.USCC,
                             id_number="91610800064834709A"))


def test_walk_in_makes_the_clerk_first_responder(item, clerk, window_market):
    case = services.case_register_walk_in(actor=clerk, item_id=item.pk, applicant=person(),
                                          materials=full_materials(item), window_id=window_market.pk)
    assert case.status == Status.SUBMITTED and case.first_responder == clerk and case.applicant is None
    assert case.window == window_market and case.channel == "window"


def test_walk_in_needs_a_counter_post(item, reviewer, outsider):
    for actor in (reviewer, outsider):
        with pytest.raises(PermissionDenied):
            services.case_register_walk_in(actor=actor, item_id=item.pk, applicant=person(),
                                           materials=full_materials(item))


def test_uploads_are_sniffed_by_content_and_size(item, applicant, settings):
    req = item.current_version.materials.first()
    exe = MaterialInput(requirement_id=req.pk, content=b"MZ\x90\x00 fake pdf", filename="申请书.pdf")
    with pytest.raises(ValidationFailed, match="格式不受支持"):
        services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=[exe])
    settings.ZHENGWU_UPLOAD_MAX_BYTES = 20
    with pytest.raises(ValidationFailed, match="超过大小上限"):
        services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                             materials=[MaterialInput(requirement_id=req.pk, content=PDF, filename="a.pdf")])
    settings.ZHENGWU_UPLOAD_MAX_BYTES = 1024
    case = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                materials=[MaterialInput(requirement_id=req.pk, content=PNG, filename="a.bin")])
    assert case.materials.get().content_type == "image/png"


# --- acceptance, rejection, correction --------------------------------------------------------

def test_accept_issues_voucher_and_starts_both_clocks(submitted, clerk, item):
    case = services.case_accept(actor=clerk, case_no=submitted.case_no)
    assert case.status == Status.ACCEPTED and case.accepted_at is not None
    assert "受字" in case.acceptance_no and case.first_responder == clerk
    text = pdf_text(case.acceptance_pdf)
    assert "受理通知书" in text and case.case_no in text
    legal, promised = clock_of(case, services.CLOCK_LEGAL), clock_of(case, services.CLOCK_PROMISED)
    assert legal.due_date == add_working_days(dt.date(2026, 3, 2), 20)
    assert promised.due_date == add_working_days(dt.date(2026, 3, 2), 5)
    assert f"承诺办结日期：{chinese_date(promised.due_date)}前" in text
    assert f"法定办结期限：{chinese_date(legal.due_date)}前" in text
    assert clock_of(case, services.CLOCK_ACCEPTANCE).status == "completed"
    assert getattr(case.current_step, "name", None) == "审查"


def test_accept_with_missing_materials_is_refused(item, applicant, clerk):
    one = full_materials(item)[:1]
    case = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=one)
    with pytest.raises(ValidationFailed, match="申请材料不齐全"):
        services.case_accept(actor=clerk, case_no=case.case_no)
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    missing = item.current_version.materials.exclude(pk=one[0].requirement_id).get()
    services.case_request_correction(actor=clerk, case_no=case.case_no,
                                     items=[CorrectionItem(requirement_id=missing.pk, reason="未提交")])
    assert case.materials.get(requirement=missing).state == CaseMaterial.State.MISSING
    services.case_submit_correction(actor=applicant, case_no=case.case_no, materials=[
        MaterialInput(requirement_id=missing.pk, content=PDF, filename="b.pdf")])
    assert case.materials.get(requirement=missing).state == CaseMaterial.State.RECEIVED
    assert services.case_accept(actor=clerk, case_no=case.case_no).status == Status.ACCEPTED


def test_immediate_item_is_decided_on_the_spot(immediate_item, applicant, clerk):
    case = services.case_register_walk_in(actor=clerk, item_id=immediate_item.pk, applicant=person(),
                                          materials=full_materials(immediate_item))
    case = services.case_accept(actor=clerk, case_no=case.case_no)
    assert case.status == Status.APPROVED and case.completed_on_site
    assert case.decision_record.outcome == "approve"
    assert clock_of(case, services.CLOCK_LEGAL).status == "completed"


def test_reject_writes_the_notice_with_reason_and_remedies(submitted, clerk):
    case = services.case_reject(actor=clerk, case_no=submitted.case_no, reason="申请事项不属于本机关职权范围",
                                competent_agency="清溪县卫生健康局")
    assert case.status == Status.REJECTED and case.closed_at is not None
    text = pdf_text(case.rejection_pdf)
    assert "不予受理通知书" in text and "清溪县卫生健康局" in text and "行政复议" in text and "行政诉讼" in text
    assert clock_of(case, services.CLOCK_ACCEPTANCE).status == "stopped"
    with pytest.raises(ValidationFailed):
        services.case_reject(actor=clerk, case_no=case.case_no, reason=" ")


def test_one_time_correction_notice_and_a_second_is_refused(submitted, clerk, applicant, item):
    req = item.current_version.materials.first()
    notice = services.case_request_correction(
        actor=clerk, case_no=submitted.case_no,
        items=[CorrectionItem(requirement_id=req.pk, reason="未签字"), CorrectionItem(name="授权委托书", reason="缺少")])
    case = Case.objects.get(pk=submitted.pk)
    assert case.status == Status.CORRECTION and len(notice.items) == 2
    assert case.materials.get(requirement=req).state == CaseMaterial.State.NON_COMPLIANT
    assert "补字" in notice.notice_no and "未签字" in pdf_text(notice.pdf)
    assert clock_of(case, services.CLOCK_ACCEPTANCE).status == "completed"
    assert clock_of(case, services.CLOCK_CORRECTION).status == "running"
    services.case_submit_correction(actor=applicant, case_no=case.case_no,
                                    materials=[MaterialInput(requirement_id=req.pk, content=PDF, filename="x.pdf")])
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and CorrectionNotice.objects.get().answered_at is not None
    with pytest.raises(Conflict, match="一次性告知"):
        services.case_request_correction(actor=clerk, case_no=case.case_no, items=[CorrectionItem(name="x", reason="y")])
    assert CorrectionNotice.objects.count() == 1
    assert services.case_accept(actor=clerk, case_no=case.case_no).status == Status.ACCEPTED


def test_correction_after_five_working_days_is_refused(submitted, clerk, clock):
    clock.move_to(dt.datetime(2026, 3, 10, 9, 0, tzinfo=SH))  # 6 WD after receipt, sweeper not yet run
    with pytest.raises(Conflict, match="视为受理"):
        services.case_request_correction(actor=clerk, case_no=submitted.case_no,
                                         items=[CorrectionItem(name="x", reason="y")])
    assert not CorrectionNotice.objects.exists()


# --- review steps -----------------------------------------------------------------------------

def test_steps_are_acted_on_only_by_the_named_role(accepted, clerk, reviewer, chief_representative):
    with pytest.raises(PermissionDenied):
        services.case_step_pass(actor=chief_representative, case_no=accepted.case_no, opinion="越级")
    case = services.case_step_pass(actor=reviewer, case_no=accepted.case_no, opinion="符合")
    assert getattr(case.current_step, "name", None) == "决定" and case.status == Status.ACCEPTED
    with pytest.raises(PermissionDenied):
        services.case_step_pass(actor=reviewer, case_no=accepted.case_no, opinion="再来")
    case = services.case_step_pass(actor=chief_representative, case_no=accepted.case_no, opinion="拟准予")
    assert case.status == Status.AWAITING_DECISION and case.current_step is None
    assert [r.action for r in case.step_records.all()] == ["pass", "pass"]
    # Each step's time runs from the end of the one before it, the first from acceptance.
    first, second = case.step_records.order_by("ended_at", "id")
    assert first.started_at == case.accepted_at and second.started_at == first.ended_at
    assert first.ended_at < second.ended_at


def test_backup_post_acts_when_the_primary_is_absent(accepted, reviewer, dept_market):
    from zhengwu.org.models import Absence, BackupPost, Position, StaffPost
    from zhengwu.org.tests.factories import UserFactory

    backup_user: Any = UserFactory(username="backup", real_name="冯备岗")
    backup_post = StaffPost.objects.create(user=backup_user, position=Position.CLERK, department=dept_market)
    BackupPost.objects.create(primary=StaffPost.objects.get(user=reviewer), backup=backup_post)
    with pytest.raises(PermissionDenied):
        services.case_step_pass(actor=backup_user, case_no=accepted.case_no, opinion="代岗")
    Absence.objects.create(user=reviewer, starts_on=dt.date(2026, 3, 2), ends_on=dt.date(2026, 3, 6), reason="培训")
    case = services.case_step_pass(actor=backup_user, case_no=accepted.case_no, opinion="B岗代办")
    record = case.step_records.get()
    assert record.actor == backup_user and record.acting_for == reviewer


def test_step_return_goes_back_with_reason(awaiting_decision, reviewer, leader, item):
    first = item.current_version.steps.order_by("order").first()
    with pytest.raises(ValidationFailed):
        services.case_step_return(actor=leader, case_no=awaiting_decision.case_no, to_step_id=first.pk, reason="")
    case = services.case_step_return(actor=leader, case_no=awaiting_decision.case_no, to_step_id=first.pk,
                                     reason="核查现场")
    assert case.status == Status.ACCEPTED and case.current_step == first
    last = case.step_records.last()
    assert last is not None and last.action == "return" and last.returned_to == first
    case = services.case_step_pass(actor=reviewer, case_no=case.case_no, opinion="已核查")
    assert getattr(case.current_step, "name", None) == "决定"


# --- special procedure and extension ------------------------------------------------------------

def test_special_procedure_suspends_both_clocks_and_moves_the_due_dates(accepted, reviewer, clock):
    legal_before = clock_of(accepted, services.CLOCK_LEGAL).due_date
    promised_before = clock_of(accepted, services.CLOCK_PROMISED).due_date
    clock.move_to(dt.datetime(2026, 3, 3, 10, 0, tzinfo=SH))   # Tue
    procedure = services.case_special_procedure_start(actor=reviewer, case_no=accepted.case_no,
                                                      kind=SpecialProcedureKind.EXPERT_REVIEW,
                                                      reason="需组织专家评审", expected_value=10)
    case = Case.objects.get(pk=accepted.pk)
    assert case.status == Status.SUSPENDED and "特别程序告知书" in pdf_text(procedure.notice_pdf)
    assert {c.status for c in services.case_clocks(case, services.DECISION_CLOCKS)} == {"suspended"}
    with pytest.raises(Conflict):
        services.case_step_pass(actor=reviewer, case_no=case.case_no, opinion="挂起中")
    clock.move_to(dt.datetime(2026, 3, 6, 10, 0, tzinfo=SH))   # Fri: 3 working days suspended (Wed–Fri)
    services.case_special_procedure_end(actor=reviewer, case_no=case.case_no, result="专家评审通过")
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    suspended_wd = 3
    assert clock_of(case, services.CLOCK_LEGAL).due_date == add_working_days(legal_before, suspended_wd)
    assert clock_of(case, services.CLOCK_PROMISED).due_date == add_working_days(promised_before, suspended_wd)


def test_special_procedure_kind_must_be_listed_for_the_item(accepted, reviewer):
    with pytest.raises(ValidationFailed, match="未列明"):
        services.case_special_procedure_start(actor=reviewer, case_no=accepted.case_no,
                                              kind=SpecialProcedureKind.HEARING, reason="听证", expected_value=20)


def test_extension_once_at_most_ten_working_days_by_a_leader(accepted, leader, reviewer, outbox,
                                                            django_capture_on_commit_callbacks):
    legal_before = clock_of(accepted, services.CLOCK_LEGAL).due_date
    with pytest.raises(PermissionDenied):
        services.case_extend(actor=reviewer, case_no=accepted.case_no, days=5, reason="情况复杂")
    with pytest.raises(ValidationFailed, match="1–10"):
        services.case_extend(actor=leader, case_no=accepted.case_no, days=11, reason="情况复杂")
    with django_capture_on_commit_callbacks(execute=True):
        extension = services.case_extend(actor=leader, case_no=accepted.case_no, days=10, reason="需现场核查")
    assert "延期告知书" in pdf_text(extension.notice_pdf) and extension.approver_position == "leader"
    assert clock_of(accepted, services.CLOCK_LEGAL).due_date == add_working_days(legal_before, 10)
    with pytest.raises(Conflict, match="只能延长一次"):
        services.case_extend(actor=leader, case_no=accepted.case_no, days=1, reason="再延")
    assert any("需现场核查" in m.body for m in outbox)


def test_joint_handling_allows_fifteen(item, applicant, clerk, leader, section_head):
    services.case_item_policy_set(actor=leader, item_id=item.pk, deemed_approval_enabled=False, joint_handling=True)
    case = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=full_materials(item))
    case = services.case_accept(actor=clerk, case_no=case.case_no)
    assert case.joint_handling
    with pytest.raises(ValidationFailed, match="1–15"):
        services.case_extend(actor=section_head, case_no=case.case_no, days=16, reason="联合办理")
    assert services.case_extend(actor=section_head, case_no=case.case_no, days=15, reason="联合办理").days == 15


# --- decision -----------------------------------------------------------------------------------

def test_deny_needs_reasons_and_reports_to_the_leader(awaiting_decision, chief_representative, leader, supervisor,
                                                     django_capture_on_commit_callbacks):
    with pytest.raises(ValidationFailed):
        services.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="deny")
    with django_capture_on_commit_callbacks(execute=True):
        decision = services.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no,
                                        outcome="deny", reasons="经营场所不符合食品安全要求")
    case = decision.case
    assert case.status == Status.DENIED and case.decided_at is not None
    text = pdf_text(decision.pdf)
    assert "不予行政许可决定书" in text and "经营场所不符合食品安全要求" in text
    assert "六十日" in text and "六个月" in text and "行政复议" in text
    report = DenialReport.objects.get(case=case)
    assert report.reported_to == leader
    assert Notice.objects.filter(recipient=leader, template="case.denial_report").exists()
    assert list(selectors.denial_report_list_visible_to(user=supervisor)) == [report]
    assert list(selectors.denial_report_list_visible_to(user=leader)) == [report]
    assert {c.status for c in services.case_clocks(case, services.DECISION_CLOCKS, open_only=False)} == {"completed"}


def test_only_deciders_decide(awaiting_decision, clerk, reviewer):
    for actor in (clerk, reviewer):
        with pytest.raises(PermissionDenied):
            services.case_decide(actor=actor, case_no=awaiting_decision.case_no, outcome="approve")


def test_decide_before_review_is_a_conflict(accepted, chief_representative):
    with pytest.raises(Conflict) as info:
        services.case_decide(actor=chief_representative, case_no=accepted.case_no, outcome="approve")
    assert info.value.status == 409


# --- fees, certificate, delivery, rating ----------------------------------------------------------

def _licence_setup(item, leader):
    from zhengwu.licences.services import licence_type_create

    licence_type_create(actor="test", code="11100000000013338W001", name="食品经营许可证")
    services.case_item_policy_set(actor=leader, item_id=item.pk, deemed_approval_enabled=False, joint_handling=False,
                                  licence_type_code="11100000000013338W001", validity_years=5)


def test_fees_only_from_the_catalog_then_certificate_and_delivery(awaiting_decision, chief_representative, clerk,
                                                                  leader, item, applicant):
    from zhengwu.catalog.tests.factories import published_item
    from zhengwu.licences.models import Certificate
    from zhengwu.licences.services import licence_verify

    _licence_setup(item, leader)
    case_no = awaiting_decision.case_no
    other = published_item(item.department, fees=[{"order": 1, "name": "其他费", "standard": "1元", "basis": "x"}],
                           fee_required=True, fee_basis="x")
    assert other.current_version is not None
    foreign_fee = other.current_version.fees.get()
    with pytest.raises(ValidationFailed, match="收费目录"):
        services.fee_notice_issue(actor=clerk, case_no=case_no,
                                  lines=[services.FeeLineInput(fee_item_id=foreign_fee.pk, amount="10")])
    fee = item.current_version.fees.get()
    notice = services.fee_notice_issue(actor=clerk, case_no=case_no,
                                       lines=[services.FeeLineInput(fee_item_id=fee.pk, amount="10")])
    services.case_decide(actor=chief_representative, case_no=case_no, outcome="approve")
    with pytest.raises(Conflict, match="未缴清"):
        services.case_issue_certificate(actor=clerk, case_no=case_no)
    with pytest.raises(ValidationFailed, match="一致"):
        services.payment_record(actor=clerk, notice_no=notice.notice_no, amount="9.99", payer_name="张三")
    receipt = services.payment_record(actor=clerk, notice_no=notice.notice_no, amount="10.00", payer_name="张三")
    assert receipt.receipt_no.startswith("PJ")
    with pytest.raises(Conflict):
        services.payment_record(actor=clerk, notice_no=notice.notice_no, amount="10.00", payer_name="张三")
    certificate = services.case_issue_certificate(actor=clerk, case_no=case_no)
    assert licence_verify(certificate).ok
    case = Case.objects.get(case_no=case_no)
    assert case.status == Status.CERTIFICATE_ISSUED
    assert clock_of(case, services.CLOCK_CERTIFICATE).status == "completed"
    delivery = services.case_deliver(actor=clerk, case_no=case_no, method="post", tracking_no="SF1234567890",
                                     carrier="顺丰", address="清溪县人民路1号")
    case.refresh_from_db()
    assert case.status == Status.DELIVERED and delivery.received_at is None
    with pytest.raises(Conflict):
        services.case_rate(actor=applicant, case_no=case_no, level="satisfied", channel="pc")
    case = services.case_delivery_confirm(actor=clerk, case_no=case_no, recipient_name="张三")
    assert case.status == Status.COMPLETED and case.completed_at is not None
    rating = services.case_rate(actor=applicant, case_no=case_no, level="very_satisfied", channel="mobile", comment="快")
    assert rating.level == "very_satisfied" and rating.get_level_display() == "非常满意"
    with pytest.raises(Conflict, match="只能评价一次"):
        services.case_rate(actor=applicant, case_no=case_no, level="dissatisfied", channel="pc")
    with pytest.raises(ValidationFailed):
        services.case_rate(actor=applicant, case_no=case_no, level="5", channel="pc")
    # The licence is reused by a later application instead of an upload.
    req = item.current_version.materials.order_by("order").last()
    later = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=[
        MaterialInput(requirement_id=req.pk, reused_certificate=certificate.identifier)])
    material = later.materials.get()
    assert material.reused_certificate == certificate.identifier
    assert Certificate.objects.get(pk=certificate.pk).reuse_count == 1


def test_collection_completes_at_once(awaiting_decision, chief_representative, clerk):
    services.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="deny", reasons="不符合")
    services.case_deliver(actor=clerk, case_no=awaiting_decision.case_no, method="collection", recipient_name="张三")
    case = Case.objects.get(pk=awaiting_decision.pk)
    assert case.status == Status.COMPLETED and case.deliveries.get().received_at is not None


# --- withdrawal and termination -----------------------------------------------------------------

def test_applicant_withdraws_before_the_decision_only(accepted, awaiting_decision, applicant, chief_representative):
    case = services.case_withdraw(actor=applicant, case_no=accepted.case_no, reason="不再需要")
    assert case.status == Status.WITHDRAWN
    assert not services.case_clocks(case).exists()


def test_withdraw_after_decision_is_refused(awaiting_decision, applicant, chief_representative):
    services.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="approve")
    with pytest.raises(Conflict):
        services.case_withdraw(actor=applicant, case_no=awaiting_decision.case_no)


def test_terminate_by_staff_with_reason(accepted, section_head, clerk):
    with pytest.raises(PermissionDenied):
        services.case_terminate(actor=clerk, case_no=accepted.case_no, reason="x")
    case = services.case_terminate(actor=section_head, case_no=accepted.case_no, reason="申请人主体资格已注销")
    assert case.status == Status.TERMINATED and case.close_reason == "申请人主体资格已注销"


# --- audit and timeline -------------------------------------------------------------------------

def test_every_action_writes_an_audit_event_and_the_timeline_is_the_event_log(
        item, applicant, clerk, reviewer, chief_representative, leader):
    case = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=full_materials(item))
    req = item.current_version.materials.first()
    services.case_request_correction(actor=clerk, case_no=case.case_no, items=[CorrectionItem(requirement_id=req.pk,
                                                                                              reason="模糊")])
    services.case_submit_correction(actor=applicant, case_no=case.case_no,
                                    materials=[MaterialInput(requirement_id=req.pk, content=PDF, filename="a.pdf")])
    services.case_accept(actor=clerk, case_no=case.case_no)
    services.case_extend(actor=leader, case_no=case.case_no, days=3, reason="核查")
    services.case_step_pass(actor=reviewer, case_no=case.case_no, opinion="好")
    services.case_step_pass(actor=chief_representative, case_no=case.case_no, opinion="好")
    services.case_decide(actor=chief_representative, case_no=case.case_no, outcome="deny", reasons="不符合")
    services.case_deliver(actor=clerk, case_no=case.case_no, method="collection")
    services.case_rate(actor=applicant, case_no=case.case_no, level="satisfied", channel="pc")
    actions = list(AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
                   .values_list("action", flat=True))
    assert actions == ["case.draft_create", "case.submit", "case.request_correction", "case.submit_correction", "case.accept",
                       "case.extend", "case.step_pass", "case.step_pass", "case.decide", "case.deliver", "case.rate"]
    case.refresh_from_db()
    timeline = selectors.case_timeline(case)
    events = list(CaseEvent.objects.filter(case=case).order_by("occurred_at", "id"))
    assert [t.action for t in timeline] == [e.action for e in events]
    assert [t.action for t in timeline] == ["draft", "submit", "request_correction", "submit_correction", "accept",
                                            "extend", "step_pass", "review_complete", "deny", "complete", "rate"]
    assert timeline[-2].status_label == "已办结"
    # Every transition and every step move bumps the version (optimistic concurrency); notes do not.
    transitions = sum(1 for e in events if e.from_status and e.to_status != e.from_status)
    assert case.version == 1 + transitions + 1
    with pytest.raises(RuntimeError):
        events[0].delete()


def test_outsider_gets_404_from_every_service(accepted, outsider):
    for call in (
        lambda: services.case_step_pass(actor=outsider, case_no=accepted.case_no, opinion="x"),
        lambda: services.case_terminate(actor=outsider, case_no=accepted.case_no, reason="x"),
        lambda: services.case_extend(actor=outsider, case_no=accepted.case_no, days=1, reason="x"),
    ):
        with pytest.raises(NotFound):
            call()


def _audited(case) -> list[str]:
    return list(AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
                .values_list("action", flat=True))


def test_the_other_services_are_audited_too(item, applicant, clerk, reviewer, chief_representative, leader,
                                            section_head):
    _licence_setup(item, leader)
    rejected = services.case_register_walk_in(actor=clerk, item_id=item.pk, applicant=person(),
                                              materials=full_materials(item))
    services.case_reject(actor=clerk, case_no=rejected.case_no, reason="不属于本机关职权")
    assert _audited(rejected) == ["case.register_walk_in", "case.reject"]

    withdrawn = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                     materials=full_materials(item))
    services.case_withdraw(actor=applicant, case_no=withdrawn.case_no)
    assert _audited(withdrawn)[-1] == "case.withdraw"

    case = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=full_materials(item))
    services.case_accept(actor=clerk, case_no=case.case_no)
    services.case_special_procedure_start(actor=reviewer, case_no=case.case_no, kind="expert_review",
                                          reason="专家评审", expected_value=5)
    services.case_special_procedure_end(actor=reviewer, case_no=case.case_no, result="通过")
    services.case_step_pass(actor=reviewer, case_no=case.case_no, opinion="好")
    services.case_step_return(actor=chief_representative, case_no=case.case_no,
                              to_step_id=item.current_version.steps.order_by("order").first().pk, reason="再核")
    services.case_step_pass(actor=reviewer, case_no=case.case_no, opinion="已核")
    services.case_step_pass(actor=chief_representative, case_no=case.case_no, opinion="好")
    fee = item.current_version.fees.get()
    notice = services.fee_notice_issue(actor=clerk, case_no=case.case_no,
                                       lines=[services.FeeLineInput(fee_item_id=fee.pk, amount="10")])
    services.payment_record(actor=clerk, notice_no=notice.notice_no, amount="10", payer_name="张三")
    services.case_decide(actor=chief_representative, case_no=case.case_no, outcome="approve")
    services.case_issue_certificate(actor=clerk, case_no=case.case_no)
    services.case_deliver(actor=clerk, case_no=case.case_no, method="post", tracking_no="EMS001", address="某地")
    services.case_delivery_confirm(actor=clerk, case_no=case.case_no)
    assert _audited(case) == [
        "case.draft_create", "case.submit", "case.accept", "case.special_procedure_start",
        "case.special_procedure_end", "case.step_pass", "case.step_return", "case.step_pass", "case.step_pass",
        "case.fee_notice_issue", "case.payment_record", "case.decide", "case.issue_certificate", "case.deliver",
        "case.delivery_confirm"]

    terminated = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                      materials=full_materials(item))
    services.case_terminate(actor=section_head, case_no=terminated.case_no, reason="主体注销")
    assert _audited(terminated)[-1] == "case.terminate"
    # The audit chain still verifies after all of it.
    from zhengwu.core.audit import audit_verify

    assert audit_verify()[1] == []


def test_item_policy_is_set_by_sysadmin_or_the_departments_heads(item, sysadmin, leader, clerk, outsider):
    with pytest.raises(PermissionDenied):
        services.case_item_policy_set(actor=clerk, item_id=item.pk, deemed_approval_enabled=True, joint_handling=False)
    with pytest.raises(PermissionDenied):
        services.case_item_policy_set(actor=outsider, item_id=item.pk, deemed_approval_enabled=True,
                                      joint_handling=False)
    policy = services.case_item_policy_set(actor=sysadmin, item_id=item.pk, deemed_approval_enabled=True,
                                           joint_handling=True)
    assert policy.deemed_approval_enabled and policy.joint_handling
    services.case_item_policy_set(actor=leader, item_id=item.pk, deemed_approval_enabled=False, joint_handling=False)
    policy.refresh_from_db()
    assert not policy.deemed_approval_enabled
    assert AuditEvent.objects.filter(action="case_policy.set").count() == 2


def test_ending_a_case_during_a_special_procedure_closes_it(accepted, reviewer, applicant):
    services.case_special_procedure_start(actor=reviewer, case_no=accepted.case_no, kind="expert_review",
                                          reason="专家评审", expected_value=5)
    case = services.case_withdraw(actor=applicant, case_no=accepted.case_no)
    assert case.status == Status.WITHDRAWN
    procedure = case.special_procedures.get()
    assert procedure.ended_at is not None and "撤回" in procedure.result
    assert not services.case_clocks(case).exists()


# --- rules added after review: reuse ownership, online support, orphan files --------------------

def test_a_certificate_is_reused_only_by_its_holder(awaiting_decision, chief_representative, clerk, leader, item,
                                                    applicant):
    from zhengwu.accounts.models import User
    from zhengwu.licences.models import CertificateReuse

    _licence_setup(item, leader)
    services.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="approve")
    fee_notice = awaiting_decision.fee_notices.first()
    assert fee_notice is None
    certificate = services.case_issue_certificate(actor=clerk, case_no=awaiting_decision.case_no)
    req = item.current_version.materials.order_by("order").last()
    stranger = User.objects.create_user(username="13700000000", password="x-Strong-2026", real_name="王五",
                                        kind=User.Kind.APPLICANT)
    reuse = [MaterialInput(requirement_id=req.pk, reused_certificate=certificate.identifier)]
    before = Case.objects.count()
    with pytest.raises(ValidationFailed, match="没有申请人的该电子证照") as refused:
        services.case_submit(actor=stranger, item_id=item.pk, applicant=person(name="王五", id_number=USCC_ORG,
                                                                                 id_type=IdType.USCC,
                                                                                 applicant_type=ApplicantType.ORGANISATION),
                             materials=reuse)
    with pytest.raises(ValidationFailed) as missing:
        services.case_submit(actor=stranger, item_id=item.pk, applicant=person(name="王五"), materials=[
            MaterialInput(requirement_id=req.pk, reused_certificate="1.2.156.3005.2.NOPE")])
    # Someone else's certificate is answered exactly like one that does not exist.
    assert refused.value.message_zh == missing.value.message_zh
    assert Case.objects.count() == before and not CertificateReuse.objects.exists()
    later = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=reuse)
    assert later.materials.get().reused_certificate == certificate.identifier


def test_an_item_not_handled_online_refuses_online_applications(item, applicant, clerk):
    version = item.current_version
    type(version).objects.filter(pk=version.pk).update(supports_online=False)
    item.refresh_from_db()
    with pytest.raises(ValidationFailed, match="不支持网上申办"):
        services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=full_materials(item))
    assert not Case.objects.exists()
    # The window still registers it.
    case = services.case_register_walk_in(actor=clerk, item_id=item.pk, applicant=person(),
                                          materials=full_materials(item))
    assert case.status == Status.SUBMITTED


def test_a_submission_that_fails_after_storing_files_leaves_no_file(item, applicant, settings, monkeypatch):
    from pathlib import Path

    good = item.current_version.materials.order_by("order").first()

    def crash(*args, **kwargs):
        raise RuntimeError("crash after the files were written")

    with monkeypatch.context() as patch:
        patch.setattr(services, "_after_submission", crash)
        with pytest.raises(RuntimeError):
            services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=[
                MaterialInput(requirement_id=good.pk, content=PDF, filename="a.pdf"),
                MaterialInput(requirement_id=good.pk, content=PNG, filename="b.png")])
    root = Path(settings.MEDIA_ROOT)
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]
    assert not CaseMaterial.objects.exists()
    case = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=[
        MaterialInput(requirement_id=good.pk, content=PDF, filename="a.pdf")])
    stored = [p for p in root.rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].read_bytes() == PDF
    assert case.materials.get().file.name.endswith(stored[0].name)


@pytest.mark.parametrize("item_id", [0, -1, 2**63, 2**70, "1"])
def test_an_item_number_no_item_can_have_is_a_clear_error_not_a_crash(applicant, item_id):
    from zhengwu.cases.models import Case

    with pytest.raises(ValidationFailed, match="该事项未发布或已暂停办理"):
        services.case_submit(actor=applicant, item_id=item_id, applicant=person(), materials=[])
    assert not Case.objects.exists()
