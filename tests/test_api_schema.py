"""schemathesis against the project's OpenAPI schema (issue 5): every operation, generated inputs,
no 5xx and every documented response matches its schema. Runs in-process through the WSGI app on
the test database, authenticated as the market department's section head (a staff persona who may
read most of the API), with a CSRF token pair so unsafe methods reach the views."""

from __future__ import annotations

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
CSRF = "z" * 32  # any 32-character value: Django compares the cookie with the header


@pytest.fixture(autouse=True)
def _keep_test_connection():
    # Like Django's test client: a raw WSGI call would otherwise close the connection that holds the
    # test transaction at the end of each request (PostgreSQL then fails every later query).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def staff_cookies(world, section_head) -> dict[str, str]:
    client = Client()
    client.force_login(section_head)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: CSRF}


def test_schema_lists_every_operation():
    operations = [op for op in schema.get_all_operations()]
    assert len(operations) > 40


@pytest.mark.django_db(transaction=False)
@schema.parametrize()
@hypothesis_settings(max_examples=8, deadline=None, derandomize=True,
                     suppress_health_check=list(HealthCheck))
def test_api_operation_conforms(case, staff_cookies):
    # werkzeug's test client replaces a hand-written Cookie header with its own jar: pass cookies.
    case.cookies = {**(case.cookies or {}), **staff_cookies}
    # The request runs on this thread's connection, inside the test transaction: a savepoint per
    # example keeps examples independent and clears PostgreSQL's aborted state after a 500.
    with transaction.atomic():
        response = case.call(headers={"X-CSRFToken": CSRF})
        transaction.set_rollback(True)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


def test_huge_case_offset_is_not_a_server_error(client, section_head):
    client.force_login(section_head)
    response = client.get(f"/api/v1/cases?offset={2**70}")
    assert response.status_code < 500


def test_unparsable_body_uses_the_one_error_format(client, section_head):
    client.force_login(section_head)
    response = client.post("/api/v1/cases", data=b"\x15not json", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) >= {"code", "message", "message_en"}


def test_negative_record_limit_is_not_a_server_error(client, supervisor):
    client.force_login(supervisor)
    response = client.get("/api/v1/supervision/records?limit=-1")
    assert response.status_code < 500
