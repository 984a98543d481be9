import pytest

from zhengwu.catalog import permissions
from zhengwu.catalog.tests import factories as f
from zhengwu.org.models import Position

pytestmark = pytest.mark.django_db


def test_who_manages_and_who_sees_which_departments():
    a, b = f.department(), f.department()
    clerk = f.staff(Position.CLERK, a)
    supervisor = f.staff(Position.SUPERVISOR)
    admin = f.staff(Position.CENTRE_ADMIN)
    sysadmin = f.user(admin_role="sysadmin")
    applicant = f.user(kind="applicant")
    assert [permissions.can_manage_catalog(u) for u in (clerk, supervisor, admin, sysadmin, applicant)] == [
        False, False, True, True, False]
    assert list(permissions.departments_visible_to(clerk)) == [a]
    assert set(permissions.departments_visible_to(supervisor)) == {a, b}
    assert set(permissions.departments_visible_to(sysadmin)) == {a, b}
    assert not permissions.departments_visible_to(applicant).exists()
    clerk.posts.update(is_active=False)
    assert not permissions.departments_visible_to(clerk).exists()
