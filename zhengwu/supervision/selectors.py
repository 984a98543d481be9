"""Every read of the supervision app that users see, scoped to org units.

A supervisor's cross-department view goes through `supervised_scope`, which audits the read; a
department user sees only its own departments (anything else is a 404).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.db.models import CharField, Count, IntegerField, Q, QuerySet
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone

from zhengwu.cases.models import Case
from zhengwu.cases.selectors import clocks_of_cases
from zhengwu.cases.states import CLOCKED, OPEN, label
from zhengwu.core.audit import audit_record
from zhengwu.core.errors import NotFound
from zhengwu.org.models import Department, Window
from zhengwu.org.selectors import departments_of, departments_supervised_by
from zhengwu.supervision import permissions
from zhengwu.supervision.bulletin import SH, Bulletin, Period, bulletin_compute
from zhengwu.supervision.models import SupervisionOrder, SupervisionRecord, SupervisionRule
from zhengwu.workcalendar.models import Clock


def supervised_scope(user, *, what: str) -> tuple[QuerySet[Department], bool]:
    """(departments the user may read, whether this is a supervisor's wide read). Wide reads are audited."""
    if permissions.is_supervisor(user):
        scope = departments_supervised_by(user)
        audit_record(actor=user, action="supervision.read_supervised", object_type="supervision",
                     data={"what": what, "departments": list(scope.values_list("id", flat=True))})
        return scope, True
    return departments_of(user), False


def record_list_visible_to(*, user, department_id: int | None = None) -> QuerySet[SupervisionRecord]:
    scope, _ = supervised_scope(user, what="records")
    qs = SupervisionRecord.objects.filter(department__in=scope).select_related("department", "case")
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    return qs.order_by("-occurred_at", "-id")


def order_list_visible_to(*, user) -> QuerySet[SupervisionOrder]:
    scope, _ = supervised_scope(user, what="orders")
    return SupervisionOrder.objects.filter(department__in=scope).select_related("department").order_by("-issued_at")


def order_get_visible_to(*, user, order_id: int) -> SupervisionOrder:
    scope, _ = supervised_scope(user, what="order")
    order = SupervisionOrder.objects.filter(department__in=scope, pk=order_id).select_related("department").first()
    if order is None:
        raise NotFound("督办单不存在", "no such order")
    return order


def department_get_visible_to(*, user, department_id: int) -> Department:
    scope, _ = supervised_scope(user, what="department")
    dept = scope.filter(pk=department_id).first()
    if dept is None:
        raise NotFound("部门不存在", "no such department")
    return dept


def rule_list() -> QuerySet[SupervisionRule]:
    return SupervisionRule.objects.order_by("code")


def bulletin_for(*, user, period: Period, min_sample: int | None = None) -> Bulletin:
    scope, _ = supervised_scope(user, what=f"bulletin {period.label}")
    return bulletin_compute(period, departments=scope, min_sample=min_sample)


def trend_for(*, user, period: Period, department_id: int | None = None) -> list:
    """The twelve months up to `period`: 按时办结率（承诺）, 现场办结率, 测评满意率 of the user's scope."""
    from zhengwu.supervision.bulletin import trend_compute

    scope, _ = supervised_scope(user, what=f"trend to {period.label}")
    if department_id is not None:
        scope = scope.filter(pk=department_id)
    return trend_compute(period, departments=scope)


def bulletin_files(*, period: Period, out: Path, min_sample: int | None = None, departments=None) -> list[Path]:
    """The command-line bulletin over every department, or one centre's (run by the office, not the web)."""
    from zhengwu.supervision.exports import bulletin_pdf, bulletin_xlsx

    bulletin = bulletin_compute(period, min_sample=min_sample, departments=departments)
    stem = f"效能通报-{period.start:%Y-%m}" if period.label.endswith("月") else \
        f"效能通报-{period.start:%Y%m%d}-{period.last_day:%Y%m%d}"
    xlsx, pdf = out / f"{stem}.xlsx", out / f"{stem}.pdf"
    xlsx.write_bytes(bulletin_xlsx(bulletin))
    pdf.write_bytes(bulletin_pdf(bulletin))
    return [xlsx, pdf]


def dashboard_for(*, user, now: dt.datetime | None = None, department_id: int | None = None) -> dict:
    """Open cases by state and colour, the overdue list, monthly trends and the anomaly feed."""
    now = now or timezone.now()
    scope, wide = supervised_scope(user, what="dashboard")
    if department_id is not None:
        scope = scope.filter(pk=department_id)
        if not scope.exists():
            raise NotFound("部门不存在", "no such department")
    cases = Case.objects.filter(department__in=scope)
    open_cases = cases.filter(status__in=OPEN)
    counts = open_cases.order_by().values("status").annotate(n=Count("id")).values_list("status", "n")
    by_status = {label(k): n for k, n in counts}
    clocks = clocks_of_cases(owner_ids=open_cases.filter(status__in=CLOCKED).annotate(key=Cast("pk", CharField()))
                             .values("key")).filter(kind="case.promised", status=Clock.Status.RUNNING)
    colours = clocks.aggregate(red=Count("id", filter=Q(due_at__lte=now)),
                               yellow=Count("id", filter=Q(warn_at__lte=now, due_at__gt=now)),
                               green=Count("id", filter=Q(Q(warn_at__gt=now) | Q(warn_at__isnull=True), due_at__gt=now)))
    overdue_ids = clocks.filter(due_at__lte=now).annotate(case_id=Cast("owner_id", IntegerField())).values("case_id")
    overdue = list(open_cases.filter(pk__in=overdue_ids).select_related("department", "item_version")
                   .order_by("accepted_at")[:50])
    year_ago = now - dt.timedelta(days=366)
    trend = list(cases.filter(received_at__gte=year_ago).order_by().annotate(m=TruncMonth("received_at", tzinfo=SH))
                 .values("m").annotate(n=Count("id")).order_by("m").values_list("m", "n"))
    feed = list(SupervisionRecord.objects.filter(department__in=scope).select_related("department", "case")
                .order_by("-occurred_at", "-id")[:20])
    by_department = list(open_cases.order_by().values("department_id", "department__name").annotate(n=Count("id"))
                         .order_by("-n"))
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    today = cases.aggregate(received=Count("id", filter=Q(received_at__gte=day_start, received_at__lte=now)),
                            decided=Count("id", filter=Q(decided_at__gte=day_start, decided_at__lte=now)))
    month_records = SupervisionRecord.objects.filter(department__in=scope, occurred_at__gte=month_start).aggregate(
        yellow=Count("id", filter=Q(warning_type="1")), red=Count("id", filter=Q(warning_type="2")),
        anomalies=Count("id", filter=Q(warning_type="3")))
    return {"today": today, "month_records": month_records, "by_status": by_status, "colours": colours, "overdue": overdue, "trend": trend, "feed": feed,
            "by_department": by_department, "wide": wide, "departments": list(scope)}


def window_cases_for(*, user, window_id: int, now: dt.datetime | None = None) -> tuple[Window, list[tuple]]:
    """Drill-down to a window: its open cases with the promised clock's colour (404 outside scope)."""
    from zhengwu.workcalendar.services import clock_state

    scope, _ = supervised_scope(user, what="window")
    window = Window.objects.filter(pk=window_id).select_related("centre", "department").first()
    if window is None:
        raise NotFound("窗口不存在", "no such window")
    if window.department_id is not None and not scope.filter(pk=window.department_id).exists():
        raise NotFound("窗口不存在", "no such window")
    cases = list(Case.objects.filter(window=window, department__in=scope, status__in=OPEN)
                 .select_related("department", "item_version").order_by("accepted_at")[:200])
    clocks = {c.owner_id: c for c in clocks_of_cases(owner_ids=[str(c.pk) for c in cases])
              .filter(kind="case.promised").order_by("id")}
    now = now or timezone.now()
    return window, [(c, clock_state(clocks[str(c.pk)], now) if str(c.pk) in clocks else "none") for c in cases]


def cards_and_accountability_for(*, user, department_id: int) -> dict:
    """A department's 黄牌/红牌 (with revocation and 申诉), 问责记录, and the evidence a supervisor may cite
    (its recent 监察记录 and 督办单); 404 outside scope."""
    from zhengwu.supervision.models import AccountabilityRecord, Card
    from zhengwu.supervision.services import appeal_deadline

    department = department_get_visible_to(user=user, department_id=department_id)
    cards = list(Card.objects.filter(department=department)
                 .select_related("department", "window", "user", "revoked_by", "appeal__submitted_by",
                                 "appeal__ruled_by")[:50])
    today = timezone.localdate()
    answers = permissions.can_reply_for(user, department)
    for card in cards:
        appeal, last_day = getattr(card, "appeal", None), appeal_deadline(card)
        # Page-only attributes, set on the instances the template iterates.
        card.__dict__.update(appeal_row=appeal, appeal_last_day=last_day, appealable=(
            not card.is_revoked and appeal is None and today <= last_day
            and (answers or card.user_id == user.pk)))
    accountability = list(AccountabilityRecord.objects.filter(department=department).select_related("user")
                          .prefetch_related("records", "orders")[:50])
    return {"cards": cards, "accountability": accountability,
            "records": list(SupervisionRecord.objects.filter(department=department).order_by("-occurred_at")[:50]),
            "orders": list(SupervisionOrder.objects.filter(department=department).order_by("-issued_at")[:50])}


def threshold_table_for(*, user) -> list[dict]:
    """Every 事项类型 × (法定, 承诺) with its own threshold or the default that applies (404 outside scope)."""
    from zhengwu.catalog.codes import ItemType
    from zhengwu.supervision.models import ThresholdClock
    from zhengwu.supervision.thresholds import thresholds_by_key
    from zhengwu.workcalendar.clocks import warning_rule

    scope, _ = supervised_scope(user, what="thresholds")
    if not scope.exists():
        raise NotFound("页面不存在", "not found")
    own = thresholds_by_key()
    defaults = {k: warning_rule(k) for k in ThresholdClock.values}
    rows = []
    for item_type in ItemType:
        for kind in ThresholdClock:
            row = own.get((item_type.value, kind.value))
            default = defaults[kind.value]
            rows.append({
                "item_type": item_type, "kind": kind, "row": row,
                "before": row.before_days if row else default.get("before"),
                "percent": row.used_percent if row else (None if default.get("fraction") is None
                                                         else round(float(default["fraction"]) * 100)),
            })
    return rows


def _follow_up_days() -> int:
    rule = SupervisionRule.objects.filter(code="A10").first()
    return int((rule.parameters if rule else {}).get("follow_up_working_days", 15))


def _bad_ratings(scope):
    from zhengwu.cases.models import Rating, RatingLevel

    return (Rating.objects.filter(case__department__in=scope,
                                  level__in=[RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED])
            .select_related("case__department", "case__item_version").prefetch_related("follow_ups"))


def _follow_up_state(rating, days: int, today: dt.date) -> dict:
    from zhengwu.core.masking import mask_name
    from zhengwu.supervision.rules import follow_up_due

    due = follow_up_due(rating.case.department.region_id, rating.rated_at, days)
    rows = list(rating.follow_ups.all())
    first = rows[0].recorded_at if rows else None
    if first is not None:
        state = "on_time" if timezone.localtime(first).date() <= due else "late"
    else:
        state = "overdue" if today > due else "pending"
    return {"rating": rating, "case": rating.case, "applicant": mask_name(rating.case.applicant_name),
            "due": due, "follow_ups": rows, "state": state,
            "state_label": {"on_time": "已按期回访", "late": "逾期后回访", "overdue": "逾期未回访",
                            "pending": "待回访"}[state]}


def bad_rating_list_visible_to(*, user, limit: int = 200) -> list[dict]:
    """差评 (不满意 / 非常不满意) of the user's departments with their 回访整改 state, newest first."""
    scope, _ = supervised_scope(user, what="bad ratings")
    days, today = _follow_up_days(), timezone.localdate()
    return [_follow_up_state(r, days, today) for r in _bad_ratings(scope).order_by("-rated_at", "-id")[:limit]]


def bad_rating_get_visible_to(*, user, rating_id: int) -> dict:
    scope, _ = supervised_scope(user, what="bad rating")
    rating = _bad_ratings(scope).filter(pk=rating_id).first()
    if rating is None:
        raise NotFound("评价不存在", "no such rating")
    return _follow_up_state(rating, _follow_up_days(), timezone.localdate())
