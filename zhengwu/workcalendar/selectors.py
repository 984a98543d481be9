"""Reads users see: calendar listings and clock ledgers."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from zhengwu.core.errors import NotFound, ValidationFailed
from zhengwu.workcalendar import workdays
from zhengwu.workcalendar.models import CalendarYear, Clock, RegionalDayOff


def region_by_code(code: str | None):
    """The region for a GB/T 2260 code, None for an empty code; NotFound for an unknown one."""
    if not code:
        return None
    from zhengwu.org.models import Region

    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(f"行政区划代码不存在：{code}", f"unknown region code {code}", field="region")
    return region


def calendar_year_list() -> QuerySet[CalendarYear]:
    return CalendarYear.objects.order_by("-year")


def _check_year(index: workdays.WorkIndex, year: int) -> None:
    if not index.first_date.year < year <= index.last_date.year:
        raise ValidationFailed(f"年份应在 {index.first_date.year + 1}–{index.last_date.year} 之间",
                               "the year is outside the work calendar", field="year")


def calendar_month(year: int, month: int, region=None) -> dict[str, Any]:
    """A month's dates with status, plus the year's publication state, for listings."""
    if not 1 <= month <= 12:
        raise ValidationFailed("月份应为 1–12", "month must be 1..12", field="month")
    index = workdays.calendar_index(region)
    _check_year(index, year)
    days = workdays.month_days(year, month, region)
    published, version = index.years.get(year, (False, 0))
    return {"year": year, "month": month, "published": published, "year_version": version,
            "calendar_version": index.revision, "working_days": sum(1 for d in days if d["working"]),
            "days": days}


def calendar_year_summary(year: int, region=None) -> dict[str, Any]:
    """Working-day count and every non-ordinary day (holidays, make-up days, regional days) of a year."""
    index = workdays.calendar_index(region)
    _check_year(index, year)
    start, end = date(year - 1, 12, 31), date(year, 12, 31)
    published, version = index.years.get(year, (False, 0))
    notes = [n for n in index.notes_between(start, end) if n.kind != "weekend"]
    return {"year": year, "published": published, "year_version": version, "calendar_version": index.revision,
            "working_days": index.between(start, end),
            "days": [{"date": n.date.isoformat(), "weekday": workdays.weekday_zh(n.date), "kind": n.kind,
                      "name": n.name, "label": n.label} for n in notes]}


def regional_days_off_for(region) -> QuerySet[RegionalDayOff]:
    return RegionalDayOff.objects.filter(region=region).order_by("date")


def clocks_for(owner) -> QuerySet[Clock]:
    """The clocks of one owner object (the owner app checks the user may see that object)."""
    from django.contrib.contenttypes.models import ContentType

    return Clock.objects.filter(owner_type=ContentType.objects.get_for_model(owner),
                                owner_id=str(owner.pk)).order_by("started_at", "pk")
