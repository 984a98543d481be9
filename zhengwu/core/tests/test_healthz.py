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


def test_healthz_reports_messages_left_waiting_in_the_outbox(client, settings):
    import time_machine

    from zhengwu.notify.services import notify_send

    heartbeat_beat(name="clock_sweeper", info={"fired": 0})
    settings.ZHENGWU_NOTIFY_DEFERRED = True
    notify_send(phone="13900001111", template="case.submitted",
                context={"case_no": "2026-SJ-000001", "query_code": "AB12CD", "item_name": "食品经营许可"})
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["notify_outbox"]["status"] == "ok"
    later = timezone.now() + timedelta(seconds=settings.ZHENGWU["SWEEPER_STALE_AFTER_SECONDS"] + 5)
    with time_machine.travel(later):
        heartbeat_beat(name="clock_sweeper", info={"fired": 0})
        body = client.get("/healthz").json()
    assert body["notify_outbox"]["status"] == "late" and body["status"] == "degraded"
    assert "13900001111" not in str(body)
