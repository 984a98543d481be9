"""效能通报 (EfficiencyBulletin): the KPIs of a period per centre, department, window, township centre
and staff member, computed with aggregate SQL (one GROUP BY query per source and level).

Every figure is defined in `DEFINITIONS`; the page, the Excel workbook, the PDF and
docs/supervision.md print the same text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, Exists, F, IntegerField, OuterRef, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, TruncDate, TruncMonth

from zhengwu.cases.models import Case, Rating, RatingLevel
from zhengwu.catalog.codes import CaseKind
from zhengwu.org.models import Department, Position, ServiceCentre, StaffPost, Window
from zhengwu.supervision.models import Complaint, SupervisionOrder, SupervisionRecord, WarningType
from zhengwu.workcalendar import workdays
from zhengwu.workcalendar.models import Clock

SH = ZoneInfo(settings.TIME_ZONE)
ON_SITE_TARGET = 0.90
LEVELS = ("centre", "department", "window", "township", "staff")
LEVEL_LABELS = {"centre": "中心", "department": "部门", "window": "窗口", "township": "便民服务中心", "staff": "工作人员"}
TOWNSHIP_KINDS = (ServiceCentre.Kind.TOWNSHIP, ServiceCentre.Kind.VILLAGE)


def min_sample_default() -> int:
    # No national figure: a unit with fewer decided cases than this is listed but not ranked.
    return int(getattr(settings, "ZHENGWU_BULLETIN_MIN_SAMPLE", 20))


# (key, 名称, definition). Rates are fractions; "—" when the denominator is zero.
DEFINITIONS: list[tuple[str, str, str]] = [
    ("received", "收件数", "统计期内收件时间（received_at）落在期内的办件数。"),
    ("accepted", "受理数", "统计期内受理时间（accepted_at，含视为受理）落在期内的办件数。"),
    ("completed", "办结数", "统计期内作出决定（准予、不予或超时默许，decided_at）的办件数；时限以决定时刻衡量。"),
    ("entry_rate", "项目录入率", "期内收件中，收件后 24 小时内在系统登记的办件所占比例（登记晚于收件 24 小时以上视为补录）。"),
    ("authorisation_rate", "窗口授权率", "期内办结件中，由窗口首席代表当场或在窗口作出决定的办件所占比例（窗口授权到位程度）。"),
    ("on_site_rate", "现场办结率", "期内办结的即办件中，在窗口当场办结（completed_on_site）的比例；低于 90% 标红。"),
    ("on_time_legal_rate", "按时办结率（法定）", "期内办结件中，决定时刻早于法定时限时钟截止时间（含批准的延期、扣除特别程序）的比例。"),
    ("on_time_promised_rate", "按时办结率（承诺）", "期内办结件中，决定时刻早于承诺时限时钟截止时间的比例。"),
    ("early_rate", "提前办结率", "期内办结件中，在承诺截止日之前的工作日作出决定（截止日当天以前）的比例。"),
    ("avg_days_used", "平均用时（工作日）", "期内办结件从受理日到决定日经过的工作日数的平均值（受理当日不计，民法典第二百零一条）。"),
    ("avg_days_promised", "平均承诺时限（工作日）", "期内办结件所适用实施清单的承诺办结时限的平均值。"),
    ("compression_rate", "承诺压缩率", "1 −（期内办结件承诺时限之和 ÷ 法定时限之和），按办件加权。"),
    ("ratings", "评价数", "统计期内作出的好差评评价数。"),
    ("satisfaction_rate", "测评满意率", "期内评价中“非常满意”“满意”“基本满意”所占比例。"),
    ("dissatisfaction_rate", "不满意率", "期内评价中“不满意”“非常不满意”（差评）所占比例。"),
    ("complaints", "效能投诉数", "统计期内电子监察登记的效能投诉数。"),
    ("complaint_rate", "投诉率（‰）", "效能投诉数 ÷ 收件数 × 1000，即每千件投诉数。"),
    ("yellow", "黄牌预警数", "期内产生的时限预警（规则 W01）监察记录数。"),
    ("red", "红牌超期数", "期内产生的超期（规则 W02）监察记录数。"),
    ("anomalies", "异常行为数", "期内产生的异常行为规则（A01–A10）监察记录数。"),
    ("orders_open", "在办督办单", "期末仍未审核办结的督办单数（仅部门、中心层级）。"),
    ("orders_overdue", "逾期未回复督办单", "期末仍未回复且回复期限已届满的督办单数。"),
    ("rank", "排名", "按承诺按时办结率降序、再按测评满意率降序排名；办结数少于最小样本量的单位列出但不排名。"),
]
DEFINITION_TEXT = {key: text for key, _, text in DEFINITIONS}
LABELS = {key: name for key, name, _ in DEFINITIONS}
RATE_KEYS = ("entry_rate", "authorisation_rate", "on_site_rate", "on_time_legal_rate", "on_time_promised_rate",
             "early_rate", "compression_rate", "satisfaction_rate", "dissatisfaction_rate")
COLUMNS = ["received", "accepted", "completed", "entry_rate", "authorisation_rate", "on_site_rate",
           "on_time_legal_rate", "on_time_promised_rate", "early_rate", "avg_days_used", "avg_days_promised",
           "compression_rate", "ratings", "satisfaction_rate", "dissatisfaction_rate", "complaints", "complaint_rate",
           "yellow", "red", "anomalies", "orders_open", "orders_overdue"]


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime  # exclusive
    label: str

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = dt.datetime(year, month, 1, tzinfo=SH)
        end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SH)
        return cls(start, end, f"{year}年{month}月")

    @classmethod
    def parse_month(cls, text: str) -> Period:
        from zhengwu.core.errors import ValidationFailed

        try:
            year, month = (int(x) for x in text.split("-"))
            return cls.month(year, month)
        except (ValueError, TypeError):
            raise ValidationFailed(f"月份格式应为 YYYY-MM：{text}", "month must be YYYY-MM", field="month") from None

    @classmethod
    def days(cls, first: dt.date, last: dt.date) -> Period:
        start = dt.datetime(first.year, first.month, first.day, tzinfo=SH)
        end = dt.datetime(last.year, last.month, last.day, tzinfo=SH) + dt.timedelta(days=1)
        return cls(start, end, f"{first:%Y年%m月%d日}至{last:%Y年%m月%d日}")

    @property
    def last_day(self) -> dt.date:
        return (self.end - dt.timedelta(days=1)).date()


@dataclass
class Row:
    unit_id: int
    name: str
    values: dict[str, Any] = field(default_factory=dict)
    rank: int | None = None
    small_sample: bool = False

    @property
    def flags(self) -> list[str]:
        rate = self.values.get("on_site_rate")
        return ["on_site_rate"] if rate is not None and rate < ON_SITE_TARGET else []


@dataclass
class Bulletin:
    period: Period
    levels: dict[str, list[Row]]
    total: Row
    overdue_cases: list[tuple[str, int]]
    overdue_orders: list[tuple[str, int]]
    min_sample: int

    def overdue_sentences(self) -> list[str]:
        end = f"{self.period.last_day.month}月{self.period.last_day.day}日"
        lines = []
        if self.overdue_cases:
            units = "、".join(f"{n}（{c}件）" for n, c in self.overdue_cases)
            lines.append(f"截至{end}超期未办结办件的单位有：{units}。")
        else:
            lines.append(f"截至{end}无超期未办结办件。")
        if self.overdue_orders:
            units = "、".join(f"{n}（{c}件）" for n, c in self.overdue_orders)
            lines.append(f"截至{end}未按期回复督办单的单位有：{units}。")
        return lines


# --- grouping paths per level and source ----------------------------------------------------------

def _centre(prefix: str):
    return Coalesce(F(f"{prefix}window__centre_id"), F(f"{prefix}department__centre_id"))


# Each source is grouped ONCE by every unit key at the same time (department, window, centre,
# staff); the levels are then sums over those groups, so the database scans each table once per
# bulletin and the per-case clock look-ups run once, not once per level.
def _keys(source: str) -> dict[str, Any]:
    p = "case__" if source == "rating" else ""
    if source == "order":
        return {"k_department": F("department_id"), "k_window": Value(None, output_field=IntegerField()),
                "k_centre": F("department__centre_id"), "k_staff": Value(None, output_field=IntegerField())}
    staff = {"case": "first_responder_id", "rating": "case__first_responder_id", "record": "responsible_user_id",
             "complaint": "case__first_responder_id"}[source]
    return {"k_department": F(f"{p}department_id"), "k_window": F(f"{p}window_id"), "k_centre": _centre(p),
            "k_staff": F(staff)}


KEY_OF = {"department": "k_department", "window": "k_window", "centre": "k_centre", "township": "k_centre",
          "staff": "k_staff"}


def _fine(qs, source: str, *extra: str, **aggregates) -> list[dict[str, Any]]:
    # order_by(): a model's default ordering must not leak into the GROUP BY (PostgreSQL refuses it).
    keys = _keys(source)
    return list(qs.order_by().annotate(**keys).values(*keys, *extra).annotate(**aggregates))


def _roll(rows: list[dict[str, Any]], level: str, fields: Iterable[str]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    key = KEY_OF.get(level, "")
    for row in rows:
        unit = 1 if level == "all" else row[key]
        if unit is None:
            continue
        acc = out.setdefault(unit, dict.fromkeys(fields, 0))
        for f in fields:
            acc[f] += row[f] or 0
    return out


def _clock_exists(kind: str, **conditions):
    ct = ContentType.objects.get_for_model(Case)
    return Exists(Clock.objects.filter(owner_type=ct, owner_id=Cast(OuterRef("pk"), CharField()), kind=kind,
                                       **conditions))


def _scope(qs, departments, path: str = "department_id"):
    return qs if departments is None else qs.filter(**{f"{path}__in": departments})


def _ratio(num, den) -> float | None:
    return None if not den else num / den


CASE_FIELDS = ("received", "entered", "accepted", "completed", "authorised", "immediate", "on_site", "late_legal",
               "late_promised", "early", "sum_promised", "sum_legal", "days", "counted")


def _sources(period: Period, departments) -> dict[str, list[dict[str, Any]]]:
    start, end = period.start, period.end
    cases = _scope(Case.objects.all(), departments)
    received = _fine(cases.filter(received_at__gte=start, received_at__lt=end), "case",
                     received=Count("id"),
                     entered=Count("id", filter=Q(created_at__lt=F("received_at") + dt.timedelta(days=1))))
    accepted = _fine(cases.filter(accepted_at__gte=start, accepted_at__lt=end), "case", accepted=Count("id"))
    chief = StaffPost.objects.filter(user_id=OuterRef("decision_record__decided_by_id"),
                                     department_id=OuterRef("department_id"),
                                     position=Position.CHIEF_REPRESENTATIVE)
    # Late / early from the clocks' stored deadlines (the clock keeps its deadline after 办结).
    decided = _fine(
        cases.filter(decided_at__gte=start, decided_at__lt=end).annotate(
            authorised=Exists(chief),
            late_legal=_clock_exists("case.legal", due_at__lte=OuterRef("decided_at")),
            late_promised=_clock_exists("case.promised", due_at__lte=OuterRef("decided_at")),
            early=_clock_exists("case.promised", due_at__gt=OuterRef("decided_at") + dt.timedelta(days=1)),
            a=TruncDate("accepted_at", tzinfo=SH), d=TruncDate("decided_at", tzinfo=SH)),
        "case", "department__region_id", "a", "d",
        completed=Count("id"),
        authorised=Count("id", filter=Q(authorised=True)),
        immediate=Count("id", filter=Q(item_version__case_kind=CaseKind.IMMEDIATE)),
        on_site=Count("id", filter=Q(item_version__case_kind=CaseKind.IMMEDIATE, completed_on_site=True)),
        late_legal=Count("id", filter=Q(late_legal=True)),
        late_promised=Count("id", filter=Q(late_promised=True)),
        early=Count("id", filter=Q(early=True)),
        sum_promised=Sum("item_version__promised_limit_value"),
        sum_legal=Sum("item_version__legal_limit_value"))
    for row in decided:
        # Working days used: calendar arithmetic once per (region, acceptance day, decision day) group.
        if row["a"] is None or row["d"] is None:
            row["days"] = row["counted"] = 0
            continue
        index = workdays.calendar_index(row["department__region_id"])
        row["days"] = max(0, index.between(row["a"], row["d"])) * row["completed"] if row["d"] >= row["a"] else 0
        row["counted"] = row["completed"]
    good = [RatingLevel.VERY_SATISFIED, RatingLevel.SATISFIED, RatingLevel.BASICALLY_SATISFIED]
    ratings = _fine(_scope(Rating.objects.filter(rated_at__gte=start, rated_at__lt=end), departments,
                           "case__department_id"), "rating", ratings=Count("id"),
                    good=Count("id", filter=Q(level__in=good)))
    complaints = _fine(_scope(Complaint.objects.filter(received_at__gte=start, received_at__lt=end), departments),
                       "complaint", complaints=Count("id"))
    records = _fine(
        _scope(SupervisionRecord.objects.filter(occurred_at__gte=start, occurred_at__lt=end), departments), "record",
        yellow=Count("id", filter=Q(warning_type=WarningType.YELLOW)),
        red=Count("id", filter=Q(warning_type=WarningType.RED)),
        anomalies=Count("id", filter=Q(warning_type=WarningType.ANOMALY)))
    open_orders = _scope(SupervisionOrder.objects.filter(issued_at__lt=end), departments).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=end))
    orders = _fine(open_orders, "order", orders_open=Count("id"),
                   orders_overdue=Count("id", filter=Q(reply_due_at__lt=end) & (
                       Q(replied_at__isnull=True) | Q(replied_at__gte=end) | Q(status="returned"))))
    return {"cases": received + accepted + decided, "ratings": ratings, "complaints": complaints,
            "records": records, "orders": orders}


def _level_values(level: str, sources: dict[str, list[dict[str, Any]]]) -> dict[int, dict[str, Any]]:
    for rows in sources.values():
        for row in rows:
            for f in CASE_FIELDS:
                row.setdefault(f, 0)
    parts = [
        _roll(sources["cases"], level, CASE_FIELDS),
        _roll(sources["ratings"], level, ("ratings", "good")),
        _roll(sources["complaints"], level, ("complaints",)),
        _roll(sources["records"], level, ("yellow", "red", "anomalies")),
        _roll(sources["orders"], level, ("orders_open", "orders_overdue")) if level not in ("window", "staff") else {},
    ]
    units = set().union(*parts)
    if level == "township":
        units &= set(ServiceCentre.objects.filter(pk__in=units, kind__in=TOWNSHIP_KINDS).values_list("id", flat=True))
    out: dict[int, dict[str, Any]] = {}
    for unit in units:
        v: dict[str, Any] = {}
        for part in parts:
            v.update(part.get(unit, {}))
        n_received, n_done = v.get("received", 0), v.get("completed", 0)
        n_ratings, n_complaints = v.get("ratings", 0), v.get("complaints", 0)
        sum_p, sum_l = v.get("sum_promised", 0), v.get("sum_legal", 0)
        out[unit] = {
            "received": n_received, "accepted": v.get("accepted", 0), "completed": n_done,
            "entry_rate": _ratio(v.get("entered", 0), n_received),
            "authorisation_rate": _ratio(v.get("authorised", 0), n_done),
            "on_site_rate": _ratio(v.get("on_site", 0), v.get("immediate", 0)),
            "on_time_legal_rate": _ratio(n_done - v.get("late_legal", 0), n_done),
            "on_time_promised_rate": _ratio(n_done - v.get("late_promised", 0), n_done),
            "early_rate": _ratio(v.get("early", 0), n_done),
            "avg_days_used": _ratio(v.get("days", 0), v.get("counted", 0)),
            "avg_days_promised": _ratio(sum_p, n_done),
            "compression_rate": (1 - sum_p / sum_l) if n_done and sum_l else None,
            "ratings": n_ratings,
            "satisfaction_rate": _ratio(v.get("good", 0), n_ratings),
            "dissatisfaction_rate": _ratio(n_ratings - v.get("good", 0), n_ratings),
            "complaints": n_complaints,
            "complaint_rate": _ratio(n_complaints * 1000, n_received),
            "yellow": v.get("yellow", 0), "red": v.get("red", 0), "anomalies": v.get("anomalies", 0),
            "orders_open": v.get("orders_open", 0), "orders_overdue": v.get("orders_overdue", 0),
        }
    return out


def _names(level: str, ids: Iterable[int]) -> dict[int, str]:
    ids = list(ids)
    if level == "department":
        return dict(Department.objects.filter(pk__in=ids).values_list("id", "name"))
    if level == "window":
        return {w.pk: f"{w.centre.name} {w.number} {w.name}"
                for w in Window.objects.filter(pk__in=ids).select_related("centre")}
    if level in ("centre", "township"):
        return dict(ServiceCentre.objects.filter(pk__in=ids).values_list("id", "name"))
    users = get_user_model().objects.filter(pk__in=ids)
    return {u.pk: f"{u.real_name or u.username}（{u.username}）" for u in users}


def _rank(rows: list[Row], min_sample: int) -> None:
    ranked = []
    for row in rows:
        row.small_sample = row.values["completed"] < min_sample
        if not row.small_sample:
            ranked.append(row)
    ranked.sort(key=lambda r: (-(r.values["on_time_promised_rate"] or 0), -(r.values["satisfaction_rate"] or 0),
                               -r.values["completed"], r.name))
    for i, row in enumerate(ranked, 1):
        row.rank = i
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.name))


def _overdue_by_department(period: Period, departments) -> list[tuple[str, int]]:
    """Cases open at the period's end whose legal or promised clock had run out by then. The clocks
    still open at the end are found first (one scan), then joined to the cases (a semi-join)."""
    end = period.end
    ct = ContentType.objects.get_for_model(Case)
    late_clocks = (Clock.objects.filter(owner_type=ct, kind__in=["case.legal", "case.promised"], due_at__lt=end)
                   .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=end))
                   .annotate(case_id=Cast("owner_id", IntegerField())).values("case_id"))
    late = _scope(Case.objects.filter(accepted_at__lt=end, pk__in=late_clocks), departments).filter(
        Q(decided_at__isnull=True) | Q(decided_at__gte=end)).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
    rows = late.order_by().values("department__name").annotate(n=Count("id")).order_by("-n", "department__name")
    return [(r["department__name"], r["n"]) for r in rows]


def _overdue_orders(period: Period, departments) -> list[tuple[str, int]]:
    end = period.end
    rows = (_scope(SupervisionOrder.objects.filter(issued_at__lt=end, reply_due_at__lt=end), departments)
            .filter(Q(replied_at__isnull=True) | Q(replied_at__gte=end) | Q(status="returned"))
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
            .order_by().values("department__name").annotate(n=Count("id")).order_by("-n", "department__name"))
    return [(r["department__name"], r["n"]) for r in rows]


def bulletin_compute(period: Period, *, departments=None, min_sample: int | None = None,
                     levels: Iterable[str] = LEVELS) -> Bulletin:
    """The bulletin for a period; `departments` (ids or a queryset) narrows it to those units."""
    min_sample = min_sample_default() if min_sample is None else min_sample
    if departments is not None and not isinstance(departments, list | tuple | set):
        departments = list(departments.values_list("id", flat=True))
    sources = _sources(period, departments)
    out: dict[str, list[Row]] = {}
    for level in levels:
        values = _level_values(level, sources)
        names = _names(level, values)
        rows = [Row(unit_id=u, name=names.get(u, str(u)), values=v) for u, v in values.items()]
        _rank(rows, min_sample)
        out[level] = rows
    total_values = _level_values("all", sources).get(1) or {key: 0 if key not in RATE_KEYS else None
                                                            for key in COLUMNS}
    return Bulletin(period=period, levels=out, total=Row(unit_id=0, name="合计", values=total_values),
                    overdue_cases=_overdue_by_department(period, departments),
                    overdue_orders=_overdue_orders(period, departments), min_sample=min_sample)


def fmt(key: str, value) -> str:
    if value is None:
        return "—"
    if key in RATE_KEYS:
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


TREND_KEYS = ("on_time_promised_rate", "on_site_rate", "satisfaction_rate")


@dataclass
class TrendPoint:
    month: dt.date  # first day of the month
    values: dict[str, float | None]


def trend_compute(last: Period, *, months: int = 12, departments=None) -> list[TrendPoint]:
    """按时办结率（承诺）, 现场办结率 and 测评满意率 for each of the `months` months ending with `last`'s month,
    with the bulletin's own definitions (a month's point equals that month's bulletin total): two
    GROUP BY month queries, whatever the number of months."""
    if departments is not None and not isinstance(departments, list | tuple | set):
        departments = list(departments.values_list("id", flat=True))
    year, month = last.start.year, last.start.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    first = Period.month(year, month).start
    end = Period.month(last.start.year, last.start.month).end
    decided = (_scope(Case.objects.filter(decided_at__gte=first, decided_at__lt=end), departments)
               .annotate(m=TruncMonth("decided_at", tzinfo=SH),
                         late=_clock_exists("case.promised", due_at__lte=OuterRef("decided_at")))
               .order_by().values("m")
               .annotate(completed=Count("id"), late_promised=Count("id", filter=Q(late=True)),
                         immediate=Count("id", filter=Q(item_version__case_kind=CaseKind.IMMEDIATE)),
                         on_site=Count("id", filter=Q(item_version__case_kind=CaseKind.IMMEDIATE,
                                                      completed_on_site=True))))
    good = [RatingLevel.VERY_SATISFIED, RatingLevel.SATISFIED, RatingLevel.BASICALLY_SATISFIED]
    rated = (_scope(Rating.objects.filter(rated_at__gte=first, rated_at__lt=end), departments, "case__department_id")
             .annotate(m=TruncMonth("rated_at", tzinfo=SH)).order_by().values("m")
             .annotate(ratings=Count("id"), good=Count("id", filter=Q(level__in=good))))

    def key(value) -> dt.date:
        # SQLite hands back a naive datetime, PostgreSQL an aware one or a date.
        return value.date() if isinstance(value, dt.datetime) else value

    cases = {key(r["m"]): r for r in decided}
    ratings = {key(r["m"]): r for r in rated}
    points = []
    y, m = year, month
    for _ in range(months):
        day = dt.date(y, m, 1)
        c, r = cases.get(day, {}), ratings.get(day, {})
        done = c.get("completed", 0)
        points.append(TrendPoint(day, {
            "on_time_promised_rate": _ratio(done - c.get("late_promised", 0), done),
            "on_site_rate": _ratio(c.get("on_site", 0), c.get("immediate", 0)),
            "satisfaction_rate": _ratio(r.get("good", 0), r.get("ratings", 0)),
        }))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return points
