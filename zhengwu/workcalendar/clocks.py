"""Deadline arithmetic of a clock: segments + extensions → due, warning and explanation.

Pure computation over the working-day index; services store the results on `Clock`.

A running segment from S to E consumes the units in (S, E] (民法典 §201: the day the clock starts
or restarts is not counted). A suspended segment from A to R therefore pushes the deadline by the
units in (A, R]: 行政许可法 §45 (特别程序), 政府信息公开条例 §32 (third-party time) and the 补正 pause
are not counted. Extensions (行政许可法 §42: +10 days, +15 under §26) add to the budget.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from zhengwu.workcalendar import workdays
from zhengwu.workcalendar.models import Unit
from zhengwu.workcalendar.workdays import fmt_day

DEFAULT_WARNING: dict[str, Any] = {"before": 2, "fraction": 0.8}
# "2 before due" would swallow a 2-hour urgent budget whole; hour clocks warn at 80 % only.
DEFAULT_WARNING_HOURS: dict[str, Any] = {"before": None, "fraction": 0.8}

UNIT_WORDS: dict[str, str] = {
    Unit.WORKING_DAYS: "个工作日",
    Unit.CALENDAR_DAYS: "个自然日",
    Unit.WORKING_HOURS: "个工作小时",
    Unit.HOURS: "小时",
}

REASON_LABELS = {
    "correction": "补正",
    "special_procedure": "特别程序",
    "third_party": "第三方征求意见",
    "other": "其他法定事由",
}


# Owner apps refine a kind's rule per owner: clock kind → dotted path of
# `provider(*, kind, unit, owner_id) -> dict | None` (None or {}: the kind's rule applies).
WARNING_RULE_PROVIDERS: dict[str, str] = {
    "case.legal": "zhengwu.supervision.thresholds.case_warning_rule",
    "case.promised": "zhengwu.supervision.thresholds.case_warning_rule",
}


def warning_rule(kind: str, unit: str = Unit.WORKING_DAYS, owner_id: str | None = None) -> dict[str, Any]:
    """The warning rule of a clock: its owner's provider (WARNING_RULE_PROVIDERS), else
    settings.ZHENGWU_CLOCK_WARNINGS[kind], else its "default", else 2 days before due or 80 % of the
    budget used, whichever comes first (hour clocks: 80 %).

    `before` is in the clock's unit (working days, calendar days or hours); either key may be None
    to switch that half of the rule off. A provider's rule may carry a `source` shown in the explanation.
    """
    table = getattr(settings, "ZHENGWU_CLOCK_WARNINGS", {}) or {}
    hours = unit in (Unit.WORKING_HOURS, Unit.HOURS)
    rule = dict(DEFAULT_WARNING_HOURS if hours else DEFAULT_WARNING)
    rule.update(table.get("default", {}))
    rule.update(table.get(kind, {}))
    path = WARNING_RULE_PROVIDERS.get(kind)
    if path and owner_id is not None:
        rule.update(import_string(path)(kind=kind, unit=unit, owner_id=owner_id) or {})
    return rule


@dataclass(frozen=True)
class Seg:
    kind: str  # running / suspended
    start: datetime
    end: datetime | None
    reason: str = ""


@dataclass(frozen=True)
class Ext:
    value: int
    approved_by: str
    reason: str
    approved_at: datetime


@dataclass
class Schedule:
    due_at: datetime | None
    due_date: date | None
    warn_at: datetime | None
    total: int
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    calendar_revision: int = 0


def _local_date(dt: datetime) -> date:
    return timezone.localtime(dt, timezone.get_default_timezone()).date()


def _day_start(d: date) -> datetime:
    return workdays._aware(d, 0)


class _Days:
    """Counted in days; a moment counts from its local date."""

    def __init__(self, unit: str, region) -> None:
        self.unit = unit
        self.region = region
        self.index = workdays.calendar_index(region)

    def scale(self, value: int) -> int:
        return value

    def consumed(self, a: datetime, b: datetime) -> int:
        da, db = _local_date(a), _local_date(b)
        if self.unit == Unit.WORKING_DAYS:
            return max(0, self.index.between(da, db))
        return max(0, (db - da).days)

    def advance(self, a: datetime, u: int) -> date:
        da = _local_date(a)
        if self.unit == Unit.WORKING_DAYS:
            return self.index.add(da, u)
        return da + timedelta(days=u)

    def finish(self, a: datetime, u: int) -> tuple[datetime, date]:
        due = self.advance(a, u)
        if self.unit == Unit.CALENDAR_DAYS and u > 0:
            # 民法典 §203: a last day that is a rest day moves to the day after the rest ends.
            due = self.index.next_working_day(due, include=True)
        return _day_start(due + timedelta(days=1)), due

    def warn_moment(self, a: datetime, u: int) -> datetime:
        return _day_start(self.advance(a, max(u, 1)))

    def first_position(self) -> int:
        return 1

    def words(self, u: int) -> str:
        return f"{u} {UNIT_WORDS[self.unit]}"


class _Hours:
    """Counted in minutes: office minutes (working_hours) or elapsed minutes (hours)."""

    def __init__(self, unit: str, region) -> None:
        self.unit = unit
        self.region = region
        self.index = workdays.calendar_index(region)

    def scale(self, value: int) -> int:
        return value * 60

    def consumed(self, a: datetime, b: datetime) -> int:
        if self.unit == Unit.WORKING_HOURS:
            return max(0, workdays.working_minutes_between(a, b, self.region))
        return max(0, int((b - a).total_seconds() // 60))

    def advance(self, a: datetime, u: int) -> datetime:
        if self.unit == Unit.WORKING_HOURS:
            return workdays.add_working_minutes(a, u, self.region)
        return a + timedelta(minutes=u)

    def finish(self, a: datetime, u: int) -> tuple[datetime, date]:
        due = self.advance(a, u)
        return due, _local_date(due)

    def warn_moment(self, a: datetime, u: int) -> datetime:
        return self.advance(a, max(u, 0))

    def first_position(self) -> int:
        return 0

    def words(self, u: int) -> str:
        h, m = divmod(u, 60)
        word = "工作小时" if self.unit == Unit.WORKING_HOURS else "小时"
        return f"{h} {word}" + (f" {m} 分钟" if m else "")


def _counter(unit: str, region):
    if unit in (Unit.WORKING_DAYS, Unit.CALENDAR_DAYS):
        return _Days(unit, region)
    return _Hours(unit, region)


def _fmt_moment(unit: str, dt: datetime) -> str:
    local = timezone.localtime(dt, timezone.get_default_timezone())
    if unit in (Unit.WORKING_DAYS, Unit.CALENDAR_DAYS):
        return fmt_day(local.date())
    return f"{fmt_day(local.date())} {local:%H:%M}"


def _locate(counter, running: Sequence[Seg], position: int, *, last_open: bool):
    """The running segment in which `position` counted units are reached, and the offset in it."""
    consumed = 0
    for i, seg in enumerate(running):
        if seg.end is None or (last_open and i == len(running) - 1):
            return seg, position - consumed
        cap = counter.consumed(seg.start, seg.end)
        if position - consumed <= cap:
            return seg, position - consumed
        consumed += cap
    return None, 0


def compute_schedule(*, kind: str, unit: str, budget: int, started_at: datetime, segments: Sequence[Seg],
                     extensions: Sequence[Ext], region=None, finished: bool = False,
                     owner_id: str | None = None) -> Schedule:
    """Due moment, warning moment and the line-by-line explanation of one clock.

    `segments` in time order, the first a running one starting at `started_at`. A clock whose last
    segment is an open suspension has no due moment until it resumes. A finished clock keeps the
    deadline it had while running (its last running segment is treated as still open), so
    reports can tell on-time from late.
    """
    counter = _counter(unit, region)
    index = counter.index
    total = counter.scale(budget + sum(e.value for e in extensions))
    ordered = sorted(segments, key=lambda s: s.start)
    running = [s for s in ordered if s.kind == "running"]
    open_suspension = bool(ordered) and ordered[-1].kind == "suspended" and ordered[-1].end is None
    if finished and ordered and ordered[-1].kind == "suspended" and ordered[-1].end is not None:
        # Finished while suspended: the suspended time still does not count, so the deadline is
        # the one the clock would have had had it resumed at that moment.
        running.append(Seg("running", ordered[-1].end, None))
    lines = [
        f"起算：{_fmt_moment(unit, started_at)}，"
        + ("当日不计入，自次日起算（民法典第二百零一条）" if isinstance(counter, _Days) else "自该时刻起计时"),
        f"时限：{counter.words(counter.scale(budget))}"
        + ("，不含法定节假日（行政许可法第八十二条）" if unit == Unit.WORKING_DAYS else ""),
    ]
    for seg in ordered:
        if seg.kind != "suspended":
            continue
        reason = REASON_LABELS.get(seg.reason, seg.reason or "挂起")
        if seg.end is None:
            lines.append(f"挂起：自 {_fmt_moment(unit, seg.start)} 起（{reason}），暂停计时，恢复后重新计算截止时间")
        else:
            added = counter.consumed(seg.start, seg.end)
            lines.append(f"挂起：{_fmt_moment(unit, seg.start)} 至 {_fmt_moment(unit, seg.end)}（{reason}），"
                         f"期间不计入时限，顺延 {counter.words(added)}")
    for ext in extensions:
        lines.append(f"延期：+{counter.words(counter.scale(ext.value))}，经 {ext.approved_by or '—'} 批准"
                     f"（{ext.reason}，{_fmt_moment(Unit.HOURS, ext.approved_at)}）")
    schedule = Schedule(due_at=None, due_date=None, warn_at=None, total=total, lines=lines,
                        calendar_revision=index.revision)
    if open_suspension or not running:
        return schedule
    last_open = finished or running[-1].end is None
    seg, offset = _locate(counter, running, total, last_open=last_open)
    if seg is None:
        return schedule
    schedule.due_at, schedule.due_date = counter.finish(seg.start, offset)
    rule = warning_rule(kind, unit, owner_id)
    candidates = []
    if rule.get("before") is not None:
        candidates.append(total - counter.scale(int(rule["before"])))
    if rule.get("fraction") is not None:
        used = math.floor(total * float(rule["fraction"]))
        candidates.append(used + counter.first_position())
    if candidates:
        position = max(counter.first_position(), min(candidates))
        wseg, woffset = _locate(counter, running, position, last_open=last_open)
        if wseg is not None:
            schedule.warn_at = min(counter.warn_moment(wseg.start, woffset), schedule.due_at)
    if isinstance(counter, _Days):
        first_day = _local_date(started_at)
        notes = [n for n in index.notes_between(first_day, schedule.due_date) if n.kind != "weekend"]
        if notes:
            lines.append("其间节假日与调休：")
            lines.extend("  " + line for line in workdays.describe_runs(notes))
        if unit == Unit.CALENDAR_DAYS:
            nominal = counter.advance(seg.start, offset)
            if nominal != schedule.due_date:
                lines.append(f"期间最后一日 {fmt_day(nominal)} 为休息日，顺延至 {fmt_day(schedule.due_date)}"
                             "（民法典第二百零三条）")
        lines.append(f"截止：{fmt_day(schedule.due_date)} 24:00")
        schedule.warnings = workdays.unpublished_warnings(index, first_day, schedule.due_date)
    else:
        lines.append(f"截止：{_fmt_moment(unit, schedule.due_at)}")
    if schedule.warn_at is not None:
        parts = []
        if rule.get("before") is not None:
            parts.append(f"截止前 {counter.words(counter.scale(int(rule['before'])))}")
        if rule.get("fraction") is not None:
            parts.append(f"已用 {round(float(rule['fraction']) * 100)}%")
        source = f"，{rule['source']}" if rule.get("source") else ""
        lines.append(f"预警：{_fmt_moment(unit, schedule.warn_at)} 起（{' 或 '.join(parts)}，取较早者{source}）")
    lines.append(f"日历数据版本：v{index.revision}")
    return schedule
