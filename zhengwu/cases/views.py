"""Pages of case handling (办件): the applicant's side, the staff workbench and the hall's big screen.

Thin pages: parse a form → one service or selector call → render. Every write is a function of
cases/services.py (or accounts/services.py for sign-up); a DomainError becomes a form error in
the page. Objects come from the `*_visible_to` selectors; what the user may not see is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from zhengwu.accounts.models import User
from zhengwu.accounts.permissions import is_applicant, is_business_staff
from zhengwu.accounts.services import user_create
from zhengwu.cases import forms as f
from zhengwu.cases import selectors, services, states
from zhengwu.cases.models import Case, Channel, FeeNotice
from zhengwu.cases.permissions import can_view_full_id_number, positions_in
from zhengwu.cases.states import Status
from zhengwu.catalog.selectors import item_get_published, items_by_department
from zhengwu.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from zhengwu.core.masking import mask_id_number, mask_name, mask_phone
from zhengwu.documents.jobs import document_ready
from zhengwu.org.models import Position
from zhengwu.org.selectors import departments_of
from zhengwu.workcalendar.selectors import clocks_for
from zhengwu.workcalendar.services import STATE_LABELS, clock_explain, clock_state

SIGNIN = "cases:signin"
CLOCK_LABELS = {
    services.CLOCK_ACCEPTANCE: "一次性告知期限（收件后 5 个工作日）",
    services.CLOCK_CORRECTION: "申请人补正期限",
    services.CLOCK_LEGAL: "法定办结时限",
    services.CLOCK_PROMISED: "承诺办结时限",
    services.CLOCK_CERTIFICATE: "制证送达期限（决定后 10 个工作日）",
}
# What the applicant is waiting for, in plain words, per status.
APPLICANT_HINTS: dict[str, str] = {
    Status.DRAFT: "草稿尚未提交。请上传材料后提交申请。",
    Status.SUBMITTED: "申请已提交，等待窗口审核受理（收件后 5 个工作日内告知）。",
    Status.CORRECTION: "需要您补正材料：请按一次性告知书逐项补正后提交。",
    Status.ACCEPTED: "已受理，正在审查。",
    Status.AWAITING_DECISION: "审查完毕，等待作出决定。",
    Status.SUSPENDED: "正在进行特别程序（听证、检验、专家评审等），所需时间不计入办理时限。",
    Status.APPROVED: "已准予许可，正在制证。",
    Status.CERTIFICATE_ISSUED: "证照已制发，可下载电子证照，或到窗口领取。",
    Status.DELIVERED: "结果已寄出，请注意查收。",
    Status.DENIED: "不予许可。决定书中载明理由和救济途径。",
}


def _or_404(fn: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message_zh) from exc


# Service field names → form field names, so a refusal is shown next to the field it concerns.
_FIELD_MAP = {"applicant_name": "name", "applicant_id_type": "id_type", "applicant_id_number": "id_number",
              "applicant_phone": "phone", "level": "level", "reasons": "reasons", "days": "days"}


def _form_error(form, exc: DomainError) -> None:
    field = _FIELD_MAP.get(exc.field or "", exc.field)
    field = field if field in form.fields else None
    form.add_error(field, exc.message_zh)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return target
    return default


def _attachment(field, filename: str, content_type: str) -> FileResponse:
    field = document_ready(field)
    if not field:
        raise Http404("文件不存在")
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("文件不存在") from exc
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ------------------------------------------------------------------------------------------------
# Applicant accounts


@never_cache
def signup(request):
    form = f.SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            # Self-registration has no administrator: the actor is the sign-up channel itself.
            user = user_create(actor="applicant_signup", username=d["phone"], password=d["password1"],
                               real_name=d["real_name"], phone=d["phone"], kind=User.Kind.APPLICANT,
                               must_change_password=False)
        except DomainError as exc:
            if exc.field == "username":
                form.add_error("phone", "该手机号码已注册，请直接登录")
            elif exc.field == "password":
                form.add_error("password1", exc.message_zh)
            else:
                _form_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "注册成功，已为您登录。")
            return HttpResponseRedirect(_safe_next(request, reverse("cases:my_list")))
    return render(request, "cases/signup.html", {"form": form, "next": request.GET.get("next", "")})


class SignInView(auth_views.LoginView):
    template_name = "cases/signin.html"
    form_class = f.SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("cases:my_list")


# ------------------------------------------------------------------------------------------------
# Applying online


def _my_certificates(user):
    """Valid licences in the licence library held under the ID numbers this applicant used before."""
    from zhengwu.licences.selectors import licences_of_holder

    numbers = set(selectors.case_list_for_applicant(user=user).values_list("applicant_id_number", flat=True))
    found: dict[str, Any] = {}
    for number in numbers:
        for certificate in licences_of_holder(number):
            found[certificate.identifier] = certificate
    return list(found.values())


def _is_mobile(request) -> bool:
    agent = request.headers.get("User-Agent", "")
    return request.headers.get("Sec-CH-UA-Mobile") == "?1" or "Mobile" in agent or "Android" in agent


def _channel(request) -> str:
    """申报来源 (GB/T 39046 A.5): 移动端 or 电脑端, from the browser's own hints."""
    return Channel.ONLINE_MOBILE if _is_mobile(request) else Channel.ONLINE_PC


def _applicant_only(request) -> None:
    if not is_applicant(request.user):
        raise Http404("请使用申请人账户登录")


@never_cache
@login_required(login_url=SIGNIN)
def apply(request, basic_code: str):
    _applicant_only(request)
    item = _or_404(item_get_published, code=basic_code)
    version = item.current_version
    requirements = list(version.materials.all())
    certificates = _my_certificates(request.user)
    initial = {"idempotency_key": f.new_idempotency_key(), "name": request.user.real_name,
               "phone": request.user.phone}
    form = f.ApplyForm(request.POST or None, request.FILES or None, initial=initial, requirements=requirements,
                       certificates=certificates)
    if request.method == "POST" and form.is_valid():
        materials = form.materials()
        draft = "save_draft" in request.POST
        if not form.errors:
            try:
                if draft:
                    case = services.case_draft_create(actor=request.user, item_id=item.pk, applicant=form.applicant(),
                                                      summary=form.cleaned_data["summary"], channel=_channel(request),
                                                      idempotency_key=form.cleaned_data["idempotency_key"])
                else:
                    case = services.case_submit(actor=request.user, item_id=item.pk, applicant=form.applicant(),
                                                materials=materials, summary=form.cleaned_data["summary"],
                                                channel=_channel(request), idempotency_key=form.cleaned_data["idempotency_key"])
            except DomainError as exc:
                _form_error(form, exc)
            else:
                if draft:
                    messages.success(request, "草稿已保存。请在草稿页上传材料后提交。")
                else:
                    messages.success(request, f"申请已提交。办件编号 {case.case_no}，查询码 {case.query_code}。")
                return redirect("cases:my_detail", case_no=case.case_no)
    return render(request, "cases/apply.html", {"item": item, "v": version, "form": form,
                                                "rows": form.bound_rows(), "has_certificates": bool(certificates)})


@never_cache
@login_required(login_url=SIGNIN)
def my_list(request):
    if is_business_staff(request.user):
        return redirect("cases:workbench")
    _applicant_only(request)
    cases = selectors.case_list_for_applicant(user=request.user)
    return render(request, "cases/my_list.html", {"cases": cases})


def _clock_rows(case: Case, *, explain: bool) -> list[dict[str, Any]]:
    now = timezone.now()
    rows = []
    for clock in clocks_for(case):
        state = clock_state(clock, now)
        rows.append({"kind": clock.kind, "label": CLOCK_LABELS.get(clock.kind, clock.kind), "state": state,
                     "state_label": STATE_LABELS[state], "due_at": clock.due_at, "due_date": clock.due_date,
                     "budget": f"{clock.budget_value} {clock.get_budget_unit_display()}",
                     "lines": clock_explain(clock) if explain else []})
    # Open clocks first: they are what the reader has to act on.
    return sorted(rows, key=lambda r: r["state"] == "done")


def _documents(case: Case) -> list[tuple[str, str, str]]:
    """(kind, label, number) of every written document on the case, newest last."""
    docs = []
    # A document is listed from its number: its PDF may still be in the render queue and is then
    # written on first download (zhengwu.documents.jobs.document_ready).
    if case.acceptance_pdf or case.acceptance_no:
        docs.append(("acceptance", "受理通知书", case.acceptance_no))
    notice = getattr(case, "correction_notice", None) if _has(case, "correction_notice") else None
    if notice is not None and (notice.pdf or notice.notice_no):
        docs.append(("correction", "一次性告知补正通知书", notice.notice_no))
    if case.rejection_pdf or case.rejection_no:
        docs.append(("rejection", "不予受理通知书", case.rejection_no))
    for sp in case.special_procedures.all():
        if sp.notice_pdf or sp.notice_no:
            docs.append((f"special-{sp.pk}", f"特别程序告知书（{sp.get_kind_display()}）", sp.notice_no))
    if _has(case, "extension") and (case.extension.notice_pdf or case.extension.notice_no):
        docs.append(("extension", "延期告知书", case.extension.notice_no))
    if _has(case, "decision_record") and (case.decision_record.pdf or case.decision_record.document_no):
        label = "准予行政许可决定书" if case.decision_record.outcome == "approve" else "不予行政许可决定书"
        docs.append(("decision", label, case.decision_record.document_no))
    certificate = selectors.case_certificate(case)
    if certificate is not None:
        docs.append(("certificate", f"电子证照：{certificate.name}", certificate.number))
    return docs


def _has(case: Case, relation: str) -> bool:
    try:
        getattr(case, relation)
    except Exception:  # RelatedObjectDoesNotExist of a one-to-one
        return False
    return True


def _applicant_context(request, case: Case, **extra: Any) -> dict[str, Any]:
    notice = case.correction_notice if _has(case, "correction_notice") else None
    requirements = list(case.item_version.materials.all())
    ctx: dict[str, Any] = {
        "case": case, "timeline": selectors.case_timeline(case, public_only=True),
        "clocks": [c for c in _clock_rows(case, explain=False) if c["kind"] in
                   (services.CLOCK_LEGAL, services.CLOCK_PROMISED, services.CLOCK_CORRECTION)],
        "documents": _documents(case), "notice": notice, "hint": APPLICANT_HINTS.get(case.status, ""),
        "materials": case.materials.all(), "status_label": states.label(case.status),
        "fees": case.fee_notices.prefetch_related("lines").all(),
        "rating": case.rating if _has(case, "rating") else None,
    }
    # The same list the API gives as allowed_actions: a form is shown only for what may be done now.
    actions = selectors.case_actions_for(user=request.user, case=case)
    ctx["actions"] = actions
    if "materials" in actions:
        ctx["upload_form"] = extra.pop("upload_form", None) or f.MaterialsForm(requirements=requirements,
                                                                               certificates=_my_certificates(request.user))
    if "submit_correction" in actions and notice is not None:
        only = {x["requirement_id"] for x in notice.items if x.get("requirement_id")}
        ctx["correction_form"] = extra.pop("correction_form", None) or f.MaterialsForm(
            requirements=requirements, certificates=_my_certificates(request.user), only=only, prefix="fix")
    if "withdraw" in actions:
        ctx["withdraw_form"] = extra.pop("withdraw_form", None) or f.WithdrawForm()
    if "rate" in actions:
        ctx["rate_form"] = extra.pop("rate_form", None) or f.RateForm()
    ctx.update(extra)
    for key in ("upload_form", "correction_form"):
        if ctx.get(key) is not None:
            ctx[key + "_rows"] = ctx[key].bound_rows()
    return ctx


def _my_case(request, case_no: str) -> Case:
    _applicant_only(request)
    return _or_404(selectors.case_get_visible_to, user=request.user, case_no=case_no)


@never_cache
@login_required(login_url=SIGNIN)
def my_detail(request, case_no: str):
    case = _my_case(request, case_no)
    return render(request, "cases/my_detail.html", _applicant_context(request, case))


@require_POST
@login_required(login_url=SIGNIN)
def my_upload(request, case_no: str):
    """A draft: add materials (button 上传材料) or submit it (button 提交申请)."""
    case = _my_case(request, case_no)
    form = f.MaterialsForm(request.POST, request.FILES, requirements=list(case.item_version.materials.all()),
                           certificates=_my_certificates(request.user))
    if form.is_valid():
        materials = form.materials()
        if not form.errors:
            try:
                if "submit" in request.POST:
                    services.case_submit(actor=request.user, case_no=case.case_no, materials=materials)
                    messages.success(request, f"申请已提交。办件编号 {case.case_no}，查询码 {case.query_code}。")
                else:
                    if not materials:
                        raise ValidationFailed("请选择要上传的材料", "no material chosen")
                    services.case_material_add(actor=request.user, case_no=case.case_no, materials=materials)
                    messages.success(request, "材料已上传。")
            except DomainError as exc:
                _form_error(form, exc)
            else:
                return redirect("cases:my_detail", case_no=case.case_no)
    return render(request, "cases/my_detail.html", _applicant_context(request, case, upload_form=form), status=422)


@require_POST
@login_required(login_url=SIGNIN)
def my_correction(request, case_no: str):
    case = _my_case(request, case_no)
    notice = case.correction_notice if _has(case, "correction_notice") else None
    only = {x["requirement_id"] for x in notice.items if x.get("requirement_id")} if notice else set()
    form = f.MaterialsForm(request.POST, request.FILES, requirements=list(case.item_version.materials.all()),
                           certificates=_my_certificates(request.user), only=only, prefix="fix")
    if form.is_valid():
        materials = form.materials()
        if not form.errors:
            try:
                services.case_submit_correction(actor=request.user, case_no=case.case_no, materials=materials,
                                                expected_version=case.version)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, "补正材料已提交，等待窗口审核。")
                return redirect("cases:my_detail", case_no=case.case_no)
    return render(request, "cases/my_detail.html", _applicant_context(request, case, correction_form=form),
                  status=422)


@require_POST
@login_required(login_url=SIGNIN)
def my_withdraw(request, case_no: str):
    case = _my_case(request, case_no)
    form = f.WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.case_withdraw(actor=request.user, case_no=case.case_no, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "申请已撤回。")
            return redirect("cases:my_detail", case_no=case.case_no)
    return render(request, "cases/my_detail.html", _applicant_context(request, case, withdraw_form=form), status=422)


@require_POST
@login_required(login_url=SIGNIN)
def my_rate(request, case_no: str):
    case = _my_case(request, case_no)
    form = f.RateForm(request.POST)
    if form.is_valid():
        channel = "mobile" if _is_mobile(request) else "pc"
        try:
            services.case_rate(actor=request.user, case_no=case.case_no, level=form.cleaned_data["level"],
                               channel=channel, comment=form.cleaned_data["comment"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "感谢您的评价。")
            return redirect("cases:my_detail", case_no=case.case_no)
    return render(request, "cases/my_detail.html", _applicant_context(request, case, rate_form=form), status=422)


# ------------------------------------------------------------------------------------------------
# Downloads: documents and materials, for whoever may see the case (applicant or its staff)


@require_GET
@login_required(login_url=SIGNIN)
def document_download(request, case_no: str, kind: str):
    case = _or_404(selectors.case_get_visible_to, user=request.user, case_no=case_no)
    field, name = None, kind
    if kind == "acceptance":
        field, name = case.acceptance_pdf, "受理通知书"
    elif kind == "rejection":
        field, name = case.rejection_pdf, "不予受理通知书"
    elif kind == "correction" and _has(case, "correction_notice"):
        field, name = case.correction_notice.pdf, "一次性告知补正通知书"
    elif kind == "extension" and _has(case, "extension"):
        field, name = case.extension.notice_pdf, "延期告知书"
    elif kind == "decision" and _has(case, "decision_record"):
        field, name = case.decision_record.pdf, "决定书"
    elif kind.startswith("special-") and kind[8:].isdigit():
        sp = case.special_procedures.filter(pk=int(kind[8:])).first()
        field, name = (sp.notice_pdf if sp else None), "特别程序告知书"
    elif kind == "certificate":
        certificate = selectors.case_certificate(case)
        field, name = (certificate.pdf if certificate else None), "电子证照"
    return _attachment(field, f"{case.case_no}-{name}.pdf", "application/pdf")


_EXT = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "application/ofd": "ofd"}


@require_GET
@login_required(login_url=SIGNIN)
def material_download(request, case_no: str, material_id: int):
    case = _or_404(selectors.case_get_visible_to, user=request.user, case_no=case_no)
    material = case.materials.filter(pk=material_id).first()
    if material is None or not material.file:
        raise Http404("材料不存在")
    ext = _EXT.get(material.content_type, "bin")
    # The type was sniffed at upload; sent as an attachment so nothing renders inside our origin.
    return _attachment(material.file, f"{case.case_no}-{material.name}.{ext}",
                       material.content_type or "application/octet-stream")


# ------------------------------------------------------------------------------------------------
# Public: progress query and the hall's big screen


@never_cache
def progress(request):
    form = f.ProgressForm(request.GET or None)
    result = None
    if request.GET and form.is_valid():
        try:
            result = selectors.progress_query(case_no=form.cleaned_data["case_no"],
                                              query_code=form.cleaned_data["query_code"])
        except DomainError as exc:
            form.add_error(None, exc.message_zh)
    return render(request, "cases/progress.html", {"form": form, "result": result})


@never_cache
def hall_screen(request):
    rows = selectors.hall_recent_cases(limit=15)
    # hall_recent_cases carries no time limit yet: add the promised limit of each case's item version.
    limits = {c.case_no: f"{c.item_version.promised_limit_value} {c.item_version.get_promised_limit_unit_display()}"
              for c in Case.objects.filter(case_no__in=[r["case_no"] for r in rows]).select_related("item_version")}
    rows = [{**r, "promised_limit": limits.get(r["case_no"], "")} for r in rows]
    return render(request, "cases/hall_screen.html", {"rows": rows, "now": timezone.localtime()})


# ------------------------------------------------------------------------------------------------
# Staff workbench


def _staff_only(request) -> None:
    if not is_business_staff(request.user):
        raise Http404("仅限业务工作人员")


@never_cache
@login_required
def workbench(request):
    """The work queues. The search box posts (with its CSRF token): a search term may be a 身份证 or
    phone number, and a query string ends up in access logs and the browser's history. A `search`
    in the query string is not run."""
    _staff_only(request)
    queue = (request.POST if request.method == "POST" else request.GET).get("queue") or "pending_acceptance"
    if queue not in selectors.QUEUES:
        raise Http404("未知的队列")
    if request.method != "POST" and "search" in request.GET:
        # Off the address bar at once: the page would echo its own URL (the 长辈版 switch's `next`).
        messages.warning(request, "为保护个人信息，网址中的查找条件不予执行，请在下方查找框中输入。")
        return redirect(f"{reverse('cases:workbench')}?{urlencode({'queue': queue})}")
    form = f.QueueForm(request.POST if request.method == "POST" else None)
    search = form.cleaned_data.get("search", "") if form.is_bound and form.is_valid() else ""
    scope = selectors.case_scope(request.user)
    counts = selectors.case_queue_counts(user=request.user, scope=scope)
    rows = selectors.case_workbench_rows(user=request.user, queue=queue, search=search, scope=scope)
    return render(request, "cases/workbench.html", {
        "queue": queue, "queue_label": selectors.QUEUES[queue], "counts": counts, "rows": rows, "form": form,
        "departments": scope.own,
        # Each row's link is this prefix + its case number + "/": one reverse() for the page, not one per row.
        "case_url": reverse("cases:staff_case", args=["0"]).removesuffix("0/"),
    })


@dataclass
class StaffAction:
    label: str
    form: Callable[..., Any]
    run: Callable[[Any, Case, dict, Any], Any]
    done: str


def _v(d: dict) -> int | None:
    return d.get("version")


STAFF_ACTIONS: dict[str, StaffAction] = {
    "accept": StaffAction("受理", lambda case, data=None: f.AcceptForm(data, prefix="accept"),
                          lambda u, c, d, form: services.case_accept(actor=u, case_no=c.case_no,
                                                                     expected_version=_v(d), note=d["note"]),
                          "已受理，受理通知书已生成。"),
    "reject": StaffAction("不予受理", lambda case, data=None: f.RejectForm(data, prefix="reject"),
                          lambda u, c, d, form: services.case_reject(actor=u, case_no=c.case_no, reason=d["reason"],
                                                                     competent_agency=d["competent_agency"],
                                                                     expected_version=_v(d)),
                          "已作出不予受理决定，通知书已生成。"),
    "correction": StaffAction(
        "一次性告知补正",
        lambda case, data=None: f.CorrectionNoticeForm(data, prefix="corr",
                                                       requirements=list(case.item_version.materials.all())),
        lambda u, c, d, form: services.case_request_correction(actor=u, case_no=c.case_no, items=form.items(),
                                                               deadline_days=d.get("deadline_days"),
                                                               expected_version=_v(d)),
        "一次性告知补正通知书已发出。"),
    "step_pass": StaffAction("本环节通过", lambda case, data=None: f.OpinionForm(data, prefix="pass"),
                             lambda u, c, d, form: services.case_step_pass(actor=u, case_no=c.case_no,
                                                                           opinion=d["opinion"], expected_version=_v(d)),
                             "环节已办理。"),
    "step_return": StaffAction(
        "退回", lambda case, data=None: f.StepReturnForm(data, prefix="ret", steps=_return_targets(case)),
        lambda u, c, d, form: services.case_step_return(actor=u, case_no=c.case_no, to_step_id=d["to_step"],
                                                        reason=d["reason"], expected_version=_v(d)),
        "已退回。"),
    "special_start": StaffAction(
        "启动特别程序", lambda case, data=None: f.SpecialStartForm(data, prefix="sps"),
        lambda u, c, d, form: services.case_special_procedure_start(
            actor=u, case_no=c.case_no, kind=d["kind"], reason=d["reason"], expected_value=d["expected_value"],
            expected_unit=d["expected_unit"], expected_version=_v(d)),
        "特别程序已启动，办理时限暂停计算，告知书已生成。"),
    "special_end": StaffAction("结束特别程序", lambda case, data=None: f.SpecialEndForm(data, prefix="spe"),
                               lambda u, c, d, form: services.case_special_procedure_end(
                                   actor=u, case_no=c.case_no, result=d["result"], expected_version=_v(d)),
                               "特别程序已结束，恢复计时。"),
    "extend": StaffAction("直接批准延期", lambda case, data=None: f.ExtendForm(data, prefix="ext"),
                          lambda u, c, d, form: services.case_extend(actor=u, case_no=c.case_no, days=d["days"],
                                                                     reason=d["reason"], expected_version=_v(d)),
                          "延期已批准，延期告知书已生成。"),
    "extension_request": StaffAction(
        "申请延期", lambda case, data=None: f.ExtensionRequestForm(data, prefix="xrq"),
        lambda u, c, d, form: services.case_extension_request(actor=u, case_no=c.case_no, days=d["days"],
                                                              reason=d["reason"], expected_version=_v(d)),
        "延期申请已提交，等待领导审批。"),
    "extension_approve": StaffAction(
        "批准延期申请", lambda case, data=None: f.VersionForm(data, prefix="xap"),
        lambda u, c, d, form: services.case_extension_approve(actor=u, case_no=c.case_no, expected_version=_v(d)),
        "延期申请已批准，延期告知书已生成。"),
    "extension_refuse": StaffAction(
        "不予批准延期申请", lambda case, data=None: f.ExtensionRefuseForm(data, prefix="xrf"),
        lambda u, c, d, form: services.case_extension_refuse(actor=u, case_no=c.case_no, reason=d["reason"],
                                                             expected_version=_v(d)),
        # The requesting official is told (case.extension_refused); the applicant is told nothing.
        "已不予批准，已通知提出延期申请的经办人。"),
    "decide": StaffAction("作出决定", lambda case, data=None: f.DecideForm(data, prefix="dec"),
                          lambda u, c, d, form: services.case_decide(actor=u, case_no=c.case_no, outcome=d["outcome"],
                                                                     reasons=d["reasons"], expected_version=_v(d)),
                          "决定已作出，决定书已生成。"),
    "certificate": StaffAction("制发电子证照", lambda case, data=None: f.VersionForm(data, prefix="cert"),
                               lambda u, c, d, form: services.case_issue_certificate(
                                   actor=u, case_no=c.case_no, expected_version=_v(d)),
                               "电子证照已制发。"),
    "deliver": StaffAction("送达", lambda case, data=None: f.DeliverForm(data, prefix="dlv"),
                           lambda u, c, d, form: services.case_deliver(
                               actor=u, case_no=c.case_no, method=d["method"], tracking_no=d["tracking_no"],
                               carrier=d["carrier"], address=d["address"], recipient_name=d["recipient_name"],
                               expected_version=_v(d)),
                           "已登记送达。"),
    "delivery_confirm": StaffAction("确认签收", lambda case, data=None: f.ConfirmForm(data, prefix="cfm"),
                                    lambda u, c, d, form: services.case_delivery_confirm(
                                        actor=u, case_no=c.case_no, recipient_name=d["recipient_name"],
                                        expected_version=_v(d)),
                                    "已确认签收，办件办结。"),
    "fee_notice": StaffAction("开具缴费通知",
                              lambda case, data=None: f.FeeNoticeForm(data, prefix="fee",
                                                                      fees=list(case.item_version.fees.all())),
                              lambda u, c, d, form: services.fee_notice_issue(actor=u, case_no=c.case_no,
                                                                              lines=form.lines()),
                              "缴费通知已开具。"),
    "payment": StaffAction("登记缴费", lambda case, data=None: f.PaymentForm(data, prefix="pay", initial=_unpaid(case)),
                           lambda u, c, d, form: services.payment_record(
                               actor=u, notice_no=d["notice_no"], amount=d["amount"], payer_name=d["payer_name"],
                               case_no=c.case_no),
                           "缴费已登记，票据已开具。"),
    "fee_void": StaffAction("作废缴费通知",
                            lambda case, data=None: f.FeeVoidForm(data, prefix="void", initial=_unpaid(case)),
                            lambda u, c, d, form: services.fee_notice_void(
                                actor=u, case_no=c.case_no, notice_no=d["notice_no"], reason=d["reason"]),
                            "缴费通知已作废，可重新开具。"),
    "withdraw": StaffAction("代为撤回", lambda case, data=None: f.StaffWithdrawForm(data, prefix="wd"),
                            lambda u, c, d, form: services.case_withdraw(actor=u, case_no=c.case_no, reason=d["reason"],
                                                                         expected_version=_v(d)),
                            "申请已撤回。"),
    "terminate": StaffAction("终止办理", lambda case, data=None: f.TerminateForm(data, prefix="term"),
                             lambda u, c, d, form: services.case_terminate(actor=u, case_no=c.case_no,
                                                                           reason=d["reason"], expected_version=_v(d)),
                             "已终止办理。"),
}


def _return_targets(case: Case):
    steps = list(case.item_version.steps.order_by("order", "id"))
    current = case.current_step
    if case.status == Status.ACCEPTED and current is not None:
        return [s for s in steps if (s.order, s.pk) < (current.order, current.pk)]
    return steps


def _unpaid(case: Case) -> dict[str, Any]:
    notice = case.fee_notices.filter(state=FeeNotice.State.UNPAID).order_by("id").first()
    return {"notice_no": notice.notice_no, "amount": notice.total} if notice else {}


def _staff_case(request, case_no: str) -> Case:
    _staff_only(request)
    return _or_404(selectors.case_get_visible_to, user=request.user, case_no=case_no)


def _staff_context(request, case: Case, bound: tuple[str, Any] | None = None) -> dict[str, Any]:
    allowed = selectors.case_actions_for(user=request.user, case=case)
    action_forms = []
    for name in allowed:
        spec = STAFF_ACTIONS[name]
        form = bound[1] if bound and bound[0] == name else spec.form(case)
        if "version" in form.fields and not form.is_bound:
            form.initial["version"] = case.version
        action_forms.append({"name": name, "label": spec.label, "form": form})
    applicant = services.masked_applicant(case)
    return {
        "case": case, "status_label": states.label(case.status), "timeline": selectors.case_timeline(case),
        "clocks": _clock_rows(case, explain=True), "materials": case.materials.all(),
        "notice": case.correction_notice if _has(case, "correction_notice") else None,
        "documents": _documents(case), "actions": action_forms, "open_action": bound[0] if bound else "",
        "fees": case.fee_notices.prefetch_related("lines").all(),
        "extension_requests": list(case.extension_requests.select_related("requested_by", "decided_by")),
        "steps": list(case.item_version.steps.order_by("order", "id")),
        "step_records": case.step_records.select_related("actor").all(),
        # Staff of the department read name and phone (the read is audited by the selector); the ID
        # number stays masked unless the window roles ask for it (staff_id_number, audited).
        # Supervisors, who hold no post in the department, see the masked applicant.
        "identity": ({"name": case.applicant_name, "id_number": applicant["id_number"],
                      "phone": case.applicant_phone, "masked": applicant}
                     if positions_in(request.user, case.department_id) else
                     {"name": applicant["name"], "id_number": applicant["id_number"], "phone": applicant["phone"],
                      "masked": applicant}),
        "can_view_full_id": can_view_full_id_number(request.user, case),
        "agent": {"name": mask_name(case.agent_name), "id_number": mask_id_number(case.agent_id_number),
                  "phone": mask_phone(case.agent_phone)} if case.agent_name else None,
    }


@never_cache
@login_required
def staff_case(request, case_no: str):
    case = _staff_case(request, case_no)
    return render(request, "cases/staff_case.html", _staff_context(request, case))


@never_cache
@require_POST
@login_required
def staff_id_number(request, case_no: str):
    """查看完整证件号: the full numbers on a page of their own, for the clerk and the chief
    representative of the case's department; every view is audited, others get 403 / 404."""
    _staff_only(request)
    try:
        numbers = selectors.case_id_numbers_reveal(user=request.user, case_no=case_no)
    except NotFound as exc:
        raise Http404(exc.message_zh) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message_zh) from exc
    return render(request, "cases/staff_id_number.html", {"numbers": numbers})


@require_POST
@login_required
def staff_act(request, case_no: str, action: str):
    case = _staff_case(request, case_no)
    spec = STAFF_ACTIONS.get(action)
    if spec is None:
        raise Http404("未知的操作")
    form = spec.form(case, request.POST)
    if form.is_valid():
        try:
            spec.run(request.user, case, form.cleaned_data, form)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, spec.done)
            return redirect("cases:staff_case", case_no=case.case_no)
    # Show the refusal in the page, in the form that was sent, with the case as it is now.
    case = _staff_case(request, case_no)
    ctx = _staff_context(request, case, bound=(action, form))
    if action not in {a["name"] for a in ctx["actions"]}:
        ctx["action_error"] = (spec.label, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return render(request, "cases/staff_case.html", ctx, status=422)


@never_cache
@login_required
def walk_in(request):
    """窗口收件: choose the item (GET ?item=), then the applicant and the materials received."""
    _staff_only(request)
    departments = [d for d in departments_of(request.user)
                   if {Position.CLERK, Position.CHIEF_REPRESENTATIVE} & set(positions_in(request.user, d.pk))]
    items = [i for d in departments for i in items_by_department(d).select_related("current_version", "department")]
    if not items:
        raise Http404("您没有可以登记收件的事项")
    by_id = {i.pk: i for i in items}
    raw = request.POST.get("item") or request.GET.get("item") or ""
    chosen = by_id.get(int(raw)) if raw.isdigit() else None
    requirements = list(chosen.current_version.materials.all()) if chosen and chosen.current_version else []
    initial = {"idempotency_key": f.new_idempotency_key(), "item": chosen.pk if chosen else None}
    form = f.WalkInForm(request.POST or None, request.FILES or None, initial=initial, items=items,
                        requirements=requirements)
    if request.method == "POST" and form.is_valid():
        materials = form.materials()
        if not form.errors:
            try:
                case = services.case_register_walk_in(actor=request.user, item_id=form.cleaned_data["item"],
                                                      applicant=form.applicant(), materials=materials,
                                                      summary=form.cleaned_data["summary"],
                                                      idempotency_key=form.cleaned_data["idempotency_key"])
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, f"已登记收件。办件编号 {case.case_no}，查询码 {case.query_code}，请告知申请人。")
                return redirect("cases:staff_case", case_no=case.case_no)
    return render(request, "cases/walk_in.html", {"form": form, "chosen": chosen, "items": items,
                                                  "rows": form.bound_rows()})

