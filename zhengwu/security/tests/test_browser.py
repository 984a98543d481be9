"""In chromium: an administrator logs in with password + TOTP, and no page breaks the CSP."""

from __future__ import annotations

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from e2e.conftest import browser, desktop  # noqa: F401  (fixtures)
from zhengwu.org.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def _code(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def test_totp_login_in_the_browser_without_csp_violations(live_server, desktop, secadmin):  # noqa: F811
    violations: list[str] = []
    desktop.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text
               else None)
    desktop.goto(live_server.url + "/accounts/login/")
    desktop.get_by_label("用户名").fill("secadmin")
    desktop.get_by_label("密码").fill(PASSWORD)
    desktop.get_by_role("button", name="登录").click()
    desktop.wait_for_url(re.compile(r"/accounts/otp/setup/$"))
    assert desktop.locator(".otp-qr svg").count() == 1
    assert re.fullmatch(r"[A-Z2-7]{32}", desktop.locator(".otp-secret").inner_text())
    desktop.get_by_label("动态口令").fill(_code(secadmin))
    desktop.get_by_role("button", name="完成绑定").click()
    desktop.wait_for_url(lambda url: "/accounts/otp" not in url)

    for path in ("/", "/accounts/login/", "/api/v1/docs", "/cases/progress/"):
        response = desktop.goto(live_server.url + path)
        assert response is not None and response.headers.get("content-security-policy"), path
    # Swagger UI runs from our own static files under script-src 'self'.
    desktop.goto(live_server.url + "/api/v1/docs")
    desktop.wait_for_selector(".swagger-ui .info", timeout=15_000)
    assert violations == []
