"""The REST API at /api/v1/cases: the same services as the pages, one error format."""

from __future__ import annotations

import base64

import pytest

from zhengwu.cases.models import Case
from zhengwu.cases.tests.conftest import PDF
from zhengwu.core.models import AuditEvent

BASE = "/api/v1/cases"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _payload(item, **over):
    body = {
        "item_id": item.pk,
        "applicant": {"applicant_type": "person", "name": "张三", "id_type": "id_card",
                      "id_number": "11010519491231002X", "phone": "13912345678"},
        "materials": [{"requirement_id": r.pk, "filename": "a.pdf", "content_base64": _b64(PDF)}
                      for r in item.current_version.materials.all()],
    }
    body.update(over)
    return body


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client
    return login


def test_submit_with_idempotency_key_is_one_case(item, applicant, as_user):
    c = as_user(applicant)
    first = c.post(BASE, _payload(item), content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc-123")
    second = c.post(BASE, _payload(item), content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == 201, first.content
    assert second.json()["case_no"] == first.json()["case_no"]
    assert Case.objects.count() == 1
    body = first.json()
    assert body["status"] == "submitted" and body["status_label"] == "待受理"
    assert [e["action"] for e in body["timeline"]] == ["draft", "submit"]


def test_bad_input_is_a_422_in_chinese_and_changes_nothing(item, applicant, as_user):
    c = as_user(applicant)
    bad = _payload(item, materials=[{"requirement_id": item.current_version.materials.first().pk,
                                     "filename": "x.pdf", "content_base64": _b64(b"not a pdf")}])
    r = c.post(BASE, bad, content_type="application/json")
    assert r.status_code == 422 and "格式不受支持" in r.json()["message"] and r.json()["message_en"]
    r = c.post(BASE, {"item_id": "x"}, content_type="application/json")
    assert r.status_code == 400
    assert not Case.objects.exists()


def test_anonymous_cannot_submit_or_list(item, client):
    assert client.post(BASE, _payload(item), content_type="application/json").status_code == 401
    assert client.get(BASE).status_code == 401


def test_staff_flow_over_the_api(submitted, clerk, reviewer, chief_representative, as_user, client):
    no = submitted.case_no
    c = as_user(clerk)
    r = c.get(f"{BASE}?queue=pending_acceptance")
    assert r.status_code == 200 and [x["case_no"] for x in r.json()["results"]] == [no]
    assert r.json()["results"][0]["applicant_name"] == "张*"          # masked in lists
    r = c.get(f"{BASE}/{no}")
    assert r.json()["applicant_id_number"] == "11010519491231002X"     # full on the detail, audited
    assert AuditEvent.objects.filter(action="case.read", actor=clerk).exists()
    version = r.json()["version"]
    r = c.post(f"{BASE}/{no}/accept", {"expected_version": version}, content_type="application/json")
    assert r.status_code == 200 and "受字" in r.json()["document_no"]
    again = c.post(f"{BASE}/{no}/accept", {"expected_version": version}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    r = c.post(f"{BASE}/{no}/steps/pass", {"opinion": "越权"}, content_type="application/json")
    assert r.status_code == 403
    client.force_login(reviewer)
    assert client.post(f"{BASE}/{no}/steps/pass", {"opinion": "符合"}, content_type="application/json").status_code == 200
    client.force_login(chief_representative)
    assert client.post(f"{BASE}/{no}/steps/pass", {"opinion": "拟准予"},
                       content_type="application/json").json()["status"] == "awaiting_decision"
    r = client.post(f"{BASE}/{no}/decision", {"outcome": "deny"}, content_type="application/json")
    assert r.status_code == 422
    r = client.post(f"{BASE}/{no}/decision", {"outcome": "deny", "reasons": "不符合条件"},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "denied"
    detail = client.get(f"{BASE}/{no}").json()
    assert {c["kind"] for c in detail["clocks"]} >= {"case.legal", "case.promised"}


def test_outsider_gets_404_and_applicant_sees_own(submitted, outsider, applicant, as_user, client):
    c = as_user(outsider)
    assert c.get(f"{BASE}/{submitted.case_no}").status_code == 404
    r = c.post(f"{BASE}/{submitted.case_no}/accept", {}, content_type="application/json")
    assert r.status_code == 404 and r.json()["message"] == "办件不存在"
    assert c.get(BASE).json()["count"] == 0
    client.force_login(applicant)
    assert client.get(BASE).json()["count"] == 1


def test_public_progress_query_is_masked(submitted, client):
    r = client.get(f"{BASE}/progress", {"case_no": submitted.case_no, "query_code": submitted.query_code.lower()})
    assert r.status_code == 200
    body = r.json()
    assert body["applicant"] == "张*" and body["status_label"] == "待受理"
    assert "11010519491231002X" not in r.content.decode() and "13912345678" not in r.content.decode()
    wrong = client.get(f"{BASE}/progress", {"case_no": submitted.case_no, "query_code": "ZZZZZZZZ"})
    assert wrong.status_code == 404
    unknown = client.get(f"{BASE}/progress", {"case_no": "2026-X-000999", "query_code": submitted.query_code})
    assert unknown.json() == wrong.json()


def test_withdraw_and_rate_over_the_api(accepted, applicant, as_user):
    c = as_user(applicant)
    r = c.post(f"{BASE}/{accepted.case_no}/withdraw", {"reason": "不办了"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    r = c.post(f"{BASE}/{accepted.case_no}/rating", {"level": "satisfied"}, content_type="application/json")
    assert r.status_code == 409
