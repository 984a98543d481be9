"""In chromium: an administrator logs in with password + TOTP, and no page breaks the CSP."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengwu.org.tests.factories import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

# As in e2e/conftest.py, not imported from there: that module sets DJANGO_ALLOW_ASYNC_UNSAFE for
# the whole process when imported.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}

pytestmark = pytest.mark.django_db(transaction=True)


def _code(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


@pytest.fixture
def desktop(monkeypatch):
    # Its own Playwright, closed when the test ends: a second session-wide one would clash with
    # e2e/'s browser fixture later in the same run.
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (./dev test does) to run browser tests")
    from playwright.sync_api import sync_playwright

    # Playwright's event loop runs in this thread; nothing here is actually async (see e2e/conftest.py).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = chromium.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(15_000)
        yield context.new_page()
        chromium.close()


def test_totp_login_in_the_browser_without_csp_violations(live_server, desktop, secadmin):
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
