import pytest

from zhengwu.accounts import permissions as perms
from zhengwu.org import permissions as org_perms

pytestmark = pytest.mark.django_db

ADMINS = ["sysadmin", "secadmin", "auditadmin"]
DUTIES = {
    "sysadmin": [perms.can_manage_users, org_perms.can_manage_org_reference],
    "secadmin": [perms.can_assign_admin_roles, perms.can_manage_security_policy, org_perms.can_assign_posts],
    "auditadmin": [perms.can_view_audit_log, perms.can_export_audit_log],
}


@pytest.mark.parametrize("role", ADMINS)
def test_each_administrator_does_only_their_own_work(request, role):
    user = request.getfixturevalue(role)
    for other, predicates in DUTIES.items():
        for predicate in predicates:
            assert predicate.test(user) is (other == role), (role, predicate.name)


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "chief_representative", "section_head", "leader",
                                     "supervisor", "applicant", "outsider"])
def test_business_staff_and_applicants_hold_no_administrator_duty(request, persona):
    user = request.getfixturevalue(persona)
    duties = [p for predicates in DUTIES.values() for p in predicates]
    assert len(duties) == 7
    assert [p.name for p in duties if p.test(user)] == []


def test_the_centre_admin_runs_windows_and_posts_of_their_centre(centre_admin, county_centre):
    assert org_perms.can_manage_window.test(centre_admin, county_centre)
    assert org_perms.can_assign_posts.test(centre_admin)
    assert not perms.can_manage_users.test(centre_admin)


def test_a_disabled_administrator_has_no_rights(sysadmin):
    sysadmin.is_active = False
    assert not perms.can_manage_users.test(sysadmin)


def test_django_perms_are_registered(auditadmin, sysadmin):
    assert auditadmin.has_perm("accounts.view_audit_log")
    assert not sysadmin.has_perm("accounts.view_audit_log")
