"""REST endpoints for cases at /api/v1/cases: schemas in, one service or selector call, schemas out.

Staff and applicants use their session (django-ninja `django_auth`); the progress query is public.
Errors come out in the API's one format through the DomainError handler (403/404/409/422).
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth
from ninja.throttling import SimpleRateThrottle

from zhengwu.accounts.permissions import is_applicant
from zhengwu.cases import selectors, services, states
from zhengwu.cases.models import Case, Channel
from zhengwu.core.errors import ValidationFailed
from zhengwu.core.masking import looks_like_personal_number

router = Router(tags=["办件"], auth=django_auth)


class ProgressQueryThrottle(SimpleRateThrottle):
    """The public progress query is limited per client address: the 8-character query code must
    not be guessable by brute force (等保 2.0: 防暴力破解)."""

    scope = "progress_query"

    def __init__(self) -> None:
        super().__init__(rate=getattr(settings, "ZHENGWU_PROGRESS_QUERY_RATE", "30/m"))

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


PROGRESS_THROTTLE = ProgressQueryThrottle()


# --- schemas ------------------------------------------------------------------------------------

class ApplicantIn(Schema):
    applicant_type: str = Field(..., description="person 自然人 / organisation 法人或其他组织")
    name: str
    id_type: str = Field(..., description="id_card / passport / hk_macao_permit / taiwan_permit / uscc / other")
    id_number: str
    phone: str = ""
    address: str = ""
    legal_representative: str = ""
    agent_name: str = ""
    agent_id_number: str = ""
    agent_phone: str = ""


class MaterialIn(Schema):
    requirement_id: int | None = None
    name: str = ""
    filename: str = ""
    content_base64: str = Field("", description="文件内容（Base64）；PDF、JPEG、PNG 或 OFD")
    reused_certificate: str = Field("", description="复用电子证照的标识，代替上传")


class SubmitIn(Schema):
    item_id: int
    applicant: ApplicantIn
    materials: list[MaterialIn] = []
    channel: str = Channel.ONLINE_PC
    summary: str = ""


class WalkInIn(SubmitIn):
    channel: str = Channel.WINDOW
    window_id: int | None = None


class VersionIn(Schema):
    expected_version: int | None = Field(None, description="乐观并发：客户端看到的办件版本")


class ReasonIn(VersionIn):
    reason: str


class RejectIn(ReasonIn):
    competent_agency: str = ""


class CorrectionItemIn(Schema):
    requirement_id: int | None = None
    name: str = ""
    reason: str


class CorrectionNoticeIn(VersionIn):
    items: list[CorrectionItemIn]
    deadline_days: int | None = None


class MaterialsIn(VersionIn):
    materials: list[MaterialIn]


class OpinionIn(VersionIn):
    opinion: str


class StepReturnIn(ReasonIn):
    to_step_id: int


class SpecialStartIn(VersionIn):
    kind: str
    reason: str
    expected_value: int
    expected_unit: str = "working_days"


class SpecialEndIn(VersionIn):
    result: str


class ExtendIn(ReasonIn):
    days: int


class ExtensionRequestOut(Schema):
    case_no: str
    request_id: int
    days: int
    state: str = Field(..., description="pending 待审批 / approved 已批准 / refused 不予批准 / lapsed 已失效")
    state_label: str
    version: int


class DecideIn(VersionIn):
    outcome: str = Field(..., description="approve 准予 / deny 不予")
    reasons: str = ""


class DeliverIn(VersionIn):
    method: str = Field(..., description="collection 窗口领取 / post 邮寄")
    tracking_no: str = ""
    carrier: str = ""
    address: str = ""
    recipient_name: str = ""


class ConfirmIn(VersionIn):
    recipient_name: str = ""


class WithdrawIn(VersionIn):
    reason: str = ""


class RateIn(Schema):
    level: str = Field(..., description="very_satisfied / satisfied / basically_satisfied / dissatisfied / "
                                        "very_dissatisfied")
    channel: str = "pc"
    comment: str = ""


class FeeLineIn(Schema):
    fee_item_id: int
    amount: Decimal | None = Field(None, description="金额（元）；收费标准为固定金额时可不填，由收费目录确定")
    basis_note: str = Field("", description="计费说明：收费标准不能直接读出金额时必填（如面积、件数及计算过程）")


class FeeNoticeIn(Schema):
    lines: list[FeeLineIn]


class FeeVoidIn(Schema):
    reason: str


class PaymentIn(Schema):
    notice_no: str
    amount: Decimal
    payer_name: str
    method: str = "window"


class CaseOut(Schema):
    case_no: str
    status: str
    status_label: str
    version: int
    item_name: str
    department: str
    applicant_name: str
    channel: str
    received_at: datetime | None
    accepted_at: datetime | None
    decided_at: datetime | None
    completed_at: datetime | None
    deemed_accepted: bool
    deemed_approved: bool
    completed_on_site: bool
    current_step: str | None
    decision: str


class ClockOut(Schema):
    kind: str
    status: str
    state: str
    state_label: str
    due_at: datetime | None
    due_date: date | None
    budget: str


class EventOut(Schema):
    at: datetime
    action: str
    label: str
    from_status: str
    to_status: str
    status_label: str
    actor: str
    note: str


class CaseDetailOut(CaseOut):
    query_code: str
    applicant_id_number: str = Field(..., description="证件号码，脱敏（前 6 后 4）；完整号码见 POST /{case_no}/id-numbers")
    applicant_phone: str
    acceptance_no: str
    allowed_actions: list[str] = Field(..., description=(
        "此刻可办理的操作，与办件页面按钮一致（selectors.case_actions_for）。工作人员：accept, correction, reject, "
        "step_pass, step_return, special_start, special_end, extension_request, extension_approve, "
        "extension_refuse, extend, decide, certificate, deliver, delivery_confirm, fee_notice, payment, fee_void, "
        "withdraw, terminate；申请人：submit, materials, "
        "submit_correction, withdraw, rate"))
    clocks: list[ClockOut]
    timeline: list[EventOut]


class CasePage(Schema):
    count: int
    results: list[CaseOut]


class IdNumbersOut(Schema):
    case_no: str
    applicant_id_type: str
    applicant_id_number: str
    agent_id_number: str = Field(..., description="代办人身份证号；无代办人时为空")


class DocumentOut(Schema):
    case_no: str
    status: str
    version: int
    document_no: str = ""


class ReceiptOut(Schema):
    receipt_no: str
    notice_no: str
    amount: Decimal


class FeeNoticeOut(Schema):
    notice_no: str
    total: Decimal


class FeeNoticeStateOut(FeeNoticeOut):
    state: str = Field(..., description="unpaid 待缴费 / paid 已缴费 / voided 已作废")


class ProgressEventOut(Schema):
    at: datetime
    label: str
    status_label: str


class ProgressOut(Schema):
    case_no: str
    item_name: str
    department: str
    applicant: str
    status: str
    status_label: str
    received_at: datetime | None
    accepted_at: datetime | None
    decided_at: datetime | None
    completed_at: datetime | None
    deemed_accepted: bool
    deemed_approved: bool
    promised_due_date: date | None
    timeline: list[ProgressEventOut]


class ErrorOut(Schema):
    code: str
    message: str
    message_en: str


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# --- helpers ------------------------------------------------------------------------------------

def _materials(items: list[MaterialIn]) -> list[services.MaterialInput]:
    out = []
    for m in items:
        try:
            content = base64.b64decode(m.content_base64, validate=True) if m.content_base64 else b""
        except (binascii.Error, ValueError):
            raise ValidationFailed("文件内容不是有效的 Base64", "content_base64 is not valid base64",
                                   field="content_base64") from None
        out.append(services.MaterialInput(requirement_id=m.requirement_id, name=m.name, content=content,
                                          filename=m.filename, reused_certificate=m.reused_certificate))
    return out


def _out(case: Case, *, masked: bool) -> dict:
    name = services.masked_applicant(case)["name"] if masked else case.applicant_name
    return {
        "case_no": case.case_no, "status": case.status, "status_label": states.label(case.status),
        "version": case.version, "item_name": case.item_version.name, "department": case.department.name,
        "applicant_name": name, "channel": case.channel, "received_at": case.received_at,
        "accepted_at": case.accepted_at, "decided_at": case.decided_at, "completed_at": case.completed_at,
        "deemed_accepted": case.deemed_accepted, "deemed_approved": case.deemed_approved,
        "completed_on_site": case.completed_on_site,
        "current_step": case.current_step.name if case.current_step else None, "decision": case.decision,
    }


def _detail(request: HttpRequest, case_no: str) -> dict:
    return _detail_of(request, selectors.case_get_visible_to(user=request.user, case_no=case_no))


def _written_detail(request: HttpRequest, case: Case) -> dict:
    """The answer to a request that has just created `case`: built from the object the service
    returned, not read again (half of a walk-in's time in issue 5's load test); the staff read is
    still audited (selectors.case_written_visible_to)."""
    return _detail_of(request, selectors.case_written_visible_to(user=request.user, case=case), fresh=True)


def _detail_of(request: HttpRequest, case: Case, *, fresh: bool = False) -> dict:
    data = _out(case, masked=False)
    actions = selectors.case_actions_for(user=request.user, case=case, fresh=fresh)
    data.update({
        "query_code": case.query_code, "applicant_id_number": services.masked_applicant(case)["id_number"],
        "applicant_phone": case.applicant_phone, "acceptance_no": case.acceptance_no,
        "allowed_actions": actions, "clocks": selectors.case_clock_summary(case),
        "timeline": [e.__dict__ for e in selectors.case_timeline(case, public_only=is_applicant(request.user))],
    })
    return data


def _short(case: Case, document_no: str = "") -> dict:
    return {"case_no": case.case_no, "status": case.status, "version": case.version, "document_no": document_no}


# --- endpoints ------------------------------------------------------------------------------------

@router.get("/progress", auth=None, throttle=[PROGRESS_THROTTLE], response={200: ProgressOut, **ERRORS},
            summary="进度查询（公开）")
def progress(request, case_no: str, query_code: str):
    return selectors.progress_query(case_no=case_no, query_code=query_code)


def _case_page(request, *, queue: str | None, status: str | None, search: str, limit: int, offset: int) -> dict:
    qs = selectors.case_list_visible_to(user=request.user, queue=queue, status=status, search=search)
    rows = list(qs[offset: offset + limit])
    return {"count": qs.count(), "results": [_out(c, masked=not is_applicant(request.user)) for c in rows]}


@router.get("", response={200: CasePage, **ERRORS}, summary="可见办件列表")
def case_list(request, queue: str | None = None, status: str | None = None,
              search: str = Query("", description="办件编号或事项名称（包含匹配）。证件号码、手机号码不得放在网址中"
                                                  "（会留在访问日志与浏览器历史），请用 POST /cases/search"),
              limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=1_000_000)):
    if looks_like_personal_number(search):
        raise ValidationFailed("证件号码、手机号码不能放在网址中查询，请用 POST /api/v1/cases/search，未执行查询",
                               "an ID or phone number must not travel in a URL: use POST /api/v1/cases/search; "
                               "nothing was searched", field="search")
    return _case_page(request, queue=queue, status=status, search=search, limit=limit, offset=offset)


class CaseSearchIn(Schema):
    search: str = Field("", max_length=60, description="办件编号或事项名称（包含匹配）；完整的证件号码按加密索引精确匹配"
                                                       "申请人或代办人，并记入审计日志（号码脱敏）")
    queue: str | None = None
    status: str | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


@router.post("/search", response={200: CasePage, **ERRORS}, summary="查找办件（证件号码在请求体中）")
def case_search(request, payload: CaseSearchIn):
    return _case_page(request, queue=payload.queue, status=payload.status, search=payload.search,
                      limit=payload.limit, offset=payload.offset)


@router.post("", response={201: CaseDetailOut, 200: CaseDetailOut, **ERRORS}, summary="网上申请（提交）")
def case_submit(request, payload: SubmitIn):
    key = request.headers.get("Idempotency-Key", "")
    replay = bool(key) and Case.objects.filter(idempotency_key=key.strip()).exclude(status="draft").exists()
    case = services.case_submit(actor=request.user, item_id=payload.item_id,
                                applicant=services.ApplicantInput(**payload.applicant.dict()),
                                materials=_materials(payload.materials), channel=payload.channel,
                                summary=payload.summary, idempotency_key=key or None)
    return Status(200, _detail(request, case.case_no)) if replay else Status(201, _written_detail(request, case))


@router.post("/walk-in", response={201: CaseDetailOut, **ERRORS}, summary="窗口收件登记")
def case_walk_in(request, payload: WalkInIn):
    key = request.headers.get("Idempotency-Key") or None
    case = services.case_register_walk_in(
        actor=request.user, item_id=payload.item_id, applicant=services.ApplicantInput(**payload.applicant.dict()),
        materials=_materials(payload.materials), window_id=payload.window_id, summary=payload.summary,
        channel=payload.channel, idempotency_key=key)
    # With a key the service may return the case an earlier request registered: read it as any other.
    return Status(201, _detail(request, case.case_no) if key else _written_detail(request, case))


@router.get("/{case_no}", response={200: CaseDetailOut, **ERRORS}, summary="办件详情")
def case_get(request, case_no: str):
    return _detail(request, case_no)


@router.post("/{case_no}/id-numbers", response={200: IdNumbersOut, **ERRORS}, summary="查看完整证件号（留痕）",
             description="仅收件窗口人员和首席代表可用；每次查看记入审计日志，其他可见办件的人员 403，无权可见者 404。")
def case_id_numbers(request, case_no: str):
    return selectors.case_id_numbers_reveal(user=request.user, case_no=case_no)


@router.post("/{case_no}/accept", response={200: DocumentOut, **ERRORS}, summary="受理")
def case_accept(request, case_no: str, payload: VersionIn):
    case = services.case_accept(actor=request.user, case_no=case_no, expected_version=payload.expected_version)
    return _short(case, case.acceptance_no)


@router.post("/{case_no}/reject", response={200: DocumentOut, **ERRORS}, summary="不予受理")
def case_reject(request, case_no: str, payload: RejectIn):
    case = services.case_reject(actor=request.user, case_no=case_no, reason=payload.reason,
                                competent_agency=payload.competent_agency, expected_version=payload.expected_version)
    return _short(case, case.rejection_no)


@router.post("/{case_no}/correction-notice", response={200: DocumentOut, **ERRORS}, summary="一次性告知补正")
def case_correction_notice(request, case_no: str, payload: CorrectionNoticeIn):
    notice = services.case_request_correction(
        actor=request.user, case_no=case_no, deadline_days=payload.deadline_days,
        items=[services.CorrectionItem(**i.dict()) for i in payload.items], expected_version=payload.expected_version)
    return _short(notice.case, notice.notice_no)


@router.post("/{case_no}/correction", response={200: DocumentOut, **ERRORS}, summary="提交补正材料")
def case_correction(request, case_no: str, payload: MaterialsIn):
    case = services.case_submit_correction(actor=request.user, case_no=case_no,
                                           materials=_materials(payload.materials),
                                           expected_version=payload.expected_version)
    return _short(case)


@router.post("/{case_no}/materials", response={200: DocumentOut, **ERRORS}, summary="补充材料")
def case_materials(request, case_no: str, payload: MaterialsIn):
    services.case_material_add(actor=request.user, case_no=case_no, materials=_materials(payload.materials))
    case = selectors.case_get_visible_to(user=request.user, case_no=case_no)
    return _short(case)


@router.post("/{case_no}/steps/pass", response={200: DocumentOut, **ERRORS}, summary="环节通过")
def case_step_pass(request, case_no: str, payload: OpinionIn):
    return _short(services.case_step_pass(actor=request.user, case_no=case_no, opinion=payload.opinion,
                                          expected_version=payload.expected_version))


@router.post("/{case_no}/steps/return", response={200: DocumentOut, **ERRORS}, summary="环节退回")
def case_step_return(request, case_no: str, payload: StepReturnIn):
    return _short(services.case_step_return(actor=request.user, case_no=case_no, to_step_id=payload.to_step_id,
                                            reason=payload.reason, expected_version=payload.expected_version))


@router.post("/{case_no}/special-procedures", response={200: DocumentOut, **ERRORS}, summary="启动特别程序")
def case_special_start(request, case_no: str, payload: SpecialStartIn):
    procedure = services.case_special_procedure_start(
        actor=request.user, case_no=case_no, kind=payload.kind, reason=payload.reason,
        expected_value=payload.expected_value, expected_unit=payload.expected_unit,
        expected_version=payload.expected_version)
    return _short(procedure.case, procedure.notice_no)


@router.post("/{case_no}/special-procedures/end", response={200: DocumentOut, **ERRORS}, summary="结束特别程序")
def case_special_end(request, case_no: str, payload: SpecialEndIn):
    procedure = services.case_special_procedure_end(actor=request.user, case_no=case_no, result=payload.result,
                                                    expected_version=payload.expected_version)
    return _short(procedure.case)


@router.post("/{case_no}/extension", response={200: DocumentOut, **ERRORS}, summary="延期")
def case_extend(request, case_no: str, payload: ExtendIn):
    extension = services.case_extend(actor=request.user, case_no=case_no, days=payload.days, reason=payload.reason,
                                     expected_version=payload.expected_version)
    return _short(extension.case, extension.notice_no)


def _request_out(request) -> dict:
    return {"case_no": request.case.case_no, "request_id": request.pk, "days": request.days,
            "state": request.state, "state_label": request.get_state_display(),
            "version": request.case.version}


@router.post("/{case_no}/extension-requests", response={201: ExtensionRequestOut, **ERRORS}, summary="申请延期",
             description="经办人（当前环节指定的岗位；待决定阶段为审批人员或首席代表）申请延长办理期限，待分管领导或科室负责人审批。")
def case_extension_request(request, case_no: str, payload: ExtendIn):
    made = services.case_extension_request(actor=request.user, case_no=case_no, days=payload.days,
                                           reason=payload.reason, expected_version=payload.expected_version)
    return Status(201, _request_out(made))


@router.post("/{case_no}/extension-requests/approve", response={200: DocumentOut, **ERRORS},
             summary="批准延期申请", description="延期生效：两个办理时限延长，生成延期告知书并告知申请人。")
def case_extension_approve(request, case_no: str, payload: VersionIn):
    extension = services.case_extension_approve(actor=request.user, case_no=case_no,
                                                expected_version=payload.expected_version)
    return _short(extension.case, extension.notice_no)


@router.post("/{case_no}/extension-requests/refuse", response={200: ExtensionRequestOut, **ERRORS},
             summary="不予批准延期申请", description="告知申请延期的经办人理由；办理时限不变。")
def case_extension_refuse(request, case_no: str, payload: ReasonIn):
    refused = services.case_extension_refuse(actor=request.user, case_no=case_no, reason=payload.reason,
                                             expected_version=payload.expected_version)
    return _request_out(refused)


@router.post("/{case_no}/decision", response={200: DocumentOut, **ERRORS}, summary="决定（准予 / 不予）")
def case_decide(request, case_no: str, payload: DecideIn):
    decision = services.case_decide(actor=request.user, case_no=case_no, outcome=payload.outcome,
                                    reasons=payload.reasons, expected_version=payload.expected_version)
    return _short(decision.case, decision.document_no)


@router.post("/{case_no}/certificate", response={200: DocumentOut, **ERRORS}, summary="制证")
def case_certificate(request, case_no: str, payload: VersionIn):
    certificate = services.case_issue_certificate(actor=request.user, case_no=case_no,
                                                  expected_version=payload.expected_version)
    case = selectors.case_get_visible_to(user=request.user, case_no=case_no)
    return _short(case, certificate.identifier)


@router.post("/{case_no}/delivery", response={200: DocumentOut, **ERRORS}, summary="送达")
def case_deliver(request, case_no: str, payload: DeliverIn):
    delivery = services.case_deliver(actor=request.user, case_no=case_no, method=payload.method,
                                     tracking_no=payload.tracking_no, carrier=payload.carrier, address=payload.address,
                                     recipient_name=payload.recipient_name, expected_version=payload.expected_version)
    return _short(delivery.case, delivery.tracking_no)


@router.post("/{case_no}/delivery/confirm", response={200: DocumentOut, **ERRORS}, summary="确认签收（办结）")
def case_delivery_confirm(request, case_no: str, payload: ConfirmIn):
    return _short(services.case_delivery_confirm(actor=request.user, case_no=case_no,
                                                 recipient_name=payload.recipient_name,
                                                 expected_version=payload.expected_version))


@router.post("/{case_no}/withdraw", response={200: DocumentOut, **ERRORS}, summary="撤回")
def case_withdraw(request, case_no: str, payload: WithdrawIn):
    return _short(services.case_withdraw(actor=request.user, case_no=case_no, reason=payload.reason,
                                         expected_version=payload.expected_version))


@router.post("/{case_no}/terminate", response={200: DocumentOut, **ERRORS}, summary="终止")
def case_terminate(request, case_no: str, payload: ReasonIn):
    return _short(services.case_terminate(actor=request.user, case_no=case_no, reason=payload.reason,
                                          expected_version=payload.expected_version))


@router.post("/{case_no}/rating", response={200: DocumentOut, **ERRORS}, summary="好差评")
def case_rate(request, case_no: str, payload: RateIn):
    rating = services.case_rate(actor=request.user, case_no=case_no, level=payload.level, channel=payload.channel,
                                comment=payload.comment)
    return _short(rating.case)


@router.post("/{case_no}/fee-notices", response={200: FeeNoticeOut, **ERRORS}, summary="开具缴费通知")
def case_fee_notice(request, case_no: str, payload: FeeNoticeIn):
    notice = services.fee_notice_issue(actor=request.user, case_no=case_no, lines=[
        services.FeeLine(fee_item_id=line.fee_item_id, amount=line.amount, basis_note=line.basis_note)
        for line in payload.lines])
    return {"notice_no": notice.notice_no, "total": notice.total}


@router.post("/{case_no}/fee-notices/{notice_no}/void", response={200: FeeNoticeStateOut, **ERRORS},
             summary="作废缴费通知", description="仅未缴费的缴费通知可作废（须填理由，记入审计日志）；作废后可重新开具。")
def case_fee_notice_void(request, case_no: str, notice_no: str, payload: FeeVoidIn):
    notice = services.fee_notice_void(actor=request.user, case_no=case_no, notice_no=notice_no, reason=payload.reason)
    return {"notice_no": notice.notice_no, "total": notice.total, "state": notice.state}


@router.post("/{case_no}/payments", response={200: ReceiptOut, **ERRORS}, summary="收费并开具票据")
def case_payment(request, case_no: str, payload: PaymentIn):
    receipt = services.payment_record(actor=request.user, notice_no=payload.notice_no, amount=payload.amount,
                                      payer_name=payload.payer_name, method=payload.method, case_no=case_no)
    return {"receipt_no": receipt.receipt_no, "notice_no": payload.notice_no, "amount": receipt.payment.amount}
