"""Chinese admin for the work calendar; every write goes through zhengwu.workcalendar.services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.utils.html import format_html_join

from zhengwu.accounts.admin_support import ServiceModelAdmin
from zhengwu.core.errors import DomainError
from zhengwu.workcalendar import permissions as perms
from zhengwu.workcalendar import services
from zhengwu.workcalendar.models import (
    CalendarDay,
    CalendarYear,
    Clock,
    ClockEvent,
    ClockExtension,
    ClockRecalculation,
    ClockSegment,
    RegionalDayOff,
)
from zhengwu.workcalendar.workdays import weekday_zh


class _DeletesThroughService(ServiceModelAdmin):
    delete_predicate = None
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_delete_permission(self, request, obj=None):
        return self._test(self.delete_predicate, request.user)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def service_delete(self, request, obj):
        raise NotImplementedError

    def delete_model(self, request, obj):
        try:
            self.service_delete(request, obj)
        except DomainError as exc:
            self.message_user(request, exc.message_zh, messages.ERROR)

    def delete_queryset(self, request, queryset):
        self.run_action(request, queryset, lambda obj: self.service_delete(request, obj), "已删除")


@admin.register(CalendarYear)
class CalendarYearAdmin(ServiceModelAdmin):
    view_predicate = perms.can_view_calendar_admin
    change_predicate = perms.can_manage_calendar
    list_display = ("year", "version", "published", "source", "updated_at")
    list_filter = ("published",)
    ordering = ("-year",)
    actions = ["mark_published", "mark_unpublished"]

    def get_fields(self, request, obj=None):
        return ("year", "published", "source") if obj is None else ("year", "version", "published", "source",
                                                                    "papers")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("year", "version", "papers")

    def service_create(self, request, data):
        services.calendar_year_set(actor=request.user, year=data["year"], published=data.get("published", False),
                                   source=data.get("source") or services.MANUAL_SOURCE)
        return CalendarYear.objects.get(year=data["year"])

    def service_update(self, request, obj, changes):
        services.calendar_year_set(actor=request.user, year=obj.year,
                                   published=changes.get("published", obj.published),
                                   source=changes.get("source", obj.source))
        return CalendarYear.objects.get(year=obj.year)

    @admin.action(description="标记为已发布放假安排")
    def mark_published(self, request, queryset):
        self.run_action(request, queryset, lambda y: services.calendar_year_set(
            actor=request.user, year=y.year, published=True), "已标记发布")

    @admin.action(description="标记为未发布（期限将提示风险）")
    def mark_unpublished(self, request, queryset):
        self.run_action(request, queryset, lambda y: services.calendar_year_set(
            actor=request.user, year=y.year, published=False), "已标记未发布")


@admin.register(CalendarDay)
class CalendarDayAdmin(_DeletesThroughService):
    view_predicate = perms.can_view_calendar_admin
    change_predicate = perms.can_manage_calendar
    delete_predicate = perms.can_manage_calendar
    list_display = ("date", "weekday", "is_off_day", "name", "source_url")
    list_filter = ("is_off_day",)
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("-date",)

    @admin.display(description="星期")
    def weekday(self, obj):
        return weekday_zh(obj.date)

    def get_fields(self, request, obj=None):
        return ("date", "is_off_day", "name", "source_url")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("date",)

    def service_create(self, request, data):
        services.calendar_day_set(actor=request.user, day=data["date"], is_off_day=data.get("is_off_day", False),
                                  name=data.get("name", ""), source_url=data.get("source_url", ""))
        return CalendarDay.objects.get(date=data["date"])

    def service_update(self, request, obj, changes):
        services.calendar_day_set(actor=request.user, day=obj.date,
                                  is_off_day=changes.get("is_off_day", obj.is_off_day),
                                  name=changes.get("name", obj.name),
                                  source_url=changes.get("source_url", obj.source_url))
        return CalendarDay.objects.get(date=obj.date)

    def service_delete(self, request, obj):
        services.calendar_day_delete(actor=request.user, day=obj.date)


@admin.register(RegionalDayOff)
class RegionalDayOffAdmin(_DeletesThroughService):
    view_predicate = perms.can_view_calendar_admin
    change_predicate = perms.can_manage_regional_days
    delete_predicate = perms.can_manage_regional_days
    list_display = ("date", "region", "name", "source_url")
    search_fields = ("name", "region__code", "region__name")
    autocomplete_fields = ("region",)
    ordering = ("-date",)

    def get_fields(self, request, obj=None):
        return ("region", "date", "name", "source_url")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("region", "date")

    def service_create(self, request, data):
        return services.regional_day_off_add(actor=request.user, region=data["region"], day=data["date"],
                                             name=data.get("name", ""), source_url=data.get("source_url", ""))

    def service_update(self, request, obj, changes):
        return services.regional_day_off_update(actor=request.user, day_off=obj,
                                                name=changes.get("name", obj.name),
                                                source_url=changes.get("source_url", obj.source_url))

    def service_delete(self, request, obj):
        services.regional_day_off_remove(actor=request.user, day_off=obj)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SegmentInline(_ReadOnlyInline):
    model = ClockSegment
    fields = ("kind", "reason", "note", "started_at", "ended_at")


class ExtensionInline(_ReadOnlyInline):
    model = ClockExtension
    fields = ("value", "approved_by_label", "reason", "approved_at")


class EventInline(_ReadOnlyInline):
    model = ClockEvent
    fields = ("kind", "due_at", "scheduled_at", "fired_at", "handler")


class RecalculationInline(_ReadOnlyInline):
    model = ClockRecalculation
    fields = ("reason", "old_due_at", "new_due_at", "calendar_version", "recalculated_at")


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    """Read-only ledger: clocks change only through their owner's workflow."""

    list_display = ("id", "kind", "owner_type", "owner_id", "budget", "status", "state", "due_at", "warn_at",
                    "next_event_at")
    list_filter = ("status", "kind", "budget_unit")
    search_fields = ("kind", "owner_id")
    ordering = ("-started_at",)
    inlines = [SegmentInline, ExtensionInline, EventInline, RecalculationInline]
    fields = ("kind", "owner_type", "owner_id", "budget_value", "budget_unit", "started_at", "status", "region",
              "calendar_version", "due_at", "warn_at", "next_event_at", "next_event_kind", "ended_at", "note",
              "explanation")
    readonly_fields = fields

    @admin.display(description="时限")
    def budget(self, obj):
        return f"{obj.budget_value} {obj.get_budget_unit_display()}"

    @admin.display(description="显示状态")
    def state(self, obj):
        return services.STATE_LABELS[services.clock_state(obj)]

    @admin.display(description="计算说明")
    def explanation(self, obj):
        return format_html_join("", "<div>{}</div>", ((line,) for line in services.clock_explain(obj)))

    def has_module_permission(self, request):
        return perms.can_view_clock_ledger.test(request.user)

    def has_view_permission(self, request, obj=None):
        return perms.can_view_clock_ledger.test(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
