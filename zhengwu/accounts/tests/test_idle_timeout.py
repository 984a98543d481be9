import datetime as dt

import pytest
import time_machine

from zhengwu.accounts.services import security_policy_update
from zhengwu.core.models import AuditEvent

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def _login(client, password):
    response = client.post("/accounts/login/", {"username": "clerk", "password": password})
    assert response.status_code == 302


def test_an_idle_session_is_logged_out_after_the_policy_time(client, clerk, persona_password):
    with time_machine.travel(START, tick=False) as clock:
        _login(client, persona_password)
        clock.shift(dt.timedelta(seconds=500))
        assert client.get("/accounts/password/").status_code == 200
        clock.shift(dt.timedelta(seconds=500))  # 500 s since the last request: still within 600 s
        assert client.get("/accounts/password/").status_code == 200
        clock.shift(dt.timedelta(seconds=601))
        response = client.get("/accounts/password/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
        assert AuditEvent.objects.filter(action="accounts.session_timeout").count() == 1
        assert client.get("/accounts/password/").status_code == 302


def test_the_timeout_follows_the_policy(client, clerk, secadmin, persona_password):
    security_policy_update(actor=secadmin, session_idle_seconds=1800)
    with time_machine.travel(START, tick=False) as clock:
        _login(client, persona_password)
        clock.shift(dt.timedelta(seconds=1700))
        assert client.get("/accounts/password/").status_code == 200


def test_api_calls_get_401_after_the_timeout(client, clerk, persona_password):
    with time_machine.travel(START, tick=False) as clock:
        _login(client, persona_password)
        clock.shift(dt.timedelta(seconds=700))
        response = client.get("/api/v1/org/me/scope")
        assert response.status_code == 401 and response.json()["code"] == "session_expired"


def test_programmatic_logins_carry_no_idle_clock(client, clerk):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(clerk)
        clock.shift(dt.timedelta(hours=5))
        assert client.get("/accounts/password/").status_code == 200
