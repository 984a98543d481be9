"""Working-day arithmetic over a precomputed index (DESIGN.md §3, RULES.md §2.2 and §8).

Counting rules:

- 民法典 §201: the start day is not counted; counting begins on the next day.
- 行政许可法 §82: periods are counted in working days, excluding statutory holidays; Saturday and
  Sunday are rest days for 国家机关 (国务院令第146号), and 调休 make-up weekend days count as
  working days.
- 民法典 §203: a period in (calendar) days whose last day is a rest day ends on the first day
  after the rest; the end is 24:00 of that day.
- 民法典 §202: a period in months ends on the corresponding day of the last month, or the last
  day of that month when there is no corresponding day.

The index is a sorted list of the ordinals of every working day plus, for every date, the number
of working days up to and including it; `add_working_days` and `working_days_between` are two list
look-ups each (O(1)). One index per region is cached per process and keyed on the stored
`CalendarRevision` token, rechecked at most every `CALENDAR_RECHECK_SECONDS`, at the start of each
request, and always when a service asks for `fresh=True` before writing.
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from zhengwu.core.errors import ValidationFailed

WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
FIRST_YEAR = 2000
HORIZON_YEARS = 30
DEFAULT_WORKING_HOURS = (("09:00", "12:00"), ("13:30", "17:30"))
DEFAULT_RECHECK_SECONDS = 2.0


def weekday_zh(d: date) -> str:
    return WEEKDAYS_ZH[d.weekday()]


def fmt_day(d: date) -> str:
    return f"{d.isoformat()}（{weekday_zh(d)}）"


@dataclass(frozen=True)
class DayNote:
    """Why a day is not an ordinary weekday: kind is weekend / holiday / regional / makeup."""

    date: date
    kind: str
    name: str = ""

    @property
    def counted(self) -> bool:
        return self.kind == "makeup"

    @property
    def label(self) -> str:
        if self.kind == "weekend":
            return "周末休息"
        if self.kind == "holiday":
            return f"法定节假日：{self.name}"
        if self.kind == "regional":
            return f"地方假日：{self.name}"
        return f"调休上班（{self.name}），计为工作日"


@dataclass
class WorkIndex:
    """Working days of one region under one calendar revision. Immutable once built."""

    revision: int
    token: str
    region_id: int | None
    base: int
    last: int
    cum: list[int]
    work: list[int]
    notes: dict[int, DayNote]
    years: dict[int, tuple[bool, int]]
    region_names: tuple[str, ...] = ()

    @property
    def first_date(self) -> date:
        return date.fromordinal(self.base)

    @property
    def last_date(self) -> date:
        return date.fromordinal(self.last)

    def _offset(self, d: date, what: str = "日期") -> int:
        o = d.toordinal() - self.base
        if o < 0 or d.toordinal() > self.last:
            raise ValidationFailed(
                f"{what} {d.isoformat()} 超出工作日历范围（{self.first_date}–{self.last_date}）",
                f"{d.isoformat()} is outside the work calendar ({self.first_date} to {self.last_date})",
                field="start",
            )
        return o

    def is_working_day(self, d: date) -> bool:
        o = self._offset(d)
        return self.cum[o] - (self.cum[o - 1] if o else 0) == 1

    def add(self, start: date, n: int) -> date:
        o = self._offset(start)
        if n < 0:
            raise ValidationFailed("工作日数不能为负数", "the number of working days must not be negative",
                                   field="working_days")
        if n == 0:
            return start
        i = self.cum[o] + n - 1
        if i >= len(self.work):
            raise ValidationFailed("期限超出工作日历范围", "the deadline is beyond the work calendar",
                                   field="working_days")
        return date.fromordinal(self.work[i])

    def between(self, a: date, b: date) -> int:
        return self.cum[self._offset(b)] - self.cum[self._offset(a)]

    def next_working_day(self, d: date, *, include: bool = False) -> date:
        """The first working day after `d` (or `d` itself if `include` and it is one)."""
        o = self._offset(d)
        i = self.cum[o] - (1 if include and self.is_working_day(d) else 0)
        if i >= len(self.work):
            raise ValidationFailed("超出工作日历范围", "beyond the work calendar")
        return date.fromordinal(self.work[i])

    def note(self, d: date) -> DayNote | None:
        found = self.notes.get(d.toordinal())
        if found is not None:
            return found
        if d.weekday() >= 5:
            return DayNote(d, "weekend")
        return None

    def notes_between(self, a: date, b: date) -> list[DayNote]:
        """Every non-ordinary day in (a, b]: skipped days and counted make-up days."""
        out = []
        d = a + timedelta(days=1)
        while d <= b:
            n = self.note(d)
            if n is not None:
                out.append(n)
            d += timedelta(days=1)
        return out

    def unpublished_years(self, a: date, b: date) -> list[int]:
        return [y for y in range(a.year, b.year + 1) if not self.years.get(y, (False, 0))[0]]


# --- the per-process cache -------------------------------------------------------------------

_cache: dict[int | None, WorkIndex] = {}
_state: dict[str, Any] = {"token": None, "revision": 0, "checked": -1e18, "next_check": -1e18, "force": True}


def _recheck_seconds() -> float:
    return float(getattr(settings, "ZHENGWU", {}).get("CALENDAR_RECHECK_SECONDS", DEFAULT_RECHECK_SECONDS))


def invalidate() -> None:
    """Forget the cached indexes' freshness: the next use rereads the stored revision."""
    _state["force"] = True


def _revalidate() -> None:
    # Plain SQL: read once per transaction that computes a deadline, and the ORM's statement
    # building cost several times the query.
    sql, params = revision_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        _revision_read(cursor.fetchall())


def revision_statement() -> tuple[str, list]:
    """The SELECT of the stored calendar revision, for a service to read in the round trip of its
    first reads (zhengwu.core.rows.fetch_together) when it will compute a deadline; hand its rows
    to `revision_seen`."""
    from zhengwu.workcalendar.models import CalendarRevision

    return f"SELECT counter, token FROM {CalendarRevision._meta.db_table} WHERE id = %s", [1]


def revision_seen(rows: list) -> None:
    """The stored revision read inside the open transaction (`revision_statement`): the working-day
    index is checked against it, and a deadline computed later in the transaction does not read it
    again, as after `calendar_index(fresh=True)`."""
    _revision_read(rows)
    _mark_fresh_in_this_transaction()


def _revision_read(rows: list) -> None:
    row = rows[0] if rows else (0, "")
    if row[1] != _state["token"] or row[0] != _state["revision"]:
        _cache.clear()
        _state["revision"], _state["token"] = row
    _state["checked"] = _time.monotonic()
    _state["next_check"] = _state["checked"] + _recheck_seconds()
    _state["force"] = False


def _region_chain(region) -> tuple[list[int], list[str]]:
    from zhengwu.org.models import Region

    ids, names = [], []
    current = region if isinstance(region, Region) else Region.objects.filter(pk=region).first()
    if current is None:
        raise ValidationFailed("行政区划不存在", "no such region", field="region")
    seen: set[int] = set()
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        ids.append(current.pk)
        names.append(current.name)
        current = current.parent
    return ids, names


def _build(region_id: int | None, region) -> WorkIndex:
    from zhengwu.workcalendar.models import CalendarDay, CalendarYear, RegionalDayOff

    years = {y: (p, v) for y, p, v in CalendarYear.objects.values_list("year", "published", "version")}
    overrides = list(CalendarDay.objects.values_list("date", "is_off_day", "name"))
    regional: list[tuple[date, str]] = []
    region_names: list[str] = []
    if region_id is not None:
        ids, region_names = _region_chain(region if region is not None else region_id)
        regional = list(RegionalDayOff.objects.filter(region_id__in=ids).values_list("date", "name"))
    known = list(years) + [d.year for d, _, _ in overrides] + [d.year for d, _ in regional]
    first_year = min([FIRST_YEAR, *known])
    last_year = max([timezone.localdate().year, *known]) + HORIZON_YEARS
    base = date(first_year, 1, 1).toordinal()
    last = date(last_year, 12, 31).toordinal()
    notes: dict[int, DayNote] = {}
    off: set[int] = set()
    on: set[int] = set()
    for d, is_off, name in overrides:
        o = d.toordinal()
        if is_off:
            off.add(o)
            notes[o] = DayNote(d, "holiday", name)
        else:
            on.add(o)
            notes[o] = DayNote(d, "makeup", name)
    for d, name in regional:
        o = d.toordinal()
        # A regional day off wins over a national make-up working day: the region rests that day.
        on.discard(o)
        if o not in off:
            off.add(o)
            notes[o] = DayNote(d, "regional", name)
    cum: list[int] = []
    work: list[int] = []
    count = 0
    weekday = date.fromordinal(base).weekday()
    for o in range(base, last + 1):
        if o in on or (weekday < 5 and o not in off):
            count += 1
            work.append(o)
        cum.append(count)
        weekday = (weekday + 1) % 7
    return WorkIndex(revision=_state["revision"], token=_state["token"] or "", region_id=region_id, base=base,
                     last=last, cum=cum, work=work, notes=notes, years=years, region_names=tuple(region_names))


def calendar_index(region=None, *, fresh: bool = False) -> WorkIndex:
    """The working-day index for `region` (None: national calendar), rebuilt when stale.

    `fresh=True` rereads the stored revision now; services do so before they store a deadline.
    """
    if _state["force"] or _time.monotonic() > _state["next_check"] or (fresh and not _fresh_in_this_transaction()):
        _revalidate()
        _mark_fresh_in_this_transaction()
    rid = region if region is None or isinstance(region, int) else region.pk
    index = _cache.get(rid)
    if index is None:
        index = _cache[rid] = _build_for(rid, region if not isinstance(region, int) else None)
    return index


def _fresh_in_this_transaction() -> bool:
    """Whether the stored revision was reread inside the transaction now open on this thread's
    connection: a service that starts several clocks rereads it once, not once per clock."""
    from django.db import connection

    blocks = connection.atomic_blocks
    return bool(blocks) and getattr(connection, "_zhengwu_calendar_fresh_in", None) is blocks[0]


def _mark_fresh_in_this_transaction() -> None:
    from django.db import connection

    blocks = connection.atomic_blocks
    connection._zhengwu_calendar_fresh_in = blocks[0] if blocks else None  # type: ignore[attr-defined]


def _build_for(rid: int | None, region) -> WorkIndex:
    if rid is None:
        return _build(None, None)
    from zhengwu.workcalendar.models import RegionalDayOff

    ids, names = _region_chain(region if region is not None else rid)
    if RegionalDayOff.objects.filter(region_id__in=ids).exists():
        return _build(rid, region)
    # Most regions have no days of their own: share the national lists instead of copying them.
    national = calendar_index(None)
    return replace(national, region_id=rid, region_names=tuple(names))


def current_revision(*, fresh: bool = True) -> int:
    if fresh:
        _revalidate()
    return int(_state["revision"])


def _request_started(**kwargs) -> None:
    # A request sees the calendar as it is when the request starts, never an older one.
    invalidate()


# --- arithmetic ----------------------------------------------------------------------------------

def is_working_day(d: date, region=None) -> bool:
    return calendar_index(region).is_working_day(d)


def add_working_days(start: date, n: int, region=None) -> date:
    """The n-th working day after `start` (start not counted: 民法典 §201; 行政许可法 §82).

    `n == 0` returns `start`. Raises ValidationFailed for negative n or dates outside the calendar.
    """
    return calendar_index(region).add(start, n)


def working_days_between(a: date, b: date, region=None) -> int:
    """Working days in (a, b]: `working_days_between(s, add_working_days(s, n)) == n`.

    Negative when b < a.
    """
    return calendar_index(region).between(a, b)


def next_working_day(d: date, region=None, *, include: bool = False) -> date:
    return calendar_index(region).next_working_day(d, include=include)


def add_calendar_days(start: date, n: int, region=None) -> date:
    """A period of n calendar days from `start` (start not counted, 民法典 §201), its last day
    moved to the next working day when it falls on a rest day (民法典 §203)."""
    if n < 0:
        raise ValidationFailed("天数不能为负数", "the number of days must not be negative", field="days")
    if n == 0:
        return start
    return next_working_day(start + timedelta(days=n), region, include=True)


def add_calendar_months(start: date, months: int, region=None) -> date:
    """A period in months (民法典 §202: the corresponding day, else the month's last day), with the
    §203 roll-over when that day is a rest day."""
    if months < 0:
        raise ValidationFailed("月数不能为负数", "the number of months must not be negative", field="months")
    if months == 0:
        return start
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (following - timedelta(days=1)).day
    end = date(year, month, min(start.day, last_day))
    return next_working_day(end, region, include=True)


# --- hours -----------------------------------------------------------------------------------------

def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def working_windows() -> list[tuple[int, int]]:
    """Office hours in minutes after midnight; settings.ZHENGWU["WORKING_HOURS"] overrides."""
    raw = getattr(settings, "ZHENGWU", {}).get("WORKING_HOURS", DEFAULT_WORKING_HOURS)
    windows = sorted((_minutes(a), _minutes(b)) for a, b in raw)
    if not windows or any(a >= b for a, b in windows) or any(
            windows[i][1] > windows[i + 1][0] for i in range(len(windows) - 1)):
        raise ValidationFailed("办公时间配置无效", "invalid WORKING_HOURS setting")
    return windows


def _local(dt: datetime) -> datetime:
    if timezone.is_naive(dt):
        raise ValidationFailed("时间必须带时区", "datetimes must be timezone-aware")
    return timezone.localtime(dt, timezone.get_default_timezone())


def _aware(d: date, minutes: int) -> datetime:
    naive = datetime.combine(d, dtime(0, 0)) + timedelta(minutes=minutes)
    return timezone.make_aware(naive, timezone.get_default_timezone())


def _minutes_into_day(minute_of_day: int, windows: list[tuple[int, int]]) -> int:
    return sum(max(0, min(b, minute_of_day) - a) for a, b in windows)


def working_position(dt: datetime, region=None) -> int:
    """Working minutes from the start of the calendar up to `dt` (office hours of working days)."""
    index = calendar_index(region)
    windows = working_windows()
    daily = sum(b - a for a, b in windows)
    local = _local(dt)
    d = local.date()
    o = index._offset(d)
    is_work = index.is_working_day(d)
    before = index.cum[o] - (1 if is_work else 0)
    within = _minutes_into_day(local.hour * 60 + local.minute, windows) if is_work else 0
    return before * daily + within


def working_minutes_between(a: datetime, b: datetime, region=None) -> int:
    return working_position(b, region) - working_position(a, region)


def add_working_minutes(start: datetime, minutes: int, region=None) -> datetime:
    """The moment when `minutes` of office time (working days, WORKING_HOURS) have passed."""
    if minutes < 0:
        raise ValidationFailed("时长不能为负数", "the duration must not be negative", field="hours")
    if minutes == 0:
        return start
    index = calendar_index(region)
    windows = working_windows()
    daily = sum(b - a for a, b in windows)
    target = working_position(start, region) + minutes
    j = (target - 1) // daily
    if j >= len(index.work):
        raise ValidationFailed("期限超出工作日历范围", "the deadline is beyond the work calendar")
    rest = target - j * daily
    for a, b in windows:
        if rest <= b - a:
            return _aware(date.fromordinal(index.work[j]), a + rest)
        rest -= b - a
    raise AssertionError("unreachable: rest is within one day's windows")


def add_working_hours(start: datetime, hours: float, region=None) -> datetime:
    """Urgent matters counted in office hours (e.g. 12345 urgent tickets)."""
    return add_working_minutes(start, int(round(hours * 60)), region)


# --- explanations ----------------------------------------------------------------------------------

@dataclass
class Explanation:
    """A computed deadline with the reasons, in Chinese, line by line."""

    start: date
    n: int
    unit: str
    due: date
    lines: list[str] = field(default_factory=list)
    days: list[DayNote] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    calendar_revision: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "n": self.n,
            "unit": self.unit,
            "due": self.due.isoformat(),
            "lines": self.lines,
            "days": [{"date": d.date.isoformat(), "weekday": weekday_zh(d.date), "kind": d.kind, "name": d.name,
                      "counted": d.counted, "label": d.label} for d in self.days],
            "warnings": self.warnings,
            "calendar_version": self.calendar_revision,
        }


def unpublished_warnings(index: WorkIndex, a: date, b: date) -> list[str]:
    return [
        f"{y} 年放假安排尚未发布，该年按周六、周日休息推算，发布后期限可能变化 / "
        f"the {y} holiday arrangement is not yet published; weekends only"
        for y in index.unpublished_years(a, b)
    ]


def describe_runs(notes: Iterable[DayNote]) -> list[str]:
    """Group consecutive days with the same reason: '2025-10-01（星期三）至 2025-10-08（星期三）法定节假日：国庆节'."""
    runs: list[list[DayNote]] = []
    for n in notes:
        if runs and runs[-1][-1].kind == n.kind and runs[-1][-1].name == n.name \
                and (n.date - runs[-1][-1].date).days == 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    lines = []
    for run in runs:
        first, last = run[0], run[-1]
        span = fmt_day(first.date) if len(run) == 1 else f"{fmt_day(first.date)}至{fmt_day(last.date)}"
        verb = "计入" if first.counted else f"跳过 {len(run)} 天"
        lines.append(f"{span}：{first.label}，{verb}")
    return lines


def explain_working_days(start: date, n: int, region=None) -> Explanation:
    """`add_working_days` with its reasons: start day not counted, each skipped run, make-up days."""
    index = calendar_index(region)
    due = index.add(start, n)
    notes = index.notes_between(start, due)
    lines = [
        f"起算日 {fmt_day(start)} 不计入，自次日起算（民法典第二百零一条）",
        f"期限 {n} 个工作日，不含法定节假日（行政许可法第八十二条）",
    ]
    if index.region_names:
        lines.append(f"适用地区：{' / '.join(reversed(index.region_names))}（含地方假日）")
    lines.extend(describe_runs(notes))
    skipped = sum(1 for x in notes if not x.counted)
    lines.append(f"其间跳过 {skipped} 个休息日，计入 {sum(1 for x in notes if x.counted)} 个调休上班日")
    lines.append(f"截止日 {fmt_day(due)}，当日 24:00 届满")
    return Explanation(start=start, n=n, unit="working_days", due=due, lines=lines, days=notes,
                       warnings=unpublished_warnings(index, start, due), calendar_revision=index.revision)


def explain_calendar_days(start: date, n: int, region=None) -> Explanation:
    index = calendar_index(region)
    due = add_calendar_days(start, n, region)
    lines = [f"起算日 {fmt_day(start)} 不计入，自次日起算（民法典第二百零一条）", f"期限 {n} 个自然日"]
    nominal = start + timedelta(days=n)
    notes: list[DayNote] = []
    if due != nominal:
        notes = [x for x in index.notes_between(nominal - timedelta(days=1), due - timedelta(days=1))]
        lines.append(f"期间最后一日 {fmt_day(nominal)} 为休息日，顺延至休息日结束的次日（民法典第二百零三条）")
    lines.append(f"截止日 {fmt_day(due)}，当日 24:00 届满")
    return Explanation(start=start, n=n, unit="calendar_days", due=due, lines=lines, days=notes,
                       warnings=unpublished_warnings(index, start, due), calendar_revision=index.revision)


def month_days(year: int, month: int, region=None) -> list[dict[str, Any]]:
    """Every date of a month with its status, for the calendar listing."""
    index = calendar_index(region)
    d = date(year, month, 1)
    out = []
    while d.month == month:
        note = index.note(d)
        out.append({"date": d.isoformat(), "weekday": weekday_zh(d), "working": index.is_working_day(d),
                    "kind": note.kind if note else "workday", "name": note.name if note else ""})
        d += timedelta(days=1)
    return out
