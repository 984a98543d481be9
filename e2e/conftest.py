"""Browser tests: Playwright (sync API) driving Debian's chromium against pytest-django's live server.

Never `playwright install`: the system chromium is used, and the tests skip with a reason only
when it is missing (./dev test installs it, so CI runs them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would then refuse ORM calls from
# the test body (SynchronousOnlyOperation) although nothing here is actually async.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (./dev test does) to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _context(browser, viewport, **extra):
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  accept_downloads=True, **extra)
    context.set_default_timeout(15_000)
    return context


def staff_page(browser, live_server, user, viewport=DESKTOP):
    """A page signed in as a staff member (demo password), on the staff home."""
    import re

    from zhengwu.org.tests.factories import PASSWORD

    page = _context(browser, viewport).new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/staff/"))
    return page


def submit_case_form(page, form, button, case_no):
    """Press a case page form's button and expect the case page back without form errors."""
    import re

    form.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(f"/work/{re.escape(case_no)}/$"))
    errors = page.locator(".form-errors")
    assert errors.count() == 0, errors.all_inner_texts()


@pytest.fixture
def desktop(browser):
    context = _context(browser, DESKTOP)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser):
    context = _context(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 = no sideways scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
