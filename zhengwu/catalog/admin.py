"""Django admin (in Chinese) for the catalog. Every write goes through catalog.services.

- 实施清单版本: a draft is edited with all its child rows on one page; published and superseded
  versions are read-only. Saving runs the service once as a dry run when the page is checked, so
  a broken rule shows on the page with the service's Chinese message and nothing is written.
- 政务服务事项: read-only identity and status; the windows are edited here; actions publish the
  draft, open a revision, suspend, resume and cancel (the last two ask for a reason).
- 服务主题: through theme_save.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.template.response import TemplateResponse

from zhengwu.catalog import permissions, services
from zhengwu.catalog.codes import HandlingForm, ServiceObject
from zhengwu.catalog.models import (
    FaqEntry,
    FeeItem,
    MaterialRequirement,
    ProcessStep,
    ServiceItem,
    ServiceItemVersion,
    SpecialProcedure,
    Theme,
)
from zhengwu.catalog.spec import CHILD_FIELDS, ELEMENT_NAMES
from zhengwu.core.errors import DomainError
from zhengwu.org.models import Department

_UPLOAD_PREFIX = {"blank_form": "catalog/forms", "sample_file": "catalog/samples", "result_sample": "catalog/results"}


class _DryRun(Exception):
    pass


def _can_manage(request) -> bool:
    return bool(permissions.can_manage_catalog(request.user))


def _can_view(request) -> bool:
    return bool(permissions.can_view_catalog_figures(request.user))


class _Perms:
    def has_module_permission(self, request):
        return _can_view(request)

    def has_view_permission(self, request, obj=None):
        return _can_view(request)

    def has_delete_permission(self, request, obj=None):
        return False


# ------------------------------------------------------------------ 实施清单版本


class VersionForm(forms.ModelForm):
    service_objects = forms.MultipleChoiceField(label="服务对象", choices=ServiceObject.choices,
                                                widget=forms.CheckboxSelectMultiple)
    handling_forms = forms.MultipleChoiceField(label="办理形式", choices=HandlingForm.choices,
                                               widget=forms.CheckboxSelectMultiple)
    department = forms.ModelChoiceField(label="实施主体（新增事项）", queryset=Department.objects.filter(is_active=True),
                                        required=False)

    class Meta:
        model = ServiceItemVersion
        fields = ["department", *[n for n in ELEMENT_NAMES if n != "implementation_code"], "themes", "change_note"]


class _ChildInline(admin.StackedInline):
    extra = 0

    def has_add_permission(self, request, obj=None):
        return _can_manage(request) and (obj is None or obj.status == ServiceItemVersion.Status.DRAFT)

    def has_change_permission(self, request, obj=None):
        return _can_manage(request) and (obj is None or obj.status == ServiceItemVersion.Status.DRAFT)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return _can_view(request)


class MaterialInline(_ChildInline):
    model = MaterialRequirement


class StepInline(_ChildInline):
    model = ProcessStep
    template = "admin/edit_inline/tabular.html"


class FeeInline(_ChildInline):
    model = FeeItem


class SpecialProcedureInline(_ChildInline):
    model = SpecialProcedure
    template = "admin/edit_inline/tabular.html"


class FaqInline(_ChildInline):
    model = FaqEntry


def _file_name(request, value: Any, field: str) -> str:
    if isinstance(value, UploadedFile):
        stored = request.__dict__.setdefault("_catalog_uploads", {})
        if id(value) not in stored:
            stored[id(value)] = services.upload_store(actor=request.user, upload=value, prefix=_UPLOAD_PREFIX[field])
        return stored[id(value)]
    if isinstance(value, FieldFile):
        return value.name or ""
    return value or ""


def spec_from_admin(request, form, formsets) -> dict[str, Any]:
    data = form.cleaned_data
    spec: dict[str, Any] = {n: data[n] for n in ELEMENT_NAMES if n in data}
    spec["result_sample"] = _file_name(request, data.get("result_sample"), "result_sample")
    spec["themes"] = sorted(t.code for t in data.get("themes") or [])
    for formset in formsets:
        key = formset.fk.remote_field.related_name
        names = [f.name for f in CHILD_FIELDS[key]]
        rows = []
        for child in formset.forms:
            cd = getattr(child, "cleaned_data", None)
            if not cd or cd.get("DELETE"):
                continue
            row = {n: cd.get(n) for n in names if n in cd}
            for file_field in ("blank_form", "sample_file"):
                if file_field in row:
                    row[file_field] = _file_name(request, row[file_field], file_field)
            rows.append(row)
        spec[key] = rows
    return spec


@admin.register(ServiceItemVersion)
class ServiceItemVersionAdmin(_Perms, admin.ModelAdmin):
    form = VersionForm
    inlines = [MaterialInline, StepInline, FeeInline, SpecialProcedureInline, FaqInline]
    list_display = ["name", "basic_code", "number", "status", "published_at", "effective_from", "effective_to"]
    list_filter = ["status", "item_type", "case_kind", "online_depth", "item__department"]
    search_fields = ["name", "basic_code", "implementation_code"]
    filter_horizontal = ["themes"]
    ordering = ["basic_code", "number"]

    def has_add_permission(self, request):
        return _can_manage(request)

    def has_change_permission(self, request, obj=None):
        return _can_manage(request) and (obj is None or obj.status == ServiceItemVersion.Status.DRAFT)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None:
            fields.remove("department")
            fields.insert(0, "implementation_code")
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != ServiceItemVersion.Status.DRAFT:
            return [*ELEMENT_NAMES, "themes", "change_note", "status", "published_at", "effective_from",
                    "effective_to"]
        return ["implementation_code", "basic_code"] if obj is not None else []

    def _run_service(self, request, obj, form, spec):
        if obj.pk is None:
            department = form.cleaned_data.get("department")
            if department is None:
                raise services.ValidationFailed("新增事项须选择实施主体", "choose the department", field="department")
            item = services.item_create(actor=request.user, department=department, spec=spec,
                                        change_note=form.cleaned_data.get("change_note") or "")
            return item.versions.get()
        spec.pop("basic_code", None)
        return services.item_edit(actor=request.user, item=obj.item, changes=spec,
                                  change_note=form.cleaned_data.get("change_note") or "")

    def _create_formsets(self, request, obj, change):
        # An admin hook without a type stub; it runs between the main form and the formsets' check.
        formsets, inline_instances = super()._create_formsets(request, obj, change)  # type: ignore[misc]
        if request.method == "POST" and all(fs.is_valid() for fs in formsets):
            form = getattr(request, "_catalog_form", None)
            if form is not None and not form.errors:
                try:
                    # Uploads are stored (and audited) once, before the dry run; the real save reuses them.
                    request._catalog_spec = spec_from_admin(request, form, formsets)
                    with transaction.atomic():
                        self._run_service(request, obj, form, request._catalog_spec)
                        raise _DryRun
                except _DryRun:
                    pass
                except DomainError as exc:
                    details = exc.details or [{"field": exc.field or "", "message": exc.message_zh}]
                    for detail in details:
                        field = detail.get("field", "")
                        if field in form.fields and field not in form.errors:
                            form.add_error(field, detail["message"])
                    # Every message also above the inlines, which makes the page invalid (not saved).
                    formsets[0]._non_form_errors.extend(d["message"] for d in details)
        return formsets, inline_instances

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class Remembered(form_class):  # type: ignore[valid-type,misc]
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                request._catalog_form = self

        return Remembered

    def save_model(self, request, obj, form, change):
        pass  # written by save_related through the service, with the child rows

    def construct_change_message(self, request, form, formsets, add=False):
        return []  # the formsets were not saved by the admin; the audit log records the change

    def save_related(self, request, form, formsets, change):
        spec = getattr(request, "_catalog_spec", None) or spec_from_admin(request, form, formsets)
        version = self._run_service(request, form.instance, form, spec)
        form.instance.pk = version.pk
        form.instance.item_id = version.item_id


# ------------------------------------------------------------------ 政务服务事项


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(ServiceItem)
class ServiceItemAdmin(_Perms, admin.ModelAdmin):
    list_display = ["basic_code", "name", "department", "status", "version_number", "first_published_at"]
    list_filter = ["status", "department"]
    search_fields = ["basic_code", "search_text"]
    fields = ["basic_code", "department", "status", "current_version", "first_published_at", "status_changed_at",
              "cancelled_reason", "windows"]
    readonly_fields = ["basic_code", "department", "status", "current_version", "first_published_at",
                       "status_changed_at", "cancelled_reason"]
    filter_horizontal = ["windows"]
    actions = ["publish_draft", "start_draft", "resume", "suspend", "cancel"]

    @admin.display(description="事项名称")
    def name(self, obj):
        return obj.current_version.name if obj.current_version_id else "（未发布）"

    @admin.display(description="现行版本")
    def version_number(self, obj):
        return obj.current_version.number if obj.current_version_id else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("current_version", "department")

    def has_add_permission(self, request):
        return False  # a new item starts as a 实施清单 draft (版本 → 新增) or an Excel import

    def has_change_permission(self, request, obj=None):
        return _can_manage(request)

    def save_model(self, request, obj, form, change):
        pass

    def save_related(self, request, form, formsets, change):
        try:
            services.item_set_windows(actor=request.user, item=form.instance, windows=form.cleaned_data["windows"])
        except DomainError as exc:
            self.message_user(request, exc.message_zh, messages.ERROR)

    def _each(self, request, queryset, call, done: str):
        ok = 0
        for item in queryset:
            try:
                call(item)
                ok += 1
            except DomainError as exc:
                self.message_user(request, f"{item.basic_code}：{exc.message_zh}", messages.ERROR)
        if ok:
            self.message_user(request, f"已{done} {ok} 个事项", messages.SUCCESS)

    @admin.action(description="发布草稿版本", permissions=["change"])
    def publish_draft(self, request, queryset):
        self._each(request, queryset, lambda i: services.item_publish(actor=request.user, item=i), "发布")

    @admin.action(description="开始修订（复制现行版本为草稿）", permissions=["change"])
    def start_draft(self, request, queryset):
        self._each(request, queryset, lambda i: services.item_start_draft(actor=request.user, item=i), "生成草稿")

    @admin.action(description="恢复办理", permissions=["change"])
    def resume(self, request, queryset):
        self._each(request, queryset, lambda i: services.item_resume(actor=request.user, item=i), "恢复")

    def _with_reason(self, request, queryset, action: str, label: str, call):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._each(request, queryset, lambda i: call(i, reason), label)
            return None
        return TemplateResponse(request, "catalog/admin_reason.html", {
            **self.admin_site.each_context(request), "title": f"{label}事项", "form": form, "items": queryset,
            "action": action, "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.action(description="暂停办理（须填写原因）", permissions=["change"])
    def suspend(self, request, queryset):
        return self._with_reason(request, queryset, "suspend", "暂停",
                                 lambda i, r: services.item_suspend(actor=request.user, item=i, reason=r))

    @admin.action(description="取消事项（须填写原因）", permissions=["change"])
    def cancel(self, request, queryset):
        return self._with_reason(request, queryset, "cancel", "取消",
                                 lambda i, r: services.item_cancel(actor=request.user, item=i, reason=r))


# ------------------------------------------------------------------ 服务主题


@admin.register(Theme)
class ThemeAdmin(_Perms, admin.ModelAdmin):
    list_display = ["name", "code", "audience", "kind", "order"]
    list_filter = ["audience", "kind"]
    fields = ["code", "name", "audience", "kind", "order"]

    def has_add_permission(self, request):
        return _can_manage(request)

    def has_change_permission(self, request, obj=None):
        return _can_manage(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class ServiceForm(form_class):  # type: ignore[valid-type,misc]
            def clean(self):
                data = super().clean()
                if self.errors:
                    return data
                try:
                    with transaction.atomic():
                        services.theme_save(actor=request.user, theme=obj, **_theme_fields(data))
                        raise _DryRun
                except _DryRun:
                    pass
                except DomainError as exc:
                    self.add_error(exc.field if exc.field in self.fields else None, exc.message_zh)
                return data

        return ServiceForm

    def save_model(self, request, obj, form, change):
        saved = services.theme_save(actor=request.user, theme=obj if change else None,
                                    **_theme_fields(form.cleaned_data))
        obj.pk = saved.pk


def _theme_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": data["code"], "name": data["name"], "audience": data["audience"], "kind": data["kind"],
            "order": data.get("order") or 0}
