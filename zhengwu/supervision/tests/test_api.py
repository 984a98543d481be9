"""The supervision REST operations for thresholds, 差评回访整改 and card appeals: the same services as the pages."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from zhengwu.cases.models import Rating
from zhengwu.supervision import services
from zhengwu.supervision.models import Card, RatingFollowUp, WarningThreshold
from zhengwu.supervision.services import Hit
from zhengwu.supervision.tests.conftest import SH

API = "/api/v1/supervision"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_thresholds_through_the_api(supervisor, section_head, applicant, holiday_case):
    boss = _client(supervisor)
    rows = boss.get(f"{API}/thresholds").json()
    assert len(rows) == 2 * 13 and not any(r["own"] for r in rows)
    licensing = next(r for r in rows if r["item_type"] == "01" and r["clock_kind"] == "case.promised")
    assert licensing["before_days"] == 2 and licensing["used_percent"] == 80
    put = boss.put(f"{API}/thresholds/01/case.promised", {"before_days": None, "used_percent": 30},
                   content_type="application/json")
    assert put.status_code == 200 and put.json() == {"clocks_recomputed": 1}
    assert WarningThreshold.objects.get().used_percent == 30
    bad = boss.put(f"{API}/thresholds/01/case.promised", {"before_days": 99}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"]
    refused = _client(section_head).put(f"{API}/thresholds/01/case.legal", {"before_days": 3},
                                        content_type="application/json")
    assert refused.status_code == 403
    assert _client(applicant).get(f"{API}/thresholds").status_code == 404
    assert boss.delete(f"{API}/thresholds/01/case.promised").json() == {"clocks_recomputed": 1}
    assert boss.delete(f"{API}/thresholds/01/case.promised").status_code == 404


def test_follow_up_through_the_api(accepted, clock, section_head, outsider):
    rating = Rating.objects.create(case=accepted, level="very_dissatisfied", channel="pc", rated_at=timezone.now())
    dept = _client(section_head)
    (row,) = dept.get(f"{API}/ratings").json()
    assert row["rating_id"] == rating.pk and row["state"] == "pending" and row["applicant"] != accepted.applicant_name
    body = {"contact_method": "phone", "explanation": "已电话回访", "rectification": "窗口服务规范培训"}
    assert _client(outsider).post(f"{API}/ratings/{rating.pk}/follow-ups", body,
                                  content_type="application/json").status_code == 404
    created = dept.post(f"{API}/ratings/{rating.pk}/follow-ups", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["rating_id"] == rating.pk
    assert RatingFollowUp.objects.count() == 1
    assert dept.get(f"{API}/ratings").json()[0]["state"] == "on_time"


def test_card_appeal_ruling_and_revocation_through_the_api(dept_market, work_calendar, clock, supervisor, leader):
    (record,) = services._records_create(actor="test", rule=services.rule_get("A07"), hits=[Hit(
        subject="case:api", department_id=dept_market.pk, occurred_at=dt.datetime(2026, 3, 2, 9, tzinfo=SH),
        description="先办后补")])
    card = services.card_issue(actor=supervisor, colour="red", department=dept_market, reason="先办后补",
                               record_ids=[record.pk])
    other = services.card_issue(actor=supervisor, colour="yellow", department=dept_market, reason="误发")
    appeal = _client(leader).post(f"{API}/cards/{card.pk}/appeal", {"grounds": "系统故障补录"},
                                  content_type="application/json")
    assert appeal.status_code == 201 and appeal.json()["status"] == "pending" and appeal.json()["ruling_due_at"]
    boss = _client(supervisor)
    assert boss.post(f"{API}/cards/{other.pk}/ruling", {"upheld": True, "ruling": "无申诉"},
                     content_type="application/json").status_code == 404
    ruled = boss.post(f"{API}/cards/{card.pk}/ruling", {"upheld": True, "ruling": "属实"},
                      content_type="application/json")
    assert ruled.status_code == 200 and ruled.json()["status"] == "upheld"
    assert Card.objects.get(pk=card.pk).revoked_at is not None
    revoked = boss.post(f"{API}/cards/{other.pk}/revoke", {"reason": "对象错误"}, content_type="application/json")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert boss.post(f"{API}/cards/{other.pk}/revoke", {"reason": "再撤"},
                     content_type="application/json").status_code == 409
