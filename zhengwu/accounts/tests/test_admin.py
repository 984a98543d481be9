import pytest
from django.urls import reverse

from zhengwu.accounts.models import SecurityPolicy, User
from zhengwu.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_sysadmin_creates_a_user_in_the_admin(client, sysadmin):
    client.force_login(sysadmin)
    response = client.post(reverse("admin:accounts_user_add"), {
        "username": "wangwu", "real_name": "王五", "phone": "13600001111", "email": "", "kind": "staff",
        "password1": "Qingxi#2026x", "password2": "Qingxi#2026x"})
    assert response.status_code == 302
    user = User.objects.get(username="wangwu")
    assert user.must_change_password and user.check_password("Qingxi#2026x")
    assert AuditEvent.objects.filter(action="accounts.user.create", object_id=str(user.pk)).count() == 1
    listing = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "王*" in listing and "136****1111" in listing and "13600001111" not in listing


def test_a_weak_password_is_refused_on_the_admin_form(client, sysadmin):
    client.force_login(sysadmin)
    response = client.post(reverse("admin:accounts_user_add"), {
        "username": "wangwu", "kind": "staff", "password1": "password", "password2": "password"})
    assert response.status_code == 200 and not User.objects.filter(username="wangwu").exists()


def test_only_the_secadmin_assigns_admin_roles_in_the_admin(client, secadmin, sysadmin):
    target = User.objects.create(username="newaudit", real_name="新审计")
    client.force_login(sysadmin)
    form = client.get(reverse("admin:accounts_user_change", args=[target.pk])).context["adminform"].form
    assert "admin_role" not in form.fields
    client.force_login(secadmin)
    response = client.post(reverse("admin:accounts_user_change", args=[target.pk]), {"admin_role": "auditadmin"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.admin_role == "auditadmin" and target.is_staff


def test_the_secadmin_sets_the_policy_and_nobody_else_sees_it(client, secadmin, sysadmin):
    client.force_login(secadmin)
    response = client.post(reverse("admin:accounts_securitypolicy_add"), {
        "password_min_length": 10, "password_min_classes": 3, "password_max_age_days": 90, "lockout_threshold": 5,
        "lockout_seconds": 600, "session_idle_seconds": 900})
    assert response.status_code == 302
    assert SecurityPolicy.objects.get().password_min_length == 10
    client.force_login(sysadmin)
    assert client.get(reverse("admin:accounts_securitypolicy_changelist")).status_code == 403


def test_nobody_edits_audit_rows_in_the_admin(client, sysadmin, secadmin):
    for person in (sysadmin, secadmin):
        client.force_login(person)
        assert client.get(reverse("admin:core_auditevent_changelist")).status_code == 403
