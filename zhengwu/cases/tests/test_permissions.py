"""The permission matrix: department scope (incl. AB岗), the outsider's 404, supervisors' audited view."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from zhengwu.cases import permissions, selectors, services
from zhengwu.cases.tests.conftest import clock_of, full_materials, person
from zhengwu.core.errors import NotFound
from zhengwu.core.models import AuditEvent
from zhengwu.org.models import Absence, BackupPost, Position, StaffPost
from zhengwu.org.tests.factories import UserFactory


@pytest.fixture
def other_applicant(db):
    from zhengwu.accounts.models import User

    return UserFactory(username="other_applicant", real_name="李四", kind=User.Kind.APPLICANT)


PERSONAS = ["clerk", "reviewer", "chief_representative", "section_head", "leader", "supervisor", "outsider",
            "applicant", "other_applicant", "sysadmin"]
# Who sees a market-department case, and which named predicates hold for them.
MATRIX = {
    #                      view   accept decide extend
    "clerk":              (True, True, False, False),
    "reviewer":           (True, False, False, False),
    "chief_representative": (True, True, True, False),
    "section_head":       (True, False, True, True),
    "leader":             (True, False, True, True),
    "supervisor":         (True, False, False, False),
    "outsider":           (False, False, False, False),
    "applicant":          (True, False, False, False),
    "other_applicant":    (False, False, False, False),
    "sysadmin":           (False, False, False, False),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(persona, request, submitted):
    user = request.getfixturevalue(persona)
    view, accept, decide, extend = MATRIX[persona]
    assert permissions.can_view_case(user, submitted) is view
    assert permissions.can_accept(user, submitted) is accept
    assert permissions.can_decide(user, submitted) is decide
    assert permissions.can_approve_extension(user, submitted) is extend
    visible = selectors.case_list_visible_to(user=user)
    assert (submitted in visible) is view
    if view:
        assert selectors.case_get_visible_to(user=user, case_no=submitted.case_no) == submitted
    else:
        with pytest.raises(NotFound):
            selectors.case_get_visible_to(user=user, case_no=submitted.case_no)


def test_outsider_never_sees_the_other_departments_cases(submitted, outsider, item, clerk):
    for queue in selectors.QUEUES:
        assert not selectors.case_list_visible_to(user=outsider, queue=queue).exists()
    with pytest.raises(NotFound):
        services.case_accept(actor=outsider, case_no=submitted.case_no)


def test_supervisor_sees_all_and_the_read_is_audited(submitted, supervisor, dept_land, clerk):
    from zhengwu.catalog.tests.factories import published_item

    land_item = published_item(dept_land, name="不动产登记")
    land_clerk: Any = UserFactory(username="land_clerk", real_name="何窗口")
    StaffPost.objects.create(user=land_clerk, position=Position.CLERK, department=dept_land)
    other = services.case_register_walk_in(actor=land_clerk, item_id=land_item.pk, applicant=person(),
                                           materials=full_materials(land_item))
    assert set(selectors.case_list_visible_to(user=supervisor)) == {submitted, other}
    assert AuditEvent.objects.filter(action="case.list_supervised", actor=supervisor).count() == 1
    selectors.case_get_visible_to(user=supervisor, case_no=other.case_no)
    assert AuditEvent.objects.filter(action="case.read_supervised", actor=supervisor,
                                     object_id=str(other.pk)).count() == 1
    assert set(selectors.case_list_visible_to(user=clerk)) == {submitted}
    assert not AuditEvent.objects.filter(action="case.list_supervised", actor=clerk).exists()


def test_backup_post_sees_the_department_only_while_covering(submitted, clerk, dept_land):
    backup_user: Any = UserFactory(username="land_backup", real_name="吕备岗")
    backup_post = StaffPost.objects.create(user=backup_user, position=Position.CLERK, department=dept_land)
    BackupPost.objects.create(primary=StaffPost.objects.get(user=clerk), backup=backup_post)
    assert submitted not in selectors.case_list_visible_to(user=backup_user)
    Absence.objects.create(user=clerk, starts_on=dt.date(2026, 3, 2), ends_on=dt.date(2026, 3, 3), reason="病假")
    assert submitted in selectors.case_list_visible_to(user=backup_user)
    case = services.case_accept(actor=backup_user, case_no=submitted.case_no)
    assert case.events.get(action="accept").data["acting_for"] == clerk.pk


def test_queues(submitted, accepted, clerk, reviewer, clock):
    pending = services.case_submit(actor=submitted.applicant, item_id=submitted.item_id, applicant=person(),
                                   materials=full_materials(submitted.item), idempotency_key="q-2")
    assert list(selectors.case_list_visible_to(user=clerk, queue="pending_acceptance")) == [pending]
    assert list(selectors.case_list_visible_to(user=clerk, queue="in_review")) == [accepted]
    assert list(selectors.case_list_visible_to(user=reviewer, queue="my_steps")) == [accepted]
    assert not selectors.case_list_visible_to(user=clerk, queue="my_steps").exists()
    assert not selectors.case_list_visible_to(user=clerk, queue="overdue").exists()
    promised = clock_of(accepted, services.CLOCK_PROMISED)
    # Derived from the stored warn/due columns and now, whether or not the sweeper has run.
    clock.move_to(promised.warn_at + dt.timedelta(minutes=1))
    assert accepted in selectors.case_list_visible_to(user=clerk, queue="due_soon")
    clock.move_to(promised.due_at + dt.timedelta(minutes=1))
    assert accepted in selectors.case_list_visible_to(user=clerk, queue="overdue")
    assert pending in selectors.case_list_visible_to(user=clerk, queue="overdue")  # its 5-WD clock ran out too
    assert accepted not in selectors.case_list_visible_to(user=clerk, queue="due_soon")


def test_my_cases_and_hall_screen_are_masked(submitted, applicant, other_applicant):
    assert list(selectors.case_list_for_applicant(user=applicant)) == [submitted]
    assert not selectors.case_list_for_applicant(user=other_applicant).exists()
    rows = selectors.hall_recent_cases()
    assert rows[0]["applicant"] == "张*" and rows[0]["case_no"] == submitted.case_no


def test_actions_offered_follow_role_and_status(accepted, applicant, clerk, reviewer, chief_representative, leader,
                                                outsider):
    assert selectors.case_actions_for(user=reviewer, case=accepted) == ["step_pass", "special_start", "extension_request"]
    assert "withdraw" in selectors.case_actions_for(user=applicant, case=accepted)
    assert "terminate" not in selectors.case_actions_for(user=applicant, case=accepted)
    assert {"terminate", "extend", "special_start"} <= set(selectors.case_actions_for(user=leader, case=accepted))
    assert "accept" not in selectors.case_actions_for(user=clerk, case=accepted)
    assert selectors.case_actions_for(user=outsider, case=accepted) == []
    case = services.case_step_pass(actor=reviewer, case_no=accepted.case_no, opinion="好")
    case = services.case_step_pass(actor=chief_representative, case_no=case.case_no, opinion="好")
    assert "decide" in selectors.case_actions_for(user=chief_representative, case=case)
    assert "decide" not in selectors.case_actions_for(user=clerk, case=case)
