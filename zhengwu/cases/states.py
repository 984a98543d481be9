"""Case statuses and the table of allowed transitions (RULES.md §2.4). No I/O: tested without the DB.

`services.case_transition` is the one executor: it locks the row, checks this table, stamps the
times and writes the CaseEvent. Nothing else assigns `Case.status`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待受理"
    CORRECTION = "correction", "补正中"
    ACCEPTED = "accepted", "已受理（审查中）"
    AWAITING_DECISION = "awaiting_decision", "待决定"
    SUSPENDED = "suspended", "特别程序中"
    APPROVED = "approved", "准予许可"
    DENIED = "denied", "不予许可"
    CERTIFICATE_ISSUED = "certificate_issued", "已制证"
    DELIVERED = "delivered", "已寄出"
    REJECTED = "rejected", "不予受理"
    WITHDRAWN = "withdrawn", "已撤回"
    TERMINATED = "terminated", "已终止"
    COMPLETED = "completed", "已办结"


class Role(models.TextChoices):
    """Who acts: the org positions, the applicant, and the clock sweeper."""

    APPLICANT = "applicant", "申请人"
    CLERK = "clerk", "窗口人员"
    REVIEWER = "reviewer", "审批人员"
    CHIEF_REPRESENTATIVE = "chief_representative", "首席代表"
    SECTION_HEAD = "section_head", "科室负责人"
    LEADER = "leader", "分管领导"
    SYSTEM = "system", "系统（时限）"


class Action(models.TextChoices):
    SUBMIT = "submit", "提交申请"
    REQUEST_CORRECTION = "request_correction", "一次性告知补正"
    SUBMIT_CORRECTION = "submit_correction", "提交补正材料"
    ACCEPT = "accept", "受理"
    DEEM_ACCEPT = "deem_accept", "视为受理"
    REJECT = "reject", "不予受理"
    REVIEW_COMPLETE = "review_complete", "审查完毕"
    STEP_RETURN = "step_return", "退回"
    SPECIAL_START = "special_start", "启动特别程序"
    SPECIAL_END = "special_end", "特别程序结束"
    APPROVE = "approve", "准予许可"
    DENY = "deny", "不予许可"
    APPROVE_ON_SPOT = "approve_on_spot", "当场准予（即办件）"
    DEEM_APPROVE = "deem_approve", "超时默许"
    ISSUE_CERTIFICATE = "issue_certificate", "制证"
    DELIVER_POST = "deliver_post", "邮寄送达"
    COMPLETE = "complete", "办结"
    WITHDRAW = "withdraw", "撤回"
    TERMINATE = "terminate", "终止"


@dataclass(frozen=True)
class Rule:
    targets: frozenset[str]
    roles: frozenset[str]


S, A, R = Status, Action, Role
_COUNTER = frozenset({R.CLERK, R.CHIEF_REPRESENTATIVE})
_DECIDERS = frozenset({R.CHIEF_REPRESENTATIVE, R.SECTION_HEAD, R.LEADER})
_STAFF_REVIEW = frozenset({R.REVIEWER, R.CHIEF_REPRESENTATIVE, R.SECTION_HEAD, R.LEADER})
# A step may name any position, the window included (e.g. a 受理 or 制证 step).
_STEP_ROLES = frozenset({R.CLERK, *_STAFF_REVIEW})
_TERMINATORS = frozenset({R.CHIEF_REPRESENTATIVE, R.SECTION_HEAD, R.LEADER})
_BEFORE_DECISION = (S.SUBMITTED, S.CORRECTION, S.ACCEPTED, S.AWAITING_DECISION, S.SUSPENDED)


def _r(targets, roles) -> Rule:
    if isinstance(targets, str):
        targets = (targets,)
    return Rule(frozenset(targets), frozenset(roles))


TRANSITIONS: dict[tuple[str, str], Rule] = {
    # Online by the applicant, or registered at the window for a walk-in applicant.
    (S.DRAFT, A.SUBMIT): _r(S.SUBMITTED, {R.APPLICANT, *_COUNTER}),
    # 行政许可法 §32(4): one notice listing everything to correct, on the spot or within 5 WD.
    (S.SUBMITTED, A.REQUEST_CORRECTION): _r(S.CORRECTION, _COUNTER),
    (S.CORRECTION, A.SUBMIT_CORRECTION): _r(S.SUBMITTED, {R.APPLICANT, *_COUNTER}),
    # §32(5) acceptance; §32(4) deemed acceptance when no notice was given in time.
    (S.SUBMITTED, A.ACCEPT): _r(S.ACCEPTED, _COUNTER),
    (S.SUBMITTED, A.DEEM_ACCEPT): _r(S.ACCEPTED, {R.SYSTEM}),
    # §32(1)(2): not subject to licensing / outside this agency's powers.
    (S.SUBMITTED, A.REJECT): _r(S.REJECTED, _COUNTER),
    (S.CORRECTION, A.REJECT): _r(S.REJECTED, _COUNTER),
    (S.ACCEPTED, A.REVIEW_COMPLETE): _r(S.AWAITING_DECISION, _STEP_ROLES),
    (S.AWAITING_DECISION, A.STEP_RETURN): _r(S.ACCEPTED, _DECIDERS),
    # §45: 特别程序 time is not counted; the clocks are suspended while the case is here.
    (S.ACCEPTED, A.SPECIAL_START): _r(S.SUSPENDED, _STAFF_REVIEW),
    (S.AWAITING_DECISION, A.SPECIAL_START): _r(S.SUSPENDED, _STAFF_REVIEW),
    (S.SUSPENDED, A.SPECIAL_END): _r((S.ACCEPTED, S.AWAITING_DECISION), _STAFF_REVIEW),
    # §38: a denial is written, reasoned and names the remedies.
    (S.AWAITING_DECISION, A.APPROVE): _r(S.APPROVED, _DECIDERS),
    (S.AWAITING_DECISION, A.DENY): _r(S.DENIED, _DECIDERS),
    # 即办件 (§34): decided at the window when the application is accepted.
    (S.AWAITING_DECISION, A.APPROVE_ON_SPOT): _r(S.APPROVED, _COUNTER),
    # 超时默许: promised limit passed with no decision, for items configured so.
    (S.ACCEPTED, A.DEEM_APPROVE): _r(S.APPROVED, {R.SYSTEM}),
    (S.AWAITING_DECISION, A.DEEM_APPROVE): _r(S.APPROVED, {R.SYSTEM}),
    # §44: certificate within 10 WD of the decision.
    (S.APPROVED, A.ISSUE_CERTIFICATE): _r(S.CERTIFICATE_ISSUED, {*_COUNTER, R.SYSTEM}),
    (S.APPROVED, A.DELIVER_POST): _r(S.DELIVERED, _COUNTER),
    (S.CERTIFICATE_ISSUED, A.DELIVER_POST): _r(S.DELIVERED, _COUNTER),
    (S.DENIED, A.DELIVER_POST): _r(S.DELIVERED, _COUNTER),
    # 办结: collected at the window, or the posted result signed for.
    (S.APPROVED, A.COMPLETE): _r(S.COMPLETED, _COUNTER),
    (S.CERTIFICATE_ISSUED, A.COMPLETE): _r(S.COMPLETED, _COUNTER),
    (S.DENIED, A.COMPLETE): _r(S.COMPLETED, _COUNTER),
    (S.DELIVERED, A.COMPLETE): _r(S.COMPLETED, _COUNTER),
    **{(src, A.WITHDRAW): _r(S.WITHDRAWN, {R.APPLICANT, R.CLERK}) for src in _BEFORE_DECISION},
    **{(src, A.TERMINATE): _r(S.TERMINATED, _TERMINATORS) for src in _BEFORE_DECISION},
    # The correction deadline passed with nothing supplied: the sweeper ends the application.
    (S.CORRECTION, A.TERMINATE): _r(S.TERMINATED, {*_TERMINATORS, R.SYSTEM}),
}

TERMINAL = frozenset({S.REJECTED, S.WITHDRAWN, S.TERMINATED, S.COMPLETED})
DECIDED = frozenset({S.APPROVED, S.DENIED, S.CERTIFICATE_ISSUED, S.DELIVERED, S.COMPLETED})
OPEN = frozenset(set(Status.values) - TERMINAL - {S.DRAFT})
# Statuses in which the decision clocks run (after acceptance, before the decision).
CLOCKED = frozenset({S.ACCEPTED, S.AWAITING_DECISION, S.SUSPENDED})
# Ended without the service being given: nothing is charged any more (行政许可法 §58).
ENDED_UNSERVED = frozenset({S.REJECTED, S.WITHDRAWN, S.TERMINATED})


class TransitionRefused(Exception):
    """The table does not allow this move; services turn it into a 409 Conflict."""

    def __init__(self, src: str, action: str, dst: str | None, reason: str) -> None:
        self.src, self.action, self.dst, self.reason = src, action, dst, reason
        super().__init__(f"{src} --{action}--> {dst}: {reason}")


def label(status: str) -> str:
    try:
        return Status(status).label
    except ValueError:
        return status


def allowed_actions(status: str, role: str | None = None) -> list[str]:
    return [a for (src, a), rule in TRANSITIONS.items() if src == status and (role is None or role in rule.roles)]


def check(src: str, action: str, role: str, dst: str | None = None) -> str:
    """Return the target status or raise TransitionRefused. `dst` chooses among several targets."""
    rule = TRANSITIONS.get((src, action))
    if rule is None:
        raise TransitionRefused(src, action, dst, "not_allowed")
    if role not in rule.roles:
        raise TransitionRefused(src, action, dst, "role")
    if dst is None:
        if len(rule.targets) != 1:
            raise TransitionRefused(src, action, dst, "target_required")
        (dst,) = rule.targets
    elif dst not in rule.targets:
        raise TransitionRefused(src, action, dst, "not_allowed")
    return dst
