"""Public REST endpoints of the work calendar, mounted at /api/v1/calendar.

Anonymous and read only: the deadline calculator, working days between two dates, and the
calendar listings. Dates are parsed here so that a bad one gets a Chinese 422 message.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at runtime.
from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema

from zhengwu.core.errors import ValidationFailed
from zhengwu.workcalendar import selectors, workdays

router = Router(tags=["日历"])
MAX_DAYS = 2000


class DayOut(Schema):
    date: str
    weekday: str
    kind: str
    name: str
    counted: bool
    label: str


class DeadlineOut(Schema):
    start: str
    unit: str
    n: int
    due: str
    due_weekday: str
    region: str | None = None
    lines: list[str]
    days: list[DayOut]
    warnings: list[str]
    calendar_version: int


class BetweenOut(Schema):
    start: str
    end: str
    working_days: int
    warnings: list[str]
    calendar_version: int


class MonthDayOut(Schema):
    date: str
    weekday: str
    working: bool
    kind: str
    name: str


class MonthOut(Schema):
    year: int
    month: int
    published: bool
    year_version: int
    calendar_version: int
    working_days: int
    days: list[MonthDayOut]


class YearDayOut(Schema):
    date: str
    weekday: str
    kind: str
    name: str
    label: str


class YearOut(Schema):
    year: int
    published: bool
    year_version: int
    calendar_version: int
    working_days: int
    days: list[YearDayOut]


class YearListOut(Schema):
    year: int
    version: int
    published: bool
    source: str


def _date(raw: str, field: str, label: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except (ValueError, AttributeError):
        raise ValidationFailed(f"{label}格式应为 YYYY-MM-DD 的有效日期：{raw!r}",
                               f"{field} must be a valid date YYYY-MM-DD", field=field) from None


def _count(value: int | None, field: str, label: str) -> int:
    if value is None:
        raise ValidationFailed(f"请填写{label}", f"{field} is required", field=field)
    if value < 0:
        raise ValidationFailed(f"{label}不能为负数", f"{field} must not be negative", field=field)
    if value > MAX_DAYS:
        raise ValidationFailed(f"{label}不能超过 {MAX_DAYS}", f"{field} must be at most {MAX_DAYS}", field=field)
    return value


@router.get("/deadline", response=DeadlineOut, summary="期限计算器：起算日 + N 个工作日（或自然日）")
def deadline(request: HttpRequest, start: str, working_days: int | None = None, calendar_days: int | None = None,
             region: str | None = None):
    """The start day is not counted (民法典 §201). `working_days` skips weekends and holidays and
    counts make-up days (行政许可法 §82); `calendar_days` rolls a last day that is a rest day over
    to the next working day (民法典 §203). Give exactly one of the two."""
    begin = _date(start, "start", "起算日")
    if (working_days is None) == (calendar_days is None):
        raise ValidationFailed("请在 working_days 与 calendar_days 中填写且只填写一个",
                               "give exactly one of working_days and calendar_days", field="working_days")
    area = selectors.region_by_code(region)
    if working_days is not None:
        exp = workdays.explain_working_days(begin, _count(working_days, "working_days", "工作日数"), area)
    else:
        exp = workdays.explain_calendar_days(begin, _count(calendar_days, "calendar_days", "自然日数"), area)
    body = exp.as_dict()
    body["due_weekday"] = workdays.weekday_zh(exp.due)
    body["region"] = area.code if area else None
    return body


@router.get("/working-days", response=BetweenOut, summary="两个日期之间的工作日数（不含起始日，含结束日）")
def working_days_between(request: HttpRequest, start: str, end: str, region: str | None = None):
    a, b = _date(start, "start", "开始日期"), _date(end, "end", "结束日期")
    if b < a:
        raise ValidationFailed("结束日期不能早于开始日期", "end must not precede start", field="end")
    if (b - a).days > MAX_DAYS * 2:
        raise ValidationFailed("日期跨度过大", "the range is too long", field="end")
    area = selectors.region_by_code(region)
    index = workdays.calendar_index(area)
    return {"start": a.isoformat(), "end": b.isoformat(), "working_days": workdays.working_days_between(a, b, area),
            "warnings": workdays.unpublished_warnings(index, a, b), "calendar_version": index.revision}


@router.get("/years", response=list[YearListOut], summary="已载入的日历年度及其发布状态")
def years(request: HttpRequest):
    return [{"year": y.year, "version": y.version, "published": y.published, "source": y.source}
            for y in selectors.calendar_year_list()]


@router.get("/years/{year}", response=YearOut, summary="某年的工作日数、节假日与调休")
def year_detail(request: HttpRequest, year: int, region: str | None = None):
    return selectors.calendar_year_summary(year, selectors.region_by_code(region))


@router.get("/months/{year}/{month}", response=MonthOut, summary="某月每日是否上班")
def month(request: HttpRequest, year: int, month: int, region: str | None = None):
    return selectors.calendar_month(year, month, selectors.region_by_code(region))
