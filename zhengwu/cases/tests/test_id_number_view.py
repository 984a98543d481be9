"""身份证 numbers shown masked on pages, lists and the API; the full number only through the audited
查看完整证件号 action, to the clerk and the chief representative of the case's department."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from zhengwu.cases import selectors, services
from zhengwu.cases.tests.conftest import ID_PERSON, full_materials, person
from zhengwu.core.masking import mask_id_number
from zhengwu.core.models import AuditEvent

pytestmark = pytest.mark.django_db

API = "/api/v1/cases"
AGENT = "33010219800101000X"
MASKED = mask_id_number(ID_PERSON)


@pytest.fixture
def case(item, applicant):
    return services.case_submit(actor=applicant, item_id=item.pk, materials=full_materials(item),
                                applicant=person(agent_name="王代办", agent_id_number=AGENT))


def _views(user=None) -> list[AuditEvent]:
    qs = AuditEvent.objects.filter(action="case.id_number_view")
    return list(qs.filter(actor_id=user.pk) if user is not None else qs)


def test_the_staff_page_masks_the_numbers_and_offers_the_view_to_the_clerk(client, case, clerk):
    client.force_login(clerk)
    page = client.get(reverse("cases:staff_case", args=[case.case_no])).content.decode()
    assert MASKED in page and ID_PERSON not in page
    assert mask_id_number(AGENT) in page and AGENT not in page
    assert reverse("cases:staff_id_number", args=[case.case_no]) in page and "查看完整证件号" in page
    assert _views() == []


@pytest.mark.parametrize("persona", ["clerk", "chief_representative"])
def test_the_window_roles_see_the_full_number_and_each_view_is_audited(client, case, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    url = reverse("cases:staff_id_number", args=[case.case_no])
    for _ in range(2):
        response = client.post(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert ID_PERSON in body and AGENT in body and "已记入审计日志" in body
        assert "no-store" in response["Cache-Control"]
    events = _views(user)
    assert len(events) == 2
    assert all(e.object_id == str(case.pk) and e.outcome == "success" and e.data["case_no"] == case.case_no
               for e in events)
    assert events[0].data["fields"] == ["applicant_id_number", "agent_id_number"]
    assert all(ID_PERSON not in json.dumps(e.data, ensure_ascii=False) for e in events)


def test_the_view_is_a_post(client, case, clerk):
    client.force_login(clerk)
    assert client.get(reverse("cases:staff_id_number", args=[case.case_no])).status_code == 405
    assert _views() == []


@pytest.mark.parametrize("persona", ["reviewer", "section_head", "leader", "supervisor"])
def test_other_roles_who_see_the_case_are_refused_and_the_refusal_is_audited(client, case, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    page = client.get(reverse("cases:staff_case", args=[case.case_no]))
    assert page.status_code == 200
    assert MASKED in page.content.decode() and ID_PERSON not in page.content.decode()
    assert "查看完整证件号" not in page.content.decode()
    response = client.post(reverse("cases:staff_id_number", args=[case.case_no]))
    assert response.status_code == 403 and ID_PERSON not in response.content.decode()
    assert "无权查看完整证件号码" in response.content.decode()
    (event,) = _views(user)
    assert event.outcome == "denied" and event.object_id == str(case.pk)


@pytest.mark.parametrize("persona", ["outsider", "applicant", "centre_admin", "sysadmin", "secadmin", "auditadmin"])
def test_people_who_cannot_see_the_case_get_404(client, case, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("cases:staff_id_number", args=[case.case_no]))
    assert response.status_code == 404 and ID_PERSON not in response.content.decode()
    if persona != "applicant":  # the applicant sees the own case through the API, masked: 403 below
        api = client.post(f"{API}/{case.case_no}/id-numbers")
        assert api.status_code == 404 and ID_PERSON not in api.content.decode()
    assert _views() == []


def test_the_api_masks_the_detail_and_reveals_only_to_the_window_roles(client, case, clerk, reviewer, outsider,
                                                                       supervisor, applicant):
    for user in (clerk, reviewer, supervisor, applicant):
        client.force_login(user)
        detail = client.get(f"{API}/{case.case_no}")
        assert detail.status_code == 200 and detail.json()["applicant_id_number"] == MASKED
        assert ID_PERSON not in detail.content.decode()
    client.force_login(clerk)
    full = client.post(f"{API}/{case.case_no}/id-numbers")
    assert full.status_code == 200
    assert full.json() == {"case_no": case.case_no, "applicant_id_type": "居民身份证",
                           "applicant_id_number": ID_PERSON, "agent_id_number": AGENT}
    assert len(_views(clerk)) == 1
    client.force_login(reviewer)
    assert client.post(f"{API}/{case.case_no}/id-numbers").json()["code"] == "forbidden"
    client.force_login(supervisor)
    assert client.post(f"{API}/{case.case_no}/id-numbers").status_code == 403
    client.force_login(outsider)
    assert client.post(f"{API}/{case.case_no}/id-numbers").status_code == 404
    client.force_login(applicant)      # sees the own case, masked like everyone else
    assert client.post(f"{API}/{case.case_no}/id-numbers").status_code == 403
    client.logout()
    assert client.post(f"{API}/{case.case_no}/id-numbers").status_code == 401


def test_staff_find_a_case_by_id_number_through_the_index(client, case, submitted, clerk, outsider):
    client.force_login(clerk)
    page = client.post(reverse("cases:workbench"), {"queue": "pending_acceptance", "search": AGENT})
    body = page.content.decode()
    # The term typed is echoed in the search box; the stored numbers of the rows are not shown.
    assert case.case_no in body and submitted.case_no not in body and ID_PERSON not in body
    listed = client.post(f"{API}/search", {"search": ID_PERSON.lower()}, content_type="application/json").json()
    assert {r["case_no"] for r in listed["results"]} == {case.case_no, submitted.case_no}
    assert ID_PERSON not in json.dumps(listed)
    searches = AuditEvent.objects.filter(action="case.search_id_number", actor_id=clerk.pk)
    assert [e.data["search"] for e in searches] == [mask_id_number(AGENT), mask_id_number(ID_PERSON.lower())]
    client.force_login(outsider)
    assert client.post(f"{API}/search", {"search": ID_PERSON}, content_type="application/json").json()["count"] == 0


def test_case_list_by_id_number_is_scoped_and_ignores_blank_numbers(case, clerk, outsider):
    assert list(selectors.case_list_by_id_number(user=clerk, id_number=f" {AGENT[:6]}-{AGENT[6:]} ")) == [case]
    assert list(selectors.case_list_by_id_number(user=outsider, id_number=AGENT)) == []
    assert list(selectors.case_list_by_id_number(user=clerk, id_number="  ")) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("11010519491231002X", True), ("91330105MA2B3C4D5E", True), ("E12345678", True),
    ("2026-SCJGJ-000001", False), ("营业执照", False), ("ABCDEFGH", False), ("123", False),
])
def test_which_search_terms_are_taken_for_id_numbers(text, expected):
    assert selectors.looks_like_id_number(text) is expected


def test_no_full_number_reaches_the_audit_log_the_timeline_or_the_notices(client, case, clerk, outbox,
                                                                          django_capture_on_commit_callbacks):
    client.force_login(clerk)
    client.get(reverse("cases:staff_case", args=[case.case_no]))
    client.post(reverse("cases:staff_id_number", args=[case.case_no]))
    with django_capture_on_commit_callbacks(execute=True):
        services.case_accept(actor=clerk, case_no=case.case_no)
    assert AuditEvent.objects.count() > 3 and case.events.count() >= 2 and outbox
    dumped = json.dumps([e.data for e in AuditEvent.objects.all()] + [e.data for e in case.events.all()]
                        + [str(m) for m in outbox], ensure_ascii=False, default=str)
    assert ID_PERSON not in dumped and AGENT not in dumped
