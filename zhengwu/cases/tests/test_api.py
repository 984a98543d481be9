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
    assert second.status_code == 200 and second.json()["case_no"] == first.json()["case_no"]
    assert Case.objects.count() == 1
    body = first.json()
    assert body["status"] == "submitted" and body["status_label"] == "待受理"
    assert [e["action"] for e in body["timeline"]] == ["submit"]      # the draft is not part of the public record


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
    assert r.json()["applicant_id_number"] == "110105********002X"     # masked on the detail too
    full = c.post(f"{BASE}/{no}/id-numbers")                          # the window's audited full view
    assert full.json()["applicant_id_number"] == "11010519491231002X"
    assert AuditEvent.objects.filter(action="case.id_number_view", actor=clerk).exists()
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


@pytest.mark.parametrize("case_no", ["2026\x00-1", "' OR 1=1 --", "办件" * 30, ""])
def test_progress_query_answers_404_to_impossible_numbers(submitted, client, case_no):
    # A NUL byte used to reach PostgreSQL and come back as a 500.
    r = client.get(f"{BASE}/progress", {"case_no": case_no, "query_code": submitted.query_code})
    assert r.status_code == 404


def test_withdraw_and_rate_over_the_api(accepted, applicant, as_user):
    c = as_user(applicant)
    r = c.post(f"{BASE}/{accepted.case_no}/withdraw", {"reason": "不办了"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    r = c.post(f"{BASE}/{accepted.case_no}/rating", {"level": "satisfied"}, content_type="application/json")
    assert r.status_code == 409


def _post(c, url, body=None):
    return c.post(url, body or {}, content_type="application/json")


def test_every_transition_endpoint(item, applicant, clerk, reviewer, chief_representative, leader, client):
    from zhengwu.cases.services import case_item_policy_set
    from zhengwu.licences.services import licence_type_create

    licence_type_create(actor="test", code="11100000000013338W001", name="食品经营许可证")
    case_item_policy_set(actor=leader, item_id=item.pk, deemed_approval_enabled=False, joint_handling=False,
                         licence_type_code="11100000000013338W001")
    client.force_login(clerk)
    r = client.post(f"{BASE}/walk-in", _payload(item, materials=[]), content_type="application/json")
    assert r.status_code == 201
    no = r.json()["case_no"]
    req = item.current_version.materials.order_by("order")
    r = _post(client, f"{BASE}/{no}/correction-notice",
              {"items": [{"requirement_id": req[0].pk, "reason": "未提交"}, {"requirement_id": req[1].pk,
                                                                            "reason": "未提交"}]})
    assert r.status_code == 200 and "补字" in r.json()["document_no"]
    assert _post(client, f"{BASE}/{no}/correction-notice", {"items": [{"name": "x", "reason": "y"}]}).status_code == 409
    r = _post(client, f"{BASE}/{no}/correction", {"materials": _payload(item)["materials"]})
    assert r.json()["status"] == "submitted"
    assert _post(client, f"{BASE}/{no}/accept").json()["status"] == "accepted"
    client.force_login(reviewer)
    r = _post(client, f"{BASE}/{no}/special-procedures",
              {"kind": "expert_review", "reason": "专家评审", "expected_value": 5})
    assert r.status_code == 200 and r.json()["status"] == "suspended" and "特字" in r.json()["document_no"]
    assert _post(client, f"{BASE}/{no}/special-procedures/end", {"result": "通过"}).json()["status"] == "accepted"
    client.force_login(leader)
    assert _post(client, f"{BASE}/{no}/extension", {"days": 11, "reason": "x"}).status_code == 422
    assert "延字" in _post(client, f"{BASE}/{no}/extension", {"days": 5, "reason": "核查"}).json()["document_no"]
    client.force_login(reviewer)
    _post(client, f"{BASE}/{no}/steps/pass", {"opinion": "好"})
    client.force_login(chief_representative)
    first_step = item.current_version.steps.order_by("order").first()
    assert _post(client, f"{BASE}/{no}/steps/return", {"to_step_id": first_step.pk, "reason": "再核"}).status_code == 200
    client.force_login(reviewer)
    _post(client, f"{BASE}/{no}/steps/pass", {"opinion": "已核"})
    client.force_login(chief_representative)
    _post(client, f"{BASE}/{no}/steps/pass", {"opinion": "拟准予"})
    client.force_login(clerk)
    fee = item.current_version.fees.get()
    r = _post(client, f"{BASE}/{no}/fee-notices", {"lines": [{"fee_item_id": fee.pk, "amount": "10.00"}]})
    assert r.status_code == 200 and r.json()["total"] == "10.00"
    notice_no = r.json()["notice_no"]
    r = _post(client, f"{BASE}/{no}/payments", {"notice_no": notice_no, "amount": "10.00", "payer_name": "张三"})
    assert r.status_code == 200 and r.json()["receipt_no"].startswith("PJ")
    client.force_login(chief_representative)
    r = _post(client, f"{BASE}/{no}/decision", {"outcome": "approve"})
    assert r.json()["status"] == "approved" and "准字" in r.json()["document_no"]
    client.force_login(clerk)
    r = _post(client, f"{BASE}/{no}/certificate")
    assert r.json()["status"] == "certificate_issued" and r.json()["document_no"].startswith("1.2.156.3005.2.")
    r = _post(client, f"{BASE}/{no}/delivery", {"method": "post", "tracking_no": "SF001", "address": "人民路1号"})
    assert r.json()["status"] == "delivered"
    assert _post(client, f"{BASE}/{no}/delivery/confirm").json()["status"] == "completed"
    assert _post(client, f"{BASE}/{no}/terminate", {"reason": "x"}).status_code in (403, 409)
    detail = client.get(f"{BASE}/{no}").json()
    assert detail["completed_at"] and detail["acceptance_no"]
    # A walk-in applicant has no account: nobody can rate online; the applicant persona cannot see it.
    client.force_login(applicant)
    assert client.get(f"{BASE}/{no}").status_code == 404


def test_reject_and_terminate_endpoints(submitted, accepted, clerk, section_head, item, applicant, client):
    other = client
    other.force_login(applicant)
    r = other.post(BASE, _payload(item), content_type="application/json", HTTP_IDEMPOTENCY_KEY="second")
    second = r.json()["case_no"]
    client.force_login(clerk)
    r = _post(client, f"{BASE}/{second}/reject", {"reason": "不属于本机关职权", "competent_agency": "县卫健局"})
    assert r.json()["status"] == "rejected" and "不受字" in r.json()["document_no"]
    client.force_login(section_head)
    r = _post(client, f"{BASE}/{accepted.case_no}/terminate", {"reason": "主体注销"})
    assert r.json()["status"] == "terminated"
    assert _post(client, f"{BASE}/{accepted.case_no}/terminate", {"reason": "再次"}).status_code == 409


def test_applicant_sees_the_timeline_without_internal_opinions(accepted, applicant, reviewer, client):
    from zhengwu.cases import services

    services.case_step_pass(actor=reviewer, case_no=accepted.case_no, opinion="内部意见：经营场所待核实")
    client.force_login(applicant)
    timeline = client.get(f"{BASE}/{accepted.case_no}").json()["timeline"]
    assert [e["action"] for e in timeline] == ["submit", "accept", "step_pass"]
    assert all("内部意见" not in e["note"] for e in timeline)
    assert timeline[-1]["actor"] == "赵**"
    client.force_login(reviewer)
    staff_view = client.get(f"{BASE}/{accepted.case_no}").json()["timeline"]
    assert staff_view[-1]["note"] == "内部意见：经营场所待核实" and staff_view[-1]["actor"] == "赵审批"


def test_progress_query_is_throttled_per_address(submitted, client, monkeypatch):
    from zhengwu.cases.api import PROGRESS_THROTTLE

    monkeypatch.setattr(PROGRESS_THROTTLE, "num_requests", 3)
    url = f"{BASE}/progress"
    codes = [client.get(url, {"case_no": submitted.case_no, "query_code": f"WRONG00{i}"}).status_code
             for i in range(3)]
    assert codes == [404, 404, 404]
    r = client.get(url, {"case_no": submitted.case_no, "query_code": submitted.query_code})
    assert r.status_code == 429                      # even the right code, once the budget is spent


def test_extension_request_approval_and_refusal_endpoints(accepted, reviewer, leader, section_head, client):
    no = accepted.case_no
    client.force_login(reviewer)
    r = _post(client, f"{BASE}/{no}/extension-requests", {"days": 20, "reason": "复杂"})
    assert r.status_code == 422 and r.json()["message"].startswith("延长期限应为 1–10 个工作日")
    r = _post(client, f"{BASE}/{no}/extension-requests", {"days": 4, "reason": "需现场核查"})
    assert r.status_code == 201 and r.json()["state"] == "pending" and r.json()["state_label"] == "待审批"
    assert _post(client, f"{BASE}/{no}/extension-requests/approve").status_code == 403
    client.force_login(section_head)
    r = _post(client, f"{BASE}/{no}/extension-requests/refuse", {"reason": "期限充足"})
    assert r.status_code == 200 and r.json()["state"] == "refused"
    client.force_login(reviewer)
    assert _post(client, f"{BASE}/{no}/extension-requests", {"days": 3, "reason": "补充核查"}).status_code == 201
    client.force_login(leader)
    r = _post(client, f"{BASE}/{no}/extension-requests/approve")
    assert r.status_code == 200 and r.json()["document_no"]
    detail = client.get(f"{BASE}/{no}").json()
    assert not {"extend", "extension_approve", "extension_request"} & set(detail["allowed_actions"])
    assert [e["action"] for e in detail["timeline"]][-1] == "extend"
    assert _post(client, f"{BASE}/{no}/extension-requests/approve").status_code == 409


def test_fee_notice_endpoints_charge_within_the_catalog_and_void(accepted, clerk, client):
    no = accepted.case_no
    fee = accepted.item_version.fees.get()
    client.force_login(clerk)
    r = _post(client, f"{BASE}/{no}/fee-notices", {"lines": [{"fee_item_id": fee.pk, "amount": "12.00"}]})
    assert r.status_code == 422 and "固定金额 10.00 元" in r.json()["message"]
    r = _post(client, f"{BASE}/{no}/fee-notices", {"lines": [{"fee_item_id": fee.pk}]})
    assert r.status_code == 200 and r.json()["total"] == "10.00"
    first = r.json()["notice_no"]
    assert _post(client, f"{BASE}/{no}/fee-notices", {"lines": [{"fee_item_id": fee.pk}]}).status_code == 409
    assert _post(client, f"{BASE}/{no}/fee-notices/{first}/void", {"reason": ""}).status_code == 422
    r = _post(client, f"{BASE}/{no}/fee-notices/{first}/void", {"reason": "开具有误"})
    assert r.status_code == 200 and r.json()["state"] == "voided"
    assert _post(client, f"{BASE}/{no}/fee-notices/NO-SUCH/void", {"reason": "x"}).status_code == 404
    r = _post(client, f"{BASE}/{no}/fee-notices", {"lines": [{"fee_item_id": fee.pk}]})
    assert r.status_code == 200 and r.json()["notice_no"] != first
    assert AuditEvent.objects.filter(action="case.fee_notice_void").count() == 1


@pytest.mark.parametrize("key", ["", "wk-1"])
def test_a_walk_in_answer_is_the_case_detail_and_its_read_is_audited(key, item, clerk, as_user):
    c = as_user(clerk)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    r = c.post(f"{BASE}/walk-in", _payload(item), content_type="application/json", **headers)
    assert r.status_code == 201, r.content
    case = Case.objects.get(case_no=r.json()["case_no"])
    # The answer reads the applicant's data for the clerk: audited, once, in its own event.
    reads = AuditEvent.objects.filter(action="case.read", actor=clerk, object_id=str(case.pk))
    assert reads.count() == 1 and reads.get().data == {"case_no": case.case_no}
    # Built from the object the service returned, it says what a fresh read says.
    assert r.json() == c.get(f"{BASE}/{case.case_no}").json()
    assert r.json()["applicant_id_number"] == "110105********002X" and r.json()["allowed_actions"]


def test_a_submission_answer_is_the_case_detail_and_not_a_staff_read(item, applicant, as_user):
    c = as_user(applicant)
    r = c.post(BASE, _payload(item), content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json() == c.get(f"{BASE}/{r.json()['case_no']}").json()
    assert not AuditEvent.objects.filter(action="case.read").exists()
