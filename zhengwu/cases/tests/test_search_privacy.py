"""No personal data in URLs: searches by 身份证 or phone number travel in a POST body (with CSRF),
a GET carrying one in its query string does not search, and log lines lose their query strings."""

from __future__ import annotations

import io
import logging

import pytest
from django.test import Client
from django.urls import reverse

from zhengwu.cases import services
from zhengwu.cases.tests.conftest import ID_PERSON, full_materials, person
from zhengwu.core.logfilters import PersonalDataFilter, scrub
from zhengwu.core.masking import looks_like_personal_number, mask_id_number
from zhengwu.core.models import AuditEvent

pytestmark = pytest.mark.django_db

API = "/api/v1/cases"
AGENT = "33010219800101000X"
PHONE = "13912345678"


@pytest.fixture
def case(item, applicant):
    return services.case_submit(actor=applicant, item_id=item.pk, materials=full_materials(item),
                                applicant=person(agent_name="王代办", agent_id_number=AGENT))


@pytest.fixture
def strict(clerk):
    """A browser-like client: CSRF is checked as in production."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clerk)
    return browser


def _searches() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="case.search_id_number"))


@pytest.mark.parametrize("term", [AGENT, PHONE, "330102 19800101 000X"])
def test_a_get_with_a_personal_number_in_the_query_string_does_not_search(strict, case, submitted, term):
    response = strict.get(reverse("cases:workbench"), {"queue": "pending_acceptance", "search": term})
    assert response.status_code == 302 and response["Location"] == "/work/?queue=pending_acceptance"
    page = strict.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200 and "网址中的查找条件不予执行" in body
    # The whole queue is listed, unfiltered, and the term is not echoed back into the page.
    assert case.case_no in body and submitted.case_no in body and term not in body
    assert _searches() == []


def test_the_workbench_search_posts_with_its_csrf_token(strict, case, submitted):
    page = strict.get(reverse("cases:workbench"))
    assert b'method="post"' in page.content and b"csrfmiddlewaretoken" in page.content
    token = page.cookies["csrftoken"].value
    found = strict.post(reverse("cases:workbench"), {"queue": "pending_acceptance", "search": AGENT,
                                                     "csrfmiddlewaretoken": token})
    body = found.content.decode()
    assert found.status_code == 200 and case.case_no in body and submitted.case_no not in body
    assert [e.data["search"] for e in _searches()] == [mask_id_number(AGENT)]
    assert strict.post(reverse("cases:workbench"), {"search": AGENT}).status_code == 403, "no token, no search"
    assert len(_searches()) == 1


@pytest.mark.parametrize("term", [ID_PERSON, ID_PERSON.lower(), PHONE, "139-1234-5678"])
def test_the_api_refuses_a_personal_number_in_the_query_string(strict, case, term):
    response = strict.get(API, {"search": term})
    assert response.status_code == 422
    assert response.json()["field"] == "search" and "POST /api/v1/cases/search" in response.json()["message"]
    assert _searches() == []


def test_the_api_still_searches_case_numbers_and_names_by_get(strict, case, submitted):
    listed = strict.get(API, {"search": case.case_no}).json()
    assert [r["case_no"] for r in listed["results"]] == [case.case_no]


def test_the_api_search_by_post_finds_by_the_index_and_checks_csrf(strict, case, submitted):
    assert strict.post(f"{API}/search", {"search": AGENT}, content_type="application/json").status_code == 403
    token = strict.get(reverse("cases:workbench")).cookies["csrftoken"].value
    listed = strict.post(f"{API}/search", {"search": AGENT, "queue": "pending_acceptance"},
                         content_type="application/json", headers={"X-CSRFToken": token}).json()
    assert [r["case_no"] for r in listed["results"]] == [case.case_no] and AGENT not in str(listed)
    assert [e.data["search"] for e in _searches()] == [mask_id_number(AGENT)]


def test_the_public_progress_query_keeps_working_by_get(client, submitted):
    page = client.get(reverse("cases:progress"), {"case_no": submitted.case_no, "query_code": submitted.query_code})
    assert page.status_code == 200 and submitted.case_no in page.content.decode()
    api = client.get(f"{API}/progress", {"case_no": submitted.case_no, "query_code": submitted.query_code})
    assert api.status_code == 200


@pytest.mark.parametrize(("text", "expected"), [
    (ID_PERSON, True), ("330102-19800101000X", True), (PHONE, True), ("+86 139 1234 5678", True),
    ("E12345678", True), ("张三 13912345678", True), (f"申请人{ID_PERSON}", True), ("2026-XSCJDGLJ-000001", False), ("营业执照", False), ("BN12", False), ("", False),
])
def test_what_counts_as_a_personal_number_in_a_url(text, expected):
    assert looks_like_personal_number(text) is expected


def test_log_lines_lose_query_strings_and_personal_numbers():
    assert scrub(f'"GET /work/?search={AGENT}&queue=x HTTP/1.1" 200 15') == '"GET /work/ HTTP/1.1" 200 15'
    assert scrub("Not Found: /api/v1/cases?search=139%201234%205678") == "Not Found: /api/v1/cases"
    assert scrub(f"申请人 {ID_PERSON} 电话 {PHONE} 办件 2026-XSCJDGLJ-000001") == \
        f"申请人 {mask_id_number(ID_PERSON)} 电话 139****5678 办件 2026-XSCJDGLJ-000001"


def test_the_configured_log_handlers_mask_what_django_and_runserver_log(settings):
    # config/settings.py LOGGING: every handler carries the filter, and django.server (runserver's
    # request lines) goes to it instead of Django's own handler. (pytest adds capture handlers of its own.)
    assert all("personal_data" in h.get("filters", []) for h in settings.LOGGING["handlers"].values())
    (handler,) = [h for h in logging.getLogger().handlers if any(isinstance(f, PersonalDataFilter) for f in h.filters)]
    assert handler in logging.getLogger("django.server").handlers
    stream = io.StringIO()
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        logging.getLogger("django.server").warning('"%s" %s %s', f"GET /work/?search={AGENT} HTTP/1.1", 200, 15)
        try:
            raise ValueError(f"bad number {ID_PERSON}")
        except ValueError:
            logging.getLogger("django.request").exception("Internal Server Error: /api/v1/cases?search=%s", PHONE)
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]
    text = stream.getvalue()
    assert '"GET /work/ HTTP/1.1" 200 15' in text and "Internal Server Error: /api/v1/cases" in text
    assert AGENT not in text and ID_PERSON not in text and PHONE not in text
    assert f"bad number {mask_id_number(ID_PERSON)}" in text
