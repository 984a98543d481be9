"""Anomaly rules (A01–A10). Each reads the records and the event log over a period and yields hits.

The case services prevent most of these acts, so the rules exist for what the services cannot
see: legacy imports, direct data fixes, other systems writing into the exchange tables. Each rule
takes its thresholds from its `SupervisionRule.parameters`, so an office tunes them as data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from zhengwu.cases.models import (
    Case,
    CaseEvent,
    CorrectionNotice,
    Decision,
    DecisionOutcome,
    DenialReport,
    Extension,
    FeeNoticeLine,
    Rating,
    RatingLevel,
    SpecialProcedure,
)
from zhengwu.cases.selectors import clocks_of_cases
from zhengwu.cases.states import Status
from zhengwu.catalog.models import ProcessStep
from zhengwu.catalog.models import SpecialProcedure as CatalogSpecial
from zhengwu.org.models import StaffPost
from zhengwu.supervision.models import RatingFollowUp, SupervisionRule
from zhengwu.supervision.services import Hit
from zhengwu.workcalendar import workdays
from zhengwu.workcalendar.models import ClockExtension

RuleFn = Callable[[SupervisionRule, dt.datetime, dt.datetime], Iterator[Hit]]


def _day(at: dt.datetime) -> dt.date:
    return timezone.localtime(at).date()


def _wd(region_id: int | None, a: dt.datetime, b: dt.datetime) -> int:
    """Working days in (day of a, day of b] on the region's calendar."""
    return workdays.calendar_index(region_id).between(_day(a), _day(b))


def _case_hit(rule, subject, row: dict, at: dt.datetime, description: str, **evidence) -> Hit:
    return Hit(subject=subject, department_id=row["case__department_id"], occurred_at=at, description=description,
               case_id=row["case_id"], window_id=row.get("case__window_id"),
               responsible_user_id=row.get("responsible"), item_type=row.get("case__item_version__item_type", ""),
               object_type="cases.case", object_id=str(row["case_id"]),
               evidence={"case_no": row["case__case_no"], **evidence})


CASE_FIELDS = ("case_id", "case__case_no", "case__department_id", "case__department__region_id", "case__window_id",
               "case__item_version__item_type")


def correction_late(rule, start, end) -> Iterator[Hit]:
    """A01: the one-time notice later than N working days after receipt (§32(4))."""
    limit = int(rule.parameters.get("max_working_days", 5))
    rows = CorrectionNotice.objects.filter(issued_at__gte=start, issued_at__lt=end,
                                           case__received_at__isnull=False).values(
        *CASE_FIELDS, "issued_at", "issued_by_id", "case__received_at")
    for row in rows:
        used = _wd(row["case__department__region_id"], row["case__received_at"], row["issued_at"])
        if used > limit:
            row["responsible"] = row["issued_by_id"]
            yield _case_hit(rule, f"case:{row['case_id']}", row, row["issued_at"],
                            f"办件 {row['case__case_no']} 收件后第 {used} 个工作日才一次性告知补正（限 {limit} 个工作日）",
                            received_at=row["case__received_at"].isoformat(),
                            notice_at=row["issued_at"].isoformat(), working_days=used)


def correction_repeated(rule, start, end) -> Iterator[Hit]:
    """A02: more than one correction notice on one application (the event log counts them)."""
    actions = rule.parameters.get("actions", ["request_correction"])
    rows = (CaseEvent.objects.filter(action__in=actions, occurred_at__lt=end)
            .values("case_id").annotate(n=Count("id")).filter(n__gt=1)
            .values_list("case_id", flat=True))
    events = (CaseEvent.objects.filter(case_id__in=list(rows), action__in=actions).order_by("case_id", "occurred_at")
              .values(*CASE_FIELDS, "id", "occurred_at", "actor_id"))
    by_case: dict[int, list[dict]] = defaultdict(list)
    for ev in events:
        by_case[ev["case_id"]].append(ev)
    for case_id, evs in by_case.items():
        second = evs[1]
        if not (start <= second["occurred_at"] < end):
            continue
        second["responsible"] = second["actor_id"]
        yield _case_hit(rule, f"case:{case_id}", second, second["occurred_at"],
                        f"办件 {second['case__case_no']} 第 {len(evs)} 次补正告知（应一次性告知）",
                        events=[e["id"] for e in evs], times=[e["occurred_at"].isoformat() for e in evs])


def refusal_unreasoned(rule, start, end) -> Iterator[Hit]:
    """A03: 不予受理 / 不予许可 without reasons, or a denial without 否定报备."""
    min_chars = int(rule.parameters.get("min_reason_chars", 4))
    rejected = Case.objects.filter(status=Status.REJECTED, closed_at__gte=start, closed_at__lt=end,
                                   closed_at__isnull=False).values(
        "id", "case_no", "department_id", "window_id", "item_version__item_type", "closed_at", "rejection_reason",
        "first_responder_id")
    for c in rejected:
        if len((c["rejection_reason"] or "").strip()) < min_chars:
            yield Hit(subject=f"case:{c['id']}:reject", department_id=c["department_id"], occurred_at=c["closed_at"] or end,
                      description=f"办件 {c['case_no']} 不予受理未说明理由", case_id=c["id"], window_id=c["window_id"],
                      responsible_user_id=c["first_responder_id"], item_type=c["item_version__item_type"],
                      object_type="cases.case", object_id=str(c["id"]),
                      evidence={"case_no": c["case_no"], "reason": c["rejection_reason"]})
    denials = (Decision.objects.filter(outcome=DecisionOutcome.DENY, decided_at__gte=start, decided_at__lt=end)
               .annotate(reported=Exists(DenialReport.objects.filter(decision=OuterRef("pk"))))
               .values(*CASE_FIELDS, "id", "reasons", "decided_at", "decided_by_id", "reported"))
    for d in denials:
        problems = []
        if len((d["reasons"] or "").strip()) < min_chars:
            problems.append("未说明理由")
        if not d["reported"]:
            problems.append("未否定报备")
        if problems:
            d["responsible"] = d["decided_by_id"]
            yield _case_hit(rule, f"case:{d['case_id']}:deny", d, d["decided_at"],
                            f"办件 {d['case__case_no']} 不予许可{'、'.join(problems)}",
                            decision_id=d["id"], reasons=d["reasons"], denial_report=d["reported"])


def special_unnoticed(rule, start, end) -> Iterator[Hit]:
    """A04: a special procedure with no written notice (§45)."""
    rows = SpecialProcedure.objects.filter(started_at__gte=start, started_at__lt=end).filter(
        Q(notice_no="") & (Q(notice_pdf="") | Q(notice_pdf__isnull=True))).values(
        *CASE_FIELDS, "id", "kind", "started_at", "started_by_id")
    for row in rows:
        row["responsible"] = row["started_by_id"]
        yield _case_hit(rule, f"special:{row['id']}", row, row["started_at"],
                        f"办件 {row['case__case_no']} 启动特别程序（{row['kind']}）未书面告知",
                        special_procedure_id=row["id"], kind=row["kind"])


def extension_irregular(rule, start, end) -> Iterator[Hit]:
    """A05: an extension beyond §42's maximum or approved by nobody entitled; or a clock extended
    with no extension record at all."""
    p = rule.parameters
    positions = set(p.get("approver_positions", ["section_head", "leader", "chief_representative"]))
    rows = Extension.objects.filter(approved_at__gte=start, approved_at__lt=end).values(
        *CASE_FIELDS, "id", "days", "approver_id", "approver_position", "approved_at", "case__joint_handling")
    for row in rows:
        cap = int(p.get("max_days_joint", 15) if row["case__joint_handling"] else p.get("max_days", 10))
        problems = []
        if row["days"] > cap:
            problems.append(f"延长 {row['days']} 个工作日超过上限 {cap}")
        held = StaffPost.objects.filter(user_id=row["approver_id"], department_id=row["case__department_id"],
                                        position__in=positions).exists()
        if row["approver_position"] not in positions or not held:
            problems.append("批准人无批准权限")
        if problems:
            row["responsible"] = row["approver_id"]
            yield _case_hit(rule, f"case:{row['case_id']}:extension", row, row["approved_at"],
                            f"办件 {row['case__case_no']} 延期不规范：{'；'.join(problems)}", extension_id=row["id"])
    # A clock extension with no Extension record: extended without any approval on file.
    orphans = ClockExtension.objects.filter(approved_at__gte=start, approved_at__lt=end,
                                            clock__in=clocks_of_cases().filter(kind="case.legal")).values(
        "id", "clock__owner_id", "approved_at", "value")
    ids = {int(o["clock__owner_id"]) for o in orphans}
    with_record = set(Extension.objects.filter(case_id__in=ids).values_list("case_id", flat=True))
    cases = {c["id"]: c for c in Case.objects.filter(id__in=ids - with_record).values(
        "id", "case_no", "department_id", "window_id", "item_version__item_type")}
    for o in orphans:
        c = cases.get(int(o["clock__owner_id"]))
        if c is None:
            continue
        yield Hit(subject=f"case:{c['id']}:extension", department_id=c["department_id"], occurred_at=o["approved_at"],
                  description=f"办件 {c['case_no']} 时限被延长 {o['value']} 日但无延期审批记录", case_id=c["id"],
                  window_id=c["window_id"], item_type=c["item_version__item_type"], object_type="cases.case",
                  object_id=str(c["id"]), evidence={"case_no": c["case_no"], "clock_extension_id": o["id"]})


def decided_too_soon(rule, start, end) -> Iterator[Hit]:
    """A06 体外循环: items whose process has a site inspection or expert review, decided fewer than
    N working days after acceptance — the work was likely done off the system before registration."""
    p = rule.parameters
    minimum = int(p.get("min_working_days", 1))
    words = Q()
    for word in p.get("step_keywords", []):
        words |= Q(name__contains=word)
    steps = ProcessStep.objects.filter(words).values("version_id") if words else ProcessStep.objects.none()
    specials = CatalogSpecial.objects.filter(kind__in=p.get("special_kinds", [])).values("version_id")
    rows = (Decision.objects.filter(decided_at__gte=start, decided_at__lt=end, deemed=False,
                                    case__accepted_at__isnull=False)
            .filter(Q(case__item_version_id__in=steps) | Q(case__item_version_id__in=specials))
            .values(*CASE_FIELDS, "decided_at", "decided_by_id", "case__accepted_at"))
    for row in rows:
        used = _wd(row["case__department__region_id"], row["case__accepted_at"], row["decided_at"])
        if used < minimum:
            row["responsible"] = row["decided_by_id"]
            yield _case_hit(rule, f"case:{row['case_id']}", row, row["decided_at"],
                            f"办件 {row['case__case_no']} 含现场核查/专家评审环节，受理后 {used} 个工作日即决定",
                            accepted_at=row["case__accepted_at"].isoformat(),
                            decided_at=row["decided_at"].isoformat(), working_days=used)


def registered_after_decision(rule, start, end) -> Iterator[Hit]:
    """A07 先办后补: the case was created or accepted in the system after its decision."""
    tolerance = dt.timedelta(minutes=int(rule.parameters.get("tolerance_minutes", 0)))
    rows = Decision.objects.filter(decided_at__gte=start, decided_at__lt=end).values(
        *CASE_FIELDS, "decided_at", "case__created_at", "case__accepted_at", "case__first_responder_id")
    for row in rows:
        registered = row["case__created_at"]
        accepted = row["case__accepted_at"]
        late = [("登记", registered)] if registered > row["decided_at"] + tolerance else []
        if accepted is not None and accepted > row["decided_at"] + tolerance:
            late.append(("受理", accepted))
        if late:
            row["responsible"] = row["case__first_responder_id"]
            yield _case_hit(rule, f"case:{row['case_id']}", row, row["decided_at"],
                            f"办件 {row['case__case_no']} {'、'.join(w for w, _ in late)}时间晚于决定时间（先办后补）",
                            decided_at=row["decided_at"].isoformat(),
                            late={w: t.isoformat() for w, t in late})


def fee_outside_catalog(rule, start, end) -> Iterator[Hit]:
    """A08: a fee line whose item is not in the fee list of the case's version (一口收费, §58)."""
    rows = (FeeNoticeLine.objects.filter(fee_notice__issued_at__gte=start, fee_notice__issued_at__lt=end)
            .values("id", "name", "amount", "fee_item__version_id", "fee_notice__case__item_version_id",
                    "fee_notice__case__item_version__fee_required", "fee_notice__issued_at",
                    "fee_notice__issued_by_id", "fee_notice__notice_no", "fee_notice__case_id",
                    "fee_notice__case__case_no", "fee_notice__case__department_id",
                    "fee_notice__case__window_id", "fee_notice__case__item_version__item_type"))
    for row in rows:
        problems = []
        if row["fee_item__version_id"] != row["fee_notice__case__item_version_id"]:
            problems.append(f"收费项目“{row['name']}”不在本事项收费目录")
        elif not row["fee_notice__case__item_version__fee_required"]:
            problems.append("本事项不收费")
        if problems:
            yield Hit(subject=f"feeline:{row['id']}", department_id=row["fee_notice__case__department_id"],
                      occurred_at=row["fee_notice__issued_at"], description=f"办件 {row['fee_notice__case__case_no']} "
                      f"违规收费：{'；'.join(problems)}（{row['amount']} 元）", case_id=row["fee_notice__case_id"],
                      window_id=row["fee_notice__case__window_id"],
                      responsible_user_id=row["fee_notice__issued_by_id"],
                      item_type=row["fee_notice__case__item_version__item_type"], object_type="cases.case",
                      object_id=str(row["fee_notice__case_id"]),
                      evidence={"case_no": row["fee_notice__case__case_no"],
                                "notice_no": row["fee_notice__notice_no"], "line_id": row["id"],
                                "amount": str(row["amount"])})


def actor_not_posted(rule, start, end) -> Iterator[Hit]:
    """A09: window acts by staff with no active post at a window that serves the item."""
    p = rule.parameters
    posted = StaffPost.objects.filter(user_id=OuterRef("actor_id"), is_active=True, window__isnull=False,
                                      window__service_items=OuterRef("case__item_id"))
    rows = (CaseEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end, actor__isnull=False,
                                     role__in=p.get("roles", ["clerk", "chief_representative"]),
                                     action__in=p.get("actions", ["accept"]))
            .annotate(posted=Exists(posted)).filter(posted=False)
            .values(*CASE_FIELDS, "id", "action", "actor_id", "occurred_at"))
    for row in rows:
        row["responsible"] = row["actor_id"]
        yield _case_hit(rule, f"event:{row['id']}", row, row["occurred_at"],
                        f"办件 {row['case__case_no']} 的“{row['action']}”由未派驻到办理该事项窗口的人员操作",
                        event_id=row["id"], action=row["action"], actor_id=row["actor_id"])


def follow_up_due(region_id: int | None, rated_at: dt.datetime, days: int) -> dt.date:
    """Last day for the follow-up: N working days after the rating day (民法典 §201: that day not counted)."""
    return workdays.calendar_index(region_id).add(_day(rated_at), days)


def bad_rating_unfollowed(rule, start, end) -> Iterator[Hit]:
    """A10: 不满意 / 非常不满意 with no 回访整改 (RatingFollowUp, or a case event named in
    `follow_up_actions` for data from other systems) by the end of the Nth working day (回访整改率 100%)."""
    p = rule.parameters
    days = int(p.get("follow_up_working_days", 15))
    today = _day(timezone.now())
    by_event = (CaseEvent.objects.filter(case_id=OuterRef("case_id"), action__in=p.get("follow_up_actions", []),
                                         occurred_at__gte=OuterRef("rated_at"))
                .order_by("occurred_at").values("occurred_at")[:1])
    by_record = (RatingFollowUp.objects.filter(rating_id=OuterRef("pk")).order_by("recorded_at")
                 .values("recorded_at")[:1])
    rows = (Rating.objects.filter(rated_at__gte=start, rated_at__lt=end,
                                  level__in=[RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED])
            .annotate(first_event=Subquery(by_event), first_record=Subquery(by_record))
            .values(*CASE_FIELDS, "level", "rated_at", "case__first_responder_id", "first_event", "first_record"))
    for row in rows:
        due = follow_up_due(row["case__department__region_id"], row["rated_at"], days)
        done = min([t for t in (row["first_event"], row["first_record"]) if t is not None], default=None)
        if done is not None and _day(done) <= due:
            continue  # followed up in time
        if done is None and today <= due:
            continue  # still within the follow-up period
        row["responsible"] = row["case__first_responder_id"]
        late = f"，{_day(done)} 才回访" if done is not None else ""
        yield _case_hit(rule, f"rating:{row['case_id']}", row, row["rated_at"],
                        f"办件 {row['case__case_no']} 差评（{RatingLevel(row['level']).label}）超过 {days} 个工作日"
                        f"未回访整改{late}",
                        level=row["level"], rated_at=row["rated_at"].isoformat(), follow_up_due=str(due),
                        followed_up_at=done.isoformat() if done else None)


RULES: dict[str, RuleFn] = {
    "A01": correction_late,
    "A02": correction_repeated,
    "A03": refusal_unreasoned,
    "A04": special_unnoticed,
    "A05": extension_irregular,
    "A06": decided_too_soon,
    "A07": registered_after_decision,
    "A08": fee_outside_catalog,
    "A09": actor_not_posted,
    "A10": bad_rating_unfollowed,
}
