import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_calculator_needs_a_login(client):
    response = client.get(reverse("workcalendar:deadline"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_applicant_is_refused(client, applicant, work_calendar):
    client.force_login(applicant)
    assert client.get(reverse("workcalendar:deadline")).status_code == 403


def test_staff_get_the_due_date_and_the_explanation_table(client, clerk, work_calendar):
    client.force_login(clerk)
    page = client.get(reverse("workcalendar:deadline"))
    assert page.status_code == 200 and "期限计算器" in page.content.decode()
    response = client.get(reverse("workcalendar:deadline"), {"start": "2025-12-31", "n": 20,
                                                              "unit": "working_days"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-due="2026-01-29"' in html and "2026-01-29（星期四）" in html
    assert "调休上班（元旦），计为工作日" in html and "<table>" in html


def test_htmx_gets_only_the_result_fragment(client, clerk, work_calendar):
    client.force_login(clerk)
    response = client.get(reverse("workcalendar:deadline"), {"start": "2025-09-26", "n": 5,
                                                              "unit": "working_days"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'data-due="2025-10-10"' in html and "<html" not in html


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"start": "2025-02-30", "n": 5, "unit": "working_days"}, 400, "有效日期"),
    ({"start": "2025-09-26", "n": -5, "unit": "working_days"}, 400, "不能为负数"),
    ({"start": "2025-09-26", "n": 5000, "unit": "working_days"}, 400, "不能超过 2000"),
    ({"start": "2025-09-26", "n": 5, "unit": "working_days", "region": "999999"}, 422, "行政区划代码不存在"),
])
def test_bad_input_is_explained_in_chinese(client, clerk, work_calendar, params, status, message):
    client.force_login(clerk)
    response = client.get(reverse("workcalendar:deadline"), params)
    assert response.status_code == status and message in response.content.decode()
