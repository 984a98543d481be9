import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from zhengwu.accounts.services import security_policy_update, user_unlock
from zhengwu.core.errors import Conflict, PermissionDenied
from zhengwu.core.models import AuditEvent

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
LOGIN = "/accounts/login/"


def _fail(client, times, username="clerk"):
    for _ in range(times):
        client.post(LOGIN, {"username": username, "password": "wrong-password"})


def test_five_failures_lock_the_account_even_against_the_right_password(client, clerk, persona_password):
    with time_machine.travel(START, tick=False):
        _fail(client, 4)
        clerk.refresh_from_db()
        assert clerk.failed_login_count == 4 and not clerk.is_locked()
        _fail(client, 1)
        clerk.refresh_from_db()
        assert clerk.is_locked() and clerk.locked_until == START + dt.timedelta(seconds=600)
        response = client.post(LOGIN, {"username": "clerk", "password": persona_password})
        assert response.status_code == 200 and "账户已锁定" in response.content.decode()
        assert AuditEvent.objects.filter(action="accounts.user.locked").count() == 1
    with time_machine.travel(START + dt.timedelta(seconds=601), tick=False):
        response = client.post(LOGIN, {"username": "clerk", "password": persona_password})
        assert response.status_code == 302
        clerk.refresh_from_db()
        assert clerk.failed_login_count == 0 and clerk.locked_until is None


def test_a_success_clears_the_failure_count(client, clerk, persona_password):
    _fail(client, 3)
    client.post(LOGIN, {"username": "clerk", "password": persona_password})
    clerk.refresh_from_db()
    assert clerk.failed_login_count == 0


def test_the_threshold_follows_the_policy(client, clerk, secadmin):
    security_policy_update(actor=secadmin, lockout_threshold=3, lockout_seconds=300)
    with time_machine.travel(START, tick=False):
        _fail(client, 3)
        clerk.refresh_from_db()
        assert clerk.locked_until == START + dt.timedelta(seconds=300)


def test_the_admin_login_page_is_locked_too(client, sysadmin, persona_password):
    _fail(client, 5, username="sysadmin")
    response = client.post(reverse("admin:login"), {"username": "sysadmin", "password": persona_password,
                                                     "next": "/admin/"})
    assert response.status_code == 200 and "账户已锁定" in response.content.decode()


def test_unlock_by_the_security_administrator(client, clerk, secadmin, auditadmin, persona_password):
    _fail(client, 5)
    with pytest.raises(PermissionDenied):
        user_unlock(actor=auditadmin, user=clerk)
    user_unlock(actor=secadmin, user=clerk)
    clerk.refresh_from_db()
    assert not clerk.is_locked()
    with pytest.raises(Conflict):
        user_unlock(actor=secadmin, user=clerk)
    assert client.post(LOGIN, {"username": "clerk", "password": persona_password}).status_code == 302
