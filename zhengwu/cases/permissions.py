"""Named predicates for cases. Department scope comes from org.selectors (incl. AB岗 cover)."""

from __future__ import annotations

import rules

from zhengwu.accounts.permissions import is_applicant, is_business_staff
from zhengwu.org.models import Position
from zhengwu.org.selectors import departments_of, departments_supervised_by, posts_in_department


def positions_in(user, department_id: int) -> dict[str, int | None]:
    """Positions the user can act in for a department: own posts (→ None) and posts covered as
    B岗 for an absent A (→ the A holder's user id)."""
    if not is_business_staff(user):
        return {}
    # One statement: the user's own posts in the department and the A posts covered there today.
    return held_positions(user, posts_in_department(user, department_id))


def held_positions(user, rows) -> dict[str, int | None]:
    """`positions_in` from the rows of `org.selectors.posts_in_department` already read."""
    held: dict[str, int | None] = {}
    for position, holder_id in rows:
        if holder_id == user.pk:
            held[position] = None
        else:
            held.setdefault(position, holder_id)
    return held


def role_for(user, case, roles) -> tuple[str, int | None] | None:
    """The first of `roles` (in the order given) the user holds for the case's department."""
    held = positions_in(user, case.department_id)
    for role in roles:
        if role in held:
            return role, held[role]
    return None


@rules.predicate
def is_case_applicant(user, case) -> bool:
    return case is not None and is_applicant(user) and case.applicant_id == user.pk


@rules.predicate
def is_case_department_staff(user, case) -> bool:
    return case is not None and is_business_staff(user) and departments_of(user).filter(pk=case.department_id).exists()


@rules.predicate
def is_supervisor_of(user, case) -> bool:
    return case is not None and is_business_staff(user) and departments_supervised_by(user).filter(
        pk=case.department_id).exists()


def _holds(*positions):
    @rules.predicate(name="holds_" + "_or_".join(positions))
    def check(user, case) -> bool:
        return case is not None and role_for(user, case, positions) is not None

    return check


@rules.predicate
def can_act_on_current_step(user, case) -> bool:
    if case is None or case.current_step_id is None:
        return False
    return role_for(user, case, [case.current_step.role]) is not None


can_view_case = is_case_applicant | is_case_department_staff | is_supervisor_of
can_register = _holds(Position.CLERK, Position.CHIEF_REPRESENTATIVE)
can_accept = can_register
can_decide = _holds(Position.CHIEF_REPRESENTATIVE, Position.SECTION_HEAD, Position.LEADER)
can_approve_extension = _holds(Position.LEADER, Position.SECTION_HEAD)
can_terminate = can_decide
can_withdraw = is_case_applicant | _holds(Position.CLERK)
can_rate = is_case_applicant
# 查看完整证件号: only the window roles that check the applicant's documents against the file (the
# clerk and the chief representative of the case's department, AB岗 cover included). Reviewers,
# leaders and supervisors work with the masked number; the applicant is shown it masked too.
can_view_full_id_number = is_case_department_staff & can_register

rules.add_perm("cases.view_case", can_view_case)
rules.add_perm("cases.accept_case", can_accept)
rules.add_perm("cases.decide_case", can_decide)
rules.add_perm("cases.approve_extension", can_approve_extension)
rules.add_perm("cases.act_on_step", can_act_on_current_step)
rules.add_perm("cases.view_full_id_number", can_view_full_id_number)
