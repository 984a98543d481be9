from datetime import date

import pytest
from django.urls import reverse

from zhengwu.core.models import AuditEvent
from zhengwu.workcalendar.models import CalendarDay, CalendarRevision, CalendarYear, RegionalDayOff

pytestmark = pytest.mark.django_db


def test_the_sysadmin_sees_the_calendar_in_chinese(client, sysadmin, work_calendar):
    client.force_login(sysadmin)
    index = client.get(reverse("admin:index")).content.decode()
    assert "工作日历与时限" in index and "节假日与调休" in index
    listing = client.get(reverse("admin:workcalendar_calendarday_changelist"), {"q": "国庆"}).content.decode()
    assert "国庆节" in listing and "星期" in listing


def test_an_admin_add_goes_through_the_service(client, sysadmin, work_calendar):
    client.force_login(sysadmin)
    counter = CalendarRevision.objects.get().counter
    response = client.post(reverse("admin:workcalendar_calendarday_add"), {
        "date": "2025-11-10", "is_off_day": "on", "name": "临时停工", "source_url": ""})
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=date(2025, 11, 10)).name == "临时停工"
    assert CalendarRevision.objects.get().counter == counter + 1
    assert AuditEvent.objects.filter(action="calendar.day_set").count() == 1


def test_a_service_refusal_shows_on_the_admin_form(client, sysadmin, work_calendar):
    client.force_login(sysadmin)
    response = client.post(reverse("admin:workcalendar_calendarday_add"), {
        "date": "2025-11-10", "name": "周一补班"})  # a Monday is never a make-up working day
    assert response.status_code == 200
    assert "周六或周日" in str(response.context["adminform"].form.errors)
    assert not CalendarDay.objects.filter(date=date(2025, 11, 10)).exists()


def test_admin_delete_goes_through_the_service(client, sysadmin, work_calendar):
    client.force_login(sysadmin)
    day = CalendarDay.objects.get(date=date(2025, 10, 8))
    response = client.post(reverse("admin:workcalendar_calendarday_delete", args=[day.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(date=date(2025, 10, 8)).exists()
    assert AuditEvent.objects.filter(action="calendar.day_delete").count() == 1


def test_year_publication_action(client, sysadmin, work_calendar):
    client.force_login(sysadmin)
    year = CalendarYear.objects.get(year=2026)
    response = client.post(reverse("admin:workcalendar_calendaryear_changelist"),
                           {"action": "mark_unpublished", "_selected_action": [year.pk]})
    assert response.status_code == 302
    year.refresh_from_db()
    assert year.published is False and AuditEvent.objects.filter(action="calendar.year_set").exists()


def test_a_centre_admin_adds_a_regional_day_but_cannot_touch_national_days(client, centre_admin, county,
                                                                            work_calendar):
    client.force_login(centre_admin)
    response = client.post(reverse("admin:workcalendar_regionaldayoff_add"), {
        "region": county.pk, "date": "2025-11-04", "name": "县庆", "source_url": ""})
    assert response.status_code == 302
    assert RegionalDayOff.objects.get().name == "县庆"
    assert client.get(reverse("admin:workcalendar_calendarday_add")).status_code == 403


def test_a_clerk_has_no_calendar_admin(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("admin:workcalendar_calendarday_changelist")).status_code in (302, 403)
    assert client.get(reverse("admin:workcalendar_clock_changelist")).status_code in (302, 403)
