"""Staff pages of the catalog (流程再造 figures, published changes, Excel import/export) and the
public flow-chart image. Each view parses its input, calls one selector or service, renders."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from zhengwu.catalog import permissions, selectors, services
from zhengwu.catalog.excel import catalog_export_workbook
from zhengwu.catalog.flowchart import flowchart_svg
from zhengwu.core.errors import NotFound

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _requires(predicate):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not predicate(request.user):
                raise PermissionDenied("无权访问 / forbidden")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@require_GET
@_requires(permissions.can_view_catalog_figures)
def index(request):
    overview = selectors.catalog_overview(departments=permissions.departments_visible_to(request.user))
    return render(request, "catalog/index.html", {
        "overview": overview, "can_manage": permissions.can_manage_catalog(request.user),
    })


class DepartmentFilter(forms.Form):
    department = forms.IntegerField(required=False, min_value=1, label="部门")


@require_GET
@_requires(permissions.can_view_catalog_figures)
def reengineering(request):
    visible = permissions.departments_visible_to(request.user)
    form = DepartmentFilter(request.GET or None)
    departments, selected = visible, None
    if form.is_valid() and form.cleaned_data["department"]:
        selected = form.cleaned_data["department"]
        departments = visible.filter(pk=selected)
    report = selectors.reengineering_report(departments=departments)
    return render(request, "catalog/reengineering.html", {
        "report": report, "form": form, "departments": visible.order_by("name"), "selected": selected,
    })


class ChangesFilter(forms.Form):
    since = forms.DateField(required=False, label="自", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="至", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError("开始日期不能晚于结束日期")
        return data


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@require_GET
@_requires(permissions.can_view_catalog_figures)
def changes(request):
    form = ChangesFilter(request.GET or None)
    rows = []
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        since = _day_start(data["since"]) if data.get("since") else None
        until = _day_start(data["until"] + dt.timedelta(days=1)) if data.get("until") else None
        rows = selectors.published_changes(since=since, until=until,
                                           departments=permissions.departments_visible_to(request.user))
    return render(request, "catalog/changes.html", {"form": form, "rows": rows})


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）")
    dry_run = forms.BooleanField(required=False, initial=True, label="只检查，不导入")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("请上传 .xlsx 格式的 Excel 文件")
        if upload.size > services.MAX_UPLOAD_BYTES:
            raise forms.ValidationError("文件不能超过 10 MB")
        return upload


@require_http_methods(["GET", "POST"])
@_requires(permissions.can_manage_catalog)
def excel(request):
    report = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        report = services.catalog_import(actor=request.user, data=form.cleaned_data["file"].read(),
                                         dry_run=form.cleaned_data["dry_run"])
    status = 422 if report is not None and not report.ok else 200
    return render(request, "catalog/excel.html", {"form": form, "report": report}, status=status)


@require_GET
@_requires(permissions.can_manage_catalog)
def export(request):
    data = catalog_export_workbook(selectors.items_for_export())
    response = HttpResponse(data, content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f"attachment; filename=\"catalog-{stamp}.xlsx\""
    return response


@require_GET
def flowchart(request, code: str):
    try:
        item = selectors.item_get_published(code, include_suspended=True)
    except NotFound:
        raise Http404 from None
    response = HttpResponse(flowchart_svg(item.current), content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response
