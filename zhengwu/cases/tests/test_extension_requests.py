"""延期申请 → 审批 (行政许可法 §42): the handling official asks, the department's leader or section
head approves (the extension takes effect) or refuses with a reason (nothing changes on the clocks)."""

from __future__ import annotations

import datetime as dt

import pytest

from zhengwu.cases import selectors, services
from zhengwu.cases.models import CaseEvent, Extension, ExtensionRequest
from zhengwu.cases.tests.conftest import SH, clock_of, full_materials, moment, person
from zhengwu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.notify.models import Notice
from zhengwu.workcalendar.models import ClockExtension
from zhengwu.workcalendar.workdays import add_working_days

pytestmark = pytest.mark.django_db


def _audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_the_step_official_requests_and_the_leader_is_asked(accepted, reviewer, clerk, chief_representative, leader,
                                                            section_head, django_capture_on_commit_callbacks):
    # The current step (审查) names the reviewer: the window and the chief representative may not ask.
    for other in (clerk, chief_representative):
        with pytest.raises(PermissionDenied, match="申请延期"):
            services.case_extension_request(actor=other, case_no=accepted.case_no, days=5, reason="需现场核查")
    with django_capture_on_commit_callbacks(execute=True):
        request = services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=5,
                                                  reason="需现场核查")
    assert request.state == ExtensionRequest.State.PENDING and request.requested_by == reviewer
    assert request.requested_position == "reviewer" and request.extension is None
    assert not Extension.objects.filter(case=accepted).exists()
    event = CaseEvent.objects.get(case=accepted, action="extension_request")
    assert not event.public and event.note == "需现场核查" and event.data["days"] == 5
    assert _audits("case.extension_request") == 1
    asked = set(Notice.objects.filter(template="case.extension_requested").values_list("recipient_id", flat=True))
    assert asked == {leader.pk, section_head.pk}
    # Staff see the request on the timeline; the applicant does not.
    assert "延期申请" in [e.label for e in selectors.case_timeline(accepted)]
    assert "extension_request" not in [e.action for e in selectors.case_timeline(accepted, public_only=True)]


def test_bad_requests_are_refused_and_change_nothing(accepted, reviewer, leader, outsider):
    with pytest.raises(ValidationFailed, match="1–10"):
        services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=11, reason="复杂")
    with pytest.raises(ValidationFailed, match="延期理由"):
        services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=3, reason="  ")
    with pytest.raises(NotFound):
        services.case_extension_request(actor=outsider, case_no=accepted.case_no, days=3, reason="复杂")
    assert not ExtensionRequest.objects.exists() and _audits("case.extension_request") == 0
    services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=3, reason="复杂")
    with pytest.raises(Conflict, match="已有待审批"):
        services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=2, reason="再申请")
    # The leader's direct extension waits for the pending request to be decided.
    with pytest.raises(Conflict, match="待审批的延期申请"):
        services.case_extend(actor=leader, case_no=accepted.case_no, days=3, reason="直接延期")
    assert ExtensionRequest.objects.count() == 1 and not Extension.objects.exists()


def test_approval_extends_both_clocks_and_tells_the_applicant(accepted, reviewer, leader, outbox,
                                                             django_capture_on_commit_callbacks):
    legal_before = clock_of(accepted, services.CLOCK_LEGAL).due_date
    promised_before = clock_of(accepted, services.CLOCK_PROMISED).due_date
    services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=7, reason="需专家论证")
    with pytest.raises(PermissionDenied, match="批准延期"):
        services.case_extension_approve(actor=reviewer, case_no=accepted.case_no)
    with django_capture_on_commit_callbacks(execute=True):
        extension = services.case_extension_approve(actor=leader, case_no=accepted.case_no)
    assert extension.days == 7 and extension.reason == "需专家论证" and extension.approver == leader
    assert extension.notice_no
    request = ExtensionRequest.objects.get()
    assert request.state == ExtensionRequest.State.APPROVED and request.decided_by == leader
    assert request.decided_position == "leader" and request.extension == extension
    assert clock_of(accepted, services.CLOCK_LEGAL).due_date == add_working_days(legal_before, 7)
    assert clock_of(accepted, services.CLOCK_PROMISED).due_date == add_working_days(promised_before, 7)
    event = CaseEvent.objects.get(case=accepted, action="extend")
    assert event.public and event.data["request_id"] == request.pk and event.data["requested_by"] == "赵审批"
    assert _audits("case.extension_approve") == 1
    assert any("需专家论证" in m.body for m in outbox)
    # §42: once per case, however it was asked for.
    with pytest.raises(Conflict, match="只能延长一次"):
        services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=1, reason="再延")
    with pytest.raises(Conflict, match="没有待审批"):
        services.case_extension_approve(actor=leader, case_no=accepted.case_no)


def test_refusal_tells_the_requester_and_leaves_the_clocks(accepted, reviewer, section_head, outbox,
                                                          django_capture_on_commit_callbacks):
    legal_before = clock_of(accepted, services.CLOCK_LEGAL).due_at
    services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=4, reason="材料待核")
    with pytest.raises(ValidationFailed, match="不予批准的理由"):
        services.case_extension_refuse(actor=section_head, case_no=accepted.case_no, reason="")
    assert ExtensionRequest.objects.get().state == ExtensionRequest.State.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        request = services.case_extension_refuse(actor=section_head, case_no=accepted.case_no,
                                                 reason="期限内可以办结")
    assert request.state == ExtensionRequest.State.REFUSED and request.refusal_reason == "期限内可以办结"
    assert request.decided_by == section_head and request.extension is None
    assert clock_of(accepted, services.CLOCK_LEGAL).due_at == legal_before
    assert not Extension.objects.exists()
    told = Notice.objects.get(template="case.extension_refused")
    assert told.recipient_id == reviewer.pk and "期限内可以办结" in told.body
    assert not CaseEvent.objects.get(case=accepted, action="extension_refuse").public
    assert _audits("case.extension_refuse") == 1
    # The applicant is told nothing of a refused request.
    assert not any("期限内可以办结" in m.body for m in outbox if m.address == accepted.applicant_phone)
    assert not Notice.objects.filter(recipient=accepted.applicant, body__contains="期限内可以办结").exists()
    # A refused request may be followed by a new one.
    again = services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=2, reason="补充核查")
    assert again.state == ExtensionRequest.State.PENDING


def test_a_pending_request_lapses_when_the_case_is_decided(awaiting_decision, chief_representative, leader):
    # At the decision stage no step is open: the chief representative who prepared it asks.
    request = services.case_extension_request(actor=chief_representative, case_no=awaiting_decision.case_no,
                                              days=3, reason="等待部门意见")
    assert request.state == ExtensionRequest.State.PENDING
    assert awaiting_decision.case_no in [c.case_no for c in selectors.case_list_visible_to(
        user=leader, queue="extension_requests")]
    services.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="approve")
    request.refresh_from_db()
    # Stored, not derived: the decision lapsed it in its own transaction, on the timeline.
    assert request.state == ExtensionRequest.State.LAPSED and request.get_state_display() == "已失效"
    event = CaseEvent.objects.get(case=awaiting_decision, action="extension_lapse")
    assert not event.public and event.data == {"request_id": request.pk, "days": 3}
    assert event.actor == chief_representative and event.role == "chief_representative"
    assert event.from_status == event.to_status == "approved" and "已作出决定" in event.note
    assert "延期申请失效" in [e.label for e in selectors.case_timeline(awaiting_decision)]
    with pytest.raises(Conflict, match="没有待审批"):
        services.case_extension_approve(actor=leader, case_no=awaiting_decision.case_no)
    with pytest.raises(Conflict, match="没有待审批"):
        services.case_extension_refuse(actor=leader, case_no=awaiting_decision.case_no, reason="不需要")
    assert not Extension.objects.exists()
    assert not selectors.case_list_visible_to(user=leader, queue="extension_requests").exists()


def test_a_decision_without_a_pending_request_lapses_nothing(awaiting_decision, chief_representative, reviewer,
                                                            section_head):
    services.case_extension_request(actor=chief_representative, case_no=awaiting_decision.case_no, days=3,
                                    reason="等待部门意见")
    refused = services.case_extension_refuse(actor=section_head, case_no=awaiting_decision.case_no, reason="不需要")
    services.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="deny",
                         reasons="不符合条件")
    refused.refresh_from_db()
    assert refused.state == ExtensionRequest.State.REFUSED
    assert not CaseEvent.objects.filter(action="extension_lapse").exists()


@pytest.mark.parametrize("end", ["withdraw", "terminate"])
def test_a_pending_request_lapses_when_the_case_is_withdrawn_or_terminated(accepted, applicant, reviewer, leader,
                                                                           end):
    other = services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=2, reason="复杂")
    if end == "withdraw":
        services.case_withdraw(actor=applicant, case_no=accepted.case_no, reason="不再需要")
    else:
        services.case_terminate(actor=leader, case_no=accepted.case_no, reason="申请人已注销")
    other.refresh_from_db()
    assert other.state == ExtensionRequest.State.LAPSED
    event = CaseEvent.objects.get(case=accepted, action="extension_lapse")
    assert event.data["request_id"] == other.pk and ("撤回" if end == "withdraw" else "终止") in event.note
    # After the closing event of the move that caused it.
    closing = CaseEvent.objects.get(case=accepted, action=end)
    assert list(CaseEvent.objects.filter(case=accepted).values_list("action", flat=True))[-2:] == [
        closing.action, "extension_lapse"]


def test_a_lapse_rolls_back_with_the_decision(awaiting_decision, chief_representative, monkeypatch):
    request = services.case_extension_request(actor=chief_representative, case_no=awaiting_decision.case_no,
                                              days=3, reason="等待部门意见")

    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "_department_leader", fail)
    with pytest.raises(RuntimeError):
        services.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="deny",
                             reasons="不符合条件")
    request.refresh_from_db()
    assert request.state == ExtensionRequest.State.PENDING
    assert not CaseEvent.objects.filter(action="extension_lapse").exists()


def test_the_direct_extension_records_the_leader_as_requester_and_approver(accepted, leader):
    extension = services.case_extend(actor=leader, case_no=accepted.case_no, days=5, reason="情况复杂")
    request = ExtensionRequest.objects.get(case=accepted)
    assert request.requested_by == leader and request.decided_by == leader
    assert request.state == ExtensionRequest.State.APPROVED and request.extension == extension
    assert _audits("case.extend") == 1


def test_joint_handling_requests_up_to_fifteen(item, applicant, clerk, reviewer, leader):
    services.case_item_policy_set(actor=leader, item_id=item.pk, deemed_approval_enabled=False, joint_handling=True)
    case = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(), materials=full_materials(item))
    case = services.case_accept(actor=clerk, case_no=case.case_no)
    with pytest.raises(ValidationFailed, match="1–15"):
        services.case_extension_request(actor=reviewer, case_no=case.case_no, days=16, reason="联合办理")
    services.case_extension_request(actor=reviewer, case_no=case.case_no, days=15, reason="联合办理")
    assert services.case_extension_approve(actor=leader, case_no=case.case_no).days == 15


def test_the_leaders_queue_lists_pending_requests_of_their_department(accepted, reviewer, leader, section_head,
                                                                     clerk, supervisor):
    def counts(user):
        return {key: n for key, _label, n in selectors.case_queue_counts(user=user)}

    assert counts(leader)["extension_requests"] == 0
    services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=3, reason="核查")
    for approver in (leader, section_head):
        assert counts(approver)["extension_requests"] == 1
        assert [c.case_no for c in selectors.case_list_visible_to(user=approver, queue="extension_requests")] == [
            accepted.case_no]
    # Only who may approve has the queue filled.
    for other in (reviewer, clerk, supervisor):
        assert counts(other)["extension_requests"] == 0
        assert not selectors.case_list_visible_to(user=other, queue="extension_requests").exists()
    assert selectors.QUEUES["extension_requests"] == "待审批延期"
    services.case_extension_refuse(actor=leader, case_no=accepted.case_no, reason="无需延期")
    assert counts(leader)["extension_requests"] == 0


def test_the_data_migration_lapses_requests_left_pending_on_ended_cases(awaiting_decision, item, applicant, clerk,
                                                                      chief_representative):
    import importlib

    from django.apps import apps

    from zhengwu.cases.models import Case
    from zhengwu.cases.states import CLOCKED

    migration = importlib.import_module("zhengwu.cases.migrations.0006_lapse_stale_extension_requests")
    assert set(migration.CLOCKED) == set(CLOCKED)
    services.case_decide(actor=chief_representative, case_no=awaiting_decision.case_no, outcome="approve")
    accepted = services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                    materials=full_materials(item), idempotency_key="k-2")
    accepted = services.case_accept(actor=clerk, case_no=accepted.case_no)
    # As the services left it before they stored the lapse: one stale request, one live one.
    stale = ExtensionRequest.objects.create(case=awaiting_decision, days=3, reason="旧数据",
                                            requested_by=chief_representative, requested_position="reviewer",
                                            requested_at=moment(awaiting_decision.accepted_at))
    live = ExtensionRequest.objects.create(case=accepted, days=2, reason="进行中", requested_by=chief_representative,
                                           requested_position="reviewer", requested_at=moment(accepted.accepted_at))
    assert Case.objects.get(pk=accepted.pk).status in CLOCKED
    migration.lapse(apps, None)
    stale.refresh_from_db()
    live.refresh_from_db()
    assert stale.state == ExtensionRequest.State.LAPSED and live.state == ExtensionRequest.State.PENDING
    event = CaseEvent.objects.get(action="extension_lapse")
    assert event.case_id == awaiting_decision.pk and event.data == {"request_id": stale.pk, "days": 3}


# --- §42: extended while the legal limit runs, never after it ran out --------------------------------

def _at(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=SH)


def test_an_extension_is_asked_and_approved_on_the_last_working_day_of_the_legal_limit(accepted, reviewer, leader,
                                                                                      clock):
    legal = clock_of(accepted, services.CLOCK_LEGAL)
    due = legal.due_date
    assert due is not None and legal.due_at == _at(due + dt.timedelta(days=1), 0)  # 截止日 24:00
    clock.move_to(_at(due, 17))
    services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=5, reason="需现场核查")
    clock.move_to(_at(due, 23, 59, 58))
    extension = services.case_extension_approve(actor=leader, case_no=accepted.case_no)
    assert extension.days == 5
    assert clock_of(accepted, services.CLOCK_LEGAL).due_date == add_working_days(due, 5)


def test_no_extension_is_approved_or_asked_once_the_legal_limit_has_run_out(accepted, reviewer, leader, clock):
    legal = clock_of(accepted, services.CLOCK_LEGAL)
    due = legal.due_date
    assert due is not None
    clock.move_to(_at(due, 17))
    assert "extension_request" in selectors.case_actions_for(user=reviewer, case=accepted)
    assert "extend" in selectors.case_actions_for(user=leader, case=accepted)
    request = services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=5, reason="需现场核查")
    clock.move_to(_at(due + dt.timedelta(days=1), 0, 0, 1))
    offered = selectors.case_actions_for(user=leader, case=accepted)
    assert "extension_refuse" in offered and "extension_approve" not in offered
    promised_due = clock_of(accepted, services.CLOCK_PROMISED).due_at
    audits, events = AuditEvent.objects.count(), CaseEvent.objects.count()
    with pytest.raises(Conflict, match=r"法定办结时限已届满（截止日 .+），不能再批准延期（《行政许可法》第四十二条）") as refused:
        services.case_extension_approve(actor=leader, case_no=accepted.case_no)
    assert "can no longer be approved" in refused.value.message_en
    request.refresh_from_db()
    assert request.state == ExtensionRequest.State.PENDING and request.decided_by is None
    assert not Extension.objects.exists() and not ClockExtension.objects.exists()
    assert clock_of(accepted, services.CLOCK_LEGAL).due_at == legal.due_at
    assert clock_of(accepted, services.CLOCK_PROMISED).due_at == promised_due
    assert (AuditEvent.objects.count(), CaseEvent.objects.count()) == (audits, events)
    # The request may still be refused; a new one, or the leader's direct extension, is refused.
    services.case_extension_refuse(actor=leader, case_no=accepted.case_no, reason="期限已届满")
    assert not {"extension_request", "extend"} & set(selectors.case_actions_for(user=reviewer, case=accepted)
                                                     + selectors.case_actions_for(user=leader, case=accepted))
    with pytest.raises(Conflict, match="不能再申请延期（《行政许可法》第四十二条）"):
        services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=3, reason="再申请")
    with pytest.raises(Conflict, match="不能再批准延期"):
        services.case_extend(actor=leader, case_no=accepted.case_no, days=3, reason="直接延期")
    assert ExtensionRequest.objects.filter(case=accepted).count() == 1 and not Extension.objects.exists()


def test_a_suspended_legal_limit_is_extended_only_if_it_had_not_run_out_when_counting_stopped(accepted, reviewer,
                                                                                             leader, clock):
    due = clock_of(accepted, services.CLOCK_LEGAL).due_date
    assert due is not None
    # 特别程序 started on the last working day: the limit stops with time left, however long it lasts.
    clock.move_to(_at(due, 10))
    services.case_special_procedure_start(actor=reviewer, case_no=accepted.case_no, kind="expert_review",
                                          reason="专家评审", expected_value=10)
    clock.move_to(_at(due + dt.timedelta(days=20), 10))
    services.case_extend(actor=leader, case_no=accepted.case_no, days=3, reason="专家评审后仍需核查")
    assert Extension.objects.filter(case=accepted).exists()


def test_a_special_procedure_started_after_the_limit_ran_out_does_not_reopen_it(accepted, reviewer, leader, clock):
    due = clock_of(accepted, services.CLOCK_LEGAL).due_date
    assert due is not None
    clock.move_to(_at(due + dt.timedelta(days=3), 10))
    services.case_special_procedure_start(actor=reviewer, case_no=accepted.case_no, kind="expert_review",
                                          reason="专家评审", expected_value=10)
    with pytest.raises(Conflict, match="法定办结时限已届满"):
        services.case_extend(actor=leader, case_no=accepted.case_no, days=3, reason="补救")
    assert not Extension.objects.exists()


def test_a_pending_request_lapses_with_a_deemed_approval(accepted, reviewer, leader):
    # The sweeper's move: no actor (a NULL the lapse's INSERT … SELECT must type on PostgreSQL).
    request = services.case_extension_request(actor=reviewer, case_no=accepted.case_no, days=3, reason="复杂")
    services.case_item_policy_set(actor=leader, item_id=accepted.item_id, deemed_approval_enabled=True,
                                  joint_handling=False)
    services.case_deem_approve(case_id=accepted.pk)
    request.refresh_from_db()
    assert request.state == ExtensionRequest.State.LAPSED
    event = CaseEvent.objects.get(case=accepted, action="extension_lapse")
    assert event.actor is None and event.role == "system" and event.to_status == "approved"
