"""一口收费: amounts only within the catalogued standard, one standing payment notice per case,
作废 while unpaid, one receipt per notice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhengwu.cases import selectors, services
from zhengwu.cases.models import CaseEvent, FeeNotice, FeeNoticeLine
from zhengwu.cases.services import FeeLine
from zhengwu.cases.tests.conftest import full_materials, person
from zhengwu.catalog.models import FeeItem
from zhengwu.catalog.tests.factories import published_item
from zhengwu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.org.models import Position

pytestmark = pytest.mark.django_db

FEES = [
    {"order": 1, "name": "护照工本费", "standard": "每本 120 元", "basis": "发改价格规〔2019〕914号",
     "amount_kind": "fixed", "amount_min": Decimal("120.00")},
    {"order": 2, "name": "不动产登记费", "standard": "住宅类每件 80 元；非住宅类每件 550 元", "basis": "发改价格规〔2016〕2559号",
     "amount_kind": "range", "amount_min": Decimal("80.00"), "amount_max": Decimal("550.00")},
    {"order": 3, "name": "防空地下室易地建设费", "standard": "按应建面积和省定标准计收", "basis": "人民防空法第二十二条",
     "amount_kind": "text"},
]


@pytest.fixture
def fee_case(item, applicant, clerk):
    fee_item = published_item(item.department, name="收费事项", fees=FEES, fee_required=True, fee_basis="价格文件",
                              steps=[{"order": 1, "name": "审查", "role": Position.REVIEWER, "budget_days": 2}])
    case = services.case_submit(actor=applicant, item_id=fee_item.pk, applicant=person(),
                                materials=full_materials(fee_item))
    case = services.case_accept(actor=clerk, case_no=case.case_no)
    case.fees = {f.name: f for f in FeeItem.objects.filter(version=case.item_version)}  # type: ignore[attr-defined]
    return case


def _nothing_issued(case) -> None:
    assert not FeeNotice.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, action="fee_notice").exists()
    assert not AuditEvent.objects.filter(action="case.fee_notice_issue").exists()


def _issue(case, clerk, *lines):
    return services.fee_notice_issue(actor=clerk, case_no=case.case_no, lines=list(lines))


def test_a_fixed_standard_sets_the_amount(fee_case, clerk):
    fee = fee_case.fees["护照工本费"]
    with pytest.raises(ValidationFailed, match="固定金额 120.00 元，不能收取 100.00 元"):
        _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk, amount="100"))
    _nothing_issued(fee_case)
    notice = _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk))  # the clerk need not type it
    assert notice.total == Decimal("120.00")
    assert notice.lines.get().amount == Decimal("120.00")


@pytest.mark.parametrize("amount", [None, "79.99", "550.01"])
def test_a_range_bounds_the_amount(fee_case, clerk, amount):
    fee = fee_case.fees["不动产登记费"]
    with pytest.raises(ValidationFailed, match="80.00–550.00 元"):
        _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk, amount=amount))
    _nothing_issued(fee_case)


@pytest.mark.parametrize("amount", ["80", "550.00", "312.5"])
def test_an_amount_within_the_range_is_charged(fee_case, clerk, amount):
    fee = fee_case.fees["不动产登记费"]
    notice = _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk, amount=amount))
    assert notice.total == Decimal(amount).quantize(Decimal("0.01"))


def test_a_text_standard_needs_the_amount_and_how_it_was_worked_out(fee_case, clerk):
    fee = fee_case.fees["防空地下室易地建设费"]
    with pytest.raises(ValidationFailed, match="请填写金额"):
        _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk, basis_note="应建面积 120 平方米 × 25 元"))
    with pytest.raises(ValidationFailed, match="计费说明"):
        _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk, amount="3000"))
    with pytest.raises(ValidationFailed, match="计费说明"):
        _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk, amount="3000", basis_note="   "))
    _nothing_issued(fee_case)
    notice = _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk, amount="3000", basis_note="应建面积 120 平方米 × 25 元"))
    line = FeeNoticeLine.objects.get(fee_notice=notice)
    assert line.amount == Decimal("3000.00") and line.basis_note == "应建面积 120 平方米 × 25 元"


def test_one_notice_lists_each_item_once_and_totals_them(fee_case, clerk):
    fixed, ranged = fee_case.fees["护照工本费"], fee_case.fees["不动产登记费"]
    with pytest.raises(ValidationFailed, match="重复"):
        _issue(fee_case, clerk, FeeLine(fee_item_id=fixed.pk), FeeLine(fee_item_id=fixed.pk))
    for bad in ("-5", "NaN", "abc", "1e20"):
        with pytest.raises(ValidationFailed, match="金额"):
            _issue(fee_case, clerk, FeeLine(fee_item_id=fixed.pk), FeeLine(fee_item_id=ranged.pk, amount=bad))
    with pytest.raises(ValidationFailed, match="金额"):
        services.payment_record(actor=clerk, notice_no="JK-NONE", amount="NaN", payer_name="张三")
    _nothing_issued(fee_case)
    notice = _issue(fee_case, clerk, FeeLine(fee_item_id=fixed.pk), FeeLine(fee_item_id=ranged.pk, amount="80"))
    assert notice.total == Decimal("200.00") and notice.lines.count() == 2


def test_a_second_notice_is_refused_until_the_first_is_voided(fee_case, clerk, chief_representative, reviewer,
                                                             outsider, outbox, django_capture_on_commit_callbacks):
    fee = fee_case.fees["护照工本费"]
    first = _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk))
    with pytest.raises(Conflict, match="只开具一份缴费通知"):
        _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk))
    assert FeeNotice.objects.filter(case=fee_case).count() == 1
    # 作废 needs a reason and a window role of the department.
    with pytest.raises(ValidationFailed, match="作废理由"):
        services.fee_notice_void(actor=clerk, case_no=fee_case.case_no, notice_no=first.notice_no, reason=" ")
    with pytest.raises(PermissionDenied):
        services.fee_notice_void(actor=reviewer, case_no=fee_case.case_no, notice_no=first.notice_no, reason="开错")
    with pytest.raises(NotFound):
        services.fee_notice_void(actor=outsider, case_no=fee_case.case_no, notice_no=first.notice_no, reason="开错")
    with pytest.raises(NotFound):
        services.fee_notice_void(actor=clerk, case_no=fee_case.case_no, notice_no="JK-NONE", reason="开错")
    first.refresh_from_db()
    assert first.state == FeeNotice.State.UNPAID and not AuditEvent.objects.filter(action="case.fee_notice_void")
    with django_capture_on_commit_callbacks(execute=True):
        voided = services.fee_notice_void(actor=chief_representative, case_no=fee_case.case_no,
                                          notice_no=first.notice_no, reason="收费项目选错")
    assert voided.state == FeeNotice.State.VOIDED and voided.voided_by == chief_representative
    assert voided.void_reason == "收费项目选错" and voided.voided_at is not None
    assert AuditEvent.objects.filter(action="case.fee_notice_void").count() == 1
    assert CaseEvent.objects.get(case=fee_case, action="fee_notice_void").note == "收费项目选错"
    assert any(first.notice_no in m.body and "作废" in m.body for m in outbox)
    with pytest.raises(Conflict, match="已作废"):
        services.fee_notice_void(actor=clerk, case_no=fee_case.case_no, notice_no=first.notice_no, reason="再作废")
    with pytest.raises(Conflict, match="已作废"):
        services.payment_record(actor=clerk, notice_no=first.notice_no, amount="120", payer_name="张三")
    second = _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk))
    assert second.notice_no != first.notice_no and second.notice_no.endswith("-02")


def test_a_paid_notice_stands_with_one_receipt(fee_case, clerk):
    fee = fee_case.fees["护照工本费"]
    notice = _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk))
    receipt = services.payment_record(actor=clerk, notice_no=notice.notice_no, amount="120", payer_name="张三")
    with pytest.raises(Conflict, match="不能作废"):
        services.fee_notice_void(actor=clerk, case_no=fee_case.case_no, notice_no=notice.notice_no, reason="退费")
    with pytest.raises(Conflict, match="只开具一份缴费通知"):
        _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk))
    with pytest.raises(Conflict, match="已缴清"):
        services.payment_record(actor=clerk, notice_no=notice.notice_no, amount="120", payer_name="张三")
    notice.refresh_from_db()
    assert notice.state == FeeNotice.State.PAID and notice.payment.receipt == receipt


def test_the_page_offers_voiding_only_while_a_notice_is_unpaid(fee_case, clerk):
    fee = fee_case.fees["护照工本费"]
    assert "fee_notice" in selectors.case_actions_for(user=clerk, case=fee_case)
    notice = _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk))
    actions = selectors.case_actions_for(user=clerk, case=fee_case)
    assert "fee_notice" not in actions and {"payment", "fee_void"} <= set(actions)
    services.payment_record(actor=clerk, notice_no=notice.notice_no, amount="120", payer_name="张三")
    actions = selectors.case_actions_for(user=clerk, case=fee_case)
    assert not {"fee_notice", "payment", "fee_void"} & set(actions)


def _insert_directly(case, clerk, notice_no, state=FeeNotice.State.UNPAID):
    return FeeNotice.objects.create(case=case, notice_no=notice_no, total=Decimal("120.00"), state=state,
                                    issued_at=timezone.now(), issued_by=clerk)


def test_the_database_keeps_one_standing_notice_per_case(fee_case, clerk):
    """The partial unique index holds even for a writer that skips the service and its case lock."""
    fee = fee_case.fees["护照工本费"]
    first = _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk))
    for state in (FeeNotice.State.UNPAID, FeeNotice.State.PAID):
        with pytest.raises(IntegrityError), transaction.atomic():
            _insert_directly(fee_case, clerk, f"JK-DIRECT-{state}", state)
    assert list(FeeNotice.objects.filter(case=fee_case)) == [first]
    services.fee_notice_void(actor=clerk, case_no=fee_case.case_no, notice_no=first.notice_no, reason="开错")
    _insert_directly(fee_case, clerk, "JK-DIRECT-VOIDED", FeeNotice.State.VOIDED)  # voided ones do not count
    second = _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk))
    assert second.state == FeeNotice.State.UNPAID
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_directly(fee_case, clerk, "JK-DIRECT-AGAIN")


def test_a_duplicate_the_database_refuses_gets_the_same_clear_error(fee_case, clerk, monkeypatch):
    fee = fee_case.fees["护照工本费"]
    first = _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk))
    monkeypatch.setattr(services, "_standing_fee_notice", lambda case: None)  # as if the check were skipped
    with pytest.raises(Conflict, match=f"已开具缴费通知 {first.notice_no}（待缴费），一个办件只开具一份缴费通知"):
        _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk))
    assert list(FeeNotice.objects.filter(case=fee_case)) == [first]
    assert FeeNoticeLine.objects.filter(fee_notice__case=fee_case).count() == 1
    assert CaseEvent.objects.filter(case=fee_case, action="fee_notice").count() == 1
    assert AuditEvent.objects.filter(action="case.fee_notice_issue").count() == 1


@pytest.mark.parametrize("ending", ["withdraw", "terminate"])
def test_an_unpaid_notice_is_voided_with_the_case_that_ends_unserved(fee_case, clerk, applicant, chief_representative,
                                                                     ending, outbox,
                                                                     django_capture_on_commit_callbacks):
    """A withdrawn or terminated case gets no service, so its unpaid notice is not charged (§58): it
    is voided in the same transaction, for the reason the case ended, as a manual void is recorded."""
    fee = fee_case.fees["护照工本费"]
    notice = _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk))
    with django_capture_on_commit_callbacks(execute=True):
        if ending == "withdraw":
            services.case_withdraw(actor=applicant, case_no=fee_case.case_no, reason="不再办理")
            actor, why = applicant, "办件已撤回：不再办理"
        else:
            services.case_terminate(actor=chief_representative, case_no=fee_case.case_no, reason="经营主体已注销")
            actor, why = chief_representative, "办件已终止：经营主体已注销"
    notice.refresh_from_db()
    assert notice.state == FeeNotice.State.VOIDED and notice.void_reason == why
    assert notice.voided_by == actor and notice.voided_at is not None
    event = CaseEvent.objects.get(case=fee_case, action="fee_notice_void")
    assert event.note == why and event.actor == actor
    assert event.data == {"notice_no": notice.notice_no, "total": "120.00", "ended": ending}
    audit = AuditEvent.objects.get(action="case.fee_notice_void")
    assert audit.data["reason"] == why and audit.data["ended"] == ending and audit.data["notice_no"] == notice.notice_no
    assert any(notice.notice_no in m.body and "作废" in m.body for m in outbox)
    fee_case.refresh_from_db()
    with pytest.raises(Conflict, match="已作废，不能收费"):
        services.payment_record(actor=clerk, notice_no=notice.notice_no, amount="120", payer_name="张三")
    assert not hasattr(notice, "payment")
    assert not CaseEvent.objects.filter(case=fee_case, action="payment").exists()
    assert not {"fee_notice", "payment", "fee_void"} & set(selectors.case_actions_for(user=clerk, case=fee_case))


def test_a_paid_notice_stands_when_the_case_is_withdrawn(fee_case, clerk, applicant):
    fee = fee_case.fees["护照工本费"]
    notice = _issue(fee_case, clerk, FeeLine(fee_item_id=fee.pk))
    services.payment_record(actor=clerk, notice_no=notice.notice_no, amount="120", payer_name="张三")
    services.case_withdraw(actor=applicant, case_no=fee_case.case_no, reason="不再办理")
    notice.refresh_from_db()
    assert notice.state == FeeNotice.State.PAID and notice.void_reason == ""
    assert not CaseEvent.objects.filter(case=fee_case, action="fee_notice_void").exists()


def test_a_withdrawal_without_a_fee_notice_voids_nothing(fee_case, applicant):
    services.case_withdraw(actor=applicant, case_no=fee_case.case_no, reason="不再办理")
    assert not CaseEvent.objects.filter(case=fee_case, action="fee_notice_void").exists()
    assert not AuditEvent.objects.filter(action="case.fee_notice_void").exists()


def test_an_unpaid_notice_is_voided_when_the_application_is_not_accepted(item, applicant, clerk):
    case = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=full_materials(item))
    notice = _issue(case, clerk, FeeLine(fee_item_id=FeeItem.objects.get(version=case.item_version).pk))
    services.case_reject(actor=clerk, case_no=case.case_no, reason="不属于本机关职权范围")
    notice.refresh_from_db()
    assert notice.state == FeeNotice.State.VOIDED and notice.void_reason == "办件不予受理：不属于本机关职权范围"
    assert CaseEvent.objects.get(case=case, action="fee_notice_void").data["ended"] == "reject"


def test_an_amount_finer_than_a_fen_is_refused_not_rounded(fee_case, clerk):
    fixed, ranged = fee_case.fees["护照工本费"], fee_case.fees["不动产登记费"]
    for line in (FeeLine(fee_item_id=ranged.pk, amount="312.555"), FeeLine(fee_item_id=fixed.pk, amount="120.001")):
        with pytest.raises(ValidationFailed, match="两位小数"):
            _issue(fee_case, clerk, line)
    _nothing_issued(fee_case)
    notice = _issue(fee_case, clerk, FeeLine(fee_item_id=fixed.pk, amount="120.000"))  # the same amount, written long
    with pytest.raises(ValidationFailed, match="两位小数"):
        services.payment_record(actor=clerk, notice_no=notice.notice_no, amount="120.004", payer_name="张三")
    notice.refresh_from_db()
    assert notice.state == FeeNotice.State.UNPAID and not hasattr(notice, "payment")
    services.payment_record(actor=clerk, notice_no=notice.notice_no, amount=Decimal("120"), payer_name="张三")


def test_a_payment_method_too_long_is_refused_not_cut(fee_case, clerk):
    notice = _issue(fee_case, clerk, FeeLine(fee_item_id=fee_case.fees["护照工本费"].pk))
    with pytest.raises(ValidationFailed, match="缴费方式不能超过 20 字"):
        services.payment_record(actor=clerk, notice_no=notice.notice_no, amount="120", payer_name="张三",
                                method="银行转账（对公账户，附言须写明办件编号）请核对")
    notice.refresh_from_db()
    assert notice.state == FeeNotice.State.UNPAID and not hasattr(notice, "payment")
    receipt = services.payment_record(actor=clerk, notice_no=notice.notice_no, amount="120", payer_name="张三",
                                      method="  ")
    assert receipt.payment.method == "window"


def test_an_unpaid_notice_is_voided_when_the_correction_period_lapses(item, applicant, clerk):
    case = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=full_materials(item))
    requirement = item.current_version.materials.first()
    services.case_request_correction(actor=clerk, case_no=case.case_no, items=[
        services.CorrectionItem(reason="复印件不清晰", requirement_id=requirement.pk)])
    notice = _issue(case, clerk, FeeLine(fee_item_id=FeeItem.objects.get(version=case.item_version).pk))
    services.case_correction_lapse(case_id=case.pk)
    notice.refresh_from_db()
    assert notice.state == FeeNotice.State.VOIDED and notice.voided_by is None
    assert notice.void_reason == "办件已终止：申请人逾期未补正材料，终止办理"
    event = CaseEvent.objects.get(case=case, action="fee_notice_void")
    assert event.role == "system" and event.actor is None
    assert AuditEvent.objects.get(action="case.fee_notice_void").data["ended"] == "terminate"
