import pytest

from zhengwu.accounts.models import User
from zhengwu.accounts.selectors import security_policy_get
from zhengwu.accounts.services import (
    security_policy_update,
    user_create,
    user_set_active,
    user_set_admin_role,
    user_set_password,
    user_update,
)
from zhengwu.core.errors import Conflict, PermissionDenied, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.org.models import Position
from zhengwu.org.services import staff_post_create
from zhengwu.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
GOOD = "Qingxi#2026x"


def test_the_system_administrator_creates_staff_who_must_change_the_initial_password(sysadmin):
    user = user_create(actor=sysadmin, username="lisi", password=GOOD, real_name="李四", phone="139 1234 5678")
    assert user.must_change_password is True and user.phone == "13912345678"
    assert user.check_password(GOOD) and not user.is_staff and user.admin_role == ""
    event = AuditEvent.objects.get(action="accounts.user.create")
    assert event.object_repr == "lisi" and "李四" not in str(event.data)


@pytest.mark.parametrize("persona", ["secadmin", "auditadmin", "centre_admin", "clerk"])
def test_nobody_else_creates_users(request, persona):
    with pytest.raises(PermissionDenied):
        user_create(actor=request.getfixturevalue(persona), username="lisi", password=GOOD)
    assert not User.objects.filter(username="lisi").exists()


@pytest.mark.parametrize("password, message", [("short1!", "至少"), ("alllowercase", "至少 3 类"),
                                               ("12345678", "密码")])
def test_weak_passwords_are_refused(sysadmin, password, message):
    with pytest.raises(ValidationFailed, match=message) as err:
        user_create(actor=sysadmin, username="lisi", password=password)
    assert err.value.field == "password"
    assert not User.objects.filter(username="lisi").exists()


def test_usernames_are_unique_ignoring_case_and_phones_are_checked(sysadmin, clerk):
    with pytest.raises(Conflict):
        user_create(actor=sysadmin, username="CLERK", password=GOOD)
    with pytest.raises(ValidationFailed, match="手机号码"):
        user_create(actor=sysadmin, username="lisi", password=GOOD, phone="12345")


def test_the_security_policy_tightens_passwords(secadmin, sysadmin):
    security_policy_update(actor=secadmin, password_min_length=12, password_min_classes=4)
    assert security_policy_get().password_min_length == 12
    with pytest.raises(ValidationFailed, match="至少 12 位"):
        user_create(actor=sysadmin, username="lisi", password="Qing#2026x")
    event = AuditEvent.objects.get(action="accounts.security_policy.update")
    assert event.data["password_min_length"] == [8, 12]


@pytest.mark.parametrize("persona", ["sysadmin", "auditadmin", "centre_admin"])
def test_only_the_security_administrator_sets_the_policy(request, persona):
    with pytest.raises(PermissionDenied):
        security_policy_update(actor=request.getfixturevalue(persona), lockout_threshold=3)


def test_policy_values_stay_within_bounds(secadmin):
    with pytest.raises(ValidationFailed, match="之间"):
        security_policy_update(actor=secadmin, lockout_threshold=50)
    with pytest.raises(ValidationFailed, match="未知"):
        security_policy_update(actor=secadmin, debug=1)
    assert security_policy_get().lockout_threshold == 5


def test_admin_roles_are_assigned_by_the_security_administrator_and_grant_admin_access(secadmin):
    person = UserFactory.create(username="newsys")
    user_set_admin_role(actor=secadmin, user=person, role=User.AdminRole.SYSADMIN)
    person.refresh_from_db()
    assert person.admin_role == "sysadmin" and person.is_staff and not person.is_superuser
    user_set_admin_role(actor=secadmin, user=person, role="")
    person.refresh_from_db()
    assert person.admin_role == "" and not person.is_staff
    assert AuditEvent.objects.filter(action="accounts.user.admin_role").count() == 2


@pytest.mark.parametrize("persona", ["sysadmin", "auditadmin", "centre_admin"])
def test_nobody_else_assigns_admin_roles(request, persona):
    person = UserFactory.create(username="newsys")
    with pytest.raises(PermissionDenied):
        user_set_admin_role(actor=request.getfixturevalue(persona), user=person, role=User.AdminRole.AUDITADMIN)
    person.refresh_from_db()
    assert person.admin_role == ""


def test_no_self_promotion_and_the_last_security_administrator_stays(secadmin):
    with pytest.raises(PermissionDenied):
        user_set_admin_role(actor=secadmin, user=secadmin, role=User.AdminRole.AUDITADMIN)
    with pytest.raises(ValidationFailed, match="最后一个安全管理员"):
        user_set_admin_role(actor="system", user=secadmin, role="")


def test_a_business_post_holder_cannot_become_an_administrator(secadmin, reviewer):
    with pytest.raises(ValidationFailed, match="三员不得兼任"):
        user_set_admin_role(actor=secadmin, user=reviewer, role=User.AdminRole.SYSADMIN)


def test_an_administrator_cannot_take_a_business_post(secadmin, sysadmin, dept_market):
    with pytest.raises(ValidationFailed, match="三员不得兼任"):
        staff_post_create(actor=secadmin, user=sysadmin, position=Position.REVIEWER, department=dept_market)


def test_the_system_administrator_cannot_touch_administrator_accounts(sysadmin, auditadmin, secadmin):
    with pytest.raises(PermissionDenied):
        user_set_password(actor=sysadmin, user=auditadmin, password=GOOD)
    with pytest.raises(PermissionDenied):
        user_set_active(actor=sysadmin, user=auditadmin, active=False)
    user_set_password(actor=secadmin, user=auditadmin, password=GOOD)
    auditadmin.refresh_from_db()
    assert auditadmin.check_password(GOOD) and auditadmin.must_change_password


def test_own_password_change_clears_the_must_change_flag(clerk):
    User.objects.filter(pk=clerk.pk).update(must_change_password=True)
    clerk.refresh_from_db()
    user_set_password(actor=clerk, user=clerk, password=GOOD)
    clerk.refresh_from_db()
    assert not clerk.must_change_password
    assert AuditEvent.objects.filter(action="accounts.user.password_change").count() == 1


def test_a_clerk_cannot_reset_someone_elses_password(clerk, reviewer):
    with pytest.raises(PermissionDenied):
        user_set_password(actor=clerk, user=reviewer, password=GOOD)


def test_update_and_deactivate_ordinary_users(sysadmin, clerk):
    user_update(actor=sysadmin, user=clerk, phone="13700001111")
    clerk.refresh_from_db()
    assert clerk.phone == "13700001111"
    assert AuditEvent.objects.get(action="accounts.user.update").data == {"fields": ["phone"]}
    user_set_active(actor=sysadmin, user=clerk, active=False)
    clerk.refresh_from_db()
    assert not clerk.is_active
    with pytest.raises(PermissionDenied):
        user_set_active(actor=sysadmin, user=sysadmin, active=False)
    with pytest.raises(ValidationFailed, match="不能修改字段"):
        user_update(actor=sysadmin, user=clerk, admin_role="sysadmin")


def test_a_provisioned_account_without_password_cannot_sign_in(sysadmin):
    user = user_create(actor=sysadmin, username="zhaoliu", password=None, real_name="赵六")
    assert not user.has_usable_password() and user.must_change_password
    with pytest.raises(ValidationFailed, match="初始密码"):
        user_create(actor=sysadmin, username="applicant2", password=None, kind=User.Kind.APPLICANT)


def test_only_the_security_administrator_exempts_a_password_from_expiry(secadmin, sysadmin, clerk):
    from zhengwu.accounts.services import user_set_password_expiry

    with pytest.raises(PermissionDenied):
        user_set_password_expiry(actor=sysadmin, user=clerk, never_expires=True)
    user_set_password_expiry(actor=secadmin, user=clerk, never_expires=True)
    clerk.refresh_from_db()
    assert clerk.password_never_expires
    assert AuditEvent.objects.filter(action="accounts.user.password_expiry").count() == 1
