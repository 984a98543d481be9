"""Every write of the supervision app. Each is atomic, audited in the same transaction, and sends
its notices on commit (notify_send queues them with transaction.on_commit)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhengwu.catalog.codes import ItemType
from zhengwu.core.audit import Entry, audit_record, audit_record_many
from zhengwu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhengwu.notify.services import notify_send
from zhengwu.org.models import Department, Position, Window
from zhengwu.org.selectors import staff_with_position
from zhengwu.supervision import permissions, states, thresholds
from zhengwu.supervision.defaults import DEFAULT_RULES
from zhengwu.supervision.models import (
    AccountabilityKind,
    AccountabilityRecord,
    AppealStatus,
    Card,
    CardAppeal,
    Complaint,
    ContactMethod,
    NumberCounter,
    OrderEvent,
    RatingFollowUp,
    SupervisionOrder,
    SupervisionRecord,
    SupervisionRule,
    ThresholdClock,
    WarningThreshold,
    WarningType,
)
from zhengwu.workcalendar import services as clocks
from zhengwu.workcalendar.models import Clock, Unit

SYSTEM_ACTOR = "supervision"
ORDER_CLOCK = "supervision.order_reply"
MAX_REPLY_DAYS = 60


@dataclass
class Hit:
    """One finding of a rule, before it becomes a 监察记录."""

    subject: str  # stable identity of what was found, e.g. "case:12" — the dedup key's tail
    department_id: int
    occurred_at: dt.datetime
    description: str
    evidence: dict[str, Any] = field(default_factory=dict)
    case_id: int | None = None
    window_id: int | None = None
    responsible_user_id: int | None = None
    item_type: str = ""
    object_type: str = ""
    object_id: str = ""
    clock_id: int | None = None


def _now() -> dt.datetime:
    return timezone.now()


def _next_numbers(prefix: str, count: int, year: int) -> list[str]:
    counter, _ = NumberCounter.objects.get_or_create(prefix=prefix, year=year)
    counter = NumberCounter.objects.select_for_update().get(pk=counter.pk)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return [f"{prefix}{year}{n:06d}" for n in range(first, first + count)]


def _text(value: str, field_name: str, label: str, *, max_len: int = 2000, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"请填写{label}", f"{field_name} is required", field=field_name)
    if len(value) > max_len:
        raise ValidationFailed(f"{label}不能超过 {max_len} 字", f"{field_name} is too long", field=field_name)
    return value


# --- rules ---------------------------------------------------------------------------------------

def rule_defaults_ensure(*, actor=SYSTEM_ACTOR) -> int:
    """Create the default rules that do not exist yet (never overwrites an office's edits)."""
    with transaction.atomic():
        existing = set(SupervisionRule.objects.values_list("code", flat=True))
        new = [SupervisionRule(**spec) for spec in DEFAULT_RULES if spec["code"] not in existing]
        SupervisionRule.objects.bulk_create(new)
        if new:
            audit_record(actor=actor, action="supervision.rule_defaults", object_type="supervision.rule",
                         data={"codes": [r.code for r in new]})
    return len(new)


def rule_update(*, actor, code: str, enabled: bool | None = None, parameters: dict | None = None,
                severity: str | None = None, description: str | None = None) -> SupervisionRule:
    """Change a rule; the version goes up so records can tell which wording produced them."""
    if actor != SYSTEM_ACTOR and not permissions.is_supervisor(actor):
        raise PermissionDenied("只有监察员可以修改监察规则", "only supervisors may change rules")
    with transaction.atomic():
        rule = SupervisionRule.objects.select_for_update().filter(code=code).first()
        if rule is None:
            raise NotFound("监察规则不存在", "no such rule")
        before = {"enabled": rule.enabled, "parameters": rule.parameters, "severity": rule.severity}
        if enabled is not None:
            rule.enabled = bool(enabled)
        if parameters is not None:
            if not isinstance(parameters, dict):
                raise ValidationFailed("参数必须是 JSON 对象", "parameters must be an object", field="parameters")
            rule.parameters = {**rule.parameters, **parameters}
        if severity is not None:
            if severity not in ("yellow", "red", "info"):
                raise ValidationFailed("严重程度无效", "unknown severity", field="severity")
            rule.severity = severity
        if description is not None:
            rule.description = _text(description, "description", "说明")
        rule.version += 1
        rule.save()
        audit_record(actor=actor, action="supervision.rule_update", obj=rule,
                     data={"before": before, "version": rule.version, "enabled": rule.enabled,
                           "parameters": rule.parameters, "severity": rule.severity})
    return rule


def _rule(code: str) -> SupervisionRule | None:
    return SupervisionRule.objects.filter(code=code).first()


def rule_get(code: str) -> SupervisionRule:
    rule = _rule(code)
    if rule is None:
        raise NotFound("监察规则不存在", "no such rule")
    return rule


# --- records -------------------------------------------------------------------------------------

def _records_create(*, actor, rule: SupervisionRule, hits: Sequence[Hit]) -> list[SupervisionRecord]:
    """Store the hits not stored before (dedup key = rule code + subject), numbered and audited."""
    if not hits:
        return []
    keys = {f"{rule.code}:{h.subject}": h for h in hits}
    seen = set(SupervisionRecord.objects.filter(dedup_key__in=list(keys)).values_list("dedup_key", flat=True))
    fresh = [(k, h) for k, h in keys.items() if k not in seen]
    if not fresh:
        return []
    now = _now()
    numbers = _next_numbers("JC", len(fresh), timezone.localdate(now).year)
    rows = [SupervisionRecord(
        number=number, rule_code=rule.code, rule_version=rule.version, warning_type=rule.warning_type,
        severity=rule.severity, occurred_at=h.occurred_at, recorded_at=now, department_id=h.department_id,
        window_id=h.window_id, responsible_user_id=h.responsible_user_id, case_id=h.case_id,
        item_type=h.item_type, object_type=h.object_type, object_id=h.object_id, clock_id=h.clock_id,
        description=h.description[:500], evidence=h.evidence, dedup_key=key[:200],
    ) for number, (key, h) in zip(numbers, fresh, strict=True)]
    SupervisionRecord.objects.bulk_create(rows, batch_size=500)
    audit_record_many(actor=actor, entries=[
        Entry("supervision.record", object_type="supervision.supervisionrecord", object_id=r.number,
              object_repr=f"{r.number} {r.rule_code}", data={"rule": r.rule_code, "version": r.rule_version,
                                                              "department_id": r.department_id,
                                                              "case_id": r.case_id, "subject": r.dedup_key})
        for r in rows])
    return rows


def _case_handler_id(case) -> int | None:
    """The staff member answerable for a case now: the last staff actor on it, else its first responder."""
    from zhengwu.cases.models import CaseEvent
    from zhengwu.cases.states import Role

    last = (CaseEvent.objects.filter(case=case, actor__isnull=False)
            .exclude(role__in=[Role.APPLICANT, Role.SYSTEM]).order_by("-occurred_at", "-id")
            .values_list("actor_id", flat=True).first())
    return last or case.first_responder_id


KIND_LABELS = {"case.legal": "法定办结时限", "case.promised": "承诺办结时限", "case.certificate": "制证送达时限",
               ORDER_CLOCK: "督办单回复期限"}


def clock_subject(clock: Clock, kind: str, due_at) -> str:
    """The dedup subject of a clock's warning or overdue record: the sweeper and the history import
    use the same one, so a moment is recorded once whoever sees it first."""
    return f"clock:{clock.pk}:{kind}:{due_at.isoformat() if due_at else ''}"


def case_clock_hit(*, clock: Clock, case, kind: str, occurred_at, evidence: dict) -> Hit:
    """The W01 / W02 hit of a case clock that reached its warning (`kind` "warning") or due moment."""
    label = KIND_LABELS.get(clock.kind, clock.kind)
    due = timezone.localtime(clock.due_at).date() if clock.due_at else None
    return Hit(subject=clock_subject(clock, kind, clock.due_at), department_id=case.department_id,
               occurred_at=occurred_at,
               description=f"办件 {case.case_no} {label}{'进入预警期' if kind == 'warning' else '已超期'}（截止 {due}）",
               evidence={**evidence, "case_no": case.case_no, "status": case.status}, case_id=case.pk,
               window_id=case.window_id, responsible_user_id=_case_handler_id(case),
               item_type=case.item_version.item_type, object_type="cases.case", object_id=str(case.pk),
               clock_id=clock.pk)


def record_clock_event(*, clock: Clock, event) -> SupervisionRecord | None:
    """The sweeper fired a warning or overdue event: record it (rule W01 / W02) and tell the
    handler and the department head. Runs inside the sweeper's claim transaction."""
    code = "W01" if event.kind == "warning" else "W02"
    rule = _rule(code)
    if rule is None or not rule.enabled or clock.kind not in rule.parameters.get("clock_kinds", [clock.kind]):
        return None
    due = timezone.localtime(clock.due_at).date() if clock.due_at else None
    label = KIND_LABELS.get(clock.kind, clock.kind)
    colour = "黄牌预警" if event.kind == "warning" else "红牌超期"
    evidence = {"clock_id": clock.pk, "clock_kind": clock.kind, "event_id": event.pk, "event": event.kind,
                "due_date": str(clock.due_date) if clock.due_date else None,
                "scheduled_at": event.scheduled_at.isoformat(), "fired_at": event.fired_at.isoformat(),
                "budget": f"{clock.budget_value} {clock.budget_unit}"}
    subject = clock_subject(clock, event.kind, event.due_at)
    if clock.kind == ORDER_CLOCK:
        order = SupervisionOrder.objects.select_related("department").filter(pk=int(clock.owner_id)).first()
        if order is None:
            return None
        hit = Hit(subject=subject, department_id=order.department_id, occurred_at=event.scheduled_at,
                  description=f"督办单 {order.number} {label}{'即将届满' if event.kind == 'warning' else '已届满未回复'}",
                  evidence=evidence, object_type="supervision.supervisionorder", object_id=str(order.pk),
                  clock_id=clock.pk)
        subject_text, responsible, department = f"督办单 {order.number}", None, order.department
    else:
        from zhengwu.cases.models import Case

        case = Case.objects.select_related("department", "item_version").filter(pk=int(clock.owner_id)).first()
        if case is None:
            return None  # the owner is gone; the audit-only record of the event is enough
        hit = case_clock_hit(clock=clock, case=case, kind=event.kind, occurred_at=event.scheduled_at,
                             evidence=evidence)
        responsible = hit.responsible_user_id
        subject_text, department = f"办件 {case.case_no}（{case.item_version.name}）", case.department
    created = _records_create(actor=SYSTEM_ACTOR, rule=rule, hits=[hit])
    if not created:
        return None
    record = created[0]
    context = {"colour": colour, "subject": subject_text, "description": f"{label}{colour}",
               "number": record.number, "due": str(due or "—")}
    recipients = {u.pk: u for u in staff_with_position(Position.LEADER, department)}
    if responsible:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=responsible, is_active=True).first()
        if user is not None:
            recipients[user.pk] = user
    for user in recipients.values():
        notify_send(recipient_user=user, template="supervision.warning", context=context)
    return record


def rules_run(*, actor, start: dt.datetime, end: dt.datetime, codes: Iterable[str] | None = None
              ) -> dict[str, tuple[int, int]]:
    """Run the enabled anomaly rules over [start, end): {code: (hits found, records created)}.

    Re-runnable: a hit already recorded (same rule and subject) is not recorded twice.
    """
    from zhengwu.supervision.rules import RULES

    if actor != SYSTEM_ACTOR and not permissions.is_supervisor(actor):
        raise PermissionDenied("只有监察员可以运行监察规则", "only supervisors may run rules")
    if start >= end:
        raise ValidationFailed("开始时间必须早于结束时间", "start must precede end", field="start")
    wanted = set(codes) if codes is not None else None
    result: dict[str, tuple[int, int]] = {}
    for rule in SupervisionRule.objects.filter(kind="anomaly", enabled=True).order_by("code"):
        if wanted is not None and rule.code not in wanted:
            continue
        fn = RULES.get(rule.code)
        if fn is None:
            continue
        with transaction.atomic():
            hits = list(fn(rule, start, end))
            created = _records_create(actor=actor, rule=rule, hits=hits)
            audit_record(actor=actor, action="supervision.rule_run", obj=rule,
                         data={"start": start.isoformat(), "end": end.isoformat(), "version": rule.version,
                               "hits": len(hits), "created": len(created)})
        result[rule.code] = (len(hits), len(created))
    return result


# --- 督办单 -------------------------------------------------------------------------------------

def _order_transition(order: SupervisionOrder, *, action: str, role: str, actor, note: str = "") -> str:
    """The one executor of 督办单 transitions: checks the table, sets the status, writes the event."""
    dst = states.target(order.status, action, role)
    if dst is None:
        raise Conflict(f"督办单当前状态为“{order.get_status_display()}”，不能{states.OrderAction(action).label}",
                       f"cannot {action} an order that is {order.status}")
    src = order.status
    order.status = dst
    OrderEvent.objects.create(order=order, action=action, from_status=src, to_status=dst,
                              actor=actor if getattr(actor, "pk", None) else None, note=note, occurred_at=_now())
    return dst


def _lock_order(order_id: int) -> SupervisionOrder:
    order = SupervisionOrder.objects.select_for_update().select_related("department").filter(pk=order_id).first()
    if order is None:
        raise NotFound("督办单不存在", "no such order")
    return order


def _start_reply_clock(actor, order: SupervisionOrder) -> Clock:
    clock = clocks.clock_start(actor=actor, owner=order, kind=ORDER_CLOCK, budget_value=order.reply_days,
                               budget_unit=Unit.WORKING_DAYS, region=order.department.region, note="督办单回复期限")
    order.reply_due_at = clock.due_at
    return clock


def _reply_clock(order: SupervisionOrder) -> Clock | None:
    return Clock.objects.filter(owner_type__app_label="supervision", owner_type__model="supervisionorder",
                                owner_id=str(order.pk), kind=ORDER_CLOCK,
                                status__in=[Clock.Status.RUNNING, Clock.Status.SUSPENDED]).order_by("-id").first()


def order_issue(*, actor, department: Department, record_ids: Sequence[int], content: str,
                reply_days: int) -> SupervisionOrder:
    """A supervisor orders a department to explain and rectify one or more 监察记录."""
    if not permissions.can_supervise(actor, department):
        raise PermissionDenied("您不能向该部门发出督办单", "you may not issue orders to this department")
    content = _text(content, "content", "督办内容")
    if not isinstance(reply_days, int) or isinstance(reply_days, bool) or not 1 <= reply_days <= MAX_REPLY_DAYS:
        raise ValidationFailed(f"回复期限应为 1–{MAX_REPLY_DAYS} 个工作日", "reply_days out of range",
                               field="reply_days")
    ids = sorted(set(record_ids))
    if not ids:
        raise ValidationFailed("请至少选择一条监察记录", "at least one record is required", field="record_ids")
    with transaction.atomic():
        records = list(SupervisionRecord.objects.select_for_update().filter(pk__in=ids))
        if len(records) != len(ids):
            raise NotFound("监察记录不存在", "record not found", field="record_ids")
        if any(r.department_id != department.pk for r in records):
            raise ValidationFailed("监察记录的责任部门必须是被督办部门", "records must belong to the department",
                                   field="record_ids")
        now = _now()
        (number,) = _next_numbers("DB", 1, timezone.localdate(now).year)
        order = SupervisionOrder.objects.create(number=number, department=department, content=content,
                                                reply_days=reply_days, issued_by=actor, issued_at=now)
        order.records.set(records)
        SupervisionRecord.objects.filter(pk__in=ids, status=SupervisionRecord.Status.OPEN).update(
            status=SupervisionRecord.Status.ORDERED)
        OrderEvent.objects.create(order=order, action="issue", to_status=order.status, actor=actor, occurred_at=now)
        _start_reply_clock(actor, order)
        order.save(update_fields=["reply_due_at"])
        audit_record(actor=actor, action="supervision.order_issue", obj=order,
                     data={"department_id": department.pk, "records": [r.number for r in records],
                           "reply_days": reply_days})
        due = timezone.localtime(order.reply_due_at).date() - dt.timedelta(days=1) if order.reply_due_at else "—"
        for user in staff_with_position(Position.LEADER, department):
            notify_send(recipient_user=user, template="supervision.order_issued",
                        context={"number": number, "content": content, "due": str(due)})
    return order


def order_reply(*, actor, order_id: int, explanation: str, rectification: str) -> SupervisionOrder:
    """The department answers: what happened and what it changes. Stops the reply clock."""
    explanation = _text(explanation, "explanation", "情况说明")
    rectification = _text(rectification, "rectification", "整改措施")
    with transaction.atomic():
        order = _lock_order(order_id)
        if not permissions.can_reply_for(actor, order.department):
            raise NotFound("督办单不存在", "no such order")  # outsiders learn nothing
        _order_transition(order, action=states.OrderAction.REPLY, role=states.OrderRole.DEPARTMENT, actor=actor)
        order.explanation, order.rectification = explanation, rectification
        order.replied_by, order.replied_at = actor, _now()
        order.save()
        clock = _reply_clock(order)
        if clock is not None:
            clocks.clock_complete(actor=actor, clock=clock)
        audit_record(actor=actor, action="supervision.order_reply", obj=order,
                     data={"on_time": bool(order.reply_due_at and order.replied_at < order.reply_due_at)})
        notify_send(recipient_user=order.issued_by, template="supervision.order_replied",
                    context={"number": order.number, "department": order.department.name})
    return order


def _order_review(*, actor, order_id: int, action: str, note: str) -> SupervisionOrder:
    with transaction.atomic():
        order = _lock_order(order_id)
        if not permissions.can_supervise(actor, order.department):
            raise NotFound("督办单不存在", "no such order")
        _order_transition(order, action=action, role=states.OrderRole.SUPERVISOR, actor=actor, note=note)
        order.review_note, order.reviewed_by, order.reviewed_at = note, actor, _now()
        if order.status == states.OrderStatus.ACCEPTED:
            order.closed_at = order.reviewed_at
            order.records.filter(status=SupervisionRecord.Status.ORDERED).update(
                status=SupervisionRecord.Status.CLOSED)
        else:
            _start_reply_clock(actor, order)
        order.save()
        audit_record(actor=actor, action=f"supervision.order_{action}", obj=order, data={"note": note})
        result = "审核通过，督办办结" if order.status == states.OrderStatus.ACCEPTED else "退回，请重新回复"
        notify_send(recipient_user=order.replied_by, template="supervision.order_reviewed",
                    context={"number": order.number, "result": result, "note": note})
    return order


def order_accept(*, actor, order_id: int, note: str = "") -> SupervisionOrder:
    return _order_review(actor=actor, order_id=order_id, action=states.OrderAction.ACCEPT,
                         note=_text(note, "note", "审核意见", required=False))


def order_return(*, actor, order_id: int, note: str) -> SupervisionOrder:
    """Send the reply back; a new reply period starts on the shared clock."""
    return _order_review(actor=actor, order_id=order_id, action=states.OrderAction.RETURN,
                         note=_text(note, "note", "退回理由"))


# --- warning thresholds (黄牌预警阈值 per 事项类型) ----------------------------------------------

MAX_BEFORE_DAYS = 60


def _threshold_clocks(item_type: str, clock_kind: str) -> list[int]:
    """Open clocks of this kind on cases of this item type."""
    from django.db.models import CharField
    from django.db.models.functions import Cast

    from zhengwu.cases.models import Case
    from zhengwu.cases.selectors import clocks_of_cases

    case_ids = (Case.objects.filter(item_version__item_type=item_type)
                .annotate(key=Cast("pk", CharField())).values("key"))
    return list(clocks_of_cases(owner_ids=case_ids).filter(
        kind=clock_kind, status__in=[Clock.Status.RUNNING, Clock.Status.SUSPENDED]).values_list("pk", flat=True))


def _recompute_threshold(actor, item_type: str, clock_kind: str, why: str) -> int:
    ids = _threshold_clocks(item_type, clock_kind)
    # In chunks, so the id list stays under every database's bound-parameter limit.
    return sum(clocks.clocks_recompute(actor=actor, clock_ids=ids[i:i + 1000], reason=why)
               for i in range(0, len(ids), 1000))


def warning_threshold_set(*, actor, item_type: str, clock_kind: str, before_days: int | None,
                          used_percent: int | None, note: str = "") -> tuple[WarningThreshold, int]:
    """Set the yellow threshold of one 事项类型 and clock; open clocks of its cases are recomputed at once.

    Returns (row, clocks whose warning or due moment moved). A warning already fired under the
    current deadline is not fired again; one moved into the past fires on the sweeper's next tick.
    """
    if not permissions.is_supervisor(actor):
        raise PermissionDenied("只有监察员可以设置预警阈值", "only supervisors may set warning thresholds")
    if item_type not in ItemType.values:
        raise ValidationFailed("事项类型无效", "unknown item type", field="item_type")
    if clock_kind not in ThresholdClock.values:
        raise ValidationFailed("时限类别无效", "clock_kind must be case.legal or case.promised", field="clock_kind")
    for value, name, label, low, high in ((before_days, "before_days", "截止前天数", 0, MAX_BEFORE_DAYS),
                                          (used_percent, "used_percent", "已用比例", 1, 100)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high):
            raise ValidationFailed(f"{label}应为 {low}–{high} 的整数", f"{name} must be an integer {low}..{high}",
                                   field=name)
    if before_days is None and used_percent is None:
        raise ValidationFailed("请至少填写“截止前天数”或“已用比例”之一", "set before_days or used_percent",
                               field="before_days")
    note = _text(note, "note", "说明", max_len=200, required=False)
    with transaction.atomic():
        row = WarningThreshold.objects.select_for_update().filter(item_type=item_type, clock_kind=clock_kind).first()
        before = None if row is None else {"before_days": row.before_days, "used_percent": row.used_percent,
                                           "version": row.version}
        if row is None:
            row = WarningThreshold(item_type=item_type, clock_kind=clock_kind)
        else:
            row.version += 1
        row.before_days, row.used_percent, row.note = before_days, used_percent, note
        row.updated_by, row.updated_at = actor, _now()
        row.save()
        thresholds.forget()
        moved = _recompute_threshold(actor, item_type, clock_kind,
                                     f"预警阈值调整：{row} v{row.version}")
        audit_record(actor=actor, action="supervision.threshold_set", obj=row,
                     data={"item_type": item_type, "clock_kind": clock_kind, "before": before,
                           "after": {"before_days": before_days, "used_percent": used_percent,
                                     "version": row.version}, "clocks_recomputed": moved})
    return row, moved


def warning_threshold_clear(*, actor, item_type: str, clock_kind: str) -> int:
    """Remove a threshold: the per-kind setting applies again; open clocks are recomputed."""
    if not permissions.is_supervisor(actor):
        raise PermissionDenied("只有监察员可以设置预警阈值", "only supervisors may set warning thresholds")
    with transaction.atomic():
        row = WarningThreshold.objects.select_for_update().filter(item_type=item_type, clock_kind=clock_kind).first()
        if row is None:
            raise NotFound("该事项类型没有单独的预警阈值", "no threshold for this item type and clock")
        label, old = str(row), {"before_days": row.before_days, "used_percent": row.used_percent,
                                "version": row.version}
        audit_record(actor=actor, action="supervision.threshold_clear", obj=row,
                     data={"item_type": item_type, "clock_kind": clock_kind, "before": old})
        row.delete()
        thresholds.forget()
        moved = _recompute_threshold(actor, item_type, clock_kind, f"预警阈值恢复默认：{label}")
    return moved


# --- 差评回访整改 (rating follow-up) -------------------------------------------------------------

def rating_follow_up_record(*, actor, rating_id: int, contact_method: str, explanation: str, rectification: str,
                            contacted_at: dt.datetime | None = None) -> RatingFollowUp:
    """The department records its 回访整改 on a 不满意 / 非常不满意 rating (what A10 looks for).

    Recorded by the case department's section heads, leaders or chief representatives; anyone outside
    the department learns nothing (404).
    """
    from zhengwu.cases.models import Rating

    if contact_method not in ContactMethod.values:
        raise ValidationFailed("回访方式无效", "unknown contact method", field="contact_method")
    explanation = _text(explanation, "explanation", "情况说明")
    rectification = _text(rectification, "rectification", "整改措施")
    with transaction.atomic():
        rating = Rating.objects.select_related("case__department").filter(pk=rating_id).first()
        if rating is None or not permissions.can_follow_up(actor, rating.case.department):
            raise NotFound("评价不存在", "no such rating")
        if not rating.is_bad:
            raise ValidationFailed("只有“不满意”“非常不满意”的评价需要回访整改",
                                   "only dissatisfied ratings are followed up", field="rating_id")
        now = _now()
        at = contacted_at or now
        if timezone.is_naive(at):
            raise ValidationFailed("时间必须带时区", "datetimes must be aware", field="contacted_at")
        if at > now or at < rating.rated_at:
            raise ValidationFailed("回访时间应在评价之后、不晚于现在", "contacted_at must lie between rating and now",
                                   field="contacted_at")
        row = RatingFollowUp.objects.create(rating=rating, department=rating.case.department,
                                            contact_method=contact_method, contacted_at=at,
                                            explanation=explanation, rectification=rectification,
                                            recorded_by=actor, recorded_at=now)
        audit_record(actor=actor, action="supervision.rating_follow_up", obj=row,
                     data={"case_no": rating.case.case_no, "level": rating.level,
                           "contact_method": contact_method, "contacted_at": at.isoformat()})
    return row


# --- cards, accountability, complaints ---------------------------------------------------------

def _records_of(department: Department, record_ids: Sequence[int]) -> list[SupervisionRecord]:
    ids = sorted(set(record_ids))
    records = list(SupervisionRecord.objects.filter(pk__in=ids, department=department))
    if len(records) != len(ids):
        raise ValidationFailed("监察记录不存在或不属于该部门", "records not found for this department",
                               field="record_ids")
    return records


def card_issue(*, actor, colour: str, department: Department, reason: str, window: Window | None = None,
               user=None, record_ids: Sequence[int] = ()) -> Card:
    """黄牌 / 红牌 to a department, or to one of its windows or staff, with reasons and evidence."""
    if colour not in Card.Colour.values:
        raise ValidationFailed("牌色无效", "unknown colour", field="colour")
    if not permissions.can_supervise(actor, department):
        raise PermissionDenied("您不能对该部门出示黄牌/红牌", "you may not card this department")
    reason = _text(reason, "reason", "理由")
    if window is not None and window.department_id not in (None, department.pk):
        raise ValidationFailed("窗口不属于该部门", "the window belongs to another department", field="window")
    if user is not None and not department.posts.filter(user=user, is_active=True).exists():
        raise ValidationFailed("该人员不在该部门任职", "the person holds no post in the department", field="user")
    target = Card.Target.STAFF if user is not None else Card.Target.WINDOW if window is not None \
        else Card.Target.DEPARTMENT
    with transaction.atomic():
        records = _records_of(department, record_ids)
        now = _now()
        (number,) = _next_numbers("KP", 1, timezone.localdate(now).year)
        card = Card.objects.create(number=number, colour=colour, target=target, department=department,
                                   window=window, user=user, reason=reason, issued_by=actor, issued_at=now)
        card.records.set(records)
        audit_record(actor=actor, action="supervision.card_issue", obj=card,
                     data={"colour": colour, "target": target, "department_id": department.pk,
                           "window_id": getattr(window, "pk", None), "user_id": getattr(user, "pk", None),
                           "records": [r.number for r in records]})
        target_text = user.get_username() if user is not None else str(window) if window is not None \
            else department.name
        recipients = list(staff_with_position(Position.LEADER, department)) + ([user] if user is not None else [])
        for person in {p.pk: p for p in recipients}.values():
            notify_send(recipient_user=person, template="supervision.card",
                        context={"colour": card.get_colour_display(), "target": target_text, "number": number,
                                 "reason": reason})
    return card


APPEAL_CLOCK = "supervision.card_appeal"
# 政府督查工作条例 (RULES §12): an objection is raised within 30 days and the 复核 decided within 30 days.
APPEAL_DAYS = 30
RULING_DAYS = 30


def _lock_card(card_id: int) -> Card:
    card = Card.objects.select_for_update().select_related("department").filter(pk=card_id).first()
    if card is None:
        raise NotFound("黄牌/红牌不存在", "no such card")
    return card


def _revoke(card: Card, *, actor, reason: str, at: dt.datetime) -> None:
    card.revoked_at, card.revoked_by, card.revoke_reason = at, actor, reason
    card.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])


def card_revoke(*, actor, card_id: int, reason: str) -> Card:
    """A supervisor withdraws a card (issued in error, or the facts changed); it stays on file, marked 已撤销."""
    reason = _text(reason, "reason", "撤销理由")
    with transaction.atomic():
        card = _lock_card(card_id)
        if not permissions.can_supervise(actor, card.department):
            raise NotFound("黄牌/红牌不存在", "no such card")
        if card.is_revoked:
            raise Conflict("该黄牌/红牌已撤销", "the card is already revoked")
        if CardAppeal.objects.filter(card=card, status=AppealStatus.PENDING).exists():
            raise Conflict("该黄牌/红牌有待裁决的申诉，请通过裁决处理", "rule on the pending appeal instead")
        _revoke(card, actor=actor, reason=reason, at=_now())
        audit_record(actor=actor, action="supervision.card_revoke", obj=card, data={"reason": reason})
    return card


def appeal_deadline(card: Card) -> dt.date:
    """Last day to appeal: 30 days after the card's day; a last day that is a rest day moves on (民法典 §203)."""
    from zhengwu.workcalendar import workdays

    last = timezone.localtime(card.issued_at).date() + dt.timedelta(days=APPEAL_DAYS)
    return workdays.calendar_index(card.department.region_id).next_working_day(last, include=True)


def card_appeal_submit(*, actor, card_id: int, grounds: str) -> CardAppeal:
    """申诉: the carded department (who answers its 督办单) or the carded staff member objects to a card."""
    grounds = _text(grounds, "grounds", "申诉理由")
    with transaction.atomic():
        card = _lock_card(card_id)
        if not (permissions.can_reply_for(actor, card.department) or
                (card.user_id is not None and card.user_id == getattr(actor, "pk", None))):
            raise NotFound("黄牌/红牌不存在", "no such card")
        if card.is_revoked:
            raise Conflict("该黄牌/红牌已撤销，无需申诉", "the card is revoked")
        if CardAppeal.objects.filter(card=card).exists():
            raise Conflict("该黄牌/红牌已申诉过，每张只能申诉一次", "a card is appealed once")
        now = _now()
        last = appeal_deadline(card)
        if timezone.localtime(now).date() > last:
            raise ValidationFailed(f"申诉期限已过（应于 {last:%Y-%m-%d} 前提出，出具之日起 {APPEAL_DAYS} 日）",
                                   f"the appeal period ended on {last}", field="grounds")
        appeal = CardAppeal.objects.create(card=card, grounds=grounds, submitted_by=actor, submitted_at=now)
        clock = clocks.clock_start(actor=actor, owner=appeal, kind=APPEAL_CLOCK, budget_value=RULING_DAYS,
                                   budget_unit=Unit.CALENDAR_DAYS, region=card.department.region,
                                   note="申诉裁决期限（政府督查工作条例：30日内复核）")
        appeal.ruling_due_at = clock.due_at
        appeal.save(update_fields=["ruling_due_at"])
        audit_record(actor=actor, action="supervision.card_appeal", obj=appeal,
                     data={"card": card.number, "grounds": grounds})
        due = timezone.localtime(clock.due_at).date() - dt.timedelta(days=1) if clock.due_at else "—"
        notify_send(recipient_user=card.issued_by, template="supervision.card_appealed",
                    context={"number": card.number, "grounds": grounds, "due": str(due)})
    return appeal


def card_appeal_rule(*, actor, appeal_id: int, upheld: bool, ruling: str) -> CardAppeal:
    """The supervisor's ruling: upheld revokes the card, rejected keeps it; the ruling clock stops."""
    ruling = _text(ruling, "ruling", "裁决意见")
    with transaction.atomic():
        appeal = CardAppeal.objects.select_for_update().select_related("card__department").filter(
            pk=appeal_id).first()
        if appeal is None or not permissions.can_supervise(actor, appeal.card.department):
            raise NotFound("申诉不存在", "no such appeal")
        if appeal.status != AppealStatus.PENDING:
            raise Conflict("该申诉已裁决", "the appeal has been ruled on")
        now = _now()
        appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
        appeal.ruling, appeal.ruled_by, appeal.ruled_at = ruling, actor, now
        appeal.save(update_fields=["status", "ruling", "ruled_by", "ruled_at"])
        card = _lock_card(appeal.card_id)
        if upheld and not card.is_revoked:
            _revoke(card, actor=actor, reason=f"申诉成立：{ruling}", at=now)
        clock = Clock.objects.filter(owner_type__app_label="supervision", owner_type__model="cardappeal",
                                     owner_id=str(appeal.pk), kind=APPEAL_CLOCK,
                                     status__in=[Clock.Status.RUNNING, Clock.Status.SUSPENDED]).first()
        if clock is not None:
            clocks.clock_complete(actor=actor, clock=clock)
        audit_record(actor=actor, action="supervision.card_appeal_rule", obj=appeal,
                     data={"card": card.number, "upheld": bool(upheld), "ruling": ruling,
                           "on_time": bool(appeal.ruling_due_at and now < appeal.ruling_due_at)})
        notify_send(recipient_user=appeal.submitted_by, template="supervision.card_ruled",
                    context={"number": card.number, "result": appeal.get_status_display(), "ruling": ruling})
    return appeal


def accountability_record(*, actor, kind: str, department: Department, reason: str, user=None,
                          record_ids: Sequence[int] = (), order_ids: Sequence[int] = ()) -> AccountabilityRecord:
    """问责 (诫勉谈话, 通报批评 …) linked to its evidence; at least one record or order is required."""
    if kind not in AccountabilityKind.values:
        raise ValidationFailed("问责方式无效", "unknown kind", field="kind")
    if not permissions.can_supervise(actor, department):
        raise PermissionDenied("您不能对该部门作出问责记录", "you may not record accountability here")
    reason = _text(reason, "reason", "事由")
    if not record_ids and not order_ids:
        raise ValidationFailed("问责必须关联监察记录或督办单作为证据", "evidence is required", field="record_ids")
    with transaction.atomic():
        records = _records_of(department, record_ids)
        orders = list(SupervisionOrder.objects.filter(pk__in=set(order_ids), department=department))
        if len(orders) != len(set(order_ids)):
            raise ValidationFailed("督办单不存在或不属于该部门", "orders not found", field="order_ids")
        now = _now()
        (number,) = _next_numbers("WZ", 1, timezone.localdate(now).year)
        row = AccountabilityRecord.objects.create(number=number, kind=kind, department=department, user=user,
                                                  reason=reason, decided_by=actor, decided_at=now)
        row.records.set(records)
        row.orders.set(orders)
        audit_record(actor=actor, action="supervision.accountability", object_type="supervision.accountability",
                     object_id=number, object_repr=number,
                     data={"kind": kind, "department_id": department.pk, "user_id": getattr(user, "pk", None),
                           "records": [r.number for r in records], "orders": [o.number for o in orders]})
    return row


def complaint_register(*, actor, department: Department, summary: str, received_at: dt.datetime | None = None,
                       case=None, window: Window | None = None) -> Complaint:
    """效能投诉 received by the office (counted in the bulletin's 投诉率)."""
    if not permissions.can_supervise(actor, department):
        raise PermissionDenied("您不能登记该部门的投诉", "you may not register complaints here")
    summary = _text(summary, "summary", "投诉摘要", max_len=500)
    at = received_at or _now()
    if timezone.is_naive(at):
        raise ValidationFailed("时间必须带时区", "datetimes must be aware", field="received_at")
    with transaction.atomic():
        row = Complaint.objects.create(department=department, window=window, case=case, summary=summary,
                                       received_at=at, recorded_by=actor)
        audit_record(actor=actor, action="supervision.complaint", obj=row, data={"department_id": department.pk})
    return row


__all__ = ["Hit", "WarningType", "accountability_record", "card_appeal_rule", "card_appeal_submit", "card_issue",
           "card_revoke", "complaint_register", "order_accept",
           "order_issue", "order_reply", "order_return", "rating_follow_up_record", "record_clock_event", "rule_defaults_ensure",
           "rule_update", "rules_run", "warning_threshold_clear", "warning_threshold_set"]
