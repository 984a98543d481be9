"""Supervision endpoints, mounted at /api/v1/supervision. Login required; scoped like the pages."""

# No `from __future__ import annotations`: django-ninja reads the annotations at runtime.
import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
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
    return Status(201, services.order_issue(actor=request.user, department=department,
                                            record_ids=payload.record_ids, content=payload.content,
                                            reply_days=payload.reply_days))


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


class ThresholdOut(Schema):
    item_type: str
    item_type_label: str
    clock_kind: str
    before_days: int | None = None
    used_percent: int | None = None
    own: bool
    version: int | None = None


class ThresholdIn(Schema):
    before_days: int | None = None
    used_percent: int | None = None
    note: str = ""


class RecomputedOut(Schema):
    clocks_recomputed: int


class BadRatingOut(Schema):
    rating_id: int
    case_no: str
    department_id: int
    applicant: str  # masked
    level: str
    rated_at: dt.datetime
    follow_up_due: dt.date
    state: str


class FollowUpIn(Schema):
    contact_method: str
    explanation: str
    rectification: str


class FollowUpOut(Schema):
    id: int
    rating_id: int
    contact_method: str
    contacted_at: dt.datetime
    recorded_at: dt.datetime


class AppealIn(Schema):
    grounds: str


class RulingIn(Schema):
    upheld: bool
    ruling: str


class RevokeIn(Schema):
    reason: str


class AppealOut(Schema):
    id: int
    card_id: int
    status: str
    ruling_due_at: dt.datetime | None = None
    ruled_at: dt.datetime | None = None


class CardOut(Schema):
    id: int
    number: str
    colour: str
    revoked_at: dt.datetime | None = None


@router.get("/thresholds", response=list[ThresholdOut])
def thresholds(request: HttpRequest):
    """黄牌预警阈值 per 事项类型 and clock: own rows and the defaults that apply elsewhere."""
    return [ThresholdOut(item_type=r["item_type"].value, item_type_label=r["item_type"].label,
                         clock_kind=r["kind"].value, before_days=r["before"], used_percent=r["percent"],
                         own=r["row"] is not None, version=r["row"].version if r["row"] else None)
            for r in selectors.threshold_table_for(user=request.user)]


@router.put("/thresholds/{item_type}/{clock_kind}", response=RecomputedOut)
def threshold_put(request: HttpRequest, item_type: str, clock_kind: str, payload: ThresholdIn):
    _, moved = services.warning_threshold_set(actor=request.user, item_type=item_type, clock_kind=clock_kind,
                                              before_days=payload.before_days, used_percent=payload.used_percent,
                                              note=payload.note)
    return RecomputedOut(clocks_recomputed=moved)


@router.delete("/thresholds/{item_type}/{clock_kind}", response=RecomputedOut)
def threshold_delete(request: HttpRequest, item_type: str, clock_kind: str):
    return RecomputedOut(clocks_recomputed=services.warning_threshold_clear(
        actor=request.user, item_type=item_type, clock_kind=clock_kind))


@router.get("/ratings", response=list[BadRatingOut])
def bad_ratings(request: HttpRequest):
    """差评 of the user's departments with their 回访整改 state (A10)."""
    return [BadRatingOut(rating_id=r["rating"].pk, case_no=r["case"].case_no, department_id=r["case"].department_id,
                         applicant=r["applicant"], level=r["rating"].level, rated_at=r["rating"].rated_at,
                         follow_up_due=r["due"], state=r["state"])
            for r in selectors.bad_rating_list_visible_to(user=request.user)]


@router.post("/ratings/{rating_id}/follow-ups", response={201: FollowUpOut})
def follow_up(request: HttpRequest, rating_id: int, payload: FollowUpIn):
    return Status(201, services.rating_follow_up_record(actor=request.user, rating_id=rating_id,
                                                        contact_method=payload.contact_method,
                                                        explanation=payload.explanation,
                                                        rectification=payload.rectification))


@router.post("/cards/{card_id}/appeal", response={201: AppealOut})
def card_appeal(request: HttpRequest, card_id: int, payload: AppealIn):
    return Status(201, services.card_appeal_submit(actor=request.user, card_id=card_id, grounds=payload.grounds))


@router.post("/cards/{card_id}/ruling", response=AppealOut)
def card_ruling(request: HttpRequest, card_id: int, payload: RulingIn):
    from zhengwu.core.errors import NotFound
    from zhengwu.supervision.models import CardAppeal

    appeal = CardAppeal.objects.filter(card_id=card_id).first()
    if appeal is None:
        raise NotFound("申诉不存在", "no such appeal")
    return services.card_appeal_rule(actor=request.user, appeal_id=appeal.pk, upheld=payload.upheld,
                                     ruling=payload.ruling)


@router.post("/cards/{card_id}/revoke", response=CardOut)
def card_revoke(request: HttpRequest, card_id: int, payload: RevokeIn):
    return services.card_revoke(actor=request.user, card_id=card_id, reason=payload.reason)
