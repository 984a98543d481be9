"""Pages: supervisors see across departments (audited); department users only their own; others 404."""

from __future__ import annotations

import pytest
from django.test import Client

from zhengwu.core.models import AuditEvent
from zhengwu.supervision import services
from zhengwu.supervision.services import Hit
from zhengwu.supervision.tests.conftest import at


@pytest.fixture
def record(dept_market, clock):
    (row,) = services._records_create(actor="test", rule=services.rule_get("A07"), hits=[Hit(
        subject="case:v", department_id=dept_market.pk, occurred_at=at(2026, 3, 2), description="先办后补测试记录")])
    return row


def _client(user, password):
    client = Client()
    assert client.login(username=user.username, password=password)
    return client


def test_supervisor_dashboard_bulletin_and_screen(supervisor, persona_password, record, awaiting_decision,
                                                  dept_market):
    client = _client(supervisor, persona_password)
    page = client.get("/supervision/")
    assert page.status_code == 200 and "先办后补测试记录" in page.content.decode()
    assert "<svg" in page.content.decode()
    assert AuditEvent.objects.filter(action="supervision.read_supervised", actor_id=supervisor.pk).exists()
    assert client.get(f"/supervision/departments/{dept_market.pk}/").status_code == 200
    bulletin = client.get("/supervision/bulletin/?month=2026-03")
    assert bulletin.status_code == 200 and "项目录入率" in bulletin.content.decode()
    xlsx = client.get("/supervision/bulletin.xlsx?month=2026-03")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/supervision/bulletin.pdf?month=2026-03").content[:4] == b"%PDF"
    screen = client.get("/supervision/screen/")
    assert screen.status_code == 200 and 'http-equiv="refresh"' in screen.content.decode()
    assert screen.context["data"]["today"]["received"] == 1  # the fixture case was received today
    assert client.get("/supervision/records/").status_code == 200


def test_department_user_sees_only_its_own_units(outsider, leader, persona_password, record, dept_market):
    own = _client(leader, persona_password)
    assert "先办后补测试记录" in own.get("/supervision/records/").content.decode()
    other = _client(outsider, persona_password)
    assert "先办后补测试记录" not in other.get("/supervision/records/").content.decode()
    assert other.get(f"/supervision/departments/{dept_market.pk}/").status_code == 404


def test_applicants_and_anonymous_get_nothing(applicant, persona_password, record):
    assert Client().get("/supervision/").status_code == 302
    assert _client(applicant, persona_password).get("/supervision/").status_code == 404


def test_order_reply_and_review_through_the_pages(supervisor, section_head, persona_password, record, dept_market,
                                                  work_calendar):
    order = services.order_issue(actor=supervisor, department=dept_market, record_ids=[record.pk], content="请说明",
                                 reply_days=3)
    dept = _client(section_head, persona_password)
    assert dept.get(f"/supervision/orders/{order.pk}/").status_code == 200
    dept.post(f"/supervision/orders/{order.pk}/reply/", {"explanation": "疏忽", "rectification": "已整改"})
    order.refresh_from_db()
    assert order.status == "replied"
    _client(supervisor, persona_password).post(f"/supervision/orders/{order.pk}/accept/", {"note": "同意"})
    order.refresh_from_db()
    assert order.status == "accepted"


def test_api_records_rules_and_bulletin(supervisor, outsider, persona_password, record):
    client = _client(supervisor, persona_password)
    rows = client.get("/api/v1/supervision/records").json()
    assert [r["number"] for r in rows] == [record.number]
    rules = client.get("/api/v1/supervision/rules").json()
    assert {r["code"] for r in rules} >= {"W01", "W02", "A01", "A10"}
    patched = client.patch("/api/v1/supervision/rules/A04", {"enabled": False}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["version"] == 2
    bulletin = client.get("/api/v1/supervision/bulletin/2026-03").json()
    assert set(bulletin) == {"centre", "department", "window", "township", "staff", "total"}
    assert _client(outsider, persona_password).get("/api/v1/supervision/records").json() == []
    refused = _client(outsider, persona_password).patch("/api/v1/supervision/rules/A04", {"enabled": True},
                                                        content_type="application/json")
    assert refused.status_code == 403
    assert Client().get("/api/v1/supervision/records").status_code == 401


def test_window_drill_down_shows_open_cases_with_their_colour(supervisor, outsider, persona_password, item,
                                                              window_market, clerk, applicant, clock):
    from zhengwu.cases import services as cs
    from zhengwu.supervision.tests.conftest import full_materials, person

    case = cs.case_register_walk_in(actor=clerk, item_id=item.pk, applicant=person(), materials=full_materials(item),
                                    window_id=window_market.pk)
    cs.case_accept(actor=clerk, case_no=case.case_no)
    page = _client(supervisor, persona_password).get(f"/supervision/windows/{window_market.pk}/")
    assert page.status_code == 200 and case.case_no in page.content.decode() and "正常" in page.content.decode()
    assert _client(outsider, persona_password).get(f"/supervision/windows/{window_market.pk}/").status_code == 404


def test_svg_bars_truncate_long_names_and_mark_low_values():
    from zhengwu.supervision.charts import bar_chart

    svg = bar_chart([("金华市住房公积金管理中心清溪分中心", 0.85), ("县民政局", None)], title="现场办结率", target=0.9)
    assert "金华市住房公积金管理中心清溪…" in svg and "#c0392b" in svg and "—" in svg
    assert svg.startswith("<svg") and svg.endswith("</svg>")


def test_supervisor_issues_an_order_and_switches_a_rule_from_the_records_page(supervisor, leader, persona_password,
                                                                             record, work_calendar):
    from zhengwu.supervision.models import SupervisionOrder, SupervisionRule

    client = _client(supervisor, persona_password)
    page = client.post("/supervision/orders/new/", {"record_ids": [record.pk], "content": "请说明先办后补",
                                                    "reply_days": "5"})
    order = SupervisionOrder.objects.get()
    assert page.status_code == 302 and page["Location"].endswith(f"/supervision/orders/{order.pk}/")
    refused = client.post("/supervision/orders/new/", {"record_ids": [record.pk], "content": "", "reply_days": "5"})
    assert "error=" in refused["Location"] and SupervisionOrder.objects.count() == 1
    client.post("/supervision/rules/A04/toggle/")
    assert not SupervisionRule.objects.get(code="A04").enabled
    dept = _client(leader, persona_password)
    assert "error=" in dept.post("/supervision/rules/A04/toggle/")["Location"]
    assert not SupervisionRule.objects.get(code="A04").enabled


def test_cards_from_the_department_page(supervisor, leader, persona_password, dept_market, window_market, clerk):
    from zhengwu.supervision.models import Card

    client = _client(supervisor, persona_password)
    url = f"/supervision/departments/{dept_market.pk}/cards/"
    client.post(url, {"colour": "yellow", "reason": "本月超期 3 件", "window_id": str(window_market.pk)})
    client.post(url, {"colour": "red", "reason": "先办后补", "username": clerk.username})
    assert sorted(Card.objects.values_list("target", "colour")) == [("staff", "red"), ("window", "yellow")]
    page = client.get(f"/supervision/departments/{dept_market.pk}/").content.decode()
    assert "本月超期 3 件" in page and "先办后补" in page
    refused = _client(leader, persona_password).post(url, {"colour": "red", "reason": "x"})
    assert "error=" in refused["Location"] and Card.objects.count() == 2
