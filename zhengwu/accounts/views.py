"""Staff login, own password change and the audit administrator's read-only audit log."""

from __future__ import annotations

import csv
import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from zhengwu.accounts.audit_display import mask_audit_data, mask_text
from zhengwu.accounts.forms import AuditFilterForm, PasswordChangeForm, StaffLoginForm
from zhengwu.accounts.permissions import can_export_audit_log, can_view_audit_log
from zhengwu.accounts.selectors import audit_event_list, security_policy_get
from zhengwu.accounts.services import user_set_password
from zhengwu.core.archive import audit_archive_list
from zhengwu.core.audit import audit_record
from zhengwu.core.errors import DomainError
from zhengwu.core.models import AuditEvent

PAGE_SIZE = 50


class StaffLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = StaffLoginForm
    redirect_authenticated_user = True

    def get_success_url(self):
        if password_change_due(self.request.user):
            return reverse("accounts:password_change")
        return super().get_success_url()


def password_change_due(user) -> bool:
    """An initial password, or one older than the policy's maximum age (等保 8.1.4.1 a: 定期更换)."""
    if getattr(user, "must_change_password", False):
        return True
    if getattr(user, "password_never_expires", False):
        return False
    max_age = security_policy_get().password_max_age_days
    changed = getattr(user, "password_changed_at", None)
    return bool(max_age and changed and timezone.now() - changed > dt.timedelta(days=max_age))


@never_cache
@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_set_password(actor=request.user, user=request.user,
                                     password=form.cleaned_data["new_password1"])
        except DomainError as exc:
            form.add_error("new_password1", exc.message_zh)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改。")
            return redirect("portal:staff_home")
    return render(request, "accounts/password_change.html",
                  {"form": form, "expired": not request.user.must_change_password and password_change_due(request.user)})


def _require(request, predicate) -> None:
    if not predicate.test(request.user):
        # 等保 8.1.4.3: an attempt on the audit log by anyone else is itself a security event.
        with transaction.atomic():
            audit_record(actor=request.user, action="audit_log.access_denied", object_type="core.auditevent",
                         outcome=AuditEvent.Outcome.DENIED, data={"path": request.path})
        raise DjangoPermissionDenied("仅审计管理员可以查看审计日志")


# The filter is posted (with its CSRF token) and kept in the session, never in the address: the
# 操作人 filter may be an applicant's username, which is a phone number, and a query string ends up
# in the browser's history. Paging and the export read it back from the session.
AUDIT_FILTER_SESSION_KEY = "accounts.audit_filter"


def _filters_in_query(request) -> bool:
    return any(name in request.GET for name in AuditFilterForm.base_fields)


def _filtered(request, data=None):
    if data is None:
        data = request.session.get(AUDIT_FILTER_SESSION_KEY) or None
    form = AuditFilterForm(data)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_event_list(**{k: v for k, v in filters.items() if v}) if form.is_valid() or not data \
        else AuditEvent.objects.none()
    return form, filters, events


def _off_the_address_bar(request):
    messages.warning(request, "为保护个人信息，网址中的筛选条件不予执行，请在筛选表单中输入。")
    return redirect("accounts:audit_log")


def _row(event: AuditEvent) -> dict:
    return {
        "seq": f"{event.lane}-{event.seq}",  # lane and number in it (zhengwu.core.audit)
        "occurred_at": timezone.localtime(event.occurred_at),
        "actor": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": mask_text(event.object_repr),
        "ip": event.ip or "",
        "outcome": event.get_outcome_display(),
        "outcome_code": event.outcome,
        "data": mask_audit_data(event.data),
    }


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def audit_log(request):
    _require(request, can_view_audit_log)
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(AUDIT_FILTER_SESSION_KEY, None)
            return redirect("accounts:audit_log")
        data = {name: request.POST.get(name, "") for name in AuditFilterForm.base_fields}
        form, filters, events = _filtered(request, data)
        if form.is_valid():
            request.session[AUDIT_FILTER_SESSION_KEY] = data
            return redirect("accounts:audit_log")
        # A bad filter is shown with its errors and lists nothing; the stored filter stays as it was.
    elif _filters_in_query(request):
        return _off_the_address_bar(request)
    else:
        form, filters, events = _filtered(request)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_list.html", {
        "form": form,
        "page": page,
        "rows": [_row(e) for e in page.object_list],
        "filtered": any(filters.values()),
        "can_export": can_export_audit_log.test(request.user),
        # Events older than the retention, moved to files by `manage.py audit_archive`.
        "archives": audit_archive_list(user=request.user) if can_export_audit_log.test(request.user) else [],
    })


class _Echo:
    def write(self, value):
        return value


CSV_HEADER = ["链-序号", "时间", "操作人", "操作", "对象类型", "对象编号", "对象", "IP 地址", "结果", "内容", "哈希 (SM3)"]


@never_cache
@require_GET
@login_required
def audit_export(request):
    _require(request, can_export_audit_log)
    if _filters_in_query(request):
        return _off_the_address_bar(request)
    form, filters, events = _filtered(request)
    with transaction.atomic():
        # The 操作人 filter may be a phone number: masked like every other audit payload.
        audit_record(actor=request.user, action="audit_log.export", object_type="core.auditevent",
                     data={"filters": {k: mask_text(str(v)) for k, v in filters.items() if v},
                           "rows": events.count()})
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff"  # Excel opens UTF-8 CSV correctly only with a BOM.
        yield writer.writerow(CSV_HEADER)
        for event in events.iterator(chunk_size=2000):
            row = _row(event)
            yield writer.writerow([
                row["seq"], row["occurred_at"].isoformat(timespec="seconds"), row["actor"], row["action"],
                row["object_type"], row["object_id"], row["object_repr"], row["ip"], row["outcome"],
                json.dumps(row["data"], ensure_ascii=False, sort_keys=True), event.hash,
            ])

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
