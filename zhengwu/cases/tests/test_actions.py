"""Which actions each persona is offered on a case (selectors.case_actions_for), and that the staff
page, the applicant page and the API's `allowed_actions` show exactly that list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from zhengwu.cases import selectors, services
from zhengwu.cases.services import FeeLineInput
from zhengwu.cases.states import Status
from zhengwu.cases.tests.conftest import full_materials, person


def _licence_type(leader, item_id: int) -> None:
    from zhengwu.licences.services import licence_type_create

    licence_type_create(actor="test", code="11100000000013338W001", name="食品经营许可证")
    services.case_item_policy_set(actor=leader, item_id=item_id, deemed_approval_enabled=False,
                                  joint_handling=False, licence_type_code="11100000000013338W001", validity_years=5)


PERSONAS = ["clerk", "reviewer", "chief_representative", "section_head", "leader", "supervisor", "outsider",
            "applicant"]


def _actions(request, persona: str, case) -> list[str]:
    return selectors.case_actions_for(user=request.getfixturevalue(persona), case=case)


# The item has two steps (审查 by the reviewer, 决定 by the chief representative) and one catalogued fee.
SUBMITTED = {
    "clerk": ["accept", "correction", "reject", "fee_notice"],
    "reviewer": [],
    "chief_representative": ["accept", "correction", "reject", "fee_notice", "terminate"],
    "section_head": ["terminate"],
    "leader": ["terminate"],
    "supervisor": [],
    "outsider": [],
    "applicant": ["withdraw"],
}
ACCEPTED = {  # current step: 审查, the reviewer's, with no earlier step to return to
    "clerk": ["fee_notice"],
    "reviewer": ["step_pass", "special_start", "extension_request"],
    "chief_representative": ["special_start", "fee_notice", "terminate"],
    "section_head": ["special_start", "extend", "terminate"],
    "leader": ["special_start", "extend", "terminate"],
    "supervisor": [],
    "outsider": [],
    "applicant": ["withdraw"],
}
AWAITING_DECISION = {  # no step open: the reviewer or the chief representative may ask for the extension
    "clerk": ["fee_notice"],
    "reviewer": ["special_start", "extension_request"],
    "chief_representative": ["step_return", "special_start", "extension_request", "decide", "fee_notice",
                             "terminate"],
    "section_head": ["step_return", "special_start", "extend", "decide", "terminate"],
    "leader": ["step_return", "special_start", "extend", "decide", "terminate"],
    "supervisor": [],
    "outsider": [],
    "applicant": ["withdraw"],
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_actions_on_a_submitted_case(persona, request, submitted):
    assert _actions(request, persona, submitted) == SUBMITTED[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_actions_on_an_accepted_case(persona, request, accepted):
    assert _actions(request, persona, accepted) == ACCEPTED[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_actions_awaiting_the_decision(persona, request, awaiting_decision):
    assert _actions(request, persona, awaiting_decision) == AWAITING_DECISION[persona]


def test_the_second_step_may_be_passed_or_returned_by_its_role_only(accepted, reviewer, chief_representative):
    case = services.case_step_pass(actor=reviewer, case_no=accepted.case_no, opinion="材料齐全")
    assert case.status == Status.ACCEPTED and case.current_step is not None and case.current_step.name == "决定"
    assert selectors.case_actions_for(user=chief_representative, case=case) == [
        "step_pass", "step_return", "special_start", "extension_request", "fee_notice", "terminate"]
    assert selectors.case_actions_for(user=reviewer, case=case) == ["special_start"]


def test_one_correction_notice_then_the_applicant_supplies(submitted, clerk, applicant):
    services.case_request_correction(actor=clerk, case_no=submitted.case_no, items=[
        services.CorrectionItem(requirement_id=submitted.item_version.materials.first().pk, reason="复印件不清晰")])
    case = selectors.case_get_visible_to(user=clerk, case_no=submitted.case_no)
    assert selectors.case_actions_for(user=clerk, case=case) == ["reject", "fee_notice"]
    assert selectors.case_actions_for(user=applicant, case=case) == ["submit_correction", "withdraw"]
    case = services.case_submit_correction(actor=applicant, case_no=case.case_no, materials=full_materials(case.item))
    # Back to 待受理: the one notice was given, so no second one is offered.
    assert selectors.case_actions_for(user=clerk, case=case) == ["accept", "reject", "fee_notice"]


def test_an_unpaid_fee_offers_payment_and_holds_the_certificate(awaiting_decision, clerk, chief_representative,
                                                                 leader):
    _licence_type(leader, awaiting_decision.item_id)
    services.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="approve")
    case = selectors.case_get_visible_to(user=clerk, case_no=awaiting_decision.case_no)
    assert selectors.case_actions_for(user=clerk, case=case) == ["certificate", "deliver", "fee_notice"]
    fee = case.item_version.fees.get()
    services.fee_notice_issue(actor=clerk, case_no=case.case_no,
                              lines=[FeeLineInput(fee_item_id=fee.pk, amount=Decimal("10.00"))])
    # One standing notice per case: no second one, but the unpaid one may be voided.
    assert selectors.case_actions_for(user=clerk, case=case) == ["deliver", "payment", "fee_void"]
    assert selectors.case_actions_for(user=chief_representative, case=case) == ["deliver", "payment", "fee_void"]


def test_a_pending_extension_request_offers_its_decision_to_the_heads_only(accepted, reviewer, leader, section_head,
                                                                         chief_representative):
    services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=3, reason="核查")
    case = selectors.case_get_visible_to(user=leader, case_no=accepted.case_no)
    for head in (leader, section_head):
        actions = selectors.case_actions_for(user=head, case=case)
        assert "extension_approve" in actions and "extension_refuse" in actions and "extend" not in actions
    assert "extension_request" not in selectors.case_actions_for(user=reviewer, case=case)
    assert not {"extension_approve", "extension_refuse"} & set(selectors.case_actions_for(user=chief_representative,
                                                                                          case=case))
    services.case_extension_approve(actor=leader, case_no=accepted.case_no)
    for user in (leader, reviewer):
        assert not {"extend", "extension_request", "extension_approve", "extension_refuse"} & set(
            selectors.case_actions_for(user=user, case=case))


def test_drafts_walk_ins_and_ratings(item, applicant, clerk):
    draft = services.case_draft_create(actor=applicant, item_id=item.pk, applicant=person())
    # A draft cannot be withdrawn (the table has no such move): the applicant submits or adds materials.
    assert selectors.case_actions_for(user=applicant, case=draft) == ["submit", "materials"]
    assert selectors.case_actions_for(user=clerk, case=draft) == []
    walk_in = services.case_register_walk_in(actor=clerk, item_id=item.pk, applicant=person(name="王五"),
                                             materials=full_materials(item))
    # The window withdraws only for an applicant without an account.
    assert selectors.case_actions_for(user=clerk, case=walk_in) == [
        "accept", "correction", "reject", "fee_notice", "withdraw"]
    rejected = services.case_reject(actor=clerk, case_no=services.case_submit(
        actor=applicant, item_id=item.pk, applicant=person(), materials=full_materials(item),
        idempotency_key="act-2").case_no, reason="不属于本机关职权范围")
    assert selectors.case_actions_for(user=applicant, case=rejected) == ["rate"]
    assert selectors.case_actions_for(user=clerk, case=rejected) == []
    services.case_rate(actor=applicant, case_no=rejected.case_no, level="satisfied", channel="pc")
    assert selectors.case_actions_for(user=applicant, case=rejected) == []


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "chief_representative", "leader", "applicant"])
def test_pages_and_api_offer_the_same_actions(persona, request, client, accepted):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    expected = ACCEPTED[persona]
    api = client.get(f"/api/v1/cases/{accepted.case_no}")
    assert api.status_code == 200 and api.json()["allowed_actions"] == expected
    if persona == "applicant":
        page = client.get(reverse("cases:my_detail", args=[accepted.case_no]))
        assert page.context["actions"] == expected
        assert page.context.get("withdraw_form") is not None
        assert page.context.get("upload_form") is None and page.context.get("rate_form") is None
    else:
        page = client.get(reverse("cases:staff_case", args=[accepted.case_no]))
        assert [a["name"] for a in page.context["actions"]] == expected
        html = page.content.decode()
        for name in expected:
            assert reverse("cases:staff_act", args=[accepted.case_no, name]) in html


def test_outsiders_get_404_on_page_and_api(client, accepted, outsider):
    client.force_login(outsider)
    assert client.get(f"/api/v1/cases/{accepted.case_no}").status_code == 404
    assert client.get(reverse("cases:staff_case", args=[accepted.case_no])).status_code == 404


def test_no_certificate_button_without_a_licence_type(awaiting_decision, clerk, chief_representative):
    services.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="approve")
    case = selectors.case_get_visible_to(user=clerk, case_no=awaiting_decision.case_no)
    # case_issue_certificate refuses when the item has no licence type configured: no button for it.
    assert selectors.case_actions_for(user=clerk, case=case) == ["deliver", "fee_notice"]


def test_the_certificate_is_found_from_its_issue_event(awaiting_decision, chief_representative, clerk, leader):
    case = awaiting_decision
    _licence_type(leader, case.item_id)
    services.case_decide(actor=chief_representative, case_no=case.case_no, outcome="approve")
    assert selectors.case_certificate(case) is None
    certificate = services.case_issue_certificate(actor=clerk, case_no=case.case_no)
    found = selectors.case_certificate(case)
    assert found is not None and found.identifier == certificate.identifier
    assert selectors.case_actions_for(user=clerk, case=selectors.case_get_visible_to(user=clerk, case_no=case.case_no)) \
        == ["deliver", "fee_notice"]
