"""历史办件导入: legacy case history loaded in bulk, and the demo county's twelve months of it.

The cases app has no service for importing closed cases from a legacy system (its services walk a
live case through its transitions, one audited step at a time, with PDFs), so this service writes
the case rows, their decision, rating and timeline, and their two clocks, in bulk. It is the one
place outside the cases app that creates cases; it is all-or-nothing and audited as one import.
The clocks' deadlines come from the work calendar's own computation (`compute_schedule`).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from zhengwu.cases.models import (
    Case,
    CaseEvent,
    CorrectionNotice,
    Decision,
    DenialReport,
    Rating,
)
from zhengwu.cases.states import Role, Status
from zhengwu.catalog.codes import LimitUnit
from zhengwu.catalog.models import ProcessStep, ServiceItemVersion
from zhengwu.core.audit import audit_record
from zhengwu.core.errors import ValidationFailed
from zhengwu.supervision.models import WarningThreshold
from zhengwu.workcalendar import clocks as clockmath
from zhengwu.workcalendar.models import Clock, ClockSegment, Unit

UNITS = {LimitUnit.WORKING_DAYS: Unit.WORKING_DAYS, LimitUnit.CALENDAR_DAYS: Unit.CALENDAR_DAYS,
         LimitUnit.HOURS: Unit.HOURS}
DECIDED = {Status.APPROVED, Status.DENIED, Status.COMPLETED, Status.DELIVERED, Status.CERTIFICATE_ISSUED}


@dataclass
class HistoricalCase:
    case_no: str
    item_version_id: int
    department_id: int
    received_at: dt.datetime
    status: str
    applicant_name: str = "历史申请人"
    applicant_type: str = "person"
    applicant_id_type: str = "id_card"
    applicant_id_number: str = ""
    channel: str = "window"
    window_id: int | None = None
    first_responder_id: int | None = None
    registered_at: dt.datetime | None = None  # when it was entered in the system (default: received)
    accepted_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    decided_by_id: int | None = None
    outcome: str = ""
    reasons: str = ""
    completed_on_site: bool = False
    deemed_accepted: bool = False
    deemed_approved: bool = False
    correction_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    rejection_reason: str = ""
    rating_level: str = ""
    rated_at: dt.datetime | None = None
    denial_reported: bool = True


def _check(rows: list[HistoricalCase], versions: dict[int, Any]) -> None:
    errors = []
    for i, r in enumerate(rows, start=1):
        problems = []
        if r.item_version_id not in versions:
            problems.append("实施清单版本不存在")
        for name in ("received_at", "registered_at", "accepted_at", "decided_at", "rated_at", "closed_at",
                     "correction_at"):
            value = getattr(r, name)
            if value is not None and timezone.is_naive(value):
                problems.append(f"{name} 必须带时区")
        if r.status not in Status.values:
            problems.append(f"状态无效：{r.status}")
        if r.status in DECIDED and (r.decided_at is None or r.outcome not in ("approve", "deny")):
            problems.append("已决定的办件须有决定时间与决定结果")
        if r.decided_at is not None and r.accepted_at is None:
            problems.append("有决定时间的办件须有受理时间")
        if problems:
            errors.append({"row": i, "case_no": r.case_no, "errors": problems})
    if errors:
        raise ValidationFailed(f"历史办件数据有 {len(errors)} 行错误，未导入任何数据",
                               f"{len(errors)} rows are invalid; nothing was imported", details=errors[:100])


def _clock(ct_id: int, case: Case, kind: str, value: int, limit_unit: str, region_id: int | None,
           end: dt.datetime | None, own_threshold: bool = False) -> Clock:
    unit = str(UNITS.get(LimitUnit(limit_unit), Unit.WORKING_DAYS))
    started = case.accepted_at
    assert started is not None  # only accepted cases get clocks
    segments = [clockmath.Seg("running", started, end)]
    schedule = clockmath.compute_schedule(kind=kind, unit=unit, budget=value, started_at=started,
                                          segments=segments, extensions=[], region=region_id,
                                          finished=end is not None,
                                          # Only item types with their own threshold pay for the lookup.
                                          owner_id=str(case.pk) if own_threshold else None)
    done = end is not None
    pending = [] if done else [t for t in (schedule.warn_at, schedule.due_at) if t is not None]
    return Clock(owner_type_id=ct_id, owner_id=str(case.pk), kind=kind, budget_value=value, budget_unit=unit,
                 started_at=started, status=Clock.Status.COMPLETED if done else Clock.Status.RUNNING,
                 region_id=region_id, calendar_version=schedule.calendar_revision, due_at=schedule.due_at,
                 due_date=schedule.due_date, warn_at=schedule.warn_at,
                 next_event_at=min(pending) if pending else None,
                 next_event_kind=("warning" if pending and min(pending) == schedule.warn_at else
                                  "overdue" if pending else ""),
                 ended_at=end, note="历史办件导入")


def case_history_import(*, actor, rows: list[HistoricalCase], source: str = "历史办件导入") -> int:
    """Import closed or open legacy cases in bulk; rows whose case_no exists are skipped (idempotent).

    All-or-nothing: a bad row stops the import with row-level errors and nothing is written.
    """
    versions = {v.pk: v for v in ServiceItemVersion.objects.filter(
        pk__in={r.item_version_id for r in rows}).select_related("item")}
    _check(rows, versions)
    existing = set(Case.objects.filter(case_no__in=[r.case_no for r in rows]).values_list("case_no", flat=True))
    rows = [r for r in rows if r.case_no not in existing]
    if not rows:
        return 0
    from zhengwu.org.models import Department

    regions = dict(Department.objects.filter(pk__in={r.department_id for r in rows}).values_list("id", "region_id"))
    ct_id = ContentType.objects.get_for_model(Case).pk
    thresholds = set(WarningThreshold.objects.values_list("item_type", "clock_kind"))
    # A case still under review stands at its process's first step, as acceptance leaves it.
    first_step: dict[int, int] = {}
    for version_id, step_id in (ProcessStep.objects.filter(version_id__in={r.item_version_id for r in rows})
                                .order_by("version_id", "order", "id").values_list("version_id", "id")):
        first_step.setdefault(version_id, step_id)
    with transaction.atomic():
        cases = [Case(
            case_no=r.case_no, query_code="HIST0000"[:8], item_id=versions[r.item_version_id].item_id,
            item_version_id=r.item_version_id, department_id=r.department_id, window_id=r.window_id,
            applicant_type=r.applicant_type, applicant_name=r.applicant_name, applicant_id_type=r.applicant_id_type,
            applicant_id_number=r.applicant_id_number, channel=r.channel, status=r.status,
            received_at=r.received_at, accepted_at=r.accepted_at, decided_at=r.decided_at,
            completed_at=r.decided_at if r.status == Status.COMPLETED else None, closed_at=r.closed_at,
            completed_on_site=r.completed_on_site, first_responder_id=r.first_responder_id,
            deemed_accepted=r.deemed_accepted, deemed_approved=r.deemed_approved, decision=r.outcome,
            decision_reasons=r.reasons, rejection_reason=r.rejection_reason,
            current_step_id=first_step.get(r.item_version_id) if r.status == Status.ACCEPTED else None,
            summary=source[:300]) for r in rows]
        Case.objects.bulk_create(cases, batch_size=1000)
        for case, r in zip(cases, rows, strict=True):
            case.created_at = r.registered_at or r.received_at
        Case.objects.bulk_update(cases, ["created_at"], batch_size=1000)
        decisions, events, ratings, notices, clock_rows = [], [], [], [], []
        for case, r in zip(cases, rows, strict=True):
            version = versions[r.item_version_id]
            events.append(CaseEvent(case=case, occurred_at=r.received_at, action="submit", to_status="submitted",
                                    actor_id=r.first_responder_id, role=Role.CLERK, note=source))
            if r.correction_at is not None:
                notices.append(CorrectionNotice(case=case, items=[{"name": "申请材料", "reason": "不齐全"}],
                                                issued_at=r.correction_at,
                                                issued_by_id=r.first_responder_id,  # type: ignore[misc]
                                                deadline=timezone.localtime(r.correction_at).date()
                                                + dt.timedelta(days=21), answered_at=r.correction_at))
                events.append(CaseEvent(case=case, occurred_at=r.correction_at, action="request_correction",
                                        to_status="correction", actor_id=r.first_responder_id, role=Role.CLERK))
            if r.accepted_at is not None:
                events.append(CaseEvent(case=case, occurred_at=r.accepted_at,
                                        action="deem_accept" if r.deemed_accepted else "accept", to_status="accepted",
                                        actor_id=None if r.deemed_accepted else r.first_responder_id,
                                        role=Role.SYSTEM if r.deemed_accepted else Role.CLERK))
                region = regions.get(r.department_id)
                clock_rows.append(_clock(ct_id, case, "case.legal", version.legal_limit_value,
                                         version.legal_limit_unit, region, r.decided_at or r.closed_at,
                                         (version.item_type, "case.legal") in thresholds))
                clock_rows.append(_clock(ct_id, case, "case.promised", version.promised_limit_value,
                                         version.promised_limit_unit, region, r.decided_at or r.closed_at,
                                         (version.item_type, "case.promised") in thresholds))
            if r.decided_at is not None:
                decisions.append(Decision(case=case, outcome=r.outcome, reasons=r.reasons,
                                          decided_by_id=r.decided_by_id, decided_at=r.decided_at,
                                          deemed=r.deemed_approved))
                events.append(CaseEvent(case=case, occurred_at=r.decided_at, action=r.outcome,
                                        to_status=r.status, actor_id=r.decided_by_id,
                                        role=Role.SYSTEM if r.deemed_approved else Role.CHIEF_REPRESENTATIVE))
            if r.rating_level and r.rated_at is not None:
                ratings.append(Rating(case=case, level=r.rating_level, channel="hall_tablet", rated_at=r.rated_at))
        Decision.objects.bulk_create(decisions, batch_size=1000)
        reports = [DenialReport(decision=d, case=d.case, reasons=d.reasons, reported_at=d.decided_at)
                   for d, r in zip(decisions, [r for r in rows if r.decided_at is not None], strict=True)
                   if d.outcome == "deny" and r.denial_reported]
        DenialReport.objects.bulk_create(reports, batch_size=1000)
        CaseEvent.objects.bulk_create(events, batch_size=2000)
        CorrectionNotice.objects.bulk_create(notices, batch_size=1000)
        Rating.objects.bulk_create(ratings, batch_size=1000)
        Clock.objects.bulk_create(clock_rows, batch_size=2000)
        ClockSegment.objects.bulk_create([ClockSegment(clock=c, kind="running", started_at=c.started_at,
                                                       ended_at=c.ended_at) for c in clock_rows], batch_size=2000)
        audit_record(actor=actor, action="case.history_import", object_type="cases.case",
                     object_id=f"{cases[0].pk}-{cases[-1].pk}", object_repr=source,
                     data={"count": len(cases), "first": cases[0].case_no, "last": cases[-1].case_no,
                           "source": source, "skipped_existing": len(existing)})
    return len(cases)


# --- the demo county's history -------------------------------------------------------------------

def _work_moment(rng: random.Random, index, day: dt.date, tz) -> dt.datetime:
    day = index.next_working_day(day, include=True)
    return dt.datetime(day.year, day.month, day.day, rng.choice([9, 9, 10, 10, 11, 14, 15, 16]),
                       rng.randrange(60), tzinfo=tz)


def history_generate(*, actor="seed_demo", months: int = 12, per_year: int = 6800, seed: int = 2026,
                     today: dt.date | None = None) -> int:
    """Twelve months of plausible history for the demo county (idempotent: numbers are fixed per
    month, so a second run finds every case and writes nothing)."""
    from zhengwu.catalog.models import ServiceItem
    from zhengwu.org.models import Position, StaffPost
    from zhengwu.workcalendar import workdays

    tz = timezone.get_default_timezone()
    today = today or timezone.localdate()
    items = list(ServiceItem.objects.filter(status="published", current_version__isnull=False)
                 .select_related("current_version", "department"))
    if not items:
        return 0
    posts = list(StaffPost.objects.filter(is_active=True, department__isnull=False).values(
        "user_id", "position", "department_id", "window_id"))
    by_dept: dict[int, dict[str, list]] = {}
    for p in posts:
        by_dept.setdefault(p["department_id"], {}).setdefault(p["position"], []).append(p)
    items = [i for i in items if Position.CLERK in by_dept.get(i.department_id, {})]
    from zhengwu.org.models import ServiceCentre, Window

    # About one case in twelve is received at a township 便民服务中心's comprehensive window.
    township_windows = list(Window.objects.filter(centre__kind=ServiceCentre.Kind.TOWNSHIP, is_active=True)
                            .values_list("id", flat=True))
    if not items:
        return 0
    rng = random.Random(seed)
    weights = [rng.choice([1, 1, 2, 3, 5, 8]) for _ in items]
    index = workdays.calendar_index(None)
    first_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    total = 0
    for back in range(months, 0, -1):
        y, m = first_month.year, first_month.month - (back - 1)
        while m <= 0:
            y, m = y - 1, m + 12
        start = dt.date(y, m, 1)
        days = [start + dt.timedelta(days=d) for d in range(31) if (start + dt.timedelta(days=d)).month == m]
        work = [d for d in days if index.first_date <= d <= index.last_date and index.is_working_day(d)]
        if not work:
            continue
        count = per_year // 12
        rows = []
        for n in range(count):
            item = rng.choices(items, weights)[0]
            v = item.current_version
            assert v is not None  # published items only
            staff = by_dept[item.department_id]
            clerk = rng.choice(staff[Position.CLERK])
            chief = (staff.get(Position.CHIEF_REPRESENTATIVE) or [clerk])[0]
            leader = (staff.get(Position.SECTION_HEAD) or [chief])[0]
            received = _work_moment(rng, index, rng.choice(work), tz)
            row = HistoricalCase(case_no=f"LS{y}{m:02d}{n + 1:05d}", item_version_id=v.pk,
                                 department_id=item.department_id, received_at=received, status=Status.COMPLETED,
                                 applicant_name=rng.choice("张王李赵刘陈杨黄周吴") + rng.choice(["伟", "芳", "敏", "强", "丽", "军"]),
                                 channel=rng.choice(["window", "window", "online_pc", "online_mobile"]),
                                 window_id=clerk["window_id"], first_responder_id=clerk["user_id"])
            if township_windows and rng.random() < 0.08:
                row.window_id, row.channel = rng.choice(township_windows), "window"
            fate = rng.random()
            if fate < 0.03:      # 不予受理
                row.status, row.closed_at = Status.REJECTED, received + dt.timedelta(hours=1)
                row.rejection_reason = "申请事项不属于本机关职权范围"
            else:
                accepted = received + dt.timedelta(minutes=rng.randrange(10, 90))
                if fate < 0.13:  # 一次性告知补正, then accepted some days later
                    row.correction_at = received + dt.timedelta(hours=2)
                    accepted = _work_moment(rng, index, index.add(received.date(), rng.randint(2, 8)), tz)
                elif fate < 0.15:
                    row.deemed_accepted = True
                row.accepted_at = accepted
                promised = v.promised_limit_value
                if v.case_kind == "1" or promised == 0:   # 即办件
                    on_site = rng.random() < 0.93
                    row.completed_on_site = on_site
                    row.decided_at = accepted + dt.timedelta(minutes=20) if on_site else \
                        _work_moment(rng, index, index.add(accepted.date(), 1), tz)
                else:
                    r = rng.random()
                    used = rng.randint(1, max(1, promised - 1)) if r < 0.80 else promised if r < 0.94 else \
                        promised + rng.randint(1, 4)
                    row.decided_at = _work_moment(rng, index, index.add(accepted.date(), used), tz)
                    row.deemed_approved = r > 0.995
                if row.decided_at.date() >= today:
                    row.status, row.decided_at = Status.ACCEPTED, None
                else:
                    deny = rng.random() < 0.04
                    row.outcome = "deny" if deny else "approve"
                    row.reasons = "经审查不符合法定条件" if deny else "符合法定条件、标准"
                    row.status = Status.COMPLETED
                    row.decided_by_id = chief["user_id"] if rng.random() < 0.7 else leader["user_id"]
                    if rng.random() < 0.45:
                        row.rating_level = rng.choices(
                            ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied",
                             "very_dissatisfied"], [70, 22, 5, 2, 1])[0]
                        row.rated_at = row.decided_at + dt.timedelta(minutes=5)
            if rng.random() < 0.01:  # 先办后补: entered into the system days after the fact
                row.registered_at = received + dt.timedelta(days=3)
            rows.append(row)
        total += case_history_import(actor=actor, rows=rows, source=f"演示历史办件 {y}-{m:02d}")
    return total


# --- what the sweeper and the rules would have recorded over the demo history ---------------------

def history_supervision_record(*, now: dt.datetime | None = None, seed: int = 2026) -> dict[str, int]:
    """The 监察记录 the live system would have made over the imported history, so the demo's
    dashboards and bulletins show warnings, anomalies and complaints like a hall that has been
    running: W01 / W02 for every imported case clock that passed its warning or due moment (at that
    moment, with the subject the sweeper uses, so a later sweep does not record them again), the
    anomaly rules run over the imported period, and about one 效能投诉 per 700 cases.
    Idempotent: records are keyed by rule and subject; complaints are added once."""
    from zhengwu.supervision.models import Complaint, SupervisionRecord
    from zhengwu.supervision.services import SYSTEM_ACTOR, _records_create, _rule, case_clock_hit, rules_run

    now = now or timezone.now()
    clocks = list(Clock.objects.filter(note="历史办件导入", kind__in=["case.legal", "case.promised"])
                  .order_by("pk"))
    if not clocks:
        return {}
    cases = {c.pk: c for c in Case.objects.filter(pk__in={int(c.owner_id) for c in clocks})
             .select_related("item_version")}
    made: dict[str, int] = {}
    for code, kind in (("W01", "warning"), ("W02", "overdue")):
        rule = _rule(code)
        if rule is None or not rule.enabled:
            continue
        hits = []
        for clock in clocks:
            moment = clock.warn_at if kind == "warning" else clock.due_at
            case = cases.get(int(clock.owner_id))
            if moment is None or case is None or moment > min(clock.ended_at or now, now):
                continue
            hits.append(case_clock_hit(clock=clock, case=case, kind=kind, occurred_at=moment, evidence={
                "clock_id": clock.pk, "clock_kind": clock.kind, "event": kind,
                "due_date": str(clock.due_date), "source": "历史办件导入"}))
        with transaction.atomic():
            made[code] = len(_records_create(actor=SYSTEM_ACTOR, rule=rule, hits=hits))
    start = min(c.started_at for c in clocks)
    for code, (_hits, created) in rules_run(actor=SYSTEM_ACTOR, start=start, end=now).items():
        made[code] = created
    if not Complaint.objects.filter(summary__startswith="【演示】").exists():
        rng = random.Random(seed)
        closed = [c for c in cases.values() if c.completed_at is not None]
        picks = rng.sample(closed, k=min(len(closed), max(1, len(cases) // 700)))
        reasons = ["窗口人员答复不一致，多次往返", "承诺时限内未办结，未说明原因", "叫号后长时间无人受理",
                   "要求提供清单以外的材料", "办结后证照迟迟未送达"]
        Complaint.objects.bulk_create([
            Complaint(department_id=c.department_id, window_id=c.window_id, case=c,
                      summary=f"【演示】{rng.choice(reasons)}",
                      received_at=(c.completed_at or now) + dt.timedelta(days=rng.randint(1, 5)))
            for c in picks])
        made["complaints"] = len(picks)
    made["records"] = SupervisionRecord.objects.count()
    return made
