"""Every write of the work calendar and the clock ledger. Each is atomic and audited.

Calendar writes bump `CalendarRevision` (the key of every process's working-day index) and
recompute the open clocks whose period contains a changed day, recording why each moved.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from zhengwu.core.appends import insert_now_many, insert_statements, later, update_statement
from zhengwu.core.audit import Entry, audit_record, audit_record_many, step_atomic
from zhengwu.core.errors import Conflict, NotFound, ValidationFailed
from zhengwu.core.masking import mask_name
from zhengwu.core.rows import columns, for_update
from zhengwu.workcalendar import clocks as clockmath
from zhengwu.workcalendar import states, workdays
from zhengwu.workcalendar.models import (
    CalendarDay,
    CalendarRevision,
    CalendarYear,
    Clock,
    ClockEvent,
    ClockExtension,
    ClockRecalculation,
    ClockSegment,
    RegionalDayOff,
    SuspendReason,
    Unit,
)

# chinesecalendar names its holidays in English; the calendar speaks Chinese.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
MANUAL_SOURCE = "人工录入"
MAX_BUDGET = 5000
_UNITS = frozenset(Unit.values)
OPEN = (Clock.Status.RUNNING, Clock.Status.SUSPENDED)


@dataclass
class CalendarChange:
    """What a calendar write did; all zero when it found nothing to change."""

    years_created: list[int] = field(default_factory=list)
    years_updated: list[int] = field(default_factory=list)
    years_skipped: list[int] = field(default_factory=list)
    days_created: int = 0
    days_updated: int = 0
    days_deleted: int = 0
    changed_dates: set[date] = field(default_factory=set)
    revision: int = 0
    clocks_recalculated: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.years_created or self.years_updated or self.changed_dates)

    def summary(self) -> str:
        return (f"新建年度 {len(self.years_created)}，更新年度 {len(self.years_updated)}，"
                f"跳过年度 {len(self.years_skipped)}；新增 {self.days_created} 天，修改 {self.days_updated} 天，"
                f"删除 {self.days_deleted} 天；重算时钟 {self.clocks_recalculated} 个；日历版本 v{self.revision}")


# --- calendar ------------------------------------------------------------------------------------

def _bump_revision(years: Iterable[int]) -> int:
    revision, _ = CalendarRevision.objects.select_for_update().get_or_create(pk=1)
    revision.counter += 1
    revision.token = uuid.uuid4().hex
    revision.changed_at = timezone.now()
    revision.save()
    CalendarYear.objects.filter(year__in=set(years)).update(version=F("version") + 1)
    workdays.invalidate()
    transaction.on_commit(workdays.invalidate)
    return revision.counter


def _day_start(d: date) -> datetime:
    return workdays._aware(d, 0)


def _apply_days(desired: Mapping[date, tuple[bool, str, str]], *, replace_years: set[int]) -> CalendarChange:
    """Make the overrides equal `desired`; in `replace_years`, drop overrides not in `desired`."""
    change = CalendarChange()
    existing = {d.date: d for d in CalendarDay.objects.filter(Q(date__year__in=replace_years) | Q(date__in=desired))}
    create, update = [], []
    for d, (is_off, name, url) in sorted(desired.items()):
        row = existing.get(d)
        if row is None:
            create.append(CalendarDay(date=d, is_off_day=is_off, name=name, source_url=url))
        elif (row.is_off_day, row.name, row.source_url) != (is_off, name, url):
            row.is_off_day, row.name, row.source_url = is_off, name, url
            update.append(row)
    delete = [row for d, row in existing.items() if d not in desired and d.year in replace_years]
    if create:
        CalendarDay.objects.bulk_create(create, batch_size=500)
    if update:
        CalendarDay.objects.bulk_update(update, ["is_off_day", "name", "source_url", "updated_at"], batch_size=500)
    if delete:
        CalendarDay.objects.filter(pk__in=[r.pk for r in delete]).delete()
    change.days_created, change.days_updated, change.days_deleted = len(create), len(update), len(delete)
    change.changed_dates = {r.date for r in create} | {r.date for r in update} | {r.date for r in delete}
    return change


def _upsert_year(change: CalendarChange, year: int, *, published: bool, source: str, papers: list[str]) -> None:
    row = CalendarYear.objects.filter(year=year).first()
    if row is None:
        CalendarYear.objects.create(year=year, version=1, published=published, source=source, papers=papers)
        change.years_created.append(year)
    elif (row.published, row.source, row.papers) != (published, source, papers):
        row.published, row.source, row.papers = published, source, papers
        row.save(update_fields=["published", "source", "papers", "updated_at"])
        change.years_updated.append(year)


def _finish_calendar_change(*, actor, change: CalendarChange, action: str, data: dict[str, Any],
                            region_ids: set[int] | None = None, reason: str) -> CalendarChange:
    years = {d.year for d in change.changed_dates} | set(change.years_updated)
    change.revision = _bump_revision(years - set(change.years_created))
    if change.changed_dates:
        change.clocks_recalculated = _recompute_open_clocks(actor=actor, dates=change.changed_dates,
                                                            region_ids=region_ids, reason=reason)
    audit_record(actor=actor, action=action, object_type="workcalendar.calendar", object_id=str(change.revision),
                 object_repr=f"日历 v{change.revision}",
                 data={**data, "years_created": change.years_created, "years_updated": change.years_updated,
                       "days_created": change.days_created, "days_updated": change.days_updated,
                       "days_deleted": change.days_deleted, "clocks_recalculated": change.clocks_recalculated})
    return change


def chinesecalendar_years() -> list[int]:
    from chinese_calendar import constants

    return sorted({d.year for d in constants.holidays} | {d.year for d in constants.workdays})


def calendar_seed_from_chinesecalendar(*, actor, years: Iterable[int] | None = None) -> CalendarChange:
    """Load the statutory holidays and make-up days of the chinesecalendar package.

    Idempotent: a second run finds nothing to change and writes nothing. Years already loaded from
    another source (a holiday-cn import, manual entry) are left alone and reported as skipped.
    """
    from importlib.metadata import version

    from chinese_calendar import constants

    available = chinesecalendar_years()
    wanted = available if years is None else sorted(set(years))
    missing = [y for y in wanted if y not in available]
    if missing:
        raise ValidationFailed(
            f"chinesecalendar 不含 {', '.join(map(str, missing))} 年的数据（覆盖 {available[0]}–{available[-1]}）",
            f"chinesecalendar has no data for {missing}", field="years")
    source = f"chinesecalendar {version('chinesecalendar')}"
    with transaction.atomic():
        change = CalendarChange()
        others = dict(CalendarYear.objects.filter(year__in=wanted).values_list("year", "source"))
        change.years_skipped = sorted(y for y, s in others.items() if not s.startswith("chinesecalendar"))
        target = set(wanted) - set(change.years_skipped)
        desired: dict[date, tuple[bool, str, str]] = {}
        for d, name in constants.holidays.items():
            if d.year in target:
                desired[d] = (True, HOLIDAY_NAMES_ZH.get(name, name), "")
        for d, name in constants.workdays.items():
            if d.year in target:
                desired[d] = (False, HOLIDAY_NAMES_ZH.get(name, name), "")
        days = _apply_days(desired, replace_years=target)
        change.days_created, change.days_updated, change.days_deleted = (
            days.days_created, days.days_updated, days.days_deleted)
        change.changed_dates = days.changed_dates
        for y in sorted(target):
            _upsert_year(change, y, published=True, source=source, papers=[])
        if not change.changed:
            return change
        return _finish_calendar_change(actor=actor, change=change, action="calendar.seed",
                                       data={"source": source, "years": sorted(target)},
                                       reason=f"载入 {source} 节假日数据")


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_holiday_cn(files: list[Any]) -> tuple[list[tuple[int, list[str], dict[date, tuple[bool, str]]]],
                                                 list[dict[str, Any]]]:
    errors: list[dict[str, Any]] = []
    parsed = []
    seen_years: set[int] = set()
    for fi, doc in enumerate(files):
        where = f"文件{fi + 1}" if len(files) > 1 else "文件"
        if not isinstance(doc, dict):
            errors.append({"row": None, "field": where, "message": "应为 JSON 对象 {year, papers, days}"})
            continue
        year = doc.get("year")
        if not isinstance(year, int) or isinstance(year, bool) or not 1949 <= year <= 2200:
            errors.append({"row": None, "field": f"{where}.year", "message": f"年份无效：{year!r}"})
            continue
        if year in seen_years:
            errors.append({"row": None, "field": f"{where}.year", "message": f"{year} 年重复出现"})
        seen_years.add(year)
        papers = doc.get("papers", [])
        if not isinstance(papers, list) or not all(isinstance(p, str) and p.startswith("http") for p in papers):
            errors.append({"row": None, "field": f"{where}.papers", "message": "papers 应为通知链接（http…）列表"})
            papers = []
        raw_days = doc.get("days")
        if not isinstance(raw_days, list):
            errors.append({"row": None, "field": f"{where}.days", "message": "缺少 days 列表"})
            continue
        days: dict[date, tuple[bool, str]] = {}
        for i, item in enumerate(raw_days, start=1):
            def bad(field_name: str, message: str, i=i, where=where) -> None:
                errors.append({"row": i, "field": f"{where}.days[{i}].{field_name}", "message": message})

            if not isinstance(item, dict):
                bad("", "应为对象 {name, date, isOffDay}")
                continue
            name, raw, off = item.get("name"), item.get("date"), item.get("isOffDay")
            if not isinstance(name, str) or not name.strip() or len(name) > 50:
                bad("name", f"名称无效：{name!r}")
            if not isinstance(off, bool):
                bad("isOffDay", f"isOffDay 应为 true 或 false：{off!r}")
            if not isinstance(raw, str) or not _DATE.match(raw):
                bad("date", f"日期格式应为 YYYY-MM-DD：{raw!r}")
                continue
            try:
                d = date.fromisoformat(raw)
            except ValueError:
                bad("date", f"日期不存在：{raw}")
                continue
            # holiday-cn files may carry the neighbouring year's edge days (e.g. 31 Dec).
            if abs(d.year - year) > 1:
                bad("date", f"日期 {raw} 不属于 {year} 年前后")
            elif d in days:
                bad("date", f"日期 {raw} 重复")
            elif isinstance(name, str) and isinstance(off, bool) and name.strip():
                days[d] = (off, name.strip())
        parsed.append((year, papers, days))
    return parsed, errors


def calendar_import_holiday_cn(*, actor, payload: Any, source: str = "holiday-cn") -> CalendarChange:
    """Import one or more holiday-cn year files `{year, papers[], days[{name, date, isOffDay}]}`.

    All or nothing: any bad row raises ValidationFailed listing every problem (row, field,
    message) and nothing is written. A file's year is replaced as a whole (overrides of that year
    that the file does not list are removed); edge days of the neighbouring years are upserted.
    A file with no days marks its year as known but not published.
    """
    if isinstance(payload, bytes | str):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise ValidationFailed(f"不是有效的 JSON：{exc}", f"not valid JSON: {exc}", field="file") from None
    files = payload if isinstance(payload, list) else [payload]
    if not files:
        raise ValidationFailed("没有可导入的年度", "nothing to import", field="file")
    parsed, errors = _parse_holiday_cn(files)
    if errors:
        first = errors[0]
        raise ValidationFailed(
            f"导入失败，共 {len(errors)} 处错误，未做任何修改；首个错误：{first['field']}：{first['message']}",
            f"import failed with {len(errors)} errors; nothing was changed", field="file", details=errors)
    with transaction.atomic():
        for year, _, days in parsed:
            existing = CalendarYear.objects.filter(year=year, published=True).exists()
            if not days and existing:
                raise ValidationFailed(f"{year} 年的文件没有任何日期，不能覆盖已发布的放假安排",
                                       f"the {year} file is empty and would erase a published year", field="file")
        desired: dict[date, tuple[bool, str, str]] = {}
        years = set()
        for year, papers, days in parsed:
            years.add(year)
            url = papers[-1] if papers else ""
            for d, (off, name) in days.items():
                desired[d] = (off, name, url)
        days_change = _apply_days(desired, replace_years=years)
        change = CalendarChange(days_created=days_change.days_created, days_updated=days_change.days_updated,
                                days_deleted=days_change.days_deleted, changed_dates=days_change.changed_dates)
        for year, papers, days in parsed:
            _upsert_year(change, year, published=bool(days), source=source, papers=list(papers))
        if not change.changed:
            return change
        return _finish_calendar_change(actor=actor, change=change, action="calendar.import",
                                       data={"source": source, "years": sorted(years)},
                                       reason=f"导入 {source} 放假安排（{', '.join(map(str, sorted(years)))}）")


def _ensure_year(change: CalendarChange, year: int) -> None:
    if not CalendarYear.objects.filter(year=year).exists():
        CalendarYear.objects.create(year=year, version=1, published=False, source=MANUAL_SOURCE)
        change.years_created.append(year)


def calendar_day_set(*, actor, day: date, is_off_day: bool, name: str, source_url: str = "") -> CalendarChange:
    """Add or change one override (a holiday or a make-up working day) and recompute open clocks."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写节日名称", "a holiday name is required", field="name")
    if len(name) > 50:
        raise ValidationFailed("节日名称不超过 50 字", "the name is too long", field="name")
    if not is_off_day and day.weekday() < 5:
        raise ValidationFailed("调休上班日应为周六或周日", "a make-up working day must be a Saturday or Sunday",
                               field="is_off_day")
    with transaction.atomic():
        change = CalendarChange()
        _ensure_year(change, day.year)
        old = CalendarDay.objects.filter(date=day).values("is_off_day", "name", "source_url").first()
        days = _apply_days({day: (is_off_day, name, source_url)}, replace_years=set())
        change.days_created, change.days_updated, change.changed_dates = (
            days.days_created, days.days_updated, days.changed_dates)
        if not change.changed:
            return change
        label = "放假" if is_off_day else "调休上班"
        return _finish_calendar_change(actor=actor, change=change, action="calendar.day_set",
                                       data={"date": day.isoformat(), "old": old,
                                             "new": {"is_off_day": is_off_day, "name": name,
                                                     "source_url": source_url}},
                                       reason=f"日历调整：{day.isoformat()} {name}（{label}）")


def calendar_day_delete(*, actor, day: date) -> CalendarChange:
    """Remove one override: the date falls back to the weekend rule."""
    with transaction.atomic():
        row = CalendarDay.objects.filter(date=day).first()
        if row is None:
            raise NotFound(f"{day.isoformat()} 没有节假日或调休记录", f"no override on {day.isoformat()}")
        old = {"is_off_day": row.is_off_day, "name": row.name, "source_url": row.source_url}
        row.delete()
        change = CalendarChange(days_deleted=1, changed_dates={day})
        return _finish_calendar_change(actor=actor, change=change, action="calendar.day_delete",
                                       data={"date": day.isoformat(), "old": old},
                                       reason=f"日历调整：删除 {day.isoformat()} {old['name']}")


def calendar_year_set(*, actor, year: int, published: bool, source: str | None = None,
                      papers: list[str] | None = None) -> CalendarChange:
    """Create a year or mark it published / unpublished (which changes the deadline warnings)."""
    if not 1949 <= year <= 2200:
        raise ValidationFailed("年份无效", "invalid year", field="year")
    with transaction.atomic():
        change = CalendarChange()
        row = CalendarYear.objects.filter(year=year).first()
        _upsert_year(change, year, published=published,
                     source=source if source is not None else (row.source if row else MANUAL_SOURCE),
                     papers=papers if papers is not None else (row.papers if row else []))
        if not change.changed:
            return change
        return _finish_calendar_change(actor=actor, change=change, action="calendar.year_set",
                                       data={"year": year, "published": published},
                                       reason=f"{year} 年放假安排{'已发布' if published else '设为未发布'}")


def _descendant_ids(region) -> set[int]:
    from zhengwu.org.models import Region

    ids = {region.pk}
    frontier = [region.pk]
    while frontier:
        frontier = list(Region.objects.filter(parent_id__in=frontier).exclude(pk__in=ids).values_list("pk", flat=True))
        ids.update(frontier)
    return ids


def regional_day_off_add(*, actor, region, day: date, name: str, source_url: str = "") -> RegionalDayOff:
    """Add a local day off for `region` and every region under it."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写假日名称", "a name is required", field="name")
    with transaction.atomic():
        if RegionalDayOff.objects.filter(region=region, date=day).exists():
            raise Conflict(f"{region} 在 {day.isoformat()} 已有地方假日", "this regional day off already exists")
        row = RegionalDayOff.objects.create(region=region, date=day, name=name, source_url=source_url)
        change = CalendarChange(days_created=1, changed_dates={day})
        _finish_calendar_change(actor=actor, change=change, action="calendar.regional_add",
                                data={"region": region.code, "date": day.isoformat(), "name": name},
                                region_ids=_descendant_ids(region),
                                reason=f"地方假日：{region.name} {day.isoformat()} {name}")
    return row


def regional_day_off_remove(*, actor, day_off: RegionalDayOff) -> CalendarChange:
    with transaction.atomic():
        row = RegionalDayOff.objects.select_related("region").filter(pk=day_off.pk).first()
        if row is None:
            raise NotFound("地方假日不存在", "no such regional day off")
        data = {"region": row.region.code, "date": row.date.isoformat(), "name": row.name}
        region_ids = _descendant_ids(row.region)
        row.delete()
        change = CalendarChange(days_deleted=1, changed_dates={day_off.date})
        return _finish_calendar_change(actor=actor, change=change, action="calendar.regional_remove", data=data,
                                       region_ids=region_ids,
                                       reason=f"删除地方假日：{data['region']} {data['date']} {data['name']}")


def regional_day_off_update(*, actor, day_off: RegionalDayOff, name: str, source_url: str = "") -> RegionalDayOff:
    """Rename a regional day off (its date and region are its identity: remove and add to move it)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写假日名称", "a name is required", field="name")
    with transaction.atomic():
        row = RegionalDayOff.objects.select_for_update().get(pk=day_off.pk)
        if (row.name, row.source_url) == (name, source_url):
            return row
        old = {"name": row.name, "source_url": row.source_url}
        row.name, row.source_url = name, source_url
        row.save(update_fields=["name", "source_url", "updated_at"])
        # A rename changes explanations, not deadlines; the revision still moves so caches reload.
        revision = _bump_revision([])
        audit_record(actor=actor, action="calendar.regional_update", obj=row,
                     data={"old": old, "new": {"name": name, "source_url": source_url}, "revision": revision})
    return row


# --- clocks --------------------------------------------------------------------------------------

def _segment_rows(clock: Clock) -> list[ClockSegment]:
    # `.all()` uses a prefetch when the caller made one (an owner finishing several clocks at once).
    return sorted(clock.segments.all(), key=lambda s: (s.started_at, s.pk))


def _segments(clock: Clock) -> list[clockmath.Seg]:
    return [clockmath.Seg(s.kind, s.started_at, s.ended_at, s.reason) for s in _segment_rows(clock)]


def _extensions(clock: Clock) -> list[clockmath.Ext]:
    return [clockmath.Ext(e.value, e.approved_by_label, e.reason, e.approved_at)
            for e in sorted(clock.extensions.all(), key=lambda e: (e.approved_at, e.pk))]


def _ledger_changed(clock: Clock) -> None:
    cache = getattr(clock, "_prefetched_objects_cache", None)
    if cache:
        cache.pop("segments", None)
        cache.pop("extensions", None)


def clock_schedule(clock: Clock) -> clockmath.Schedule:
    """Recompute a stored clock's deadline from its ledger (read only)."""
    return clockmath.compute_schedule(
        kind=clock.kind, unit=clock.budget_unit, budget=clock.budget_value, started_at=clock.started_at,
        segments=_segments(clock), extensions=_extensions(clock), region=clock.region_id,
        # An ended clock warns no more: its owner's warning rule need not be looked up.
        finished=not clock.is_open, owner_id=clock.owner_id if clock.is_open else None)


def _fired_kinds(clock: Clock) -> set[str]:
    if clock.due_at is None:
        return set()
    return set(ClockEvent.objects.filter(clock=clock, due_at=clock.due_at).values_list("kind", flat=True))


def _next_event(clock: Clock, fired: set[str] | None = None) -> tuple[datetime | None, str]:
    """The first event not yet fired under the current deadline (`fired`: kinds already fired)."""
    if clock.status != Clock.Status.RUNNING or clock.due_at is None:
        return None, ""
    if fired is None:
        fired = _fired_kinds(clock) if clock.pk is not None else set()
    pending = [(at, kind) for at, kind in ((clock.warn_at, ClockEvent.Kind.WARNING),
                                           (clock.due_at, ClockEvent.Kind.OVERDUE))
               if at is not None and kind not in fired]
    if not pending:
        return None, ""
    at, kind = min(pending, key=lambda p: (p[0], p[1] != ClockEvent.Kind.WARNING))
    return at, str(kind)


def _refresh(clock: Clock) -> tuple[datetime | None, datetime | None]:
    """Recompute and store the derived columns; returns (old due_at, new due_at)."""
    old = clock.due_at
    schedule = clock_schedule(clock)
    clock.due_at, clock.due_date, clock.warn_at = schedule.due_at, schedule.due_date, schedule.warn_at
    clock.calendar_version = schedule.calendar_revision
    clock.next_event_at, clock.next_event_kind = _next_event(clock)
    clock.save(update_fields=["due_at", "due_date", "warn_at", "calendar_version", "next_event_at",
                              "next_event_kind", "status", "ended_at", "updated_at"])
    return old, clock.due_at


def _recompute_open_clocks(*, actor, dates: set[date], region_ids: set[int] | None, reason: str) -> int:
    """Recompute open clocks whose period (start day, due day] may contain a changed date."""
    lo, hi = min(dates), max(dates)
    workdays.calendar_index(None, fresh=True)
    # The start day is not counted for day units but its office hours count for hour units.
    qs = Clock.objects.filter(status__in=OPEN, started_at__lt=_day_start(hi + timedelta(days=1))).filter(
        Q(due_date__isnull=True) | Q(due_date__gte=lo))
    if region_ids is not None:
        qs = qs.filter(region_id__in=region_ids)
    return _recompute(actor=actor, qs=qs, reason=reason)


def clocks_recompute(*, actor, clock_ids: Iterable[int], reason: str) -> int:
    """Recompute open clocks whose warning rule changed (e.g. supervision's per-item-type thresholds)."""
    with transaction.atomic():
        return _recompute(actor=actor, qs=Clock.objects.filter(pk__in=list(clock_ids), status__in=OPEN), reason=reason)


def _recompute(*, actor, qs, reason: str) -> int:
    entries = []
    moved = 0
    now = timezone.now()
    for clock in qs.select_for_update().order_by("pk"):
        old_warn = clock.warn_at
        old, new = _refresh(clock)
        if old == new and old_warn == clock.warn_at:
            continue
        moved += 1
        ClockRecalculation.objects.create(clock=clock, reason=reason[:300], old_due_at=old, new_due_at=new,
                                          calendar_version=clock.calendar_version, recalculated_at=now)
        entries.append(Entry("clock.recalculate", obj=clock, data={
            "reason": reason, "old_due_at": old.isoformat() if old else None,
            "new_due_at": new.isoformat() if new else None}))
    audit_record_many(actor=actor, entries=entries)
    return moved


def _moment(at: datetime | None, *, not_before: datetime | None = None, what: str = "时间") -> datetime:
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        raise ValidationFailed(f"{what}必须带时区", "datetimes must be timezone-aware", field="at")
    if at > now + timedelta(minutes=5):
        raise ValidationFailed(f"{what}不能晚于当前时间", "the moment must not be in the future", field="at")
    if not_before is not None and at < not_before:
        raise ValidationFailed(f"{what}不能早于上一次状态变化（{timezone.localtime(not_before):%Y-%m-%d %H:%M}）",
                               "the moment must not precede the clock's last change", field="at")
    return at


def _lock(clock: Clock, action: str) -> tuple[Clock, str]:
    # A clock the caller selected FOR UPDATE in this transaction (see `clocks_locked_of`) is current.
    locked = clock if getattr(clock, "_row_locked", False) else (
        Clock.objects.select_for_update().filter(pk=clock.pk).first())
    if locked is None:
        raise NotFound("时钟不存在", "no such clock")
    target = states.target_status(action, locked.status)
    if target is None:
        raise Conflict(f"时钟当前状态为“{locked.get_status_display()}”，不能{states.ACTION_LABELS[action]}",
                       f"cannot {action} a clock that is {locked.status}")
    return locked, target


def _last_segment(clock: Clock) -> ClockSegment:
    rows = _segment_rows(clock)
    last = rows[-1] if rows else None
    if last is None:
        raise Conflict("时钟缺少计时区段", "the clock has no segments")
    return last


def _audit_clock(actor, action: str, clock: Clock, **data: Any) -> None:
    audit_record(actor=actor, action=action, obj=clock, data={
        "kind": clock.kind, "owner": f"{clock.owner_type_id}:{clock.owner_id}", "status": clock.status,
        "due_at": clock.due_at.isoformat() if clock.due_at else None, **data})


def clocks_locked_of(owner: models.Model, kinds: Iterable[str] | None = None) -> list[Clock]:
    """The owner's open clocks (of `kinds`, or all) locked FOR UPDATE with their segments, in one
    statement written once per process (zhengwu.core.rows): an owner's state change reads them on
    every call, and the ORM's select-and-prefetch cost four times what the database takes."""
    vendor = connection.vendor
    k, g = columns(Clock, "k", vendor), columns(ClockSegment, "g", vendor)
    params: list[Any] = [ContentType.objects.get_for_model(owner).pk, str(owner.pk),
                         Clock.Status.RUNNING, Clock.Status.SUSPENDED]
    where = ""
    if kinds is not None:
        kinds = list(kinds)
        if not kinds:
            return []
        where = f" AND k.kind IN ({', '.join(['%s'] * len(kinds))})"
        params += kinds
    sql = (f"SELECT {k.sql}, {g.sql} FROM {Clock._meta.db_table} k"
           f" LEFT JOIN {ClockSegment._meta.db_table} g ON g.clock_id = k.id"
           f" WHERE k.owner_type_id = %s AND k.owner_id = %s AND k.status IN (%s, %s){where}"
           f" ORDER BY k.id, g.started_at, g.id{for_update('k')}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    result: list[Clock] = []
    segments: dict[int, list[ClockSegment]] = {}
    for row in found:
        if not result or result[-1].pk != row[0]:
            clock = cast(Clock, k.build(row))
            clock._row_locked = True  # type: ignore[attr-defined]
            result.append(clock)
            segments[clock.pk] = []
        if row[k.width] is not None:
            segment = cast(ClockSegment, g.build(row, k.width))
            ClockSegment.clock.field.set_cached_value(segment, result[-1])
            segments[result[-1].pk].append(segment)
    for clock in result:
        cached = clock.segments.all()
        cached._result_cache = segments[clock.pk]
        cached._prefetch_done = True  # type: ignore[attr-defined]
        clock._prefetched_objects_cache = {"segments": cached}  # type: ignore[attr-defined]
    return result


def clocks_finish(*, actor, clocks: Iterable[Clock], complete: bool, at: datetime | None = None,
                  reason: str = "") -> list[Clock]:
    """Complete (办结) or stop several locked clocks (`clocks_locked_of`) of one owner at once. A
    running clock finished under the calendar its deadline was computed with keeps that deadline
    (see `_finish`): the closing writes of all such clocks are left to the end of the unit of work
    (core.appends.later), or run together now outside one; any other clock is finished one by one."""
    action = "complete" if complete else "stop"
    finished: list[Clock] = []
    statements: list[tuple[str, list[Any]]] = []
    for clock in clocks:
        if not (getattr(clock, "_row_locked", False) and clock.status == Clock.Status.RUNNING
                and clock.due_at is not None and clock.calendar_version == workdays.current_revision(fresh=False)):
            finished.append(_finish(actor=actor, clock=clock, action=action, at=at, reason=reason))
            continue
        with step_atomic():
            clock, target = _lock(clock, action)
            last = _last_segment(clock)
            moment = _moment(at, not_before=last.started_at, what="结束时间")
            last.ended_at = moment
            clock.status, clock.ended_at = target, moment
            clock.next_event_at, clock.next_event_kind = None, ""
            statements += [update_statement(last, ["ended_at"]),
                           update_statement(clock, ["status", "ended_at", "next_event_at", "next_event_kind",
                                                    "updated_at"])]
            _audit_clock(actor, f"clock.{action}", clock, at=moment.isoformat(), reason=reason,
                         on_time=clock.due_at is None or moment < clock.due_at)
        finished.append(clock)
    later(statements)  # nobody reads these rows again in this call: they go with its last round trip
    return finished


def clock_start(*, actor, owner: models.Model, kind: str, budget_value: int, budget_unit: str,
                started_at: datetime | None = None, region=None, note: str = "") -> Clock:
    """Start a clock for `owner` (e.g. a case's legal limit: kind "case.legal", 20 working_days).

    `started_at` defaults to now and may be backdated (e.g. to the moment of acceptance), never
    set in the future. The start day itself is not counted (民法典 §201).
    """
    [clock] = clocks_start(actor=actor, owner=owner, budgets=[(kind, budget_value, budget_unit, note)],
                           started_at=started_at, region=region)
    return clock


def clocks_start(*, actor, owner: models.Model, budgets: Sequence[tuple[str, int, str, str]],
                 started_at: datetime | None = None, region=None) -> list[Clock]:
    """`clock_start` for several clocks of one owner starting at the same moment (a case's legal and
    promised limits at acceptance): `budgets` are (kind, budget value, unit, note), kinds distinct.
    They are inserted together, in one statement on PostgreSQL."""
    if owner is None or owner.pk is None:
        raise ValidationFailed("时钟必须属于已保存的对象", "the owner must be a saved object", field="owner")
    checked = []
    for kind, budget_value, budget_unit, note in budgets:
        kind = (kind or "").strip()
        if not kind or len(kind) > 50:
            raise ValidationFailed("请填写时钟类型（不超过 50 字符）", "kind is required (≤ 50 chars)", field="kind")
        if budget_unit not in _UNITS:
            raise ValidationFailed(f"时限单位无效：{budget_unit}", f"unknown unit {budget_unit}", field="budget_unit")
        if not isinstance(budget_value, int) or isinstance(budget_value, bool) or not 0 <= budget_value <= MAX_BUDGET:
            raise ValidationFailed(f"时限应为 0–{MAX_BUDGET} 的整数", f"budget must be an integer 0..{MAX_BUDGET}",
                                   field="budget_value")
        checked.append((kind, budget_value, budget_unit, note))
    if len({kind for kind, *_ in checked}) != len(checked):
        raise ValidationFailed("同时起算的时钟类型不能重复", "the clocks started together must differ in kind",
                               field="kind")
    at = _moment(started_at, what="起算时间")
    owner_type = ContentType.objects.get_for_model(owner)
    with step_atomic():
        workdays.calendar_index(region, fresh=True)
        started = []
        for kind, budget_value, budget_unit, note in checked:
            # A new clock's ledger is one open running segment: compute before the first insert.
            schedule = clockmath.compute_schedule(kind=kind, unit=budget_unit, budget=budget_value, started_at=at,
                                                  segments=[clockmath.Seg("running", at, None)], extensions=[],
                                                  region=region, owner_id=str(owner.pk))
            clock = Clock(owner_type=owner_type, owner_id=str(owner.pk), kind=kind,
                          budget_value=budget_value, budget_unit=budget_unit, started_at=at,
                          status=Clock.Status.RUNNING, region=region, note=note[:200], due_at=schedule.due_at,
                          due_date=schedule.due_date, warn_at=schedule.warn_at,
                          calendar_version=schedule.calendar_revision)
            clock.next_event_at, clock.next_event_kind = _next_event(clock, fired=set())
            started.append(clock)
        _insert_running(started, at)
        for clock in started:
            _audit_clock(actor, "clock.start", clock, budget=f"{clock.budget_value} {clock.budget_unit}")
    return started


def _insert_running(clocks: list[Clock], at: datetime) -> None:
    """Insert new clocks, each with its one open running segment: on PostgreSQL one statement (the
    segments take the clocks' ids in the same INSERT … RETURNING), on SQLite one per row."""
    prepared_at = ClockSegment._meta.get_field("started_at").get_db_prep_save(at, connection)
    segment = (f"INSERT INTO {ClockSegment._meta.db_table} (clock_id, kind, reason, note, started_at, ended_at)"
               " SELECT {clock_id}, %s, '', '', %s, NULL")
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            insert_now_many(clocks)
            for clock in clocks:
                cursor.execute(segment.format(clock_id="%s"), [clock.pk, ClockSegment.Kind.RUNNING, prepared_at])
            return
        [(clock_sql, clock_params)] = insert_statements(clocks)
        cursor.execute(f"WITH k AS ({clock_sql} RETURNING id, kind),"
                       f" g AS ({segment.format(clock_id='k.id')} FROM k) SELECT id, kind FROM k",
                       [*clock_params, ClockSegment.Kind.RUNNING, prepared_at])
        ids = dict((kind, pk) for pk, kind in cursor.fetchall())
    for clock in clocks:
        clock.pk = ids[clock.kind]
        clock._state.adding, clock._state.db = False, connection.alias


def clock_suspend(*, actor, clock: Clock, reason: str, at: datetime | None = None, note: str = "") -> Clock:
    """Stop counting (补正 / 特别程序 / third-party consultation); the deadline is unknown until resumed."""
    if reason not in SuspendReason.values:
        raise ValidationFailed(f"挂起事由无效：{reason}", f"unknown suspension reason {reason}", field="reason")
    with step_atomic():
        clock, target = _lock(clock, "suspend")
        last = _last_segment(clock)
        moment = _moment(at, not_before=last.started_at, what="挂起时间")
        last.ended_at = moment
        last.save(update_fields=["ended_at"])
        ClockSegment.objects.create(clock=clock, kind=ClockSegment.Kind.SUSPENDED, reason=reason,
                                    note=note[:200], started_at=moment)
        _ledger_changed(clock)
        clock.status = target
        _refresh(clock)
        _audit_clock(actor, "clock.suspend", clock, reason=reason, at=moment.isoformat())
    return clock


def clock_resume(*, actor, clock: Clock, at: datetime | None = None) -> Clock:
    """Restart counting; the suspended days are added to the deadline (the resume day not counted)."""
    with step_atomic():
        clock, target = _lock(clock, "resume")
        last = _last_segment(clock)
        moment = _moment(at, not_before=last.started_at, what="恢复时间")
        last.ended_at = moment
        last.save(update_fields=["ended_at"])
        ClockSegment.objects.create(clock=clock, kind=ClockSegment.Kind.RUNNING, started_at=moment)
        _ledger_changed(clock)
        clock.status = target
        old, new = _refresh(clock)
        _audit_clock(actor, "clock.resume", clock, at=moment.isoformat(), suspended_from=last.started_at.isoformat())
    return clock


def clock_extend(*, actor, clock: Clock, value: int, reason: str, approved_by=None,
                 approved_at: datetime | None = None) -> Clock:
    """Record an approved extension (e.g. 行政许可法 §42: +10 working days by the agency head).

    How many extensions a matter allows is the owner app's rule; the ledger records each one.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写延期理由", "a reason is required", field="reason")
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_BUDGET:
        raise ValidationFailed("延长时限应为正整数", "the extension must be a positive integer", field="value")
    moment = _moment(approved_at, what="批准时间")
    with step_atomic():
        clock, _ = _lock(clock, "extend")
        label = ""
        if approved_by is not None:
            label = getattr(approved_by, "display_name", None) or str(approved_by)
        ClockExtension.objects.create(clock=clock, value=value, reason=reason[:300], approved_at=moment,
                                      approved_by=approved_by if getattr(approved_by, "pk", None) else None,
                                      approved_by_label=label[:100])
        _ledger_changed(clock)
        old, new = _refresh(clock)
        ClockRecalculation.objects.create(clock=clock, reason=f"延期 +{value}：{reason}"[:300], old_due_at=old,
                                          new_due_at=new, calendar_version=clock.calendar_version,
                                          recalculated_at=timezone.now())
        _audit_clock(actor, "clock.extend", clock, value=value, reason=reason, approved_by=mask_name(label),
                     old_due_at=old.isoformat() if old else None)
    return clock


def _finish(*, actor, clock: Clock, action: str, at: datetime | None, reason: str = "") -> Clock:
    with step_atomic():
        clock, target = _lock(clock, action)
        last = _last_segment(clock)
        moment = _moment(at, not_before=last.started_at, what="结束时间")
        last.ended_at = moment
        last.save(update_fields=["ended_at"])
        was_running = clock.status == Clock.Status.RUNNING
        clock.status = target
        clock.ended_at = moment
        if was_running and clock.due_at is not None and clock.calendar_version == workdays.current_revision(
                fresh=False):
            # Finished while counting, under the calendar its deadline was computed with: a finished
            # clock keeps the deadline it had while running (clocks.compute_schedule), so only its
            # state moves; the recomputation (and its explanation) is for a ledger that changed.
            clock.next_event_at, clock.next_event_kind = None, ""
            clock.save(update_fields=["status", "ended_at", "next_event_at", "next_event_kind", "updated_at"])
        else:
            _refresh(clock)
        _audit_clock(actor, f"clock.{action}", clock, at=moment.isoformat(), reason=reason,
                     on_time=clock.due_at is None or moment < clock.due_at)
    return clock


def clock_complete(*, actor, clock: Clock, at: datetime | None = None) -> Clock:
    """The matter is done (办结): the clock stops and keeps its deadline for on-time statistics."""
    return _finish(actor=actor, clock=clock, action="complete", at=at)


def clock_stop(*, actor, clock: Clock, at: datetime | None = None, reason: str = "") -> Clock:
    """The clock no longer applies (withdrawal, termination, a restarted period)."""
    return _finish(actor=actor, clock=clock, action="stop", at=at, reason=reason)


def clock_explain(clock: Clock) -> list[str]:
    """The deadline explained line by line, in Chinese (start, budget, suspensions, extensions,
    holidays, due, warning), followed by any unpublished-year warnings."""
    schedule = clock_schedule(clock)
    lines = list(schedule.lines)
    if clock.status == Clock.Status.SUSPENDED:
        lines.append("当前状态：已挂起，截止时间待恢复计时后确定")
    elif not clock.is_open and clock.ended_at is not None:
        late = clock.due_at is not None and clock.ended_at >= clock.due_at
        lines.append(f"{clock.get_status_display()}于 {timezone.localtime(clock.ended_at):%Y-%m-%d %H:%M}"
                     + ("（超期）" if late else "（未超期）"))
    lines.extend(f"注意：{w}" for w in schedule.warnings)
    return lines


def clock_state(clock: Clock, now: datetime | None = None) -> str:
    """Display state from the stored deadlines and now: green / yellow / red / suspended / done.

    Never depends on the sweeper having run, so a late sweeper cannot show a wrong state.
    """
    if not clock.is_open:
        return "done"
    if clock.status == Clock.Status.SUSPENDED:
        return "suspended"
    now = now or timezone.now()
    if clock.due_at is not None and now >= clock.due_at:
        return "red"
    if clock.warn_at is not None and now >= clock.warn_at:
        return "yellow"
    return "green"


def clock_run_out(clock: Clock, now: datetime | None = None) -> bool:
    """Whether the clock's time (budget and approved extensions) is used up at `now`: a running
    clock from its stored deadline on (截止日 24:00, as `clock_state` shows red); a suspended one,
    whose deadline is unknown until it resumes, when counting stopped at or after the deadline it
    had then (from its ledger: the segments `clocks_locked_of` read, and its extensions). A
    finished clock no longer runs out."""
    if clock.status == Clock.Status.RUNNING:
        return clock.due_at is not None and (now or timezone.now()) >= clock.due_at
    if clock.status != Clock.Status.SUSPENDED:
        return False
    stopped = _last_segment(clock).started_at
    schedule = clockmath.compute_schedule(
        kind=clock.kind, unit=clock.budget_unit, budget=clock.budget_value, started_at=clock.started_at,
        segments=[s for s in _segments(clock) if s.kind == ClockSegment.Kind.RUNNING],
        extensions=_extensions(clock), region=clock.region_id, finished=True)
    return schedule.due_at is not None and stopped >= schedule.due_at


STATE_LABELS = {"green": "正常", "yellow": "预警", "red": "超期", "suspended": "已挂起", "done": "已结束"}


# --- sweeper -------------------------------------------------------------------------------------

def clock_fire_due_events(*, clock_id: int, claimed_at: datetime, now: datetime) -> list[ClockEvent] | None:
    """Claim one clock whose next_event_at was `claimed_at` and fire its due events exactly once.

    Runs in one transaction: the conditional UPDATE claims the row only if no other sweeper moved
    `next_event_at` first (healthchecks' "exactly one row updated"); the ClockEvent unique
    constraint (clock, kind, due_at) backs the check that refuses a second firing; the owner's handler runs inside the
    same transaction, so a crash rolls back the claim, the event and the handler's writes together.
    Returns the events fired, or None when another sweeper had claimed the clock first.
    """
    from zhengwu.workcalendar.handlers import handler_for

    with transaction.atomic():
        claimed = Clock.objects.filter(pk=clock_id, next_event_at=claimed_at).update(next_event_at=None)
        if claimed != 1:
            return None
        clock = Clock.objects.select_for_update().get(pk=clock_id)
        fired: list[ClockEvent] = []
        done: set[str] = set()
        if clock.status == Clock.Status.RUNNING and clock.due_at is not None:
            path, handler = handler_for(clock.kind)
            # Events fired before under this deadline (a crash after firing, then a re-run) are
            # skipped; the unique constraint backs this check, rolling the claim back if it ever lied.
            done = _fired_kinds(clock)
            for kind, at in ((ClockEvent.Kind.WARNING, clock.warn_at), (ClockEvent.Kind.OVERDUE, clock.due_at)):
                if at is None or at > now or kind in done:
                    continue
                event = ClockEvent.objects.create(clock=clock, kind=kind, due_at=clock.due_at,
                                                  scheduled_at=at, fired_at=now, handler=path)
                handler(clock, event)
                fired.append(event)
                done.add(kind)
        clock.next_event_at, clock.next_event_kind = _next_event(clock, fired=done)
        Clock.objects.filter(pk=clock.pk).update(next_event_at=clock.next_event_at,
                                                 next_event_kind=clock.next_event_kind)
    return fired
