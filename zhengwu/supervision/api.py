"""Supervision endpoints, mounted at /api/v1/supervision. Login required; scoped like the pages."""

# No `from __future__ import annotations`: django-ninja reads the annotations at runtime.
import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.security import django_auth

from zhengwu.supervision import selectors, services
from zhengwu.supervision.bulletin import COLUMNS, LEVELS, Period

router = Router(tags=["电子监察"], auth=django_auth)


class RecordOut(Schema):
    number: str
    rule_code: str
    rule_version: int
    warning_type: str
    severity: str
    occurred_at: dt.datetime
    department_id: int
    case_id: int | None = None
    description: str
    status: str


class RuleOut(Schema):
    code: str
    version: int
    name: str
    kind: str
    severity: str
    enabled: bool
    parameters: dict


class RuleIn(Schema):
    enabled: bool | None = None
    parameters: dict | None = None


class RunIn(Schema):
    start: dt.datetime
    end: dt.datetime
    codes: list[str] | None = None


class OrderIn(Schema):
    department_id: int
    record_ids: list[int]
    content: str
    reply_days: int


class ReplyIn(Schema):
    explanation: str
    rectification: str


class OrderOut(Schema):
    id: int
    number: str
    department_id: int
    status: str
    issued_at: dt.datetime
    reply_due_at: dt.datetime | None = None


class BulletinRow(Schema):
    unit_id: int
    name: str
    rank: int | None = None
    small_sample: bool
    values: dict


@router.get("/records", response=list[RecordOut])
def records(request: HttpRequest, department_id: int | None = None, limit: int = Query(100, ge=1, le=500)):
    return list(selectors.record_list_visible_to(user=request.user, department_id=department_id)[:limit])


@router.get("/rules", response=list[RuleOut])
def rules(request: HttpRequest):
    return list(selectors.rule_list())


@router.patch("/rules/{code}", response=RuleOut)
def rule_patch(request: HttpRequest, code: str, payload: RuleIn):
    return services.rule_update(actor=request.user, code=code, enabled=payload.enabled, parameters=payload.parameters)


@router.post("/rules/run")
def rules_run(request: HttpRequest, payload: RunIn):
    result = services.rules_run(actor=request.user, start=payload.start, end=payload.end, codes=payload.codes)
    return {code: {"hits": hits, "created": created} for code, (hits, created) in result.items()}


@router.get("/orders", response=list[OrderOut])
def orders(request: HttpRequest):
    return list(selectors.order_list_visible_to(user=request.user))


@router.post("/orders", response={201: OrderOut})
def order_issue(request: HttpRequest, payload: OrderIn):
    department = selectors.department_get_visible_to(user=request.user, department_id=payload.department_id)
    return 201, services.order_issue(actor=request.user, department=department, record_ids=payload.record_ids,
                                     content=payload.content, reply_days=payload.reply_days)


@router.post("/orders/{order_id}/reply", response=OrderOut)
def order_reply(request: HttpRequest, order_id: int, payload: ReplyIn):
    return services.order_reply(actor=request.user, order_id=order_id, explanation=payload.explanation,
                                rectification=payload.rectification)


@router.get("/bulletin/{month}", response=dict[str, list[BulletinRow]])
def bulletin(request: HttpRequest, month: str):
    b = selectors.bulletin_for(user=request.user, period=Period.parse_month(month))
    out = {level: [BulletinRow(unit_id=r.unit_id, name=r.name, rank=r.rank, small_sample=r.small_sample,
                               values={k: r.values.get(k) for k in COLUMNS}) for r in b.levels[level]]
           for level in LEVELS}
    out["total"] = [BulletinRow(unit_id=0, name="合计", small_sample=False,
                                values={k: b.total.values.get(k) for k in COLUMNS})]
    return out
