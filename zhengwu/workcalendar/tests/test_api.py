import pytest

from zhengwu.workcalendar.services import regional_day_off_add

pytestmark = pytest.mark.django_db
URL = "/api/v1/calendar"


def test_deadline_answers_the_due_date_with_its_explanation(client, work_calendar):
    body = client.get(f"{URL}/deadline", {"start": "2025-09-26", "working_days": 5}).json()
    assert body["due"] == "2025-10-10" and body["due_weekday"] == "星期五"
    assert body["unit"] == "working_days" and body["warnings"] == []
    assert any("民法典第二百零一条" in line for line in body["lines"])
    makeup = [d for d in body["days"] if d["kind"] == "makeup"]
    assert makeup == [{"date": "2025-09-28", "weekday": "星期日", "kind": "makeup", "name": "国庆节",
                       "counted": True, "label": "调休上班（国庆节），计为工作日"}]


def test_deadline_in_calendar_days_rolls_over(client, work_calendar):
    body = client.get(f"{URL}/deadline", {"start": "2025-09-30", "calendar_days": 1}).json()
    assert body["due"] == "2025-10-09"


def test_deadline_into_an_unpublished_year_warns(client, work_calendar):
    body = client.get(f"{URL}/deadline", {"start": "2026-12-25", "working_days": 10}).json()
    assert body["due"] == "2027-01-08" and "2027 年放假安排尚未发布" in body["warnings"][0]


def test_deadline_counts_regional_days_off(client, work_calendar, county, township):
    regional_day_off_add(actor="test", region=county, day=__import__("datetime").date(2025, 11, 4), name="县庆")
    assert client.get(f"{URL}/deadline", {"start": "2025-11-03", "working_days": 1,
                                          "region": township.code}).json()["due"] == "2025-11-05"
    assert client.get(f"{URL}/deadline", {"start": "2025-11-03", "working_days": 1}).json()["due"] == "2025-11-04"


@pytest.mark.parametrize(("params", "status", "field"), [
    ({"start": "2025-02-30", "working_days": 5}, 422, "start"),
    ({"start": "tomorrow", "working_days": 5}, 422, "start"),
    ({"start": "2025-09-26", "working_days": -1}, 422, "working_days"),
    ({"start": "2025-09-26", "working_days": 2001}, 422, "working_days"),
    ({"start": "2025-09-26"}, 422, "working_days"),
    ({"start": "2025-09-26", "working_days": 5, "calendar_days": 5}, 422, "working_days"),
    ({"start": "2025-09-26", "working_days": 5, "region": "999999"}, 404, "region"),
    ({"start": "2025-09-26", "working_days": "five"}, 400, None),
])
def test_deadline_refuses_bad_input_in_chinese(client, work_calendar, params, status, field):
    response = client.get(f"{URL}/deadline", params)
    assert response.status_code == status
    body = response.json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    if field:
        assert body["field"] == field


def test_working_days_between(client, work_calendar):
    body = client.get(f"{URL}/working-days", {"start": "2024-12-31", "end": "2025-12-31"}).json()
    assert body["working_days"] == 248
    assert client.get(f"{URL}/working-days", {"start": "2025-12-31", "end": "2025-01-01"}).status_code == 422


def test_month_and_year_listings(client, work_calendar):
    month = client.get(f"{URL}/months/2025/10").json()
    assert month["published"] is True and len(month["days"]) == 31
    assert month["working_days"] == 23 - 6 + 1  # weekdays - holidays on weekdays + make-up Saturday 10-11
    assert month["days"][0] == {"date": "2025-10-01", "weekday": "星期三", "working": False, "kind": "holiday",
                                "name": "国庆节"}
    year = client.get(f"{URL}/years/2026").json()
    assert year["working_days"] == 248 and len([d for d in year["days"] if d["kind"] == "makeup"]) == 6
    years = client.get(f"{URL}/years").json()
    assert [y["year"] for y in years][:2] == [2026, 2025]
    assert client.get(f"{URL}/months/2025/13").status_code == 422
    assert client.get(f"{URL}/years/1").status_code == 422


def test_openapi_lists_the_calendar_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/calendar/deadline" in paths and "/api/v1/calendar/months/{year}/{month}" in paths
