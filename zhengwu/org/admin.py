"""Chinese admin for organisation reference data; every write goes through zhengwu.org.services."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from zhengwu.accounts.admin_support import ServiceModelAdmin
from zhengwu.accounts.permissions import is_secadmin
from zhengwu.core.masking import mask_name
from zhengwu.org import permissions as perms
from zhengwu.org import services
from zhengwu.org.models import Absence, BackupPost, Department, Region, ServiceCentre, StaffPost, Window

view_org = perms.can_view_org_admin


def _person(user) -> str:
    return f"{user.username}（{mask_name(user.real_name)}）" if user.real_name else user.username


class RetiredFilter(admin.SimpleListFilter):
    title = "状态"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("current", "在用"), ("retired", "已停用")]

    def queryset(self, request, queryset):
        if self.value() == "current":
            return queryset.filter(valid_to__isnull=True)
        if self.value() == "retired":
            return queryset.filter(valid_to__isnull=False)
        return queryset


@admin.register(Region)
class RegionAdmin(ServiceModelAdmin):
    view_predicate = view_org
    change_predicate = perms.can_manage_org_reference
    list_display = ("code", "name", "level", "parent", "valid_from", "valid_to")
    list_filter = ("level", RetiredFilter)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    ordering = ("code",)
    actions = ["retire_selected"]

    def get_fields(self, request, obj=None):
        return ("code", "name", "parent", "valid_from") if obj is None else ("code", "name", "level", "parent",
                                                                           "valid_from", "valid_to")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("code", "level", "parent", "valid_from", "valid_to")

    def service_create(self, request, data):
        return services.region_create(actor=request.user, code=data["code"], name=data["name"],
                                      parent=data.get("parent"), valid_from=data.get("valid_from"))

    def service_update(self, request, obj, changes):
        return services.region_rename(actor=request.user, region=obj, name=changes.get("name", obj.name))

    @admin.action(description="停用所选区划代码（代码永不复用）")
    def retire_selected(self, request, queryset):
        today = timezone.localdate()
        self.run_action(request, queryset.order_by("-level"),
                        lambda r: services.region_retire(actor=request.user, region=r, valid_to=today), "已停用")


@admin.register(ServiceCentre)
class ServiceCentreAdmin(ServiceModelAdmin):
    view_predicate = view_org
    change_predicate = perms.can_manage_org_reference
    list_display = ("name", "kind", "region", "parent", "phone", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "region__code", "region__name")
    autocomplete_fields = ("region", "parent")
    fields = ("name", "kind", "region", "parent", "address", "opening_hours", "phone", "complaint_phone",
              "is_active")
    readonly_fields = ("is_active",)
    actions = ["deactivate_selected"]

    def service_create(self, request, data):
        data.pop("is_active", None)
        return services.centre_create(actor=request.user, **data)

    def service_update(self, request, obj, changes):
        return services.centre_update(actor=request.user, centre=obj, **changes)

    @admin.action(description="停用所选服务中心")
    def deactivate_selected(self, request, queryset):
        self.run_action(request, queryset,
                        lambda c: services.centre_deactivate(actor=request.user, centre=c), "已停用")


@admin.register(Department)
class DepartmentAdmin(ServiceModelAdmin):
    view_predicate = view_org
    change_predicate = perms.can_manage_org_reference
    list_display = ("name", "short_name", "uscc", "nature", "region", "centre", "is_active")
    list_filter = ("nature", "is_active", "centre")
    search_fields = ("name", "short_name", "uscc")
    autocomplete_fields = ("region", "centre")
    fields = ("name", "short_name", "uscc", "nature", "region", "centre", "consultation_phone", "complaint_phone",
              "address", "is_active")
    readonly_fields = ("is_active",)
    actions = ["deactivate_selected"]

    def service_create(self, request, data):
        data.pop("is_active", None)
        return services.department_create(actor=request.user, **data)

    def service_update(self, request, obj, changes):
        return services.department_update(actor=request.user, department=obj, **changes)

    @admin.action(description="停用所选部门")
    def deactivate_selected(self, request, queryset):
        self.run_action(request, queryset,
                        lambda d: services.department_deactivate(actor=request.user, department=d), "已停用")


@admin.register(Window)
class WindowAdmin(ServiceModelAdmin):
    view_predicate = view_org
    change_predicate = perms.can_manage_window
    list_display = ("number", "name", "centre", "department", "is_comprehensive", "is_active")
    list_filter = ("centre", "is_comprehensive", "is_active")
    search_fields = ("number", "name", "department__name")
    autocomplete_fields = ("department",)
    fields = ("centre", "number", "name", "department", "is_comprehensive", "is_active")
    readonly_fields = ("is_active",)
    actions = ["deactivate_selected"]

    def has_add_permission(self, request):
        return perms.can_manage_windows.test(request.user)

    def get_readonly_fields(self, request, obj=None):
        return ("is_active",) if obj is None else ("centre", "is_active")

    def service_create(self, request, data):
        data.pop("is_active", None)
        return services.window_create(actor=request.user, **data)

    def service_update(self, request, obj, changes):
        return services.window_update(actor=request.user, window=obj, **changes)

    @admin.action(description="停用所选窗口")
    def deactivate_selected(self, request, queryset):
        self.run_action(request, queryset,
                        lambda w: services.window_deactivate(actor=request.user, window=w), "已停用")


@admin.register(StaffPost)
class StaffPostAdmin(ServiceModelAdmin):
    view_predicate = view_org
    change_predicate = perms.can_assign_post
    list_display = ("person", "position", "department", "centre", "window", "is_active")
    list_filter = ("position", "is_active", "department")
    search_fields = ("user__username", "department__name", "centre__name")
    autocomplete_fields = ("user", "department", "centre", "window")
    actions = ["deactivate_selected"]

    @admin.display(description="人员", ordering="user__username")
    def person(self, obj):
        return _person(obj.user)

    def has_add_permission(self, request):
        return perms.can_assign_posts.test(request.user)

    def get_fields(self, request, obj=None):
        return ("user", "position", "department", "centre", "window", "is_active")

    def get_readonly_fields(self, request, obj=None):
        return ("is_active",) if obj is None else ("user", "position", "department", "centre", "is_active")

    def service_create(self, request, data):
        data.pop("is_active", None)
        return services.staff_post_create(actor=request.user, **data)

    def service_update(self, request, obj, changes):
        return services.staff_post_update(actor=request.user, post=obj, window=changes.get("window"))

    @admin.action(description="撤销所选岗位")
    def deactivate_selected(self, request, queryset):
        self.run_action(request, queryset,
                        lambda p: services.staff_post_deactivate(actor=request.user, post=p), "已撤销")


class _CreateOrDeleteAdmin(ServiceModelAdmin):
    """Rows that are created and removed but never edited (a pairing, a leave record)."""

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._test(self.view_predicate, request.user) or self._test(self.change_predicate, request.user)

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return self._test(self.change_predicate, request.user)
        return self._test(self.change_predicate, request.user, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(BackupPost)
class BackupPostAdmin(_CreateOrDeleteAdmin):
    view_predicate = view_org
    change_predicate = perms.can_manage_backup_post
    list_display = ("primary_post", "backup_post")
    list_select_related = ("primary__user", "primary__department", "primary__centre", "backup__user")
    search_fields = ("primary__user__username", "backup__user__username")

    @admin.display(description="A岗")
    def primary_post(self, obj):
        return f"{_person(obj.primary.user)} · {obj.primary.get_position_display()} · " \
               f"{obj.primary.department or obj.primary.centre}"

    @admin.display(description="B岗")
    def backup_post(self, obj):
        return f"{_person(obj.backup.user)} · {obj.backup.get_position_display()}"
    autocomplete_fields = ("primary", "backup")
    fields = ("primary", "backup")

    def has_add_permission(self, request):
        return (is_secadmin | perms.is_centre_admin).test(request.user)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request) if obj is None else super().has_delete_permission(request, obj)

    def service_create(self, request, data):
        return services.backup_post_create(actor=request.user, primary=data["primary"], backup=data["backup"])

    def delete_model(self, request, obj):
        services.backup_post_delete(actor=request.user, backup_post=obj)


@admin.register(Absence)
class AbsenceAdmin(_CreateOrDeleteAdmin):
    view_predicate = view_org
    change_predicate = perms.can_record_absence
    list_display = ("person", "starts_on", "ends_on", "reason")
    list_filter = ("starts_on",)
    search_fields = ("user__username",)
    date_hierarchy = "starts_on"
    autocomplete_fields = ("user",)
    fields = ("user", "starts_on", "ends_on", "reason")

    @admin.display(description="人员", ordering="user__username")
    def person(self, obj):
        return _person(obj.user)

    def has_add_permission(self, request):
        return perms.can_record_absences.test(request.user)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request) if obj is None else super().has_delete_permission(request, obj)

    def service_create(self, request, data):
        return services.absence_create(actor=request.user, **data)

    def delete_model(self, request, obj):
        services.absence_cancel(actor=request.user, absence=obj)


