"""TOTP second factor: enrolment, the login step, who must use it, lockout on wrong codes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengwu.accounts.otp import otp_device_reset, otp_required
from zhengwu.core.errors import PermissionDenied
from zhengwu.core.models import AuditEvent

LOGIN = "/accounts/login/"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _code(device: TOTPDevice) -> str:
    # The same library as the server, at the time the test machine says it is.
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def _login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def _enrol(client, user, password):
    _login(client, user.username, password)
    page = client.get("/accounts/otp/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/otp/setup/", {"token": _code(device)})
    assert response.status_code == 302
    client.post("/accounts/logout/")
    device.refresh_from_db()
    return page, device


def test_who_must_use_the_second_factor(sysadmin, secadmin, auditadmin, supervisor, clerk, applicant, settings):
    assert all(otp_required(u) for u in (sysadmin, secadmin, auditadmin, supervisor))
    assert not otp_required(clerk) and not otp_required(applicant)
    settings.ZHENGWU = {**settings.ZHENGWU, "OTP_REQUIRED_FOR_ALL_STAFF": True}
    assert otp_required(clerk) and not otp_required(applicant)


@time_machine.travel(START, tick=False)
def test_an_administrator_enrols_at_first_login_and_then_needs_the_code(client, secadmin, persona_password):
    response = _login(client, "secadmin", persona_password)
    assert response.status_code == 302
    # Password alone opens nothing: every page sends the administrator to enrolment.
    blocked = client.get("/staff/")
    assert blocked.status_code == 302 and blocked["Location"] == "/accounts/otp/setup/"
    assert client.get("/api/v1/cases/my").status_code == 401

    page = client.get("/accounts/otp/setup/")
    body = page.content.decode()
    device = TOTPDevice.objects.get(user=secadmin, confirmed=False)
    assert "<svg" in body and re.search(r"[A-Z2-7]{32}", body)
    wrong = client.post("/accounts/otp/setup/", {"token": f"{(int(_code(device)) + 1) % 10**6:06d}"})
    assert wrong.status_code == 200 and "动态口令不正确" in wrong.content.decode()
    ok = client.post("/accounts/otp/setup/", {"token": _code(device)})
    assert ok.status_code == 302
    assert client.get("/staff/").get("Location") != "/accounts/otp/setup/"
    client.post("/accounts/logout/")

    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        _login(client, "secadmin", persona_password)
        assert client.get("/staff/")["Location"] == "/accounts/otp/"
        response = client.post("/accounts/otp/", {"token": _code(device)})
        assert response.status_code == 302 and response["Location"] == "/staff/"
        assert client.get("/accounts/otp/setup/").status_code == 302
    actions = list(AuditEvent.objects.filter(action__startswith="accounts.otp").values_list("action", "outcome"))
    assert ("accounts.otp.enrol", "failure") in actions and ("accounts.otp.enrol", "success") in actions
    assert ("accounts.otp.verify", "success") in actions


@time_machine.travel(START, tick=False)
def test_a_code_is_not_accepted_twice_or_from_long_ago(client, supervisor, persona_password):
    _, device = _enrol(client, supervisor, persona_password)
    used = _code(device)
    _login(client, "supervisor", persona_password)
    # Replay of the code already used at enrolment, within the same 30-second step.
    assert client.post("/accounts/otp/", {"token": used}).status_code == 200
    with time_machine.travel(START + dt.timedelta(minutes=10), tick=False):
        assert client.post("/accounts/otp/", {"token": used}).status_code == 200


@time_machine.travel(START, tick=False)
def test_wrong_codes_lock_the_account_and_end_the_session(client, auditadmin, persona_password):
    _, device = _enrol(client, auditadmin, persona_password)
    _login(client, "auditadmin", persona_password)
    bad = f"{(int(_code(device)) + 7) % 10**6:06d}"
    for _ in range(4):
        assert client.post("/accounts/otp/", {"token": bad}).status_code == 200
    last = client.post("/accounts/otp/", {"token": bad})
    assert last.status_code == 403 and "账户已锁定" in last.content.decode()
    auditadmin.refresh_from_db()
    assert auditadmin.is_locked()
    # The session is gone, and even the password step refuses now.
    assert client.get("/staff/").status_code == 302 and client.get("/staff/")["Location"].startswith(LOGIN)
    assert "账户已锁定" in _login(client, "auditadmin", persona_password).content.decode()
    failures = AuditEvent.objects.filter(action="accounts.otp.verify", outcome="failure").count()
    assert failures == 5 and AuditEvent.objects.filter(action="accounts.user.locked").exists()


def test_the_applicants_sign_in_page_does_not_skip_the_code(client, supervisor, persona_password):
    response = client.post("/cases/signin/", {"username": "supervisor", "password": persona_password})
    assert response.status_code == 302
    assert client.get("/staff/")["Location"] == "/accounts/otp/setup/"


def test_programmatic_logins_are_not_asked_for_a_code(client, sysadmin):
    client.force_login(sysadmin)
    assert client.get("/staff/").get("Location") != "/accounts/otp/setup/"


def test_clerks_without_a_device_log_in_with_the_password_only(client, clerk, persona_password):
    response = _login(client, "clerk", persona_password)
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200


@time_machine.travel(START, tick=False)
def test_a_clerk_who_enrolled_must_give_the_code(client, clerk, persona_password):
    _enrol(client, clerk, persona_password)
    _login(client, "clerk", persona_password)
    assert client.get("/staff/")["Location"] == "/accounts/otp/"


@override_settings(ZHENGWU={"OTP_REQUIRED_FOR_ALL_STAFF": True})
def test_the_policy_can_require_it_of_all_staff(client, clerk, persona_password):
    _login(client, "clerk", persona_password)
    assert client.get("/staff/")["Location"] == "/accounts/otp/setup/"


@time_machine.travel(START, tick=False)
def test_reset_by_the_account_manager_only(client, clerk, sysadmin, secadmin, auditadmin, persona_password):
    _enrol(client, clerk, persona_password)
    with pytest.raises(PermissionDenied):
        otp_device_reset(actor=auditadmin, user=clerk)
    assert otp_device_reset(actor=sysadmin, user=clerk, reason="更换手机") == 1
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert AuditEvent.objects.filter(action="accounts.otp.reset").exists()
    with pytest.raises(PermissionDenied):
        otp_device_reset(actor=sysadmin, user=auditadmin)


@time_machine.travel(START, tick=False)
def test_the_operator_command_resets_a_lost_phone(client, supervisor, persona_password):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    _enrol(client, supervisor, persona_password)
    call_command("otp_reset", "supervisor", "--reason", "手机丢失")
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert AuditEvent.objects.get(action="accounts.otp.reset").data == {"reason": "手机丢失"}
    with pytest.raises(CommandError, match="未绑定"):
        call_command("otp_reset", "supervisor", "--reason", "again")
