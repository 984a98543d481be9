"""HTTP hardening: rate limits answering 429 in Chinese, the CSP header, no stack traces to users."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache

from config.env import read_env
from zhengwu.core.models import AuditEvent
from zhengwu.security.csp import DEFAULT_POLICY
from zhengwu.security.ratelimit import Group, hit

START = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def limits(settings):
    cache.clear()
    settings.ZHENGWU_RATE_LIMITS = {**settings.ZHENGWU_RATE_LIMITS, "enabled": True, "groups": [
        {"name": "login", "paths": ["/accounts/login/"], "methods": ["POST"], "limit": 3, "window": 60},
        {"name": "progress", "paths": ["/cases/progress/", "/api/v1/cases/progress"], "methods": [],
         "limit": 2, "window": 60},
        {"name": "submit", "paths": ["/api/v1/cases$"], "methods": ["POST"], "limit": 1, "window": 60},
    ]}
    yield
    cache.clear()


def test_fixed_window_counts_and_resets(db):
    cache.clear()
    group = Group("g", ("/x",), frozenset(), limit=2, window=60)
    t = 60 * 16_667 + 20.0  # 20 s into a window
    assert [hit(group, "1.2.3.4", now=t).allowed for _ in range(3)] == [True, True, False]
    assert hit(group, "1.2.3.4", now=t).retry_after == 40
    assert hit(group, "5.6.7.8", now=t).allowed, "another address has its own count"
    assert hit(group, "1.2.3.4", now=t + 40).allowed, "the next window starts from zero"


def test_group_matching():
    group = Group("g", ("/api/v1/cases$", "/cases/apply/"), frozenset({"POST"}), 1, 60)
    assert group.matches("POST", "/api/v1/cases") and group.matches("POST", "/cases/apply/X1/")
    assert not group.matches("POST", "/api/v1/cases/ABC/accept")
    assert not group.matches("GET", "/cases/apply/X1/")


@time_machine.travel(START, tick=False)
def test_login_is_limited_per_address_with_a_chinese_429(client, limits, clerk):
    for _ in range(3):
        assert client.post("/accounts/login/", {"username": "nobody", "password": "x"}).status_code == 200
    refused = client.post("/accounts/login/", {"username": "nobody", "password": "x"})
    assert refused.status_code == 429 and "访问过于频繁" in refused.content.decode()
    assert int(refused["Retry-After"]) == 60
    # Another address behind our nginx (X-Real-IP) is not affected, and GET of the form is not counted.
    assert client.post("/accounts/login/", {"username": "nobody", "password": "x"},
                       HTTP_X_REAL_IP="10.0.0.9").status_code == 200
    assert client.get("/accounts/login/").status_code == 200
    client.post("/accounts/login/", {"username": "nobody", "password": "x"})
    assert AuditEvent.objects.filter(action="security.rate_limited").count() == 1, "one audit row per window"
    with time_machine.travel(START + dt.timedelta(seconds=61), tick=False):
        assert client.post("/accounts/login/", {"username": "nobody", "password": "x"}).status_code == 200


@time_machine.travel(START, tick=False)
def test_progress_query_page_and_api_share_a_limit(client, limits, db):
    assert client.get("/cases/progress/").status_code == 200
    client.get("/api/v1/cases/progress", {"case_no": "X", "query_code": "Y"})
    refused = client.get("/api/v1/cases/progress", {"case_no": "X", "query_code": "Y"})
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited" and refused.json()["message"] == "访问过于频繁，请稍后再试"


@time_machine.travel(START, tick=False)
def test_public_submission_is_limited_but_not_other_case_calls(client, limits, applicant):
    client.force_login(applicant)
    client.post("/api/v1/cases", {}, content_type="application/json")
    assert client.post("/api/v1/cases", {}, content_type="application/json").status_code == 429
    assert client.post("/api/v1/cases/NOPE/withdraw", {}, content_type="application/json").status_code != 429


def test_limits_are_off_unless_enabled(client, settings, db):
    settings.ZHENGWU_RATE_LIMITS = {**settings.ZHENGWU_RATE_LIMITS, "enabled": False}
    cache.clear()
    assert all(client.post("/accounts/login/", {"username": "a", "password": "b"}).status_code == 200
               for _ in range(30))


def test_rates_are_read_from_the_environment_and_bad_ones_fail_loudly():
    from django.core.exceptions import ImproperlyConfigured

    env = read_env({"ZHENGWU_ENV": "development", "RATE_LIMIT_LOGIN": "5/30"})
    assert env.rate_limit_login == (5, 30) and env.rate_limit_enabled
    assert not read_env({"ZHENGWU_ENV": "test"}).rate_limit_enabled
    for bad in ("5", "x/60", "0/60", "5/-1"):
        with pytest.raises(ImproperlyConfigured):
            read_env({"ZHENGWU_ENV": "development", "RATE_LIMIT_LOGIN": bad})


def test_every_page_carries_the_content_security_policy(client, db):
    for url in ("/", "/accounts/login/", "/api/v1/docs", "/healthz"):
        response = client.get(url)
        assert response["Content-Security-Policy"] == DEFAULT_POLICY, url
    assert "script-src 'self';" in DEFAULT_POLICY and "unsafe-eval" not in DEFAULT_POLICY
    assert "cdn" not in client.get("/api/v1/docs").content.decode().lower()


def test_no_stack_trace_reaches_the_user(settings, client, db):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "zhengwu.security.tests.boom_urls"
    client.raise_request_exception = False
    response = client.get("/boom/")
    body = response.content.decode()
    assert response.status_code == 500 and "系统繁忙" in body
    assert "secret detail" not in body and "Traceback" not in body and "RuntimeError" not in body


def test_production_turns_on_secure_cookies(monkeypatch):
    import importlib

    import config.settings as project_settings

    monkeypatch.setenv("ZHENGWU_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 60)
    monkeypatch.setenv("ZHENGWU_DATA_KEY", "d" * 40)
    monkeypatch.setenv("DEBUG", "false")
    try:
        prod = importlib.reload(project_settings)
        assert prod.SESSION_COOKIE_SECURE and prod.CSRF_COOKIE_SECURE and not prod.DEBUG
        assert prod.ZHENGWU_RATE_LIMITS["enabled"]
    finally:
        monkeypatch.undo()
        importlib.reload(project_settings)
