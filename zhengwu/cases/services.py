"""Every write on a case (办件). Views, the API, commands and clock handlers call these.

Each service runs in one transaction: it locks the case row, checks visibility (an outsider
gets 404), the actor's role and the business rule, changes state only through `_transition`
(the one executor of the table in states.py), writes the audit event and queues notices for
after the commit.

Time limits (行政许可法, RULES.md §2):
- §32(4): the one-time correction notice within 5 WD of receipt, else accepted from receipt
  ("case.acceptance" clock, deemed acceptance by the sweeper);
- §42: decision within the legal limit (usually 20 WD), +10 WD once (+15 under §26);
- §45: 特别程序 time not counted (both clocks suspended);
- §44: certificate within 10 WD of the decision ("case.certificate" clock);
- 超时默许: promised limit passed without a decision, for items configured so ("case.promised").
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import operator
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from pypinyin import Style, lazy_pinyin

from zhengwu.accounts.models import User
from zhengwu.accounts.permissions import is_business_staff
from zhengwu.cases import states
from zhengwu.cases.identifiers import applicant_id_validate
from zhengwu.cases.models import (
    ApplicantType,
    Case,
    CaseEvent,
    CaseItemPolicy,
    CaseMaterial,
    CaseNumberCounter,
    CaseStepRecord,
    Channel,
    CorrectionNotice,
    Decision,
    DecisionOutcome,
    Delivery,
    DenialReport,
    Extension,
    ExtensionRequest,
    FeeNotice,
    FeeNoticeLine,
    IdType,
    Payment,
    Rating,
    RatingChannel,
    RatingLevel,
    Receipt,
    SpecialProcedure,
    StepAction,
)
from zhengwu.cases.permissions import can_view_case, held_positions, role_for
from zhengwu.cases.states import Action, Role, Status
from zhengwu.cases.uploads import upload_check
from zhengwu.catalog.codes import CaseKind, LimitUnit, SpecialProcedureKind
from zhengwu.catalog.models import FeeItem, ProcessStep, ServiceItem
from zhengwu.catalog.selectors import version_frozen
from zhengwu.core import rows
from zhengwu.core.appends import Row, append, insert_now, insert_now_many, later, update_statement
from zhengwu.core.audit import audit_batch, audit_record, head_statement, head_taken
from zhengwu.core.counters import counter_next
from zhengwu.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from zhengwu.core.masking import mask_id_number, mask_name, mask_phone
from zhengwu.core.rows import columns, fetch_together, for_update
from zhengwu.documents.jobs import document_enqueue, notice_params
from zhengwu.documents.notice import NoticeKind, chinese_date
from zhengwu.notify.services import notify_send
from zhengwu.org.models import Department, Position, Region
from zhengwu.org.selectors import posts_in_department_statement, staff_with_position
from zhengwu.workcalendar import services as clocks
from zhengwu.workcalendar.models import Clock, SuspendReason, Unit
from zhengwu.workcalendar.workdays import revision_seen, revision_statement

SYSTEM_ACTOR = "clock_sweeper"

# Clock kinds on the shared ledger, each with its handler in zhengwu/workcalendar/handlers.py.
CLOCK_ACCEPTANCE = "case.acceptance"   # 行政许可法 §32(4): 5 WD from receipt for the one-time notice
CLOCK_CORRECTION = "case.correction"   # the applicant's deadline to supply the corrections
CLOCK_LEGAL = "case.legal"             # §42: the legal limit, from acceptance
CLOCK_PROMISED = "case.promised"       # the promised limit; 超时默许 fires on it
CLOCK_CERTIFICATE = "case.certificate"  # §44: licence issued or delivered within 10 WD of the decision
DECISION_CLOCKS = (CLOCK_LEGAL, CLOCK_PROMISED)

ACCEPTANCE_NOTICE_DAYS = 5   # §32(4)
CERTIFICATE_DAYS = 10        # §44
EXTENSION_MAX_DAYS = 10      # §42 ¶1
EXTENSION_MAX_DAYS_JOINT = 15  # §42 ¶2 (§26 统一/联合/集中办理)

_UNIT_MAP = {
    LimitUnit.WORKING_DAYS: Unit.WORKING_DAYS,
    LimitUnit.CALENDAR_DAYS: Unit.CALENDAR_DAYS,
    LimitUnit.HOURS: Unit.HOURS,
}
_QUERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def correction_days_default() -> int:
    # No national number for the applicant's correction period: configurable (RULES "make it configurable").
    return int(getattr(settings, "ZHENGWU_CASE_CORRECTION_DAYS", 15))


# ------------------------------------------------------------------------------------------------
# Inputs


@dataclass
class ApplicantInput:
    applicant_type: str
    name: str
    id_type: str
    id_number: str
    phone: str = ""
    address: str = ""
    legal_representative: str = ""
    agent_name: str = ""
    agent_id_number: str = ""
    agent_phone: str = ""


@dataclass
class MaterialInput:
    requirement_id: int | None
    name: str = ""
    content: bytes = b""
    filename: str = ""
    reused_certificate: str = ""  # 电子证照标识 from the licence library instead of an upload


@dataclass
class CorrectionItem:
    reason: str
    requirement_id: int | None = None
    name: str = ""


@dataclass
class FeeLineInput:
    """A fee notice line: `amount` may be left out (None) for a fixed standard; `basis_note` says
    how the amount was worked out when the standard is not an amount."""

    fee_item_id: int
    amount: Any = None
    basis_note: str = ""


FeeLine = FeeLineInput


@dataclass
class _Outcome:
    """What a transition decided, for the caller to audit and notify."""

    case: Case
    notices: list[dict[str, Any]] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------
# Helpers: actor, lock, the executor, events


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _event(case: Case, *, action: str, actor, role: str, note: str = "", data: dict | None = None,
           public: bool = True, src: str = "", dst: str = "", at: dt.datetime | None = None) -> None:
    # Appended: written with the call's audit events when its unit of work ends (core.appends).
    append(Row(CaseEvent, case=case, occurred_at=at or timezone.now(), action=action, from_status=src, to_status=dst,
               actor=_user(actor), role=role, note=note[:2000], data=data or {}, public=public))


def _transition(case: Case, *, action: str, actor, role: str, to: str | None = None, note: str = "",
                data: dict | None = None, changes: dict[str, Any] | None = None,
                at: dt.datetime | None = None) -> Case:
    """The one executor: lock the row, check the caller's version, check the table, stamp the
    times, bump the version and append the CaseEvent. Nothing else assigns `Case.status`."""
    locked = _relock(case)
    try:
        dst = states.check(locked.status, action, role, to)
    except states.TransitionRefused as exc:
        if exc.reason == "role":
            raise PermissionDenied(f"当前身份（{Role(role).label}）不能执行“{Action(action).label}”",
                                   f"role {role} may not {action}") from None
        raise Conflict(f"办件当前状态为“{states.label(locked.status)}”，不能执行“{Action(action).label}”",
                       f"cannot {action} a case that is {locked.status}",
                       details=[{"status": locked.status, "action": action}]) from None
    now = at or timezone.now()
    src = locked.status
    for name, value in (changes or {}).items():
        setattr(case, name, value)
    case.status = dst
    if dst == Status.SUBMITTED and case.received_at is None:
        case.received_at = now
    if dst == Status.ACCEPTED and src == Status.SUBMITTED and case.accepted_at is None:
        case.accepted_at = now
    if dst in (Status.APPROVED, Status.DENIED):
        case.decided_at = now
    if dst == Status.COMPLETED:
        case.completed_at = now
    if dst in (Status.REJECTED, Status.WITHDRAWN, Status.TERMINATED):
        case.closed_at = now
    case.version = locked.version + 1
    _save_changed(case)
    _event(case, action=action, actor=actor, role=role, note=note, data=data, src=src, dst=dst, at=now)
    return case


@functools.cache
def _case_columns() -> tuple[tuple[str, ...], Callable[[Case], tuple]]:
    """The case's saved fields (names, but the primary key) and a reader of their values at once."""
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
    return tuple(f.name for f in fields), operator.attrgetter(*(f.attname for f in fields))


def _snapshot(case: Case) -> None:
    case._snapshot = _case_columns()[1](case)  # type: ignore[attr-defined]


def _save_changed(case: Case) -> None:
    """Save only the columns this call changed (a case read by `_lock_case` keeps its loaded values):
    a shorter UPDATE, and the encrypted ID numbers are not encrypted again on every transition."""
    before = getattr(case, "_snapshot", None)
    if before is None:
        case.save()
    else:
        # A plain UPDATE of the changed columns, left to the end of the unit of work: the row is
        # locked, and this call reads it from memory.
        names, values = _case_columns()
        changed = [name for name, now, was in zip(names, values(case), before, strict=True) if now != was]
        if changed:
            later([update_statement(case, changed)])
    _snapshot(case)


def _relock(case: Case) -> Case:
    """The case row as locked in this transaction. A case that came from `_lock_case` (or a clock
    handler's SELECT … FOR UPDATE) is already locked and current: no second read. Anything else is
    locked now and checked against the caller's copy, so a stale copy cannot overwrite a newer row."""
    if getattr(case, "_row_locked", False):
        return case
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.version != case.version or locked.status != case.status:
        raise Conflict("办件已被他人处理，请刷新后重试", "the case changed meanwhile; reload and retry",
                       details=[{"status": locked.status, "version": locked.version}])
    case._row_locked = True  # type: ignore[attr-defined]
    return case


def _locked(case: Case) -> Case:
    case._row_locked = True  # type: ignore[attr-defined]
    _snapshot(case)
    return case


def _lock_case(*, actor, case_no: str, expected_version: int | None = None, system: bool = False,
               calendar: bool = False, step_ended: bool = False) -> Case:
    """The case locked for update; 404 when it does not exist or the actor may not see it.

    The actor's positions in the case's department are read once here (own posts and AB岗 cover)
    and kept on the case for `_role`, so a service asks the org tables once per call. A service
    that will start a clock says `calendar`: the calendar revision is read here too; one that closes a
    review step says `step_ended`: when the last step ended (`_step_started_at`), on PostgreSQL."""
    staff = None if system or not is_business_staff(actor) else actor
    case, post_rows, revision = _case_locked_row(case_no, staff, calendar, step_ended)
    if case is None:
        raise NotFound("办件不存在", "case not found")
    if revision is not None:
        revision_seen(revision)
    attach_catalog_version(case)
    if not system:
        held = {} if _is_applicant(actor, case) or post_rows is None else held_positions(actor, post_rows)
        case._held = (getattr(actor, "pk", None), held)  # type: ignore[attr-defined]
        if not held and not _is_applicant(actor, case) and not can_view_case(actor, case):
            raise NotFound("办件不存在", "case not found")
    _locked(case)
    if expected_version is not None and case.version != expected_version:
        raise Conflict("办件已被他人处理，请刷新后重试", "the case changed meanwhile; reload and retry",
                       details=[{"status": case.status, "version": case.version}])
    return case


def _case_locked_row(case_no: str, staff=None, calendar: bool = False,
                     step_ended: bool = False) -> tuple[Case | None, list | None, list | None]:
    """The case row FOR UPDATE with its department, region, applicant account and item policy, in one statement
    written once per process (zhengwu.core.rows): every service call starts here, and compiling this
    four-table query in the ORM cost twice what PostgreSQL takes to answer it.

    With them (case, posts, revision): the posts `staff` holds in the case's department
    (`org.selectors.posts_in_department`) and the stored calendar revision when `calendar`
    (`workdays.revision_statement`), each None when not asked. On PostgreSQL they are columns of
    the same statement (one execution, one result: cheaper for both sides than a pipeline of three);
    SQLite, in-process, reads them one after the other."""
    vendor = connection.vendor
    c, d, r, u = (columns(Case, "c", vendor), columns(Department, "d", vendor),
                  columns(Region, "r", vendor), columns(User, "u", vendor))
    p = columns(CaseItemPolicy, "p", vendor)
    one = vendor == "postgresql"
    extra, extra_params, after = "", [], []
    if staff is not None:
        if one:
            posts_sql, posts_params = posts_in_department_statement(staff, "c.department_id", [])
            extra += f", (SELECT string_agg(q.position || ':' || q.user_id, ',') FROM ({posts_sql}) q)"
            extra_params += posts_params
        else:
            after.append(posts_in_department_statement(
                staff, f"(SELECT department_id FROM {Case._meta.db_table} WHERE case_no = %s)", [case_no]))
    if calendar:
        if one:
            revision_sql, revision_params = revision_statement()
            extra += f", (SELECT concat_ws(':', q.counter, q.token) FROM ({revision_sql}) q)"
            extra_params += revision_params
        else:
            after.append(revision_statement())
    # The audit lane's head (zhengwu.core.audit), locked and read by the same statement, so the call's
    # end needs no read of its own: FOR UPDATE returns a row as it is when locked.
    head = head_statement() if one else None
    with_head, head_params = (f"WITH h AS MATERIALIZED ({head[0]}) ", list(head[1])) if head else ("", [])
    sql = (f"{with_head}SELECT {c.sql}, {d.sql}, {r.sql}, {u.sql}, {p.sql}{extra}"
           f"{', h.id, h.last_seq, h.last_hash' if head else ''} FROM {Case._meta.db_table} c"
           f" INNER JOIN {Department._meta.db_table} d ON d.id = c.department_id"
           f" INNER JOIN {Region._meta.db_table} r ON r.id = d.region_id"
           f" LEFT JOIN {User._meta.db_table} u ON u.id = c.applicant_id"
           f" LEFT JOIN {CaseItemPolicy._meta.db_table} p ON p.item_id = c.item_id"
           f"{' LEFT JOIN h ON true' if head else ''}"
           f" WHERE c.case_no = %s{for_update('c')}")
    # When the last step ended, when asked: a statement of its own after the lock in the same round
    # trip, not a column of it, as a subquery in the lock's select list reads from before the lock.
    ended = (_STEP_ENDED.format(where=f"(SELECT id FROM {Case._meta.db_table} WHERE case_no = %s)"), [case_no]
             ) if one and step_ended else None
    found, *more = fetch_together([(sql, [*head_params, *extra_params, case_no]), *after,
                                   *([ended] if ended else [])])
    ended_rows = more.pop() if ended is not None else None
    posts: list | None = None
    revision: list | None = None
    width = c.width + d.width + r.width + u.width + p.width
    if one:
        tail = list(found[0][width:]) if found else []
        if staff is not None:
            text = tail.pop(0) if tail else None
            posts = [(position, int(user_id)) for position, user_id in
                     (pair.split(":") for pair in text.split(","))] if text else []
        if calendar:
            stored = tail.pop(0) if tail else None
            counter, _, token = (stored or "").partition(":")
            revision = [] if stored is None else [(int(counter), token)]
        if head is not None and tail and tail[0] is not None:
            head_taken([tail[:3]])
    else:
        more.reverse()
        posts = more.pop() if staff is not None else None
        revision = more.pop() if calendar else None
    if not found:
        return None, posts, revision
    row = found[0]
    case = cast(Case, c.build(row))
    case.department = _department_built(row, c.width, d, r)
    applicant_at = c.width + d.width + r.width
    if row[applicant_at] is None:
        Case.applicant.field.set_cached_value(case, None)
    else:
        case.applicant = cast(User, u.build(row, applicant_at))
    policy_at = applicant_at + u.width
    case._policy = None if row[policy_at] is None else p.build(row, policy_at)  # type: ignore[attr-defined]
    if ended_rows is not None:
        case._step_ended = ended_rows  # type: ignore[attr-defined]
    return case, posts, revision


def attach_catalog_version(case: Case) -> Case:
    """The case's catalog version (and its current step) from the per-process cache of published
    versions: their content never changes, and the wide version row is the costliest part of a
    case read."""
    version = version_frozen(case.item_version_id)
    case.item_version = version
    if case.current_step_id is not None:
        step = next((s for s in version.steps.all() if s.pk == case.current_step_id), None)
        if step is not None:
            case.current_step = step
    return case


def _policy(case: Case) -> CaseItemPolicy | None:
    """The item's case-handling policy (超时默许, joint handling, licence type), or None; read with
    the case's lock (`_case_locked_row`) when it came from there."""
    if hasattr(case, "_policy"):
        return case._policy
    return CaseItemPolicy.objects.filter(item_id=case.item_id).first()


def _role(actor, case: Case, roles: Sequence[str], what: str) -> tuple[str, int | None]:
    cached = getattr(case, "_held", None)
    if cached is not None and cached[0] == getattr(actor, "pk", None) and cached[0] is not None:
        found = next(((r, cached[1][r]) for r in roles if r in cached[1]), None)
    else:
        found = role_for(actor, case, roles)
    if found is None:
        labels = "、".join(Position(r).label for r in roles)
        raise PermissionDenied(f"只有本部门的{labels}可以{what}", f"only {', '.join(roles)} of the department may {what}")
    return found


def _is_applicant(actor, case: Case) -> bool:
    return getattr(actor, "pk", None) is not None and case.applicant_id == actor.pk


def _audit(actor, action: str, case: Case, **data: Any) -> None:
    audit_record(actor=actor if actor is not None else SYSTEM_ACTOR, action=action, obj=case,
                 data={"case_no": case.case_no, "status": case.status, "version": case.version, **data})


def _notify_applicant(case: Case, template: str, **context: Any) -> None:
    ctx = {"case_no": case.case_no, "item_name": case.item_version.name, "query_code": case.query_code, **context}
    notify_send(recipient_user=case.applicant, phone=case.applicant_phone or None, template=template, context=ctx)


def _first_responder(case: Case, actor) -> None:
    # 首问负责: the first staff member who handles the case stays answerable for it.
    if case.first_responder_id is None and _user(actor) is not None:
        case.first_responder = actor


def _text(value: str, field_name: str, label: str, *, max_len: int = 2000) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"请填写{label}", f"{field_name} is required", field=field_name)
    if len(value) > max_len:
        raise ValidationFailed(f"{label}不能超过 {max_len} 字", f"{field_name} is too long", field=field_name)
    return value


# ------------------------------------------------------------------------------------------------
# Clocks on the shared ledger


def case_clocks(case: Case, kinds: Iterable[str] | None = None, *, open_only: bool = True):
    qs = Clock.objects.filter(owner_type=ContentType.objects.get_for_model(Case), owner_id=str(case.pk))
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    if open_only:
        qs = qs.filter(status__in=[Clock.Status.RUNNING, Clock.Status.SUSPENDED])
    return qs.order_by("id")


def case_clock(case: Case, kind: str) -> Clock | None:
    return case_clocks(case, [kind], open_only=False).order_by("-id").first()


def _clock_start(actor, case: Case, kind: str, value: int, unit: str, at: dt.datetime, note: str = "") -> Clock:
    return clocks.clock_start(actor=actor, owner=case, kind=kind, budget_value=value, budget_unit=unit,
                              started_at=at, region=case.department.region, note=note)


def _clocks_finish(actor, case: Case, kinds: Iterable[str], *, complete: bool, reason: str = "",
                   at: dt.datetime | None = None) -> None:
    clocks.clocks_finish(actor=actor, clocks=clocks.clocks_locked_of(case, kinds), complete=complete, at=at,
                         reason=reason)


def _limit(value: int, unit: str) -> tuple[int, str]:
    return value, _UNIT_MAP.get(LimitUnit(unit), Unit.WORKING_DAYS)


def _start_decision_clocks(actor, case: Case, at: dt.datetime) -> dict[str, Clock]:
    version = case.item_version
    # 行政许可法 §42 / §82: the legal limit in working days from acceptance (or from receipt when
    # deemed), and the promised one; both inserted in one statement.
    legal = _limit(version.legal_limit_value, version.legal_limit_unit)
    promised = _limit(version.promised_limit_value, version.promised_limit_unit)
    started = clocks.clocks_start(actor=actor, owner=case, started_at=at, region=case.department.region, budgets=[
        (CLOCK_LEGAL, *legal, "法定办结时限"), (CLOCK_PROMISED, *promised, "承诺办结时限")])
    return {clock.kind: clock for clock in started}


# ------------------------------------------------------------------------------------------------
# Documents (文书): numbered, rendered, stored on the case


def _document_number(case: Case, kind: NoticeKind, *, actor, issued_on: dt.date | None = None) -> str:
    from zhengwu.licences.services import document_number_next

    issued_on = issued_on or timezone.localdate()
    return document_number_next(department=case.department, kind=kind, year=issued_on.year, actor=actor)


def _notice(case: Case, kind: NoticeKind, number: str, *, paragraphs: list[str], tables=(), remedies=None,
            issued_on: dt.date | None = None) -> dict[str, Any]:
    return notice_params(kind=kind, number=number, recipient=case.applicant_name, paragraphs=paragraphs,
                         tables=tables, issuer_name=case.department.name,
                         issued_on=issued_on or timezone.localdate(), remedies=remedies)


def _document(case: Case, kind: NoticeKind, *, actor, paragraphs: list[str], tables=(), remedies=None,
              issued_on: dt.date | None = None) -> tuple[str, dict[str, Any]]:
    """A numbered notice: the number is taken now (gap-free per department, kind and year) and the
    wording fixed; `_attach` queues its PDF."""
    number = _document_number(case, kind, actor=actor, issued_on=issued_on)
    return number, _notice(case, kind, number, paragraphs=paragraphs, tables=tables, remedies=remedies,
                           issued_on=issued_on)


def _attach(obj, field_name: str, case: Case, params: dict[str, Any]) -> None:
    """Queue the notice's PDF for `obj.<field_name>` (zhengwu.documents.jobs): written in this
    transaction when documents are not deferred, otherwise after the commit."""
    safe = re.sub(r"[^0-9A-Za-z-]", "", case.case_no)
    document_enqueue(renderer="notice", obj=obj, field_name=field_name, filename=f"{safe}-{params['kind']}.pdf",
                     params=params)


def _due_text(case: Case, kind: str, clock: Clock | None = None) -> str:
    clock = clock or case_clock(case, kind)
    if clock is None or clock.due_date is None:
        return "（计时已挂起）"
    return chinese_date(clock.due_date)


# ------------------------------------------------------------------------------------------------
# Application: draft, submit, walk-in


def _case_no(case_department, now: dt.datetime) -> str:
    year = timezone.localtime(now).year
    code = _department_letters(case_department.short_name or case_department.name) or f"D{case_department.pk}"
    last = counter_next(CaseNumberCounter, field="last", department=case_department, year=year)
    return f"{year}-{code}-{last:06d}"


@functools.lru_cache(maxsize=1024)
def _department_letters(name: str) -> str:
    """The first letters of a department's name in pinyin, e.g. 县市场监管局 → XSCJGJ (up to 8)."""
    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).upper()
    return re.sub(r"[^A-Z0-9]", "", letters)[:8]


def _query_code() -> str:
    return "".join(secrets.choice(_QUERY_ALPHABET) for _ in range(8))


def _applicant_fields(data: ApplicantInput) -> dict[str, Any]:
    if data.applicant_type not in ApplicantType.values:
        raise ValidationFailed("申请人类型无效", "invalid applicant type", field="applicant_type")
    if data.id_type not in IdType.values:
        raise ValidationFailed("证件类型无效", "invalid ID type", field="applicant_id_type")
    if data.applicant_type == ApplicantType.PERSON and data.id_type == IdType.USCC:
        raise ValidationFailed("自然人不能以统一社会信用代码申请", "a person applies with a personal ID",
                               field="applicant_id_type")
    if data.applicant_type == ApplicantType.ORGANISATION and data.id_type not in (IdType.USCC, IdType.OTHER):
        raise ValidationFailed("法人或其他组织应填写统一社会信用代码", "an organisation applies with its USCC",
                               field="applicant_id_type")
    name = _text(data.name, "applicant_name", "申请人名称", max_len=200)
    number = applicant_id_validate(data.id_type, data.id_number)
    phones = {}
    for key, label, value in (("applicant_phone", "联系电话", data.phone), ("agent_phone", "代办人电话", data.agent_phone)):
        value = re.sub(r"[\s]", "", value or "")
        if value and not _PHONE.match(value):
            raise ValidationFailed(f"{label}格式不正确", f"invalid {key}", field=key)
        phones[key] = value
    agent_id = ""
    if data.agent_name or data.agent_id_number:
        _text(data.agent_name, "agent_name", "代办人姓名", max_len=50)
        agent_id = applicant_id_validate(IdType.ID_CARD, data.agent_id_number)
    return {
        "applicant_type": data.applicant_type, "applicant_name": name, "applicant_id_type": data.id_type,
        "applicant_id_number": number, "applicant_address": (data.address or "").strip()[:300],
        "legal_representative": (data.legal_representative or "").strip()[:50],
        "agent_name": (data.agent_name or "").strip()[:50], "agent_id_number": agent_id, **phones,
    }


def _item_row(item_id: int) -> ServiceItem | None:
    """The item with its department and region, in one statement written once per process
    (zhengwu.core.rows): every application starts here."""
    statement = _item_statement(item_id)
    return None if statement is None else _item_built(fetch_together([statement])[0])


def _item_statement(item_id: int) -> tuple[str, list] | None:
    """The SELECT of `_item_row`, or None for an id no row can have."""
    if not isinstance(item_id, int) or not 0 < item_id < 2**63:  # no such row; a bigger number overflows
        return None
    i, d, r = _item_columns()
    return (f"SELECT {i.sql}, {d.sql}, {r.sql} FROM {ServiceItem._meta.db_table} i"
            f" INNER JOIN {Department._meta.db_table} d ON d.id = i.department_id"
            f" INNER JOIN {Region._meta.db_table} r ON r.id = d.region_id WHERE i.id = %s", [item_id])


def _item_columns():
    vendor = connection.vendor
    return columns(ServiceItem, "i", vendor), columns(Department, "d", vendor), columns(Region, "r", vendor)


def _item_built(rows: list) -> ServiceItem | None:
    if not rows:
        return None
    i, d, r = _item_columns()
    row = rows[0]
    item = cast(ServiceItem, i.build(row))
    item.department = _department_built(row, i.width, d, r)
    return item


def _department_built(row, start: int, d, r) -> Department:
    """The department at `row[start:]` with its region right after it (`_case_locked_row`, `_item_row`)."""
    department = cast(Department, d.build(row, start))
    department.region = cast(Region, r.build(row, start + d.width))
    return department


def _published_item(item_id: int, item: ServiceItem | None | bool = False) -> ServiceItem:
    """The item open for applications, read now (or as `_key_and_item` read it: `item`)."""
    item = _item_row(item_id) if item is False else item
    if not isinstance(item, ServiceItem) or item is None or item.status != ServiceItem.Status.PUBLISHED or item.current_version_id is None:
        raise ValidationFailed("该事项未发布或已暂停办理", "the item is not open for applications", field="item_id")
    item.current_version = version_frozen(item.current_version_id)
    return item


def _requirements(case: Case) -> dict[int, Any]:
    """The materials list of the case's catalog version, read once per call."""
    cached = getattr(case, "_requirements", None)
    if cached is None:
        cached = {r.pk: r for r in case.item_version.materials.all()}
        case._requirements = cached  # type: ignore[attr-defined]
    return cached


def _check_materials(case: Case, materials: Sequence[MaterialInput]) -> list[tuple[MaterialInput, Any]]:
    """Validate every file before anything is written (bad input changes nothing)."""
    requirements = _requirements(case)
    checked = []
    for m in materials:
        if m.requirement_id is not None and m.requirement_id not in requirements:
            raise ValidationFailed("材料不属于本事项的申请材料目录", "the material is not required by this item",
                                   field="requirement_id")
        name = m.name or (requirements[m.requirement_id].name if m.requirement_id else "")
        if not name:
            raise ValidationFailed("请填写材料名称", "material name is required", field="name")
        if m.reused_certificate:
            checked.append((m, _reusable_certificate(m.reused_certificate, case)))
        else:
            checked.append((m, upload_check(m.content, name=m.filename or name)))
    return checked


def _reusable_certificate(identifier: str, case: Case):
    """A certificate of the licence library held by this case's applicant. Anyone else's is
    answered exactly like a missing one, so identifiers cannot be probed through applications."""
    from zhengwu.licences.models import Certificate
    from zhengwu.licences.services import holder_id_indexes

    certificate = Certificate.objects.filter(identifier=identifier.strip().upper()).first()
    # Under the current data key, or the previous one while `rotate_data_key` has not reached it.
    if certificate is None or certificate.holder_id_index not in holder_id_indexes(case.applicant_id_number):
        raise ValidationFailed("证照库中没有申请人的该电子证照", "the applicant holds no such certificate",
                               field="reused_certificate")
    return certificate


_SAVED_FILES: contextvars.ContextVar[list[tuple[Any, str]] | None] = contextvars.ContextVar(
    "zhengwu_case_saved_files", default=None)


@contextmanager
def _files_follow_the_transaction() -> Iterator[None]:
    """Uploaded files are written to storage inside the transaction that records them; when that
    transaction rolls back (a refused upload, a conflict, a crash before commit), the files written
    so far are removed, so storage keeps no file that no row points to. Wrap it around the atomic
    block, so a failure while committing is caught too."""
    saved: list[tuple[Any, str]] = []
    token = _SAVED_FILES.set(saved)
    try:
        yield
    except BaseException:
        for storage, name in saved:
            with suppress(OSError):
                storage.delete(name)
        raise
    finally:
        _SAVED_FILES.reset(token)


def _store_materials(actor, case: Case, checked, now: dt.datetime) -> list[CaseMaterial]:
    from zhengwu.licences.services import licence_reuse

    requirements = _requirements(case)
    stored = []
    for m, check in checked:
        name = m.name or requirements[m.requirement_id].name
        row = CaseMaterial(case=case, requirement_id=m.requirement_id, name=name[:300], received_at=now)
        if m.reused_certificate:
            licence_reuse(actor=actor, certificate=check, purpose=f"申请材料：{name}"[:200], reference=case.case_no)
            row.reused_certificate = check.identifier
            row.content_type = "certificate"
        else:
            row.content_type, row.size, row.sha256 = check.content_type, len(check.content), check.sha256
            row.file.save(f"{check.sha256[:16]}.{check.extension}", ContentFile(check.content), save=False)
            saved = _SAVED_FILES.get()
            if saved is not None:
                saved.append((row.file.storage, row.file.name))
        stored.append(row)
    return insert_now_many(stored)  # one INSERT for all of them


def _new_case(*, actor, item: ServiceItem, applicant, data: ApplicantInput, channel: str,
              idempotency_key: str | None, summary: str, window=None) -> Case:
    now = timezone.now()
    assert item.current_version is not None
    return _locked(insert_now(Case(
        case_no=_case_no(item.department, now), query_code=_query_code(), item=item,
        item_version=item.current_version, department=item.department, window=window, applicant=applicant,
        channel=channel, idempotency_key=idempotency_key or None, summary=(summary or "").strip()[:300],
        status=Status.DRAFT, **_applicant_fields(data),
    )))


# pg_advisory_xact_lock's first key: the application's idempotency key (its hash is the second).
_KEY_LOCK_CLASS = 0x7A57


def _key_and_item(idempotency_key: str | None, applicant, item_id: int | None) -> tuple[Case | None, Any]:
    """Inside the application's transaction, in one round trip: on PostgreSQL the idempotency key
    locked until the transaction ends (so a second request with the key waits, then finds this one's
    case, and no savepoint is needed for the race), the case already made with the key, the item
    applied for (False when not read), and the calendar revision."""
    key_lock = [("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_KEY_LOCK_CLASS, idempotency_key])
                ] if idempotency_key and connection.vendor == "postgresql" else []
    key = [(f"SELECT id FROM {Case._meta.db_table} WHERE idempotency_key = %s", [idempotency_key])
           ] if idempotency_key else []
    item_statement = None if item_id is None else _item_statement(item_id)
    item_read = [] if item_statement is None else [item_statement]
    # The submission starts the acceptance clock (§32): the calendar revision; then the audit lane's head.
    head = head_statement()
    results = fetch_together([*key_lock, *key, *item_read, revision_statement(),
                              *([head] if head else [])])[len(key_lock):]
    found = results.pop(0) if key else []
    item: Any = False if item_id is None else (None if item_statement is None else _item_built(results.pop(0)))
    revision_seen(results.pop(0))
    if head is not None:
        head_taken(results.pop(0))
    return _key_owner_checked(found, applicant), item


def _by_key(idempotency_key: str | None, applicant) -> Case | None:
    if not idempotency_key:
        return None
    with connection.cursor() as cursor:  # plain SQL: asked on every application that carries a key
        cursor.execute(f"SELECT id FROM {Case._meta.db_table} WHERE idempotency_key = %s", [idempotency_key])
        found = cursor.fetchall()
    return _key_owner_checked(found, applicant)


def _key_owner_checked(found: list, applicant) -> Case | None:
    existing = None if not found else Case.objects.filter(pk=found[0][0]).first()
    if existing is not None and applicant is not None and existing.applicant_id not in (None, applicant.pk):
        raise Conflict("幂等键已被使用", "the idempotency key is already in use", field="idempotency_key")
    return existing


def _key(idempotency_key: str | None) -> str | None:
    key = (idempotency_key or "").strip()
    if key and (len(key) > 80 or not re.fullmatch(r"[\w.:-]+", key)):
        raise ValidationFailed("幂等键格式不正确（1–80 位字母、数字、-_.:）", "invalid idempotency key",
                               field="idempotency_key")
    return key or None


def case_draft_create(*, actor, item_id: int, applicant: ApplicantInput, channel: str = Channel.ONLINE_PC,
                      summary: str = "", idempotency_key: str | None = None, _key_checked: bool = False,
                      _key_locked: bool = False, _item: Any = False) -> Case:
    """网上申请: an applicant's draft, filled in and submitted later."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("请先登录", "sign in first")
    if channel not in (Channel.ONLINE_PC, Channel.ONLINE_MOBILE, Channel.POST):
        raise ValidationFailed("网上申请的来源应为电脑端、移动端或快递", "invalid channel for an online draft",
                               field="channel")
    key = _key(idempotency_key)
    existing = None if _key_checked else _by_key(key, actor)
    if existing is not None:
        return existing
    item = _published_item(item_id, _item)
    assert item.current_version is not None
    if channel != Channel.POST and not item.current_version.supports_online:
        # 实施清单 “是否网办”: an item handled only at the window cannot be applied for online.
        raise ValidationFailed("该事项不支持网上申办，请到办事窗口提交申请", "the item cannot be applied for online",
                               field="item_id")
    try:
        # Only a key another request may be inserting needs the savepoint to recover from the race.
        with transaction.atomic(savepoint=bool(key) and not _key_locked), audit_batch():
            case = _new_case(actor=actor, item=item, applicant=actor, data=applicant, channel=channel,
                             idempotency_key=key, summary=summary)
            _event(case, action="draft", actor=actor, role=Role.APPLICANT, dst=Status.DRAFT, public=False)
            _audit(actor, "case.draft_create", case, item=item.basic_code)
    except IntegrityError:
        # A concurrent request with the same idempotency key won the race: return its case.
        existing = _by_key(key, actor)
        if existing is None:
            raise
        return existing
    return case


def case_material_add(*, actor, case_no: str, materials: Sequence[MaterialInput]) -> list[CaseMaterial]:
    """Add materials to a draft, a case waiting for acceptance, or a case under correction."""
    with _files_follow_the_transaction(), transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no)
        if case.status not in (Status.DRAFT, Status.SUBMITTED, Status.CORRECTION):
            raise Conflict(f"办件当前状态为“{states.label(case.status)}”，不能再补充材料",
                           "materials can be added only before acceptance")
        if not _is_applicant(actor, case):
            _role(actor, case, [Position.CLERK, Position.CHIEF_REPRESENTATIVE], "收取材料")
        checked = _check_materials(case, materials)
        stored = _store_materials(actor, case, checked, timezone.now())
        _event(case, action="material_add", actor=actor,
               role=Role.APPLICANT if _is_applicant(actor, case) else Role.CLERK,
               data={"materials": [r.name for r in stored]}, public=True)
        _audit(actor, "case.material_add", case, materials=[r.name for r in stored])
    return stored


def _after_submission(actor, case: Case) -> None:
    # 行政许可法 §32(4): the one-time correction notice within 5 WD of receipt, else deemed accepted.
    assert case.received_at is not None
    _clock_start(actor, case, CLOCK_ACCEPTANCE, ACCEPTANCE_NOTICE_DAYS, Unit.WORKING_DAYS, case.received_at,
                 note="一次性告知期限（行政许可法第三十二条）")
    _notify_applicant(case, "case.submitted")


def case_submit(*, actor, case_no: str | None = None, item_id: int | None = None,
                applicant: ApplicantInput | None = None, materials: Sequence[MaterialInput] = (),
                channel: str = Channel.ONLINE_PC, summary: str = "", idempotency_key: str | None = None) -> Case:
    """Submit an online application: an existing draft (case_no), or a new one in one call.

    With an idempotency key a double-submitted application is one case: the second call
    returns the first call's case unchanged.
    """
    key = _key(idempotency_key)
    # One transaction for draft + submission: a refused upload leaves no draft behind.
    with _files_follow_the_transaction(), transaction.atomic(), audit_batch():
        fresh = None
        if case_no is None:
            existing, item = _key_and_item(key, actor, item_id)
            if existing is not None and existing.status != Status.DRAFT:
                return existing
            if existing is None:
                if item_id is None or applicant is None:
                    raise ValidationFailed("请选择事项并填写申请人信息", "item and applicant are required",
                                           field="item_id")
                existing = case_draft_create(actor=actor, item_id=item_id, applicant=applicant, channel=channel,
                                             summary=summary, idempotency_key=key, _key_checked=True,
                                             _key_locked=connection.vendor == "postgresql", _item=item)
                # The draft just inserted in this transaction is ours and current; a case another
                # request created first (the idempotency race) is locked and read like any other.
                fresh = existing if getattr(existing, "_row_locked", False) else None
            case_no = existing.case_no
        case = fresh or _lock_case(actor=actor, case_no=case_no)
        if not _is_applicant(actor, case):
            raise NotFound("办件不存在", "case not found")
        if case.status != Status.DRAFT and key and case.idempotency_key == key:
            return case
        checked = _check_materials(case, materials)
        _store_materials(actor, case, checked, timezone.now())
        _transition(case, action=Action.SUBMIT, actor=actor, role=Role.APPLICANT)
        _after_submission(actor, case)
        _audit(actor, "case.submit", case, channel=case.channel)
    return case


def case_register_walk_in(*, actor, item_id: int, applicant: ApplicantInput, materials: Sequence[MaterialInput] = (),
                          window_id: int | None = None, summary: str = "", channel: str = Channel.WINDOW,
                          idempotency_key: str | None = None) -> Case:
    """窗口收件: a clerk registers a walk-in (or posted) application; the clerk is the 首问负责人."""
    key = _key(idempotency_key)
    existing = Case.objects.filter(idempotency_key=key).first() if key else None
    if existing is not None:
        if not can_view_case(actor, existing):
            raise Conflict("幂等键已被使用", "the idempotency key is already in use", field="idempotency_key")
        return existing
    if channel not in (Channel.WINDOW, Channel.POST):
        raise ValidationFailed("窗口收件的来源应为窗口或快递", "invalid channel for a walk-in", field="channel")
    item = _published_item(item_id)
    probe = Case(department=item.department)
    role, _acting = _role(actor, probe, [Position.CLERK, Position.CHIEF_REPRESENTATIVE], "登记收件")
    window = None
    if window_id is not None:
        window = item.department.windows.filter(pk=window_id).first() or item.windows.filter(pk=window_id).first()
        if window is None:
            raise ValidationFailed("窗口不属于本事项的办理窗口", "the window does not serve this item", field="window_id")
    with _files_follow_the_transaction(), transaction.atomic(), audit_batch():
        case = _new_case(actor=actor, item=item, applicant=None, data=applicant, channel=channel,
                         idempotency_key=key, summary=summary, window=window)
        checked = _check_materials(case, materials)
        _store_materials(actor, case, checked, timezone.now())
        _transition(case, action=Action.SUBMIT, actor=actor, role=role, changes={"first_responder": actor},
                    note="窗口收件")
        _after_submission(actor, case)
        _audit(actor, "case.register_walk_in", case, channel=channel, applicant=mask_name(case.applicant_name),
               applicant_id=mask_id_number(case.applicant_id_number))
    return case


# ------------------------------------------------------------------------------------------------
# Acceptance, rejection, the one-time correction notice


def _missing_required(case: Case) -> list[str]:
    """Names of the required materials of the case's catalog version not received, in list order."""
    with connection.cursor() as cursor:  # plain SQL: asked on every acceptance
        cursor.execute(f"SELECT requirement_id FROM {CaseMaterial._meta.db_table} WHERE case_id = %s AND state = %s",
                       [case.pk, CaseMaterial.State.RECEIVED])
        received = {row[0] for row in cursor.fetchall()}
    required = sorted((r for r in case.item_version.materials.all() if r.required), key=lambda r: (r.order, r.pk))
    return [r.name for r in required if r.pk not in received]


def _acceptance_overdue(case: Case, now: dt.datetime) -> bool:
    clock = case_clock(case, CLOCK_ACCEPTANCE)
    return (clock is not None and clock.status == Clock.Status.RUNNING and clock.due_at is not None
            and now >= clock.due_at)


def _set_first_step(case: Case) -> ProcessStep | None:
    steps = _steps(case)
    return steps[0] if steps else None


def case_accept(*, actor, case_no: str, expected_version: int | None = None, note: str = "") -> Case:
    """受理 (行政许可法 §32(5)): voucher + 受理通知书, the legal and promised clocks start.

    即办件: decided on the spot at acceptance (§34) and recorded as 现场办结.
    """
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version, calendar=True)
        role, acting = _role(actor, case, [Position.CLERK, Position.CHIEF_REPRESENTATIVE], "受理")
        if case.status != Status.SUBMITTED:
            _transition(case, action=Action.ACCEPT, actor=actor, role=role)  # raises the 409
        missing = _missing_required(case)
        if missing:
            raise ValidationFailed("申请材料不齐全，应一次性告知补正：" + "、".join(missing),
                                   "required materials are missing; issue the correction notice",
                                   details=[{"material": m} for m in missing])
        now = timezone.now()
        _first_responder(case, actor)
        policy = _policy(case)
        number = _document_number(case, NoticeKind.ACCEPTANCE, actor=actor)
        first = _set_first_step(case)
        _transition(case, action=Action.ACCEPT, actor=actor, role=role, note=note, at=now,
                    data={"voucher_no": number, "acting_for": acting},
                    changes={"acceptance_no": number, "joint_handling": bool(policy and policy.joint_handling),
                             "current_step": first})
        _clocks_finish(actor, case, [CLOCK_ACCEPTANCE], complete=True, at=now)
        started = _start_decision_clocks(actor, case, now)
        # GB/T 39046 Table 6: the voucher carries its number and the promised completion date.
        params = _notice(case, NoticeKind.ACCEPTANCE, number, paragraphs=[
            f"你（单位）于{chinese_date(timezone.localtime(case.received_at).date())}提出的"
            f"“{case.item_version.name}”申请（办件编号 {case.case_no}），经审查，申请材料齐全、符合法定形式，"
            "根据《中华人民共和国行政许可法》第三十二条第一款第（五）项的规定，决定予以受理。",
            f"法定办结期限：{_due_text(case, CLOCK_LEGAL, started[CLOCK_LEGAL])}前；"
            f"承诺办结日期：{_due_text(case, CLOCK_PROMISED, started[CLOCK_PROMISED])}前"
            "（特别程序所需时间不计算在内）。",
            f"查询码：{case.query_code}。可凭办件编号和查询码查询办理进度。",
        ])
        _attach(case, "acceptance_pdf", case, params)
        if case.item_version.case_kind == CaseKind.IMMEDIATE:
            _decide_on_spot(actor, case, role, now)
        elif first is None:
            _transition(case, action=Action.REVIEW_COMPLETE, actor=actor, role=role, note="本事项无审查环节")
        _audit(actor, "case.accept", case, voucher_no=number, immediate=case.completed_on_site)
        if case.status != Status.APPROVED:
            _notify_applicant(case, "case.accepted", accepted_on=chinese_date(timezone.localdate()),
                              voucher_no=number,
                              promised_due=_due_text(case, CLOCK_PROMISED, started[CLOCK_PROMISED]))
    return case


def _decide_on_spot(actor, case: Case, role: str, now: dt.datetime) -> None:
    # 即办件 (行政许可法 §34): decided at the window while the applicant is there.
    for step in _steps(case):
        append(CaseStepRecord(case=case, step=step, step_name=step.name, actor=actor, action=StepAction.PASS,
                              opinion="即办件，当场办理", started_at=now, ended_at=now))
    _transition(case, action=Action.REVIEW_COMPLETE, actor=actor, role=role, note="即办件，当场审查",
                changes={"current_step": None}, at=now)
    _record_decision(actor, case, outcome=DecisionOutcome.APPROVE, reasons="即办件，当场准予", role=role,
                     action=Action.APPROVE_ON_SPOT, on_spot=True)


def case_reject(*, actor, case_no: str, reason: str, competent_agency: str = "",
                expected_version: int | None = None) -> Case:
    """不予受理 (行政许可法 §32(1)(2)): written, with the reason, naming the competent agency when known."""
    reason = _text(reason, "reason", "不予受理理由")
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role, _ = _role(actor, case, [Position.CLERK, Position.CHIEF_REPRESENTATIVE], "作出不予受理决定")
        if case.status not in (Status.SUBMITTED, Status.CORRECTION):
            _transition(case, action=Action.REJECT, actor=actor, role=role)
        agency = (competent_agency or "").strip()[:200]
        hint = f"请向{agency}申请。" if agency else ""
        number, params = _document(case, NoticeKind.REJECTION, actor=actor, paragraphs=[
            f"你（单位）提出的“{case.item_version.name}”申请（办件编号 {case.case_no}），"
            f"经审查，决定不予受理。理由：{reason}。" + hint,
        ])
        _attach(case, "rejection_pdf", case, params)
        _first_responder(case, actor)
        _transition(case, action=Action.REJECT, actor=actor, role=role, note=reason,
                    data={"document_no": number, "competent_agency": agency},
                    changes={"rejection_reason": reason, "competent_agency": agency, "rejection_no": number})
        _clocks_finish(actor, case, [CLOCK_ACCEPTANCE, CLOCK_CORRECTION], complete=False, reason="不予受理")
        _fee_notice_void_unpaid(actor, case, role, f"办件不予受理：{reason}", ended=Action.REJECT.value)
        _audit(actor, "case.reject", case, reason=reason, document_no=number)
        _notify_applicant(case, "case.rejected", reason=reason, competent_hint=hint)
    return case


def case_request_correction(*, actor, case_no: str, items: Sequence[CorrectionItem],
                            deadline_days: int | None = None, expected_version: int | None = None) -> CorrectionNotice:
    """一次性告知 (行政许可法 §32(4)): everything to correct in ONE notice, within 5 WD of receipt."""
    if not items:
        raise ValidationFailed("请列出需要补正的全部材料及理由", "list every item to correct", field="items")
    days = correction_days_default() if deadline_days is None else deadline_days
    if not isinstance(days, int) or not 1 <= days <= 60:
        raise ValidationFailed("补正期限应为 1–60 个工作日", "the correction period is 1..60 working days",
                               field="deadline_days")
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role, _ = _role(actor, case, [Position.CLERK, Position.CHIEF_REPRESENTATIVE], "告知补正")
        if CorrectionNotice.objects.filter(case=case).exists():
            # §32(4) "一次告知": a second notice on the same application is the practice the law forbids.
            raise Conflict("同一申请只能一次性告知补正，已发出过补正告知", "a correction notice was already issued "
                           "for this application; the law allows one")
        if case.status != Status.SUBMITTED:
            _transition(case, action=Action.REQUEST_CORRECTION, actor=actor, role=role)
        now = timezone.now()
        if _acceptance_overdue(case, now):
            raise Conflict("收到申请材料已超过 5 个工作日，依法视为受理，不能再告知补正（行政许可法第三十二条）",
                           "5 working days since receipt have passed: the application counts as accepted")
        requirements = {r.pk: r for r in case.item_version.materials.all()}
        listed: list[dict[str, Any]] = []
        for item in items:
            if item.requirement_id is not None and item.requirement_id not in requirements:
                raise ValidationFailed("补正事项不属于本事项的申请材料目录", "unknown material", field="items")
            name = item.name or (requirements[item.requirement_id].name if item.requirement_id else "")
            listed.append({"requirement_id": item.requirement_id, "name": _text(name, "items", "补正材料名称", max_len=300),
                           "reason": _text(item.reason, "items", "补正理由", max_len=500)})
        from zhengwu.workcalendar.workdays import add_working_days

        deadline = add_working_days(timezone.localdate(), days, case.department.region)
        number, params = _document(case, NoticeKind.CORRECTION_NOTICE, actor=actor, paragraphs=[
            f"你（单位）提出的“{case.item_version.name}”申请（办件编号 {case.case_no}），申请材料不齐全或者不符合法定形式。"
            "根据《中华人民共和国行政许可法》第三十二条第一款第（四）项的规定，现一次性告知需要补正的全部内容（见下表）。",
            f"请于{chinese_date(deadline)}前补正。",
        ], tables=[[["序号", "材料", "补正理由"], *[[str(i + 1), x["name"], x["reason"]] for i, x in enumerate(listed)]]])
        notice = CorrectionNotice(case=case, items=listed, issued_at=now, issued_by=actor, deadline=deadline,
                                  notice_no=number)
        notice.save()
        _attach(notice, "pdf", case, params)
        for x in listed:
            if x["requirement_id"] is None:
                continue
            flagged = case.materials.filter(requirement_id=x["requirement_id"]).update(
                state=CaseMaterial.State.NON_COMPLIANT, note=x["reason"][:300])
            if not flagged:
                CaseMaterial.objects.create(case=case, requirement_id=x["requirement_id"], name=x["name"][:300],
                                            state=CaseMaterial.State.MISSING, note=x["reason"][:300],
                                            received_at=now)
        _first_responder(case, actor)
        _transition(case, action=Action.REQUEST_CORRECTION, actor=actor, role=role, at=now,
                    data={"notice_no": number, "items": listed, "deadline": deadline.isoformat()})
        _clocks_finish(actor, case, [CLOCK_ACCEPTANCE], complete=True, at=now)
        _clock_start(actor, case, CLOCK_CORRECTION, days, Unit.WORKING_DAYS, now, note="补正期限")
        _audit(actor, "case.request_correction", case, notice_no=number, items=len(listed))
        _notify_applicant(case, "case.correction_requested", items="；".join(f"{x['name']}（{x['reason']}）"
                                                                            for x in listed),
                          deadline=chinese_date(deadline))
    return notice


def case_submit_correction(*, actor, case_no: str, materials: Sequence[MaterialInput],
                           expected_version: int | None = None) -> Case:
    if not materials:
        raise ValidationFailed("请提交补正材料", "upload the corrected materials", field="materials")
    with _files_follow_the_transaction(), transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role: str
        if _is_applicant(actor, case):
            role = Role.APPLICANT
        else:
            role, _ = _role(actor, case, [Position.CLERK, Position.CHIEF_REPRESENTATIVE], "收取补正材料")
        if case.status != Status.CORRECTION:
            _transition(case, action=Action.SUBMIT_CORRECTION, actor=actor, role=role)
        checked = _check_materials(case, materials)
        now = timezone.now()
        replaced = {m.requirement_id for m, _ in checked if m.requirement_id is not None}
        case.materials.filter(requirement_id__in=replaced).exclude(state=CaseMaterial.State.RECEIVED).delete()
        _store_materials(actor, case, checked, now)
        CorrectionNotice.objects.filter(case=case).update(answered_at=now)
        _transition(case, action=Action.SUBMIT_CORRECTION, actor=actor, role=role, at=now,
                    data={"materials": [m.name or m.requirement_id for m, _ in checked]})
        _clocks_finish(actor, case, [CLOCK_CORRECTION], complete=True, at=now)
        # The corrected application waits for the acceptance decision again: 5 WD on the same
        # clock kind, so the workbench and supervision warn before it runs out. No second deemed
        # acceptance follows (§32(4) deems acceptance only when the notice itself was late); the
        # handler finds the notice and only records the overdue event.
        _clock_start(actor, case, CLOCK_ACCEPTANCE, ACCEPTANCE_NOTICE_DAYS, Unit.WORKING_DAYS, now,
                     note="补正材料收到后的受理期限")
        _audit(actor, "case.submit_correction", case, materials=len(checked))
        _notify_applicant(case, "case.correction_submitted")
    return case


def case_deem_accept(*, case_id: int) -> Case:
    """Clock handler: no notice and no accept/reject within 5 WD ⇒ accepted FROM THE DAY OF RECEIPT
    (行政许可法 §32(4)); the legal and promised clocks count from receipt."""
    with transaction.atomic(), audit_batch():
        case = _locked(Case.objects.select_for_update(of=("self",)).select_related("item_version", "department__region")
                       .get(pk=case_id))
        if case.status != Status.SUBMITTED or CorrectionNotice.objects.filter(case=case).exists():
            return case
        received = case.received_at
        assert received is not None
        number, params = _document(case, NoticeKind.ACCEPTANCE, actor=SYSTEM_ACTOR, paragraphs=[
            f"你（单位）于{chinese_date(timezone.localtime(received).date())}提出的“{case.item_version.name}”申请"
            f"（办件编号 {case.case_no}），本机关未在五日内一次告知需要补正的全部内容。根据《中华人民共和国行政许可法》"
            "第三十二条第一款第（四）项的规定，自收到申请材料之日起即为受理。",
        ])
        _attach(case, "acceptance_pdf", case, params)
        _transition(case, action=Action.DEEM_ACCEPT, actor=None, role=Role.SYSTEM,
                    note="逾期未告知补正，自收到申请材料之日起视为受理",
                    changes={"deemed_accepted": True, "accepted_at": received, "acceptance_no": number,
                             "current_step": _set_first_step(case)})
        _clocks_finish(SYSTEM_ACTOR, case, [CLOCK_ACCEPTANCE], complete=False, reason="视为受理")
        _start_decision_clocks(SYSTEM_ACTOR, case, received)
        _audit(None, "case.deem_accept", case, received_at=received.isoformat(), voucher_no=number)
        _notify_applicant(case, "case.deemed_accepted",
                          received_on=chinese_date(timezone.localtime(received).date()))
    return case


def case_correction_lapse(*, case_id: int) -> Case:
    """Clock handler: the applicant's correction period ended with nothing supplied: the case ends."""
    with transaction.atomic(), audit_batch():
        case = _locked(Case.objects.select_for_update(of=("self",)).select_related("item_version").get(pk=case_id))
        if case.status != Status.CORRECTION:
            return case
        reason = "申请人逾期未补正材料，终止办理"
        _transition(case, action=Action.TERMINATE, actor=None, role=Role.SYSTEM, note=reason,
                    changes={"close_reason": reason})
        _clocks_finish(SYSTEM_ACTOR, case, [CLOCK_CORRECTION], complete=False, reason=reason)
        _fee_notice_void_unpaid(SYSTEM_ACTOR, case, Role.SYSTEM, f"办件已终止：{reason}",
                                ended=Action.TERMINATE.value)
        _audit(None, "case.correction_lapse", case)
        _notify_applicant(case, "case.terminated", reason=reason)
    return case


# ------------------------------------------------------------------------------------------------
# Review steps


def _steps(case: Case) -> list[ProcessStep]:
    # In step order (ProcessStep.Meta.ordering within one version; the cached version's prefetch).
    return list(case.item_version.steps.all())


_STEP_ENDED = (f"SELECT ended_at FROM {CaseStepRecord._meta.db_table} WHERE case_id = {{where}}"
               " ORDER BY ended_at DESC, id DESC LIMIT 1")


def _step_started_at(case: Case) -> dt.datetime:
    # When the last step ended (or the case was accepted): read with the lock (`_lock_case(step_ended=True)`,
    # PostgreSQL) or now, in plain SQL, as on every step's call.
    field = CaseStepRecord._meta.get_field("ended_at")
    rows = getattr(case, "_step_ended", None)
    if rows is None:
        with connection.cursor() as cursor:
            cursor.execute(_STEP_ENDED.format(where="%s"), [case.pk])
            rows = cursor.fetchall()
    row = rows[0] if rows else None
    if row is None:
        return case.accepted_at or timezone.now()
    value, col = row[0], field.get_col(CaseStepRecord._meta.db_table)
    for converter in connection.ops.get_db_converters(col):
        value = converter(value, col, connection)
    return value


def case_step_pass(*, actor, case_no: str, opinion: str, expected_version: int | None = None) -> Case:
    """通过: only the role the current step names, in the item's department (or its B岗 when A is absent)."""
    opinion = _text(opinion, "opinion", "处理意见")
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version, step_ended=True)
        if case.status != Status.ACCEPTED or case.current_step is None:
            raise Conflict(f"办件当前状态为“{states.label(case.status)}”，没有待办环节", "no open step on this case")
        step = case.current_step
        role, acting = _role(actor, case, [step.role], f"办理“{step.name}”环节")
        now = timezone.now()
        append(CaseStepRecord(case=case, step=step, step_name=step.name, actor=actor, acting_for_id=acting,
                              action=StepAction.PASS, opinion=opinion, started_at=_step_started_at(case), ended_at=now))
        steps = _steps(case)
        later = [s for s in steps if (s.order, s.pk) > (step.order, step.pk)]
        data = {"step": step.name, "acting_for": acting}
        if later:
            _relock(case)
            case.current_step = later[0]
            case.version += 1
            _save_changed(case)
            _event(case, action="step_pass", actor=actor, role=role, note=opinion, data={**data, "next": later[0].name},
                   src=case.status, dst=case.status, at=now)
        else:
            _transition(case, action=Action.REVIEW_COMPLETE, actor=actor, role=role, note=opinion, data=data,
                        changes={"current_step": None}, at=now)
        _audit(actor, "case.step_pass", case, step=step.name, acting_for=acting)
    return case


def case_step_return(*, actor, case_no: str, to_step_id: int, reason: str,
                     expected_version: int | None = None) -> Case:
    """退回 to an earlier step, with the reason; from the decision stage a decider returns it to review."""
    reason = _text(reason, "reason", "退回理由")
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version, step_ended=True)
        steps = _steps(case)
        target = next((s for s in steps if s.pk == to_step_id), None)
        if target is None:
            raise ValidationFailed("退回的环节不属于本事项的办理流程", "the step is not in this item's process",
                                   field="to_step_id")
        now = timezone.now()
        if case.status == Status.AWAITING_DECISION:
            role, acting = _role(actor, case, [Position.CHIEF_REPRESENTATIVE, Position.SECTION_HEAD, Position.LEADER],
                                 "退回")
            current = steps[-1]
        elif case.status == Status.ACCEPTED and case.current_step is not None:
            current = case.current_step
            role, acting = _role(actor, case, [current.role], f"退回“{current.name}”环节")
            if (target.order, target.pk) >= (current.order, current.pk):
                raise ValidationFailed("只能退回到之前的环节", "return only to an earlier step", field="to_step_id")
        else:
            raise Conflict(f"办件当前状态为“{states.label(case.status)}”，不能退回", "nothing to return")
        CaseStepRecord.objects.create(case=case, step=current, step_name=current.name, actor=actor,
                                      acting_for_id=acting, action=StepAction.RETURN, opinion=reason,
                                      returned_to=target, started_at=_step_started_at(case), ended_at=now)
        data = {"from": current.name, "to": target.name}
        if case.status == Status.AWAITING_DECISION:
            _transition(case, action=Action.STEP_RETURN, actor=actor, role=role, note=reason, data=data,
                        changes={"current_step": target}, at=now)
        else:
            _relock(case)
            case.current_step = target
            case.version += 1
            case.save(update_fields=["current_step", "version"])
            _event(case, action="step_return", actor=actor, role=role, note=reason, data=data,
                   src=case.status, dst=case.status, at=now)
        _audit(actor, "case.step_return", case, **data, reason=reason)
    return case


# ------------------------------------------------------------------------------------------------
# 特别程序, 延期


_REVIEW_POSITIONS = [Position.REVIEWER, Position.CHIEF_REPRESENTATIVE, Position.SECTION_HEAD, Position.LEADER]


def case_special_procedure_start(*, actor, case_no: str, kind: str, reason: str, expected_value: int,
                                 expected_unit: str = LimitUnit.WORKING_DAYS,
                                 expected_version: int | None = None) -> SpecialProcedure:
    """特别程序 (行政许可法 §45): both clocks stop; the applicant is told in writing how long it takes."""
    if kind not in SpecialProcedureKind.values:
        raise ValidationFailed("特别程序种类无效（听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审）",
                               "invalid special procedure kind", field="kind")
    reason = _text(reason, "reason", "启动理由或依据", max_len=500)
    if not isinstance(expected_value, int) or not 1 <= expected_value <= 365:
        raise ValidationFailed("请填写预计所需时间（1–365）", "expected duration 1..365", field="expected_value")
    if expected_unit not in LimitUnit.values:
        raise ValidationFailed("时限单位无效", "invalid unit", field="expected_unit")
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role, _ = _role(actor, case, _REVIEW_POSITIONS, "启动特别程序")
        allowed = {p.kind for p in case.item_version.special_procedures.all()}
        if allowed and kind not in allowed:
            raise ValidationFailed("本事项的实施清单未列明该特别程序", "the item does not list this special procedure",
                                   field="kind")
        resume_status = case.status
        if case.status not in (Status.ACCEPTED, Status.AWAITING_DECISION):
            _transition(case, action=Action.SPECIAL_START, actor=actor, role=role)
        now = timezone.now()
        kind_label = SpecialProcedureKind(kind).label
        duration = f"{expected_value}{LimitUnit(expected_unit).label}"
        number, params = _document(case, NoticeKind.SPECIAL_PROCEDURE, actor=actor, paragraphs=[
            f"你（单位）申请的“{case.item_version.name}”（办件编号 {case.case_no}）需要进行{kind_label}。"
            f"理由：{reason}。预计所需时间为{duration}。根据《中华人民共和国行政许可法》第四十五条的规定，"
            f"{kind_label}所需时间不计算在行政许可期限内。",
        ])
        procedure = SpecialProcedure(case=case, kind=kind, reason=reason, expected_value=expected_value,
                                     expected_unit=expected_unit, notice_no=number, resume_status=resume_status,
                                     started_at=now, started_by=actor)
        procedure.save()
        _attach(procedure, "notice_pdf", case, params)
        _transition(case, action=Action.SPECIAL_START, actor=actor, role=role, to=Status.SUSPENDED, note=reason,
                    data={"kind": kind, "expected": duration, "notice_no": number}, at=now)
        for clock in clocks.clocks_locked_of(case, DECISION_CLOCKS):
            if clock.status == Clock.Status.RUNNING:
                clocks.clock_suspend(actor=actor, clock=clock, reason=SuspendReason.SPECIAL_PROCEDURE, at=now,
                                     note=kind_label)
        _audit(actor, "case.special_procedure_start", case, kind=kind, expected=duration, notice_no=number)
        _notify_applicant(case, "case.special_started", kind=kind_label, duration=duration)
    return procedure


def case_special_procedure_end(*, actor, case_no: str, result: str,
                               expected_version: int | None = None) -> SpecialProcedure:
    result = _text(result, "result", "特别程序结果")
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role, _ = _role(actor, case, _REVIEW_POSITIONS, "结束特别程序")
        procedure = case.special_procedures.filter(ended_at__isnull=True).first()
        if case.status != Status.SUSPENDED or procedure is None:
            _transition(case, action=Action.SPECIAL_END, actor=actor, role=role, to=Status.ACCEPTED)
            raise Conflict("没有进行中的特别程序", "no special procedure is open")
        now = timezone.now()
        procedure.ended_at, procedure.ended_by, procedure.result = now, actor, result
        procedure.save(update_fields=["ended_at", "ended_by", "result"])
        _transition(case, action=Action.SPECIAL_END, actor=actor, role=role, to=procedure.resume_status,
                    note=result, data={"kind": procedure.kind}, at=now)
        for clock in clocks.clocks_locked_of(case, DECISION_CLOCKS):
            if clock.status == Clock.Status.SUSPENDED:
                clocks.clock_resume(actor=actor, clock=clock, at=now)
        _audit(actor, "case.special_procedure_end", case, kind=procedure.kind)
        _notify_applicant(case, "case.special_ended", kind=procedure.get_kind_display())
    return procedure


def case_extend(*, actor, case_no: str, days: int, reason: str, expected_version: int | None = None) -> Extension:
    """延期 (行政许可法 §42) decided directly by the agency's leader or section head: once, ≤10 WD
    (≤15 WD under §26 joint handling); the reason is told to the applicant. Recorded as a request
    the leader both made and approved."""
    reason = _text(reason, "reason", "延期理由", max_len=500)
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role, _ = _role(actor, case, [Position.LEADER, Position.SECTION_HEAD], "批准延期")
        _extension_open(case)
        if _pending_extension_request(case) is not None:
            raise Conflict("本办件有待审批的延期申请，请审批该申请", "an extension request is pending: decide it")
        days = _extension_days(case, days)
        decision_clocks = _legal_limit_running(case)
        now = timezone.now()
        request = ExtensionRequest.objects.create(
            case=case, days=days, reason=reason, requested_by=actor, requested_position=role, requested_at=now,
            state=ExtensionRequest.State.APPROVED, decided_by=actor, decided_position=role, decided_at=now)
        extension = _extension_grant(actor, case, role, request, now, decision_clocks)
        _audit(actor, "case.extend", case, days=days, reason=reason, notice_no=extension.notice_no)
    return extension


def _extension_open(case: Case) -> None:
    if case.status not in states.CLOCKED:
        raise Conflict(f"办件当前状态为“{states.label(case.status)}”，不能延期", "only an open, accepted case is extended")
    if Extension.objects.filter(case=case).exists():
        raise Conflict("办理期限只能延长一次（行政许可法第四十二条）", "the limit may be extended once only")


def _extension_days(case: Case, days: int) -> int:
    limit = EXTENSION_MAX_DAYS_JOINT if case.joint_handling else EXTENSION_MAX_DAYS
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= limit:
        raise ValidationFailed(f"延长期限应为 1–{limit} 个工作日（行政许可法第四十二条）",
                               f"an extension is 1..{limit} working days", field="days")
    return days


def _pending_extension_request(case: Case) -> ExtensionRequest | None:
    # Pending only while the case is clocked: leaving the clocked states lapses it (_extension_requests_lapse).
    return ExtensionRequest.objects.select_related("requested_by").filter(
        case=case, state=ExtensionRequest.State.PENDING).first()


def _extension_requests_lapse(case: Case, *, actor, role: str, why: str) -> None:
    """A pending 延期申请 lapses when the case leaves the clocked states (decided, withdrawn,
    terminated): §42 extends a running limit. The case does not know whether it has one, and the
    decision is a hot path: instead of a read, two statements that change nothing when there is none
    go with the unit of work's last round trip (core.appends.later): the timeline event, then the
    state. Call it after the transition: the event is stamped after the move that caused it."""
    quote, vendor = connection.ops.quote_name, connection.vendor
    requests, events = quote(ExtensionRequest._meta.db_table), quote(CaseEvent._meta.db_table)
    pending, lapsed = ExtensionRequest.State.PENDING.value, ExtensionRequest.State.LAPSED.value
    data = ("jsonb_build_object('request_id', r.id, 'days', r.days)" if vendor == "postgresql"
            else "json_object('request_id', r.id, 'days', r.days)")
    column = {f.name: f.column for f in CaseEvent._meta.concrete_fields}
    columns_ = ", ".join(quote(column[name]) for name in (
        "case", "occurred_at", "action", "from_status", "to_status", "actor", "role", "note", "public", "data"))
    occurred_at = CaseEvent._meta.get_field("occurred_at").get_db_prep_save(timezone.now(), connection)
    later([
        (f"INSERT INTO {events} ({columns_}) SELECT r.case_id, %s, %s, %s, %s, %s, %s, %s, %s, {data}"
         f" FROM {requests} r WHERE r.case_id = %s AND r.state = %s",
         [occurred_at, "extension_lapse", case.status, case.status, getattr(_user(actor), "pk", None), role,
          why, False, case.pk, pending]),
        (f"UPDATE {requests} SET state = %s WHERE case_id = %s AND state = %s", [lapsed, case.pk, pending]),
    ])


def _legal_limit_running(case: Case, *, asking: bool = False) -> list[Clock]:
    """The case's open decision clocks, locked, once the legal limit is known to be still running:
    §42 extends a limit "二十日内不能作出决定的" — approved (and asked for) before it runs out, not after.
    Decided by the shared clock ledger (`clock_run_out`: the stored deadline, 截止日 24:00, so the
    last working day itself still counts)."""
    decision_clocks = clocks.clocks_locked_of(case, DECISION_CLOCKS)
    legal = next((c for c in decision_clocks if c.kind == CLOCK_LEGAL), None)
    if legal is not None and clocks.clock_run_out(legal):
        due = f"（截止日 {chinese_date(legal.due_date)}）" if legal.due_date else ""
        raise Conflict(f"法定办结时限已届满{due}，不能再{'申请' if asking else '批准'}延期（《行政许可法》第四十二条）",
                       f"the legal time limit has run out: an extension can no longer be "
                       f"{'requested' if asking else 'approved'} (Administrative Licensing Law §42)")
    return decision_clocks


def _extension_grant(actor, case: Case, role: str, request: ExtensionRequest, now: dt.datetime,
                     decision_clocks: list[Clock]) -> Extension:
    """The approved extension takes effect: the numbered notice, both decision clocks (locked by
    `_legal_limit_running`) extended, the timeline event and the applicant told the reason (§42)."""
    days, reason = request.days, request.reason
    number, params = _document(case, NoticeKind.EXTENSION, actor=actor, paragraphs=[
        f"你（单位）申请的“{case.item_version.name}”（办件编号 {case.case_no}），因{reason}，不能在法定期限内作出决定。"
        f"经本机关负责人批准，根据《中华人民共和国行政许可法》第四十二条的规定，办理期限延长{days}个工作日。",
    ])
    extension = Extension(case=case, days=days, reason=reason, approver=actor, approver_position=role,
                          approved_at=now, notice_no=number)
    extension.save()
    request.extension = extension
    request.save(update_fields=["extension"])
    _attach(extension, "notice_pdf", case, params)
    for clock in decision_clocks:
        clocks.clock_extend(actor=actor, clock=clock, value=days, reason=reason, approved_by=actor,
                            approved_at=now)
    _event(case, action="extend", actor=actor, role=role, note=reason,
           data={"days": days, "notice_no": number, "request_id": request.pk,
                 "requested_by": request.requested_by.display_name},
           src=case.status, dst=case.status, at=now)
    _notify_applicant(case, "case.extended", days=days, reason=reason)
    return extension


def extension_requester_roles(case: Case) -> list[str]:
    # The handling official: whoever the current step names; at the decision stage (no step open)
    # the reviewer or the chief representative who prepared it.
    if case.current_step is not None:
        return [case.current_step.role]
    return [Position.REVIEWER, Position.CHIEF_REPRESENTATIVE]


def case_extension_request(*, actor, case_no: str, days: int, reason: str,
                           expected_version: int | None = None) -> ExtensionRequest:
    """延期申请: the handling official asks the department's leader to extend the limit (§42)."""
    reason = _text(reason, "reason", "延期理由", max_len=500)
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role, acting = _role(actor, case, extension_requester_roles(case), "申请延期")
        _extension_open(case)
        if _pending_extension_request(case) is not None:
            raise Conflict("本办件已有待审批的延期申请", "an extension request is already pending")
        days = _extension_days(case, days)
        _legal_limit_running(case, asking=True)
        now = timezone.now()
        request = ExtensionRequest.objects.create(case=case, days=days, reason=reason, requested_by=actor,
                                                  requested_position=role, requested_at=now)
        _event(case, action="extension_request", actor=actor, role=role, note=reason, public=False,
               data={"days": days, "request_id": request.pk, "acting_for": acting}, src=case.status,
               dst=case.status, at=now)
        _audit(actor, "case.extension_request", case, days=days, reason=reason, request_id=request.pk)
        context = {"case_no": case.case_no, "item_name": case.item_version.name, "days": days, "reason": reason}
        approvers = {u.pk: u for position in (Position.LEADER, Position.SECTION_HEAD)
                     for u in staff_with_position(position, case.department)}
        for user in approvers.values():
            notify_send(recipient_user=user, template="case.extension_requested", context=context)
    return request


def _pending_for_decision(actor, case: Case, what: str) -> tuple[str, ExtensionRequest]:
    role, _ = _role(actor, case, [Position.LEADER, Position.SECTION_HEAD], what)
    request = _pending_extension_request(case)
    if request is None:
        raise Conflict("本办件没有待审批的延期申请", "no extension request is pending")
    return role, request


def case_extension_approve(*, actor, case_no: str, expected_version: int | None = None) -> Extension:
    """批准延期申请: the extension takes effect as requested (§42: once per case)."""
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role, request = _pending_for_decision(actor, case, "批准延期")
        _extension_open(case)
        _extension_days(case, request.days)
        decision_clocks = _legal_limit_running(case)
        now = timezone.now()
        request.state, request.decided_by, request.decided_position, request.decided_at = (
            ExtensionRequest.State.APPROVED, actor, role, now)
        request.save(update_fields=["state", "decided_by", "decided_position", "decided_at"])
        extension = _extension_grant(actor, case, role, request, now, decision_clocks)
        _audit(actor, "case.extension_approve", case, days=request.days, request_id=request.pk,
               requested_by=request.requested_by_id, notice_no=extension.notice_no)
    return extension


def case_extension_refuse(*, actor, case_no: str, reason: str,
                          expected_version: int | None = None) -> ExtensionRequest:
    """不予批准延期申请: the requester is told why; the clocks do not change."""
    reason = _text(reason, "reason", "不予批准的理由", max_len=500)
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role, request = _pending_for_decision(actor, case, "审批延期申请")
        now = timezone.now()
        request.state, request.decided_by, request.decided_position, request.decided_at = (
            ExtensionRequest.State.REFUSED, actor, role, now)
        request.refusal_reason = reason
        request.save(update_fields=["state", "decided_by", "decided_position", "decided_at", "refusal_reason"])
        _event(case, action="extension_refuse", actor=actor, role=role, note=reason, public=False,
               data={"days": request.days, "request_id": request.pk}, src=case.status, dst=case.status, at=now)
        _audit(actor, "case.extension_refuse", case, days=request.days, request_id=request.pk, reason=reason)
        notify_send(recipient_user=request.requested_by, template="case.extension_refused",
                    context={"case_no": case.case_no, "days": request.days, "reason": reason})
    return request


# ------------------------------------------------------------------------------------------------
# Decision, deemed approval, certificate


def _department_leader(case: Case):
    return staff_with_position(Position.LEADER, case.department).first()


def _record_decision(actor, case: Case, *, outcome: str, reasons: str, role: str, deemed: bool = False,
                     action: str | None = None, on_spot: bool = False) -> Decision:
    now = timezone.now()
    deny = outcome == DecisionOutcome.DENY
    kind = NoticeKind.DENIAL if deny else NoticeKind.APPROVAL
    if deny:
        body = (f"你（单位）申请的“{case.item_version.name}”（办件编号 {case.case_no}），经审查，决定不予行政许可。"
                f"理由：{reasons}。")
    elif deemed:
        body = (f"你（单位）申请的“{case.item_version.name}”（办件编号 {case.case_no}），本机关未在承诺期限内作出决定，"
                "依照本事项“超时默许”的规定，视为准予行政许可。")
    else:
        body = f"你（单位）申请的“{case.item_version.name}”（办件编号 {case.case_no}），经审查，符合法定条件、标准，决定准予行政许可。"
    number, params = _document(case, kind, actor=actor, paragraphs=[body])
    decision = Decision(case=case, outcome=outcome, reasons=reasons, decided_by=_user(actor), decided_at=now,
                        deemed=deemed, document_no=number)
    insert_now(decision)  # its id names the PDF's render job
    _attach(decision, "pdf", case, params)
    action = action or (Action.DENY if deny else (Action.DEEM_APPROVE if deemed else Action.APPROVE))
    _transition(case, action=action, actor=actor if not deemed else None, role=role, note=reasons,
                data={"document_no": number, "deemed": deemed}, at=now,
                changes={"decision": outcome, "decision_reasons": reasons, "deemed_approved": deemed,
                         "completed_on_site": on_spot, "current_step": None})
    _clocks_finish(actor, case, DECISION_CLOCKS, complete=True, at=now)
    if not on_spot:  # 即办件: accepted and decided in the same call, nothing was asked for
        _extension_requests_lapse(case, actor=actor, role=role, why="办件已作出决定，延期申请失效")
    if deny:
        leader = _department_leader(case)
        DenialReport.objects.create(decision=decision, case=case, reported_to=leader, reasons=reasons, reported_at=now)
        if leader is not None:
            notify_send(recipient_user=leader, template="case.denial_report",
                        context={"case_no": case.case_no, "item_name": case.item_version.name, "reasons": reasons})
    elif case.item_version.result_type == "certificate":
        # 行政许可法 §44: the licence is issued or delivered within 10 days of the decision.
        _clock_start(actor, case, CLOCK_CERTIFICATE, CERTIFICATE_DAYS, Unit.WORKING_DAYS, now, note="制证期限")
    remedy = ""
    if deny:
        remedy = "如不服本决定，可以自收到决定书之日起六十日内申请行政复议，或者六个月内提起行政诉讼。"
    _notify_applicant(case, "case.deemed_approved" if deemed else "case.decided",
                      outcome=DecisionOutcome(outcome).label, remedy=remedy)
    return decision


def case_decide(*, actor, case_no: str, outcome: str, reasons: str = "",
                expected_version: int | None = None) -> Decision:
    """决定: 准予 or 不予. 不予 needs reasons, produces the decision with the remedies (行政许可法 §38:
    行政复议 60 days, 行政诉讼 6 months) and a 否定报备 to the department's 分管领导."""
    if outcome not in DecisionOutcome.values:
        raise ValidationFailed("决定应为准予或不予", "outcome is approve or deny", field="outcome")
    reasons = (reasons or "").strip()
    if outcome == DecisionOutcome.DENY:
        reasons = _text(reasons, "reasons", "不予许可的理由")
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version,
                          calendar=outcome == DecisionOutcome.APPROVE)  # the certificate clock (§44)
        role, _ = _role(actor, case, [Position.CHIEF_REPRESENTATIVE, Position.SECTION_HEAD, Position.LEADER], "作出决定")
        if case.status != Status.AWAITING_DECISION:
            _transition(case, action=Action.APPROVE if outcome == DecisionOutcome.APPROVE else Action.DENY,
                        actor=actor, role=role)
        decision = _record_decision(actor, case, outcome=outcome, reasons=reasons, role=role)
        _audit(actor, "case.decide", case, outcome=outcome, document_no=decision.document_no)
    return decision


def case_deem_approve(*, case_id: int) -> Case:
    """Clock handler (超时默许): the promised limit ran out with no decision on an item configured
    for deemed approval: record an approval flagged deemed, and issue the result."""
    with transaction.atomic(), audit_batch():
        case = _locked(Case.objects.select_for_update(of=("self",)).select_related(
            "item", "item_version", "department__region").get(pk=case_id))
        policy = _policy(case)
        if case.status not in (Status.ACCEPTED, Status.AWAITING_DECISION) or not (
                policy and policy.deemed_approval_enabled):
            return case
        _record_decision(SYSTEM_ACTOR, case, outcome=DecisionOutcome.APPROVE, reasons="超过承诺时限未作决定，超时默许",
                         role=Role.SYSTEM, deemed=True)
        _audit(None, "case.deem_approve", case)
        if policy.licence_type_code and case.item_version.result_type == "certificate":
            _system_certificate(case, policy)
    return case


def _system_certificate(case: Case, policy: CaseItemPolicy, **audit_data: Any):
    """The certificate of a deemed approval, issued by the system in a savepoint. When it cannot be
    made now (unpaid fees, an inactive licence type) the approval stands, the failure is audited as
    "deferred" and None is returned: the certificate clock retries (case_certificate_retry)."""
    try:
        with transaction.atomic(), audit_batch():
            return _issue_certificate(SYSTEM_ACTOR, case, Role.SYSTEM, policy)
    except DomainError as exc:
        case.refresh_from_db()
        _snapshot(case)
        _audit(None, "case.issue_certificate", case, outcome="deferred", reason=exc.message_zh, **audit_data)
        return None


def case_certificate_retry(*, case_id: int):
    """Clock handler (case.certificate warning / overdue): a deemed approval whose certificate could
    not be made when it was recorded (fees unpaid, licence type inactive) is tried again by the
    system, so it does not wait for someone to notice (行政许可法 §44: within 10 WD). Staff
    decisions are left to the window, whose work the same clock warns about."""
    with transaction.atomic(), audit_batch():
        case = _locked(Case.objects.select_for_update(of=("self",)).select_related(
            "item", "item_version", "department__region", "applicant").get(pk=case_id))
        policy = _policy(case)
        if (case.status != Status.APPROVED or not case.deemed_approved or policy is None
                or not policy.licence_type_code or case.item_version.result_type != "certificate"):
            return None
        certificate = _system_certificate(case, policy, retry=True)
        if certificate is not None:
            _audit(None, "case.issue_certificate", case, identifier=certificate.identifier, retry=True)
    return certificate


def _issue_certificate(actor, case: Case, role: str, policy: CaseItemPolicy | None):
    from zhengwu.licences.models import LicenceType
    from zhengwu.licences.services import licence_issue

    if rows.exists(FeeNotice._meta.db_table, "case_id = %s AND state = %s", [case.pk, FeeNotice.State.UNPAID]):
        raise Conflict("尚有未缴清的费用，不能制证", "fees are unpaid")
    licence_type = None
    if policy is not None and policy.licence_type_code:
        licence_type = rows.first(LicenceType, "t.code = %s AND t.is_active", [policy.licence_type_code])
    if licence_type is None:
        raise ValidationFailed("本事项未配置电子证照类型，不能制证", "no licence type configured for the item")
    today = timezone.localdate()
    valid_until = None
    if policy is not None and policy.validity_years:
        try:
            valid_until = today.replace(year=today.year + policy.validity_years) - dt.timedelta(days=1)
        except ValueError:  # 29 February
            valid_until = today.replace(month=2, day=28, year=today.year + policy.validity_years)
    holder_type = "uscc" if case.applicant_id_type == IdType.USCC else (
        "id_card" if case.applicant_id_type == IdType.ID_CARD else "other")
    certificate = licence_issue(
        actor=actor, licence_type=licence_type, issuer=case.department, holder_name=case.applicant_name,
        holder_id_type=holder_type, holder_id_number=case.applicant_id_number, number=case.case_no,
        content={"事项": case.item_version.name, "办件编号": case.case_no,
                 "超时默许": "是" if case.deemed_approved else "否"},
        valid_from=today, valid_until=valid_until, source=case.case_no)
    _transition(case, action=Action.ISSUE_CERTIFICATE, actor=actor if role != Role.SYSTEM else None, role=role,
                data={"identifier": certificate.identifier, "number": certificate.number})
    _clocks_finish(actor, case, [CLOCK_CERTIFICATE], complete=True)
    _notify_applicant(case, "case.certificate_issued", certificate_name=certificate.name,
                      certificate_no=certificate.number)
    return certificate


def case_issue_certificate(*, actor, case_no: str, expected_version: int | None = None):
    """制证 (行政许可法 §44, within 10 WD of approval): a signed 电子证照 through licences.licence_issue;
    later applications may reuse it instead of an upload."""
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role, _ = _role(actor, case, [Position.CLERK, Position.CHIEF_REPRESENTATIVE], "制证")
        if case.status != Status.APPROVED:
            _transition(case, action=Action.ISSUE_CERTIFICATE, actor=actor, role=role)
        policy = _policy(case)
        certificate = _issue_certificate(actor, case, role, policy)
        _audit(actor, "case.issue_certificate", case, identifier=certificate.identifier)
    return certificate


# ------------------------------------------------------------------------------------------------
# Delivery, withdrawal, termination


def case_deliver(*, actor, case_no: str, method: str, tracking_no: str = "", carrier: str = "", address: str = "",
                 recipient_name: str = "", expected_version: int | None = None) -> Delivery:
    """送达: collected at the window (办结 at once) or posted with a tracking number (办结 when signed for)."""
    if method not in Delivery.Method.values:
        raise ValidationFailed("送达方式应为窗口领取或邮寄", "method is collection or post", field="method")
    if method == Delivery.Method.POST:
        tracking_no = _text(tracking_no, "tracking_no", "物流单号", max_len=50)
        address = _text(address, "address", "寄送地址", max_len=300)
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role, _ = _role(actor, case, [Position.CLERK, Position.CHIEF_REPRESENTATIVE], "送达")
        action = Action.COMPLETE if method == Delivery.Method.COLLECTION else Action.DELIVER_POST
        if case.status not in (Status.APPROVED, Status.CERTIFICATE_ISSUED, Status.DENIED):
            _transition(case, action=action, actor=actor, role=role)
        now = timezone.now()
        delivery = insert_now(Delivery(
            case=case, method=method, carrier=(carrier or "").strip()[:50], tracking_no=tracking_no,
            address=address, recipient_name=(recipient_name or "").strip()[:50], sent_at=now,
            received_at=now if method == Delivery.Method.COLLECTION else None, handled_by=actor))
        _transition(case, action=action, actor=actor, role=role, at=now,
                    data={"method": method, "tracking_no": tracking_no})
        if case.status == Status.COMPLETED:
            _clocks_finish(actor, case, [CLOCK_CERTIFICATE], complete=True, at=now)
        _audit(actor, "case.deliver", case, method=method, tracking_no=tracking_no)
        tracking = f"物流单号 {tracking_no}。" if tracking_no else ""
        _notify_applicant(case, "case.delivered", method=Delivery.Method(method).label, tracking=tracking)
        if case.status == Status.COMPLETED:
            _notify_applicant(case, "case.completed")
    return delivery


def case_delivery_confirm(*, actor, case_no: str, recipient_name: str = "",
                          expected_version: int | None = None) -> Case:
    """The posted result was signed for: 办结."""
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role, _ = _role(actor, case, [Position.CLERK, Position.CHIEF_REPRESENTATIVE], "确认签收")
        now = timezone.now()
        delivery = case.deliveries.filter(method=Delivery.Method.POST, received_at__isnull=True).last()
        _transition(case, action=Action.COMPLETE, actor=actor, role=role, at=now)
        if delivery is not None:
            delivery.received_at = now
            delivery.recipient_name = (recipient_name or delivery.recipient_name).strip()[:50]
            delivery.save(update_fields=["received_at", "recipient_name"])
        _clocks_finish(actor, case, [CLOCK_CERTIFICATE], complete=True, at=now)
        _audit(actor, "case.delivery_confirm", case)
        _notify_applicant(case, "case.completed")
    return case


_ALL_CLOCKS = (CLOCK_ACCEPTANCE, CLOCK_CORRECTION, CLOCK_LEGAL, CLOCK_PROMISED, CLOCK_CERTIFICATE)


def _close_open_procedures(case: Case, actor, why: str) -> None:
    # A case ended during a 特别程序 leaves no procedure open.
    case.special_procedures.filter(ended_at__isnull=True).update(ended_at=timezone.now(), ended_by=_user(actor),
                                                                 result=why)


def case_withdraw(*, actor, case_no: str, reason: str = "", expected_version: int | None = None) -> Case:
    """撤回: the applicant (or the window for a walk-in applicant) before the decision."""
    reason = (reason or "").strip()[:500] or "申请人撤回申请"
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role: str
        if _is_applicant(actor, case):
            role = Role.APPLICANT
        else:
            role, _ = _role(actor, case, [Position.CLERK], "代为撤回申请")
        clocked = case.status in states.CLOCKED
        _transition(case, action=Action.WITHDRAW, actor=actor, role=role, note=reason, changes={"close_reason": reason})
        if clocked:
            _extension_requests_lapse(case, actor=actor, role=role, why="申请人撤回申请，延期申请失效")
        _close_open_procedures(case, actor, "申请人撤回，特别程序终止")
        _clocks_finish(actor, case, _ALL_CLOCKS, complete=False, reason="撤回")
        _fee_notice_void_unpaid(actor, case, role, f"办件已撤回：{reason}", ended=Action.WITHDRAW.value)
        _audit(actor, "case.withdraw", case, reason=reason)
        _notify_applicant(case, "case.withdrawn")
    return case


def case_terminate(*, actor, case_no: str, reason: str, expected_version: int | None = None) -> Case:
    """终止: staff end the procedure with a reason (e.g. the applicant died or the entity was dissolved)."""
    reason = _text(reason, "reason", "终止理由", max_len=500)
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no, expected_version=expected_version)
        role, _ = _role(actor, case, [Position.CHIEF_REPRESENTATIVE, Position.SECTION_HEAD, Position.LEADER], "终止办理")
        clocked = case.status in states.CLOCKED
        _transition(case, action=Action.TERMINATE, actor=actor, role=role, note=reason, changes={"close_reason": reason})
        if clocked:
            _extension_requests_lapse(case, actor=actor, role=role, why="办件终止，延期申请失效")
        _close_open_procedures(case, actor, f"办件终止：{reason}")
        _clocks_finish(actor, case, _ALL_CLOCKS, complete=False, reason="终止")
        _fee_notice_void_unpaid(actor, case, role, f"办件已终止：{reason}", ended=Action.TERMINATE.value)
        _audit(actor, "case.terminate", case, reason=reason)
        _notify_applicant(case, "case.terminated", reason=reason)
    return case


# ------------------------------------------------------------------------------------------------
# 一口收费: fee notice, payment, receipt


def _amount(value) -> Decimal:
    try:
        typed = Decimal(str(value))
        amount = typed.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed("金额格式不正确", "invalid amount", field="amount") from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e14"):  # NaN cannot even be compared
        raise ValidationFailed("金额应大于 0", "the amount must be positive", field="amount")
    if amount != typed:  # money is charged to the fen: a finer amount is a typing error, not rounded away
        raise ValidationFailed("金额最多保留两位小数（到分）", "an amount has at most two decimal places",
                               field="amount")
    return amount


def _standing_fee_notice(case: Case) -> FeeNotice | None:
    return case.fee_notices.exclude(state=FeeNotice.State.VOIDED).first()


def _standing_fee_notice_conflict(standing: FeeNotice) -> Conflict:
    return Conflict(f"本办件已开具缴费通知 {standing.notice_no}（{standing.get_state_display()}），"
                    "一个办件只开具一份缴费通知；如开具有误，请先作废",
                    "the case already has a fee notice; void it first if it was wrong")


def fee_notice_issue(*, actor, case_no: str, lines: Sequence[FeeLineInput]) -> FeeNotice:
    """缴费通知: only fee items of the catalog version the case was applied under, each within its
    catalogued standard (行政许可法 §58: no fee without a legal basis); one standing notice per case
    (一口收费) — a wrong one is voided before another is issued."""
    if not lines:
        raise ValidationFailed("请至少列出一项收费", "list at least one fee", field="lines")
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no)
        _role(actor, case, [Position.CLERK, Position.CHIEF_REPRESENTATIVE], "开具缴费通知")
        if case.status in states.TERMINAL or case.status == Status.DRAFT:
            raise Conflict(f"办件当前状态为“{states.label(case.status)}”，不能收费", "the case is not open")
        standing = _standing_fee_notice(case)
        if standing is not None:
            raise _standing_fee_notice_conflict(standing)
        allowed = {f.pk: f for f in FeeItem.objects.filter(version=case.item_version)}
        resolved: list[tuple[FeeItem, Decimal, str]] = []
        for line in lines:
            fee_item = allowed.get(line.fee_item_id)
            if fee_item is None:
                raise ValidationFailed("收费项目不在本事项实施清单的收费目录内，不能收取",
                                       "the fee is not in the item's catalogued fees", field="fee_item_id")
            if any(f.pk == fee_item.pk for f, _, _ in resolved):
                raise ValidationFailed(f"收费项目“{fee_item.name}”重复列出", "a fee item is listed twice",
                                       field="fee_item_id")
            resolved.append((fee_item, *_fee_line_amount(fee_item, line)))
        now = timezone.now()
        total = sum((a for _, a, _ in resolved), Decimal("0"))
        if total >= Decimal("1e14"):
            raise ValidationFailed("合计金额过大", "the total is too large", field="amount")
        notice_no = f"JK{case.case_no}-{case.fee_notices.count() + 1:02d}"
        try:
            with transaction.atomic():
                notice = FeeNotice.objects.create(case=case, notice_no=notice_no, total=total, issued_at=now,
                                                  issued_by=actor)
        except IntegrityError:
            # The case lock keeps a second standing notice out; the partial unique index
            # cases_one_standing_fee_notice is the backstop should a writer ever skip that lock.
            standing = case.fee_notices.exclude(state=FeeNotice.State.VOIDED).first()
            if standing is None:
                raise
            raise _standing_fee_notice_conflict(standing) from None
        FeeNoticeLine.objects.bulk_create([FeeNoticeLine(fee_notice=notice, fee_item=f, name=f.name, amount=a,
                                                         basis_note=note) for f, a, note in resolved])
        _event(case, action="fee_notice", actor=actor, role=Role.CLERK, data={"notice_no": notice.notice_no,
                                                                           "total": str(total)}, at=now)
        _audit(actor, "case.fee_notice_issue", case, notice_no=notice.notice_no, total=str(total))
        _notify_applicant(case, "case.fee_notice", amount=str(total), items="、".join(f.name for f, _, _ in resolved))
    return notice


def payment_record(*, actor, notice_no: str, amount, payer_name: str, method: str = "window",
                   case_no: str | None = None) -> Receipt:
    """收费 and 票据: the full amount of the notice, once."""
    payer_name = _text(payer_name, "payer_name", "缴款人", max_len=200)
    method = _text((method or "").strip() or "window", "method", "缴费方式", max_len=20)
    paid = _amount(amount)
    with transaction.atomic(), audit_batch():
        notice = FeeNotice.objects.select_for_update(of=("self",)).select_related("case").filter(notice_no=notice_no).first()
        if notice is None or not can_view_case(actor, notice.case) or case_no not in (None, notice.case.case_no):
            raise NotFound("缴费通知不存在", "fee notice not found")
        case = notice.case
        _role(actor, case, [Position.CLERK, Position.CHIEF_REPRESENTATIVE], "收费")
        if case.status in states.ENDED_UNSERVED and notice.state == FeeNotice.State.UNPAID:
            raise Conflict(f"办件当前状态为“{states.label(case.status)}”，不能收费；请作废该缴费通知",
                           "the case ended without the service: void the notice instead")
        if notice.state == FeeNotice.State.PAID:
            raise Conflict("该缴费通知已缴清", "the notice is already paid")
        if notice.state == FeeNotice.State.VOIDED:
            raise Conflict("该缴费通知已作废，不能收费", "the notice was voided")
        if paid != notice.total:
            raise ValidationFailed(f"收费金额应与缴费通知一致（{notice.total} 元）", "the amount must equal the notice",
                                   field="amount")
        now = timezone.now()
        payment = Payment.objects.create(fee_notice=notice, amount=paid, payer_name=payer_name,
                                         method=method, paid_at=now, received_by=actor)
        receipt = Receipt.objects.create(payment=payment, receipt_no=f"PJ{notice.notice_no[2:]}", issued_at=now)
        notice.state = FeeNotice.State.PAID
        notice.save(update_fields=["state"])
        _event(case, action="payment", actor=actor, role=Role.CLERK,
               data={"notice_no": notice.notice_no, "amount": str(paid), "receipt_no": receipt.receipt_no}, at=now)
        _audit(actor, "case.payment_record", case, notice_no=notice.notice_no, amount=str(paid),
               receipt_no=receipt.receipt_no, payer=mask_name(payer_name))
    return receipt


def _fee_line_amount(fee_item: FeeItem, line: FeeLineInput) -> tuple[Decimal, str]:
    """The amount of one line within the catalogued standard (行政许可法 §58: nothing the catalog
    does not provide for): a fixed standard sets it, a range bounds it, a text standard needs the
    amount typed with how it was worked out."""
    note = (line.basis_note or "").strip()
    if len(note) > 300:
        raise ValidationFailed("计费说明不能超过 300 字", "basis note too long", field="basis_note")
    typed = None if line.amount in (None, "") else _amount(line.amount)
    bounds = fee_item.amount_bounds()
    if bounds is None:
        if typed is None:
            raise ValidationFailed(f"“{fee_item.name}”的收费标准为“{fee_item.standard}”，请填写金额",
                                   f"{fee_item.name}: the standard is not an amount; type the amount", field="amount")
        if not note:
            raise ValidationFailed(f"“{fee_item.name}”按文字标准计收，请填写计费说明（如面积、件数及计算过程）",
                                   f"{fee_item.name}: explain how the amount was worked out", field="basis_note")
        return typed, note
    low, high = bounds
    if low == high:
        if typed is not None and typed != low:
            raise ValidationFailed(f"“{fee_item.name}”的收费标准为固定金额 {low} 元，不能收取 {typed} 元",
                                   f"{fee_item.name}: the standard fixes {low}", field="amount")
        return low, note
    if typed is None:
        raise ValidationFailed(f"“{fee_item.name}”的收费标准为 {low}–{high} 元，请填写金额",
                               f"{fee_item.name}: type an amount within {low}..{high}", field="amount")
    if not low <= typed <= high:
        raise ValidationFailed(f"“{fee_item.name}”的收费标准为 {low}–{high} 元，{typed} 元超出标准",
                               f"{fee_item.name}: {typed} is outside {low}..{high}", field="amount")
    return typed, note


def fee_notice_void(*, actor, case_no: str, notice_no: str, reason: str) -> FeeNotice:
    """作废 a fee notice issued wrongly, while it is unpaid; a new one may then be issued. A paid
    notice stands (its receipt is issued)."""
    reason = _text(reason, "reason", "作废理由", max_len=500)
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no)
        role, _ = _role(actor, case, [Position.CLERK, Position.CHIEF_REPRESENTATIVE], "作废缴费通知")
        notice = FeeNotice.objects.select_for_update(of=("self",)).filter(case=case, notice_no=notice_no).first()
        if notice is None:
            raise NotFound("缴费通知不存在", "fee notice not found")
        if notice.state == FeeNotice.State.PAID:
            raise Conflict("该缴费通知已缴费并开具票据，不能作废", "a paid notice cannot be voided")
        if notice.state == FeeNotice.State.VOIDED:
            raise Conflict("该缴费通知已作废", "the notice is already voided")
        _fee_notice_voided(actor, case, role, notice, reason)
    return notice


def _fee_notice_voided(actor, case: Case, role: str, notice: FeeNotice, reason: str, **data: Any) -> None:
    """作废 a locked unpaid notice: stamped, on the timeline, audited and told to the applicant."""
    now = timezone.now()
    notice.state, notice.voided_at, notice.voided_by, notice.void_reason = (
        FeeNotice.State.VOIDED, now, _user(actor), reason[:500])
    notice.save(update_fields=["state", "voided_at", "voided_by", "void_reason"])
    _event(case, action="fee_notice_void", actor=actor, role=role, note=notice.void_reason,
           data={"notice_no": notice.notice_no, "total": str(notice.total), **data}, at=now)
    _audit(actor, "case.fee_notice_void", case, notice_no=notice.notice_no, total=str(notice.total),
           reason=notice.void_reason, **data)
    _notify_applicant(case, "case.fee_notice_voided", notice_no=notice.notice_no, reason=notice.void_reason)


def _fee_notice_void_unpaid(actor, case: Case, role: str, reason: str, *, ended: str) -> None:
    """A case that ends without the service (撤回, 终止, 不予受理) is charged nothing (行政许可法 §58):
    its unpaid notice is voided with the case, for the reason the case ended. A paid one stands."""
    notice = FeeNotice.objects.select_for_update(of=("self",)).filter(
        case=case, state=FeeNotice.State.UNPAID).first()
    if notice is not None:
        _fee_notice_voided(actor, case, role, notice, reason, ended=ended)


# ------------------------------------------------------------------------------------------------
# 好差评, item policy


def case_rate(*, actor, case_no: str, level: str, channel: str, comment: str = "") -> Rating:
    """好差评: once per case, by the applicant, after the case is finished (一事一评)."""
    if level not in RatingLevel.values:
        raise ValidationFailed("请选择满意度（非常满意、满意、基本满意、不满意、非常不满意）", "invalid rating level",
                               field="level")
    if channel not in RatingChannel.values:
        raise ValidationFailed("评价渠道无效", "invalid rating channel", field="channel")
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise ValidationFailed("文字评价不能超过 1000 字", "comment too long", field="comment")
    with transaction.atomic(), audit_batch():
        case = _lock_case(actor=actor, case_no=case_no)
        if not _is_applicant(actor, case):
            raise PermissionDenied("只有申请人可以评价", "only the applicant may rate")
        if case.status not in (Status.COMPLETED, Status.REJECTED):
            raise Conflict("办件办结后才能评价", "rate after the case is completed")
        if Rating.objects.filter(case=case).exists():
            raise Conflict("每个办件只能评价一次", "a case is rated once")
        rating = Rating.objects.create(case=case, level=level, channel=channel, comment=comment, rated_by=actor,
                                       rated_at=timezone.now())
        _event(case, action="rate", actor=actor, role=Role.APPLICANT, data={"level": level, "channel": channel})
        _audit(actor, "case.rate", case, level=level, channel=channel)
    return rating


def case_item_policy_set(*, actor, item_id: int, deemed_approval_enabled: bool, joint_handling: bool,
                         licence_type_code: str = "", validity_years: int = 0, note: str = "") -> CaseItemPolicy:
    """Per-item case settings (reference data): the system administrator, or the department's
    leader or section head."""
    from zhengwu.accounts.permissions import is_sysadmin

    item = ServiceItem.objects.filter(pk=item_id).first()
    if item is None:
        raise NotFound("事项不存在", "item not found")
    if not is_sysadmin(actor):
        _role(actor, Case(department_id=item.department_id), [Position.LEADER, Position.SECTION_HEAD],
              "设置事项办件规则")
    if not isinstance(validity_years, int) or not 0 <= validity_years <= 30:
        raise ValidationFailed("证照有效期应为 0–30 年（0 = 长期）", "validity is 0..30 years", field="validity_years")
    with transaction.atomic(), audit_batch():
        policy, _ = CaseItemPolicy.objects.select_for_update().get_or_create(item=item)
        policy.deemed_approval_enabled = bool(deemed_approval_enabled)
        policy.joint_handling = bool(joint_handling)
        policy.licence_type_code = (licence_type_code or "").strip().upper()[:21]
        policy.validity_years = validity_years
        policy.note = (note or "").strip()[:300]
        policy.save()
        audit_record(actor=actor, action="case_policy.set", obj=policy, data={
            "item": item.basic_code, "deemed_approval_enabled": policy.deemed_approval_enabled,
            "joint_handling": policy.joint_handling, "licence_type_code": policy.licence_type_code})
    return policy


def masked_applicant_name(case: Case) -> str:
    """The applicant's name as lists show it: a person's masked, an organisation's in full."""
    return case.applicant_name if case.is_organisation else mask_name(case.applicant_name)


def masked_applicant(case: Case) -> dict[str, str]:
    """The applicant as lists, logs and public answers show it."""
    return {"name": masked_applicant_name(case), "id_number": mask_id_number(case.applicant_id_number),
            "phone": mask_phone(case.applicant_phone)}
