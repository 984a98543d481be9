"""The transition table, without the database."""

import pytest

from zhengwu.cases import states
from zhengwu.cases.states import TRANSITIONS, Action, Role, Status, TransitionRefused

ALLOWED = sorted(
    ((src, action, dst, role) for (src, action), rule in TRANSITIONS.items()
     for dst in rule.targets for role in rule.roles),
)


@pytest.mark.parametrize(("src", "action", "dst", "role"), ALLOWED)
def test_every_allowed_transition_is_accepted(src, action, dst, role):
    assert states.check(src, action, role, dst) == dst


def test_the_table_has_the_lifecycle_of_rules_2_4():
    S, A = Status, Action
    expected = {
        (S.DRAFT, A.SUBMIT, S.SUBMITTED), (S.SUBMITTED, A.REQUEST_CORRECTION, S.CORRECTION),
        (S.CORRECTION, A.SUBMIT_CORRECTION, S.SUBMITTED), (S.SUBMITTED, A.ACCEPT, S.ACCEPTED),
        (S.SUBMITTED, A.DEEM_ACCEPT, S.ACCEPTED), (S.SUBMITTED, A.REJECT, S.REJECTED),
        (S.ACCEPTED, A.SPECIAL_START, S.SUSPENDED), (S.SUSPENDED, A.SPECIAL_END, S.ACCEPTED),
        (S.ACCEPTED, A.REVIEW_COMPLETE, S.AWAITING_DECISION), (S.AWAITING_DECISION, A.APPROVE, S.APPROVED),
        (S.AWAITING_DECISION, A.DENY, S.DENIED), (S.ACCEPTED, A.DEEM_APPROVE, S.APPROVED),
        (S.APPROVED, A.ISSUE_CERTIFICATE, S.CERTIFICATE_ISSUED), (S.CERTIFICATE_ISSUED, A.DELIVER_POST, S.DELIVERED),
        (S.DELIVERED, A.COMPLETE, S.COMPLETED), (S.CERTIFICATE_ISSUED, A.COMPLETE, S.COMPLETED),
        (S.ACCEPTED, A.WITHDRAW, S.WITHDRAWN), (S.SUSPENDED, A.TERMINATE, S.TERMINATED),
    }
    present = {(src, a, dst) for (src, a), rule in TRANSITIONS.items() for dst in rule.targets}
    assert expected <= present


@pytest.mark.parametrize(("src", "action"), [
    (Status.DRAFT, Action.ACCEPT),
    (Status.SUBMITTED, Action.APPROVE),
    (Status.ACCEPTED, Action.APPROVE),          # review steps first
    (Status.CORRECTION, Action.REQUEST_CORRECTION),  # one notice only (§32(4))
    (Status.ACCEPTED, Action.REQUEST_CORRECTION),
    (Status.APPROVED, Action.WITHDRAW),         # after the decision
    (Status.DENIED, Action.ISSUE_CERTIFICATE),
    (Status.REJECTED, Action.ACCEPT),
    (Status.COMPLETED, Action.TERMINATE),
    (Status.WITHDRAWN, Action.SUBMIT),
    (Status.SUSPENDED, Action.APPROVE),         # the clock is stopped: no decision during 特别程序
])
def test_forbidden_transitions_are_refused(src, action):
    with pytest.raises(TransitionRefused) as info:
        states.check(src, action, Role.LEADER)
    assert info.value.reason == "not_allowed"


def test_terminal_statuses_have_no_way_out():
    for status in states.TERMINAL:
        assert states.allowed_actions(status) == []


@pytest.mark.parametrize(("src", "action", "role"), [
    (Status.SUBMITTED, Action.ACCEPT, Role.APPLICANT),
    (Status.SUBMITTED, Action.DEEM_ACCEPT, Role.CLERK),      # only the clock deems
    (Status.AWAITING_DECISION, Action.APPROVE, Role.CLERK),
    (Status.AWAITING_DECISION, Action.APPROVE, Role.REVIEWER),
    (Status.ACCEPTED, Action.WITHDRAW, Role.LEADER),         # withdrawal is the applicant's act
    (Status.ACCEPTED, Action.TERMINATE, Role.APPLICANT),
])
def test_wrong_role_is_refused(src, action, role):
    with pytest.raises(TransitionRefused) as info:
        states.check(src, action, role)
    assert info.value.reason == "role"


def test_several_targets_need_an_explicit_choice():
    with pytest.raises(TransitionRefused):
        states.check(Status.SUSPENDED, Action.SPECIAL_END, Role.REVIEWER)
    assert states.check(Status.SUSPENDED, Action.SPECIAL_END, Role.REVIEWER, Status.AWAITING_DECISION) == (
        Status.AWAITING_DECISION)
    with pytest.raises(TransitionRefused):
        states.check(Status.SUSPENDED, Action.SPECIAL_END, Role.REVIEWER, Status.APPROVED)


def test_clocked_statuses_are_open_and_undecided():
    assert states.CLOCKED <= states.OPEN
    assert not states.CLOCKED & states.DECIDED
    assert states.label(Status.CORRECTION) == "补正中"


def _graph():
    edges: dict[str, set[str]] = {}
    for (src, _action), rule in TRANSITIONS.items():
        edges.setdefault(src, set()).update(rule.targets)
    return edges


def _reachable(start: str) -> set[str]:
    edges, seen, todo = _graph(), {start}, [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_status_is_reachable_from_a_draft_and_every_case_can_end():
    assert _reachable(Status.DRAFT) == set(Status.values)
    for status in Status.values:
        assert _reachable(status) & states.TERMINAL, status


def test_only_the_sweeper_deems_and_the_sweeper_only_deems_or_ends():
    for (_src, action), rule in TRANSITIONS.items():
        if action in (Action.DEEM_ACCEPT, Action.DEEM_APPROVE):
            assert rule.roles == {Role.SYSTEM}
        elif Role.SYSTEM in rule.roles:
            assert action in (Action.ISSUE_CERTIFICATE, Action.TERMINATE)
