"""Every read of cases that users see. Scoped to the user's departments (incl. AB岗 cover);
an object the user may not see is a 404; the supervisors' wider view is audited."""

from __future__ import annotations

import functools
import hmac
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.db import connections, router
from django.db.models import CharField, Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from zhengwu.accounts.permissions import is_applicant, is_business_staff
from zhengwu.cases import states
from zhengwu.cases.models import ApplicantType, Case, CaseEvent, DenialReport, ExtensionRequest, FeeNotice
from zhengwu.cases.permissions import can_view_full_id_number, is_case_applicant, positions_in
from zhengwu.cases.services import (
    CLOCK_LEGAL,
    DECISION_CLOCKS,
    attach_catalog_version,
    case_clocks,
    extension_requester_roles,
    masked_applicant,
    masked_applicant_name,
)
from zhengwu.cases.states import Status
from zhengwu.core.audit import audit_record
from zhengwu.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhengwu.core.fields import id_number_indexes
from zhengwu.core.masking import mask_id_number, mask_name
from zhengwu.core.models import AuditEvent
from zhengwu.core.rows import server_binds_parameters
from zhengwu.org.models import Position
from zhengwu.org.selectors import departments_of, departments_supervised_by, staff_reach
from zhengwu.workcalendar.models import Clock
from zhengwu.workcalendar.services import STATE_LABELS, clock_run_out, clock_state

QUEUES: dict[str, str] = {
    "pending_acceptance": "待受理",
    "correction": "待补正",
    "in_review": "审查中",
    "my_steps": "待我办理",
    "awaiting_decision": "待决定",
    "awaiting_certificate": "待制证",
    "extension_requests": "待审批延期",
    "due_soon": "即将超期",
    "overdue": "已超期",
}

_QUEUE_STATUS = {
    "pending_acceptance": [Status.SUBMITTED],
    "correction": [Status.CORRECTION],
    "in_review": [Status.ACCEPTED, Status.SUSPENDED],
    "awaiting_decision": [Status.AWAITING_DECISION],
    "awaiting_certificate": [Status.APPROVED],
}


def clocks_of_cases(*, owner_id: Any = None, owner_ids: Any = None) -> QuerySet[Clock]:
    """Clocks of cases on the shared ledger (`Clock.owner_id` holds the case's id as text): of one
    case (`owner_id`: that text, or an OuterRef to it in a subquery), of several (`owner_ids`: such
    ids, or a subquery of them), or of every case.

    The owner type is matched by its natural key (a join to django_content_type), not by its id:
    the statements compiled once per process (_compiled, _progress_statement) then hold no
    content-type id, which a flushed test database renumbers."""
    clocks = Clock.objects.filter(owner_type__app_label=Case._meta.app_label,
                                  owner_type__model=Case._meta.model_name)
    if owner_id is not None:
        clocks = clocks.filter(owner_id=owner_id)
    if owner_ids is not None:
        clocks = clocks.filter(owner_id__in=owner_ids)
    return clocks


def _with_clock_flags(qs: QuerySet[Case], now: datetime) -> QuerySet[Case]:
    # Derived from the clocks' stored due/warn columns and now: a late sweeper never shows a wrong state.
    # Only open cases have running clocks: the closed ones (most rows) are not probed at all.
    clocks = clocks_of_cases(owner_id=OuterRef("pk_text")).filter(status=Clock.Status.RUNNING)
    return qs.filter(status__in=states.OPEN).annotate(pk_text=Cast("pk", output_field=CharField())).annotate(
        is_overdue=Exists(clocks.filter(due_at__lte=now)),
        is_due_soon=Exists(clocks.filter(warn_at__lte=now, due_at__gt=now)),
    )


@dataclass(frozen=True)
class CaseScope:
    """The cases a user may see, with the departments read once: the workbench's counts, its list
    and its heading share one scope instead of rebuilding it (issue 5's load-test profile: the
    nested department subqueries cost more to compile than to run)."""

    cases: QuerySet[Case]
    wide: bool  # the view reaches beyond the user's own departments (a supervisor's): audited
    own: tuple[Any, ...]  # the user's own departments (incl. B岗 cover today), by name (.pk, .name)
    # Per own department, the positions the user acts in there (own posts and B岗 cover today).
    roles: dict[int, frozenset[str]] = field(default_factory=dict)
    # The departments `cases` is made of, for staff (None for an applicant's own cases).
    department_ids: tuple[int, ...] | None = None

    @property
    def approves_extensions(self) -> bool:
        """Leader or section head somewhere: the 待审批延期 queue is theirs."""
        return bool(_extension_heads(self.roles))


def case_scope(user) -> CaseScope:
    if is_applicant(user):
        return CaseScope(Case.objects.filter(applicant=user), False, ())
    if not is_business_staff(user):
        return CaseScope(Case.objects.none(), False, ())
    reach = staff_reach(user)  # departments_of, their positions and departments_supervised_by: one query
    ids = sorted({d.pk for d in reach.departments} | reach.supervised)
    return CaseScope(Case.objects.filter(department_id__in=ids), bool(reach.supervised), reach.departments,
                     reach.positions, tuple(ids))


def _scope(user) -> tuple[QuerySet[Case], bool]:
    """(cases the user may see, whether the view reaches beyond the user's own departments)."""
    scope = case_scope(user)
    return scope.cases, scope.wide


def _my_steps(roles: dict[int, frozenset[str]]) -> Q:
    """待我办理: accepted cases whose current step names one of the user's positions there."""
    # "Nothing" as a condition the database evaluates: an empty `pk__in=[]` would make Django skip
    # the whole query, and so zero every other count aggregated with it.
    mine = Q(pk__isnull=True)
    for department_id, held in roles.items():
        mine |= Q(department_id=department_id, current_step__role__in=sorted(held))
    return mine & Q(status=Status.ACCEPTED)


def _extension_heads(roles: dict[int, frozenset[str]]) -> list[int]:
    """The departments where the user may approve an extension (leader or section head)."""
    return sorted(pk for pk, held in roles.items() if {Position.LEADER, Position.SECTION_HEAD} & held)


def _extension_requests_to_decide(roles: dict[int, frozenset[str]]) -> Q:
    """待审批延期: cases of the departments where the user is leader or section head with a pending
    extension request (a request is pending only while its case is clocked: it lapses when the case
    leaves those states)."""
    heads = _extension_heads(roles)
    if not heads:
        return Q(pk__isnull=True)  # nothing, as a condition the database evaluates (see _my_steps)
    pending = ExtensionRequest.objects.filter(case=OuterRef("pk"), state=ExtensionRequest.State.PENDING)
    return Q(Exists(pending), department_id__in=heads)


def case_list_visible_to(*, user, queue: str | None = None, status: str | None = None,
                         search: str = "", scope: CaseScope | None = None) -> QuerySet[Case]:
    """Cases the user may see, optionally one work queue. Supervisors' list reads are audited.
    `scope`: the user's case_scope when the caller has it already."""
    if queue is not None and queue not in QUEUES:
        raise ValidationFailed(f"未知的队列：{queue}", f"unknown queue {queue}", field="queue")
    if status is not None and status not in Status.values:
        raise ValidationFailed(f"未知的状态：{status}", f"unknown status {status}", field="status")
    scope = scope or case_scope(user)
    qs, wide = scope.cases, scope.wide
    if queue in _QUEUE_STATUS:
        qs = qs.filter(status__in=_QUEUE_STATUS[queue])
        if queue == "awaiting_certificate":
            qs = qs.filter(item_version__result_type="certificate")
    elif queue == "my_steps":
        qs = qs.filter(_my_steps(scope.roles))
    elif queue == "extension_requests":
        qs = qs.filter(_extension_requests_to_decide(scope.roles))
    elif queue in ("due_soon", "overdue"):
        qs = _with_clock_flags(qs, timezone.now()).filter(**{"is_overdue" if queue == "overdue" else "is_due_soon": True})
    if status:
        qs = qs.filter(status=status)
    search = (search or "").strip()
    by_id_number = looks_like_id_number(search)
    if search:
        found = Q(case_no__icontains=search) | Q(item_version__name__icontains=search)
        if by_id_number:
            # The number columns are encrypted: equal numbers meet only in the keyed index.
            indexes = id_number_indexes(search)
            found |= Q(applicant_id_index__in=indexes) | Q(agent_id_index__in=indexes)
        qs = qs.filter(found)
    logged_search = mask_id_number(search) if by_id_number else search
    if by_id_number and is_business_staff(user):
        audit_record(actor=user, action="case.search_id_number", object_type="cases.case",
                     data={"search": logged_search})
    if wide:
        audit_record(actor=user, action="case.list_supervised", object_type="cases.case",
                     data={"queue": queue or "", "status": status or "", "search": logged_search})
    return qs.select_related("item_version", "department", "current_step").order_by("-created_at", "-id")


@dataclass(frozen=True)
class QueueCounts:
    """The work queues with their counts, and the positions they were counted for."""

    queues: list[tuple[str, str, int]]  # (queue, label, count), every queue, in QUEUES' order
    roles: dict[int, frozenset[str]]  # per own department, the positions the user acts in there

    @property
    def approves_extensions(self) -> bool:
        """Leader or section head somewhere: 待审批延期 is a queue of theirs."""
        return bool(_extension_heads(self.roles))

    def __iter__(self):
        return iter(self.queues)

    def shown(self) -> list[tuple[str, str, int]]:
        """The queues the workbench offers: 待审批延期 only to those who may approve an extension."""
        return [q for q in self.queues if q[0] != "extension_requests" or self.approves_extensions]


def _cases_in(ids: list[int]) -> QuerySet[Case]:
    return Case.objects.filter(department_id__in=ids)


def _queue_groups(cases: QuerySet[Case]) -> QuerySet[Any]:
    return (cases.order_by().values_list("status", "department_id", "item_version__result_type", "current_step__role")
            .annotate(n=Count("pk")))


def _queue_clocks(cases: QuerySet[Case], now: datetime) -> QuerySet[Any]:
    """即将超期 / 已超期 from the running clocks' side: few rows, whatever the number of closed cases.
    At most one row (status, overdue, due_soon): grouped by the one status filtered for."""
    owners = cases.filter(status__in=states.OPEN).annotate(pk_text=Cast("pk", output_field=CharField())).values("pk_text")
    return (clocks_of_cases(owner_ids=owners).filter(status=Clock.Status.RUNNING)
            .order_by().values_list("status")
            .annotate(overdue=Count("owner_id", distinct=True, filter=Q(due_at__lte=now)),
                      due_soon=Count("owner_id", distinct=True, filter=Q(warn_at__lte=now, due_at__gt=now))))


# Stand-ins for the values of a query compiled once (_compiled): each distinct, and impossible as data.
_ID_SLOTS = range(-(10**15), -(10**15) + 10_000)
_NOW_SLOT = datetime(1901, 2, 3, 4, 5, 6, tzinfo=timezone.get_fixed_timezone(0))
_COMPILED: dict[tuple[Any, ...], tuple[SQLCompiler, str, list[Any], dict[int, tuple[str, int]]]] = {}


def _compiled(key: tuple[Any, ...], build, *, ids: list[int], now: datetime) -> list[tuple[Any, ...]]:
    """The rows of `build(ids, now)`, a query whose SQL depends only on `key` (with the number of ids
    in it): compiled once per process and database with stand-in values, then run with the real ones.
    The workbench asks its counts on every request, and the ORM's compilation of these joins and
    subqueries cost more CPU than PostgreSQL's running them (issue 5's load-test profile). The
    compiler still converts the rows (dates on SQLite, for instance)."""
    alias = router.db_for_read(Case)
    connection = connections[alias]
    entry = _COMPILED.get((alias, *key))
    if entry is None:
        stand_in_ids = list(_ID_SLOTS[:len(ids)])
        compiler = build(stand_in_ids, _NOW_SLOT).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        where: dict[Any, tuple[str, int]] = {stand_in: ("ids", i) for i, stand_in in enumerate(stand_in_ids)}
        where[connection.ops.adapt_datetimefield_value(_NOW_SLOT)] = ("now", 0)
        slots = {i: where[p] for i, p in enumerate(params) if isinstance(p, int | str | datetime) and p in where}
        entry = _COMPILED[(alias, *key)] = (compiler, sql, list(params), slots)
    compiler, sql, params, slots = entry
    values: dict[str, list[Any]] = {"ids": ids, "now": [connection.ops.adapt_datetimefield_value(now)]}
    run = [values[slots[i][0]][slots[i][1]] if i in slots else p for i, p in enumerate(params)]
    with connection.cursor() as cursor:
        cursor.execute(sql, run)
        fetched = cursor.fetchall()
    return [tuple(row) for row in compiler.results_iter(results=[cast("list[Sequence[Any]]", fetched)])]


def case_queue_counts(*, user, scope: CaseScope | None = None) -> QueueCounts:
    """Every work queue's count over the cases the user may see: the same filters as
    case_list_visible_to(queue=…). The queues by status come from one GROUP BY over the few
    columns they depend on (a handful of rows, summed here), the clock queues from the running
    clocks; two queries whatever the number of cases (a third for leaders and section heads:
    待审批延期). A supervisor's look is one audited read."""
    scope = scope or case_scope(user)
    roles = scope.roles
    totals = dict.fromkeys(QUEUES, 0)
    now = timezone.now()
    if scope.department_ids == ():
        groups, clock_rows = [], []  # no department: nothing to ask (the ORM would not ask either)
    elif scope.department_ids is not None:
        # The same two queries, compiled once per process and number of departments (see _compiled).
        ids = list(scope.department_ids)
        groups = _compiled(("queue_groups", len(ids)), lambda ids, now: _queue_groups(_cases_in(ids)), ids=ids, now=now)
        clock_rows = _compiled(("queue_clocks", len(ids)), lambda ids, now: _queue_clocks(_cases_in(ids), now),
                               ids=ids, now=now)
    else:
        groups = list(_queue_groups(scope.cases))
        clock_rows = list(_queue_clocks(scope.cases, now))
    clocks = dict(zip(("overdue", "due_soon"), clock_rows[0][1:] if clock_rows else (0, 0), strict=True))
    for status, department_id, result_type, role, n in groups:
        for key, statuses in _QUEUE_STATUS.items():
            if status in statuses and (key != "awaiting_certificate" or result_type == "certificate"):
                totals[key] += n
        if status == Status.ACCEPTED and role in roles.get(department_id, ()):
            totals["my_steps"] += n
    totals.update({key: clocks[key] or 0 for key in ("overdue", "due_soon")})
    # 待审批延期: one more count, for leaders and section heads only.
    if scope.approves_extensions:
        totals["extension_requests"] = scope.cases.filter(_extension_requests_to_decide(roles)).count()
    if scope.wide:
        audit_record(actor=user, action="case.list_supervised", object_type="cases.case",
                     data={"queue": "counts", "status": "", "search": ""})
    return QueueCounts([(key, label, totals[key]) for key, label in QUEUES.items()], roles)


# What a workbench row shows, read as values: the wide item-version row (the whole guide text) and
# the encrypted applicant columns (one SM4 decryption each) are never loaded, and no model is built.
_WORKBENCH_COLUMNS = ("case_no", "status", "applicant_type", "applicant_name", "received_at", "item_version__name",
                      "department__name", "department__short_name", "current_step__name")


def _workbench_page(cases: QuerySet[Case], queue: str, limit: int) -> QuerySet[Any]:
    """A page of a queue by status (case_list_visible_to's filters for those queues)."""
    qs = cases.filter(status__in=_QUEUE_STATUS[queue])
    if queue == "awaiting_certificate":
        qs = qs.filter(item_version__result_type="certificate")
    return qs.order_by("-created_at", "-id").values_list(*_WORKBENCH_COLUMNS)[:limit]


def case_workbench_rows(*, user, queue: str, search: str = "", scope: CaseScope | None = None,
                        limit: int = 100) -> list[dict[str, Any]]:
    """A page of a work queue for the staff workbench: the shown columns of each case, with the
    applicant's name as lists show it. The queues by status of a user's own departments (the
    common page) run a statement compiled once per process (_compiled); any other view goes
    through case_list_visible_to, with its audit."""
    scope = scope or case_scope(user)
    ids = scope.department_ids
    if queue in _QUEUE_STATUS and not (search or "").strip() and ids and not scope.wide:
        rows = _compiled(("workbench_page", queue, limit, len(ids)),
                         lambda ids, now: _workbench_page(_cases_in(ids), queue, limit), ids=list(ids),
                         now=timezone.now())
    else:
        rows = list(case_list_visible_to(user=user, queue=queue, search=search, scope=scope)
                    .values_list(*_WORKBENCH_COLUMNS)[:limit])
    return [_workbench_row(*row) for row in rows]


def _workbench_row(case_no, status, applicant_type, applicant_name, received_at, item_name, department,
                   department_short, step) -> dict[str, Any]:
    applicant = masked_applicant_name(cast(Case, _Applicant(applicant_type, applicant_name)))
    return {"case_no": case_no, "status": status, "status_label": states.label(status), "item_name": item_name,
            "department": department_short or department, "step": step, "received_at": received_at,
            "applicant": applicant}


@dataclass(frozen=True)
class _Applicant:
    """What services.masked_applicant_name reads of a case."""

    applicant_type: str
    applicant_name: str

    @property
    def is_organisation(self) -> bool:
        return self.applicant_type == ApplicantType.ORGANISATION


def case_get_visible_to(*, user, case_no: str) -> Case:
    """One case, or NotFound. Staff reads of the applicant's personal data are audited, and so is
    every supervisor read outside the supervisor's own departments."""
    qs, wide = _scope(user)
    case = qs.select_related("item", "department", "applicant", "first_responder").filter(case_no=case_no).first()
    if case is None:
        raise NotFound("办件不存在", "case not found")
    attach_catalog_version(case)  # the published version and its steps, from the process cache
    if is_business_staff(user):
        supervising = wide and not departments_of(user).filter(pk=case.department_id).exists()
        audit_record(actor=user, action="case.read_supervised" if supervising else "case.read", obj=case,
                     data={"case_no": case.case_no})
    return case


def case_written_visible_to(*, user, case: Case) -> Case:
    """The case a service has just created for this user (a walk-in the clerk registered, an
    application the applicant submitted), as the service returned it: its creator may see it (the
    service checked the role in the case's own department), so it is not read again. The staff
    read of its personal data is audited as case_get_visible_to audits it."""
    attach_catalog_version(case)
    if is_business_staff(user):
        audit_record(actor=user, action="case.read", obj=case, data={"case_no": case.case_no})
    return case


_ID_NUMBER_SHAPE = re.compile(r"[0-9A-Za-z]{8,40}")


def looks_like_id_number(text: str) -> bool:
    """A search term that may be a document number (身份证 18, USCC 18, passports 8–9): digits and
    letters only, with at least six digits, so words and case numbers (with dashes) do not qualify."""
    value = (text or "").strip().replace(" ", "")
    return bool(_ID_NUMBER_SHAPE.fullmatch(value)) and sum(c.isdigit() for c in value) >= 6


def case_list_by_id_number(*, user, id_number: str) -> QuerySet[Case]:
    """Cases the user may see where the number is the applicant's or the agent's (重复申请 checks,
    证照复用); through the keyed index, since the columns themselves are encrypted."""
    indexes = id_number_indexes(id_number)
    if not indexes:
        return Case.objects.none()
    qs, _wide = _scope(user)
    return qs.filter(Q(applicant_id_index__in=indexes) | Q(agent_id_index__in=indexes)).order_by("-created_at", "-id")


def case_id_numbers_reveal(*, user, case_no: str) -> dict[str, str]:
    """查看完整证件号: the full applicant's and agent's numbers for the roles that check documents
    (permissions.can_view_full_id_number). Each view is audited (who, which case, when); a refusal
    is audited too. Outsiders get 404 (case_get_visible_to), other roles who see the case 403."""
    case = case_get_visible_to(user=user, case_no=case_no)
    if not can_view_full_id_number(user, case):
        audit_record(actor=user, action="case.id_number_view", obj=case, outcome=AuditEvent.Outcome.DENIED,
                     data={"case_no": case.case_no})
        raise PermissionDenied("无权查看完整证件号码", "not allowed to view the full ID number")
    fields = ["applicant_id_number"] + (["agent_id_number"] if case.agent_id_number else [])
    audit_record(actor=user, action="case.id_number_view", obj=case, data={"case_no": case.case_no, "fields": fields})
    return {"case_no": case.case_no, "applicant_id_type": case.get_applicant_id_type_display(),
            "applicant_id_number": case.applicant_id_number, "agent_id_number": case.agent_id_number}


def case_list_for_applicant(*, user) -> QuerySet[Case]:
    """我的办件."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    return Case.objects.filter(applicant=user).select_related("item_version", "department").order_by("-created_at")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    action: str
    label: str
    from_status: str
    to_status: str
    status_label: str
    actor: str
    role: str
    note: str
    data: dict[str, Any]


_EVENT_LABELS = {**{a.value: a.label for a in states.Action}, "draft": "创建草稿", "material_add": "补充材料",
                 "step_pass": "环节通过", "step_return": "环节退回", "extend": "延期", "fee_notice": "缴费通知",
                 "payment": "缴费", "rate": "评价", "extension_request": "延期申请",
                 "extension_refuse": "延期申请不予批准", "extension_lapse": "延期申请失效", "fee_notice_void": "缴费通知作废"}


# Notes the applicant is told anyway in writing; internal review opinions stay with the staff.
_TOLD_TO_APPLICANT = frozenset({"reject", "deny", "request_correction", "special_start", "special_end", "extend",
                                "terminate", "withdraw"})


def case_timeline(case: Case, *, public_only: bool = False) -> list[TimelineEntry]:
    """The timeline, built only from the append-only CaseEvent log. `public_only`: what the
    applicant sees (public events, masked staff names, no internal opinions)."""
    events = CaseEvent.objects.filter(case=case).select_related("actor").order_by("occurred_at", "id")
    if public_only:
        events = events.filter(public=True)
    entries = []
    for e in events:
        actor = "系统" if e.role == states.Role.SYSTEM else (e.actor.display_name if e.actor else "")
        if e.role == states.Role.APPLICANT:
            actor = mask_name(actor)  # a list entry: the applicant is named in full only on the case header
        entries.append(TimelineEntry(
            at=e.occurred_at, action=e.action, label=_EVENT_LABELS.get(e.action, e.action),
            from_status=e.from_status, to_status=e.to_status,
            status_label=states.label(e.to_status) if e.to_status else "", actor=mask_name(actor) if public_only
            else actor, role=e.role, note=e.note if not public_only or e.action in _TOLD_TO_APPLICANT else "",
            data={} if public_only else e.data,
        ))
    return entries


def case_clock_summary(case: Case, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or timezone.now()
    rows = []
    for clock in case_clocks(case, open_only=False):
        state = clock_state(clock, now)
        rows.append({"kind": clock.kind, "status": clock.status, "state": state, "state_label": STATE_LABELS[state],
                     "due_at": clock.due_at, "due_date": clock.due_date, "warn_at": clock.warn_at,
                     "budget": f"{clock.budget_value} {clock.get_budget_unit_display()}"})
    return rows


_PUBLIC_CODE = re.compile(r"[0-9A-Za-z-]{1,40}")


_TIMELINE_MAX = 500  # public events shown at most; a case has tens
_CASE_NO_SLOT = "\x00case_no"  # stands for the case number while the statement is compiled


def _progress_rows() -> QuerySet[Any]:
    promised = (clocks_of_cases(owner_id=OuterRef("pk_text")).filter(kind="case.promised")
                .order_by("id").values("due_date")[:1])
    # One row per public event (one row with NULL event columns while there is none).
    return (
        Case.objects.filter(case_no=_CASE_NO_SLOT).exclude(status=Status.DRAFT)
        .annotate(pk_text=Cast("pk", output_field=CharField()), promised_due_date=Subquery(promised),
                  public_events=FilteredRelation("events", condition=Q(events__public=True)))
        .values("case_no", "query_code", "status", "applicant_type", "applicant_name", "received_at",
                "accepted_at", "decided_at", "completed_at", "deemed_accepted", "deemed_approved",
                "promised_due_date", item_name=F("item_version__name"), department_name=F("department__name"),
                event_at=F("public_events__occurred_at"), event_action=F("public_events__action"),
                event_status=F("public_events__to_status"))
        .order_by("public_events__occurred_at", "public_events__id")[:_TIMELINE_MAX]
    )


@functools.cache
def _progress_statement(alias: str) -> tuple[SQLCompiler, str, tuple[Any, ...], list[str]]:
    # Compiled once per process and database: building this SQL through the ORM cost more than
    # running it (issue 5's profile of a gunicorn worker). The parameters are constants but for the
    # case number, and the compiler still converts the rows (dates on SQLite, for instance).
    query = _progress_rows().query
    compiler = query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    assert params.count(_CASE_NO_SLOT) == 1 and "%%" not in sql
    names = list(query.selected or [*query.extra_select, *query.values_select, *query.annotation_select])
    return compiler, sql, tuple(params), names


# PostgreSQL connections (psycopg's) on which the progress statement is prepared.
_PREPARED: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _progress_fetch(alias: str, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or server_binds_parameters(connection):
            # SQLite; or psycopg binding on the server, which prepares a statement it runs again.
            cursor.execute(sql, params)
            return cursor.fetchall()
        # A prepared statement per connection: planning these joins took 0.46 ms of PostgreSQL's
        # time per query, five times its execution (issue 5). Prepared statements live as long as
        # the session and outlast a rollback; a pooler in transaction mode would lose them (docs/deploy.md).
        raw = connection.connection
        if raw not in _PREPARED:
            numbers = iter(range(1, len(params) + 1))
            cursor.execute("PREPARE zhengwu_progress AS " + re.sub("%s", lambda _m: f"${next(numbers)}", sql))
            _PREPARED[raw] = True
        cursor.execute(f"EXECUTE zhengwu_progress ({', '.join(['%s'] * len(params))})", params)
        return cursor.fetchall()


def progress_query(*, case_no: str, query_code: str) -> dict[str, Any]:
    """进度查询 for the public: case number + query code; masked personal data only.

    The busiest public read (issue 5's load test): one indexed SELECT of only the columns shown, the
    case joined to its public events, with its promised due date; one round trip to the database.
    No model instances: the wide item-version row (the whole guide text) and the encrypted applicant
    columns are never loaded."""
    case_no = (case_no or "").strip()
    query_code = (query_code or "").strip().upper()
    # Refuse anything that cannot be a case number or query code before it reaches the database:
    # PostgreSQL rejects a NUL byte in a text parameter with a server error.
    if not (_PUBLIC_CODE.fullmatch(case_no) and _PUBLIC_CODE.fullmatch(query_code)):
        raise NotFound("办件编号或查询码不正确", "case number or query code is wrong")
    alias = router.db_for_read(Case)
    compiler, sql, params, names = _progress_statement(alias)
    fetched = _progress_fetch(alias, sql, [case_no if p == _CASE_NO_SLOT else p for p in params])
    rows = [dict(zip(names, values, strict=True))
            for values in compiler.results_iter(results=[cast("list[Sequence[Any]]", fetched)])]
    row = rows[0] if rows else None
    # Same answer for a wrong number and a wrong code, compared in constant time.
    if row is None or not hmac.compare_digest(row["query_code"].encode(), query_code.encode()):
        raise NotFound("办件编号或查询码不正确", "case number or query code is wrong")
    name = row["applicant_name"]
    return {
        "case_no": row["case_no"],
        "item_name": row["item_name"],
        "department": row["department_name"],
        "applicant": name if row["applicant_type"] == ApplicantType.ORGANISATION else mask_name(name),
        "status": row["status"],
        "status_label": states.label(row["status"]),
        "received_at": row["received_at"],
        "accepted_at": row["accepted_at"],
        "decided_at": row["decided_at"],
        "completed_at": row["completed_at"],
        "deemed_accepted": row["deemed_accepted"],
        "deemed_approved": row["deemed_approved"],
        "promised_due_date": row["promised_due_date"],
        "timeline": [{"at": r["event_at"], "label": _EVENT_LABELS.get(r["event_action"], r["event_action"]),
                      "status_label": states.label(r["event_status"]) if r["event_status"] else ""}
                     for r in rows if r["event_at"] is not None],
    }


def hall_recent_cases(*, limit: int = 20, centre=None) -> list[dict[str, Any]]:
    """The hall's big screen: the latest accepted / completed cases with masked names."""
    qs = Case.objects.exclude(status__in=[Status.DRAFT]).select_related("item_version", "department")
    if centre is not None:
        qs = qs.filter(department__centre=centre)
    rows = []
    for case in qs.order_by("-created_at", "-id")[: max(1, min(limit, 100))]:
        rows.append({"case_no": case.case_no, "item_name": case.item_version.name, "department": case.department.name,
                     "applicant": masked_applicant(case)["name"], "status_label": states.label(case.status),
                     "received_at": case.received_at, "completed_on_site": case.completed_on_site})
    return rows


def denial_report_list_visible_to(*, user) -> QuerySet[DenialReport]:
    """否定报备: the department's leaders and section heads, and the supervisors."""
    if not is_business_staff(user):
        return DenialReport.objects.none()
    heads = [d.pk for d in departments_of(user)
             if {Position.LEADER, Position.SECTION_HEAD} & set(positions_in(user, d.pk))]
    supervised = departments_supervised_by(user)
    return DenialReport.objects.filter(Q(case__department_id__in=heads) | Q(case__department__in=supervised)).select_related(
        "case", "decision", "reported_to").order_by("-reported_at")


def open_decision_clocks(case: Case) -> QuerySet[Clock]:
    return case_clocks(case, DECISION_CLOCKS)


# The actions a user may be offered on a case, in the order the buttons are shown. Staff actions are
# named as the page's POST /work/<case_no>/<action>/ (docs/cases.md maps them to the API endpoints);
# the applicant's are submit, materials, submit_correction, withdraw and rate.
STAFF_ACTIONS: tuple[str, ...] = (
    "accept", "correction", "reject", "step_pass", "step_return", "special_start", "special_end",
    "extension_request", "extension_approve", "extension_refuse", "extend", "decide", "certificate", "deliver",
    "delivery_confirm", "fee_notice", "payment", "fee_void", "withdraw", "terminate",
)
APPLICANT_ACTIONS: tuple[str, ...] = ("submit", "materials", "submit_correction", "withdraw", "rate")

# Table action → the page action that performs it. Not listed: the sweeper's moves, review_complete
# (the last step_pass makes it), approve_on_spot (case_accept makes it for a 即办件) and the window
# submitting on the applicant's behalf (case_register_walk_in does that in one call).
_STAFF_ACTION_OF: dict[str, str] = {
    states.Action.ACCEPT: "accept", states.Action.REQUEST_CORRECTION: "correction",
    states.Action.REJECT: "reject", states.Action.STEP_RETURN: "step_return",
    states.Action.SPECIAL_START: "special_start", states.Action.SPECIAL_END: "special_end",
    states.Action.APPROVE: "decide", states.Action.DENY: "decide",
    states.Action.ISSUE_CERTIFICATE: "certificate", states.Action.DELIVER_POST: "deliver",
    states.Action.WITHDRAW: "withdraw", states.Action.TERMINATE: "terminate",
}
_APPLICANT_ACTION_OF: dict[str, str] = {
    states.Action.SUBMIT: "submit", states.Action.SUBMIT_CORRECTION: "submit_correction",
    states.Action.WITHDRAW: "withdraw",
}
_COUNTER: frozenset[str] = frozenset({Position.CLERK, Position.CHIEF_REPRESENTATIVE})


def _has_related(case: Case, model_name: str) -> bool:
    from django.apps import apps

    # A query, not the reverse one-to-one accessor: that caches "none" on the instance and would
    # keep offering an action after it was done.
    return apps.get_model("cases", model_name)._default_manager.filter(case=case).exists()


def _return_targets_exist(case: Case) -> bool:
    steps = case.item_version.steps.all()
    current = case.current_step
    if case.status == Status.ACCEPTED and current is not None:
        return steps.filter(Q(order__lt=current.order) | Q(order=current.order, pk__lt=current.pk)).exists()
    return steps.exists()


def _licence_type_configured(case: Case) -> bool:
    from django.apps import apps

    policies = apps.get_model("cases", "CaseItemPolicy")._default_manager
    return policies.filter(item_id=case.item_id).exclude(licence_type_code="").exists()


def _table_actions(status: str, roles: Iterable[str]) -> set[str]:
    return {action for role in roles for action in states.allowed_actions(status, role)}


def _applicant_actions(case: Case) -> list[str]:
    s = case.status
    found = {_APPLICANT_ACTION_OF[a] for a in _table_actions(s, [states.Role.APPLICANT]) if a in _APPLICANT_ACTION_OF}
    if s == Status.DRAFT:
        found.add("materials")
    # 一事一评 after the case is finished; case_rate refuses a second rating.
    if s in (Status.COMPLETED, Status.REJECTED) and not _has_related(case, "Rating"):
        found.add("rate")
    return [a for a in APPLICANT_ACTIONS if a in found]


def _staff_actions(user, case: Case, fresh: bool = False) -> list[str]:
    held = positions_in(user, case.department_id)
    if not held:
        return []
    s = case.status
    table = _table_actions(s, held)
    found = {_STAFF_ACTION_OF[a] for a in table if a in _STAFF_ACTION_OF}
    counter = bool(_COUNTER & set(held))
    # 行政许可法 §32(4) allows one notice per application.
    if "correction" in found and not fresh and _has_related(case, "CorrectionNotice"):
        found.discard("correction")
    # Moves between steps: the current step's role (role_for: own post or B岗 cover) passes it or
    # returns it to an earlier step; from 待决定 a decider returns it to any step.
    step = case.current_step
    if s == Status.ACCEPTED and step is not None and step.role in held:
        found.add("step_pass")
        found.add("step_return")
    if "step_return" in found and not _return_targets_exist(case):
        found.discard("step_return")
    # Collected at the window (complete) and posted (deliver_post) are one page action; a posted
    # result is then signed for.
    if states.Action.COMPLETE in table:
        found.add("delivery_confirm" if s == Status.DELIVERED else "deliver")
    # §44 certificate only for items whose result is one and whose licence type is configured, and
    # never while a fee notice is unpaid.
    unpaid = counter and not fresh and case.fee_notices.filter(state=FeeNotice.State.UNPAID).exists()
    if "certificate" in found and (case.item_version.result_type != "certificate" or unpaid
                                   or not _licence_type_configured(case)):
        found.discard("certificate")
    # §42 延期: once; the handling official asks, the department's leader or section head approves
    # (or extends directly while nothing is pending).
    if s in states.CLOCKED and not _has_related(case, "Extension"):
        pending = case.extension_requests.filter(state=ExtensionRequest.State.PENDING).exists()
        heads = bool({Position.LEADER, Position.SECTION_HEAD} & set(held))
        # Asked for and approved only while the legal limit runs (services._legal_limit_running);
        # a pending request may still be refused.
        legal = list(case_clocks(case, [CLOCK_LEGAL]))
        running = not (legal and clock_run_out(legal[-1]))
        if running and not pending and set(extension_requester_roles(case)) & set(held):
            found.add("extension_request")
        if heads and pending:
            found.update(("extension_approve", "extension_refuse") if running else ("extension_refuse",))
        elif heads and running:
            found.add("extend")
    # 一口收费: only the fee items the catalog version lists (§58), at the counter; one standing
    # notice per case, voided (while unpaid) before another is issued.
    standing = (not fresh and case.fee_notices.exclude(state=FeeNotice.State.VOIDED).exists()) if counter else True
    if (counter and not standing and s not in states.TERMINAL and s != Status.DRAFT
            and _has_fee_items(case.item_version)):
        found.add("fee_notice")
    if unpaid:
        found.update(("payment", "fee_void") if s not in states.ENDED_UNSERVED else ("fee_void",))
    # The window withdraws only for a walk-in applicant (one without an account).
    if "withdraw" in found and case.applicant_id is not None:
        found.discard("withdraw")
    return [a for a in STAFF_ACTIONS if a in found]


def case_actions_for(*, user, case: Case, fresh: bool = False) -> list[str]:
    """What this user may do on this case now: the buttons on the pages and `allowed_actions` in
    the API. Built from the transition table (states.allowed_actions) for the roles the user holds
    in the case's department (permissions.positions_in, as role_for: AB岗 cover included) and the
    services' own rules; the services check everything again when called. `fresh`: the case was
    created by this very request, so it has no correction or fee notice yet (not looked up)."""
    if is_case_applicant(user, case):
        return _applicant_actions(case)
    return _staff_actions(user, case, fresh)


def _has_fee_items(version) -> bool:
    """Whether the 实施清单 version lists fee items. Kept on a published version (its content never
    changes, catalog.selectors.version_frozen), asked anew of a draft."""
    known = getattr(version, "_zw_has_fee_items", None)
    if known is None:
        known = version.fees.exists()
        if version.status != version.Status.DRAFT:
            version._zw_has_fee_items = known
    return known


def case_certificate(case: Case):
    """The 电子证照 issued on this case (the latest issue event names it), or None."""
    from zhengwu.licences.selectors import licence_get_by_identifier

    event = case.events.filter(action=states.Action.ISSUE_CERTIFICATE).order_by("-id").first()
    identifier = (event.data or {}).get("identifier") if event else None
    if not identifier:
        return None
    try:
        return licence_get_by_identifier(identifier)
    except NotFound:
        return None
