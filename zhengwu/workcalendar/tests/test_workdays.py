from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengwu.core.errors import ValidationFailed
from zhengwu.workcalendar import workdays
from zhengwu.workcalendar.models import CalendarDay
from zhengwu.workcalendar.workdays import (
    add_calendar_days,
    add_calendar_months,
    add_working_days,
    add_working_hours,
    explain_working_days,
    is_working_day,
    working_days_between,
    working_minutes_between,
)

pytestmark = pytest.mark.django_db

# RULES.md §2.2: start = acceptance date (not counted), computed from the State Council calendars.
VECTORS = [
    (date(2025, 9, 26), 5, date(2025, 10, 10)),
    (date(2025, 9, 26), 20, date(2025, 10, 30)),
    (date(2025, 1, 24), 5, date(2025, 2, 7)),
    (date(2025, 4, 30), 1, date(2025, 5, 6)),
    (date(2025, 12, 31), 20, date(2026, 1, 29)),
    (date(2026, 2, 10), 20, date(2026, 3, 16)),
    (date(2026, 9, 18), 10, date(2026, 10, 9)),
]


@pytest.mark.parametrize(("start", "n", "due"), VECTORS)
def test_rules_vectors(work_calendar, start, n, due):
    assert add_working_days(start, n) == due
    assert working_days_between(start, due) == n


@pytest.mark.parametrize("year", [2025, 2026])
def test_248_working_days_per_year(work_calendar, year):
    assert working_days_between(date(year - 1, 12, 31), date(year, 12, 31)) == 248


def test_make_up_day_counts_and_holiday_is_skipped(work_calendar):
    assert is_working_day(date(2025, 9, 28))  # Sunday, 调休上班
    assert not is_working_day(date(2025, 10, 8))  # Wednesday, 国庆
    assert not is_working_day(date(2025, 10, 4))
    assert is_working_day(date(2025, 10, 9))


def test_without_data_only_weekends_are_off(db):
    # 2025-10-01 is a Wednesday: without calendar data it is an ordinary working day.
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 1)
    assert add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 29)


def test_zero_days_is_the_start_and_negative_is_refused(work_calendar):
    assert add_working_days(date(2025, 10, 3), 0) == date(2025, 10, 3)
    with pytest.raises(ValidationFailed):
        add_working_days(date(2025, 10, 3), -1)


def test_start_on_a_holiday_counts_from_the_next_working_day(work_calendar):
    assert add_working_days(date(2025, 10, 1), 1) == date(2025, 10, 9)


def test_dates_outside_the_index_are_refused(work_calendar):
    with pytest.raises(ValidationFailed):
        add_working_days(date(1990, 1, 1), 1)


def test_explanation_names_every_kind_of_day(work_calendar):
    exp = explain_working_days(date(2025, 9, 26), 5)
    text = "\n".join(exp.lines)
    assert exp.due == date(2025, 10, 10)
    assert "民法典第二百零一条" in text and "行政许可法第八十二条" in text
    assert "2025-09-27（星期六）：周末休息，跳过 1 天" in text
    assert "2025-09-28（星期日）：调休上班（国庆节），计为工作日，计入" in text
    assert "2025-10-01（星期三）至2025-10-05（星期日）：法定节假日：国庆节，跳过 5 天" in text
    assert "2025-10-06（星期一）：法定节假日：中秋节，跳过 1 天" in text
    assert "截止日 2025-10-10（星期五）" in text
    assert exp.warnings == []
    kinds = [d.kind for d in exp.days]
    assert kinds.count("makeup") == 1 and kinds.count("weekend") == 1 and kinds.count("holiday") == 8


def test_unpublished_year_is_computed_on_weekends_and_warns(work_calendar):
    exp = explain_working_days(date(2026, 12, 25), 10)
    assert exp.due == date(2027, 1, 8)  # weekends only in 2027
    assert len(exp.warnings) == 1 and "2027 年放假安排尚未发布" in exp.warnings[0]


def test_calendar_days_roll_over_to_the_next_working_day(work_calendar):
    # 民法典 §203: 2025-09-30 + 1 day = 10-01, a holiday → ends 10-09.
    assert add_calendar_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_calendar_days(date(2025, 9, 1), 10) == date(2025, 9, 11)
    # 60 days from 2025-08-05 is Saturday 2025-10-04 (国庆) → 10-09.
    assert add_calendar_days(date(2025, 8, 5), 60) == date(2025, 10, 9)


def test_months_use_the_corresponding_or_last_day_then_roll_over(work_calendar):
    # No 31 Feb: the month's last day, Saturday 2026-02-28, is a make-up working day, so no roll-over.
    assert add_calendar_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    # 2025-02-28 + 7 months = Sunday 2025-09-28, a make-up working day; 2025-03-01 + 7 = Wed 10-01 → 10-09.
    assert add_calendar_months(date(2025, 3, 1), 7) == date(2025, 10, 9)
    assert add_calendar_months(date(2025, 3, 15), 6) == date(2025, 9, 15)


def test_working_hours_skip_lunch_nights_and_holidays(work_calendar):
    tz = timezone.get_default_timezone()
    start = datetime(2025, 9, 30, 16, 0, tzinfo=tz)  # Tuesday before 国庆
    # 1.5 h left on 09-30 (16:00-17:30), then 10-01..08 off, then 09:00 + 30 min on 10-09.
    assert add_working_hours(start, 2) == datetime(2025, 10, 9, 9, 30, tzinfo=tz)
    morning = datetime(2025, 9, 29, 11, 0, tzinfo=tz)
    assert add_working_hours(morning, 2) == datetime(2025, 9, 29, 14, 30, tzinfo=tz)
    assert add_working_hours(morning, 7) == datetime(2025, 9, 30, 11, 0, tzinfo=tz)
    assert working_minutes_between(morning, datetime(2025, 9, 29, 14, 30, tzinfo=tz)) == 120
    evening = datetime(2025, 9, 29, 20, 0, tzinfo=tz)
    assert add_working_hours(evening, 1) == datetime(2025, 9, 30, 10, 0, tzinfo=tz)


def test_working_hours_are_configurable(work_calendar, settings):
    settings.ZHENGWU = {**settings.ZHENGWU, "WORKING_HOURS": [("08:30", "12:00"), ("14:00", "18:00")]}
    tz = timezone.get_default_timezone()
    assert add_working_hours(datetime(2025, 9, 29, 11, 0, tzinfo=tz), 2) == datetime(2025, 9, 29, 15, 0, tzinfo=tz)


def test_index_follows_the_stored_revision_across_processes(work_calendar):
    assert add_working_days(date(2025, 11, 3), 1) == date(2025, 11, 4)
    # Another process inserts a day off and bumps the counter; this process has a warm cache.
    from zhengwu.workcalendar.models import CalendarRevision

    CalendarDay.objects.create(date=date(2025, 11, 4), is_off_day=True, name="测试假日")
    CalendarRevision.objects.filter(pk=1).update(counter=999, token="other-process")
    workdays._state["next_check"] = -1e18  # the recheck interval has elapsed
    assert add_working_days(date(2025, 11, 3), 1) == date(2025, 11, 5)


def _naive_add(overrides: dict[date, bool], start: date, n: int) -> date:
    """Day by day over the stored rows, sharing no code with the index."""
    d, count = start, 0
    while count < n:
        d += timedelta(days=1)
        off = overrides.get(d, d.weekday() >= 5)
        if not off:
            count += 1
    return d


@pytest.fixture
def stored_overrides(work_calendar):
    return dict(CalendarDay.objects.values_list("date", "is_off_day"))


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(min_value=date(2005, 1, 1), max_value=date(2026, 12, 31)), n=st.integers(0, 400))
def test_index_equals_a_naive_day_by_day_count(stored_overrides, start, n):
    due = add_working_days(start, n)
    assert due == _naive_add(stored_overrides, start, n)
    assert working_days_between(start, due) == n


def test_naive_reference_agrees_with_chinesecalendar(work_calendar):
    import chinese_calendar

    d = date(2005, 1, 1)
    mismatches = []
    while d <= date(2026, 12, 31):
        if is_working_day(d) != chinese_calendar.is_workday(d):
            mismatches.append(d)
        d += timedelta(days=1)
    assert mismatches == []


def test_a_region_without_days_of_its_own_shares_the_national_index(work_calendar, county, township):
    from zhengwu.workcalendar.services import regional_day_off_add

    national = workdays.calendar_index(None)
    local = workdays.calendar_index(township)
    assert local.work is national.work and local.region_names == ("清溪镇", "清溪县", "金华市", "浙江省")
    regional_day_off_add(actor="test", region=county, day=date(2025, 11, 4), name="县庆")
    rebuilt = workdays.calendar_index(township)
    assert rebuilt.work is not workdays.calendar_index(None).work
    assert add_working_days(date(2025, 11, 3), 1, township) == date(2025, 11, 5)


def test_every_request_rechecks_the_stored_revision(client, db):
    workdays.calendar_index(None)
    assert workdays._state["force"] is False
    client.get("/healthz")
    assert workdays._state["force"] is True


@pytest.mark.django_db(transaction=True)
def test_a_fresh_index_rereads_the_stored_revision_once_per_transaction():
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from zhengwu.workcalendar.testing import seed_calendar

    seed_calendar([2025, 2026])
    workdays.calendar_index(None)

    def rereads(calls: int) -> int:
        with CaptureQueriesContext(connection) as ctx, transaction.atomic():
            for _ in range(calls):
                workdays.calendar_index(None, fresh=True)
        return sum("calendarrevision" in q["sql"] for q in ctx.captured_queries)

    # A service starting three clocks rereads the revision once; the next transaction rereads it.
    assert rereads(3) == 1
    assert rereads(1) == 1
    # Outside a transaction every fresh read goes to the database.
    with CaptureQueriesContext(connection) as ctx:
        workdays.calendar_index(None, fresh=True)
        workdays.calendar_index(None, fresh=True)
    assert sum("calendarrevision" in q["sql"] for q in ctx.captured_queries) == 2
