from datetime import timedelta

import pytest
from django.utils import timezone

from zhengwu.core.services import heartbeat_beat

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_a_missing_sweeper(client):
    body = client.get("/healthz").json()
    assert body["database"]["status"] == "ok"
    assert body["sweeper"]["status"] == "never_started"
    assert body["status"] == "degraded"


def test_healthz_reports_a_live_then_a_stale_sweeper(client, settings):
    import time_machine

    heartbeat_beat(name="clock_sweeper", info={"fired": 0})
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["sweeper"]["status"] == "ok"
    later = timezone.now() + timedelta(seconds=settings.ZHENGWU["SWEEPER_STALE_AFTER_SECONDS"] + 5)
    with time_machine.travel(later):
        body = client.get("/healthz").json()
    assert body["sweeper"]["status"] == "stale" and body["status"] == "degraded"
