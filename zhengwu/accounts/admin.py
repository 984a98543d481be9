"""Chinese admin for users, the security policy and the (read-only) audit log.

三员分立 in the admin: the system administrator creates and edits ordinary users, the security
administrator assigns administrator roles, looks after administrator accounts and sets the
policy, the audit administrator only views the audit log. Every write is a service call.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from zhengwu.accounts import services
from zhengwu.accounts.admin_support import ServiceModelAdmin
from zhengwu.accounts.audit_display import mask_audit_data, mask_text
from zhengwu.accounts.forms import AdminLoginForm
from zhengwu.accounts.models import SecurityPolicy, User
from zhengwu.accounts.permissions import (
    can_assign_admin_roles,
    can_manage_security_policy,
    can_manage_user,
    can_manage_users,
    can_view_audit_log,
    is_secadmin,
    is_sysadmin,
)
from zhengwu.core.masking import mask_name, mask_phone
from zhengwu.core.models import AuditEvent
from zhengwu.org.permissions import is_centre_admin

# The admin's own login page goes through the same lockout check as /accounts/login/.
admin.site.login_form = AdminLoginForm


class UserAddForm(forms.ModelForm):
    password1 = forms.CharField(label="初始密码", strip=False, widget=forms.PasswordInput(render_value=False))
    password2 = forms.CharField(label="确认初始密码", strip=False, widget=forms.PasswordInput(render_value=False))

    class Meta:
        model = User
        fields = ("username", "real_name", "phone", "email", "kind")

    def clean(self):
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "两次输入的密码不一致。")
        return data


class UserChangeForm(forms.ModelForm):
    new_password = forms.CharField(label="重置密码", required=False, strip=False,
                                   widget=forms.PasswordInput(render_value=False),
                                   help_text="留空则不修改。重置后该用户下次登录须修改密码。")

    class Meta:
        model = User
        fields = ("real_name", "phone", "email", "admin_role", "password_never_expires")


@admin.register(User)
class UserAdmin(ServiceModelAdmin):
    view_predicate = is_sysadmin | is_secadmin | is_centre_admin
    list_display = ("username", "masked_name", "masked_phone", "kind", "admin_role", "is_staff", "is_active",
                    "locked_until", "last_login")
    list_filter = ("kind", "admin_role", "is_active", "is_staff")
    search_fields = ("username",)
    ordering = ("username",)
    actions = ["deactivate_selected", "activate_selected", "unlock_selected"]

    @admin.display(description="姓名")
    def masked_name(self, obj):
        return mask_name(obj.real_name)

    @admin.display(description="手机号码")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    def has_add_permission(self, request):
        return can_manage_users.test(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return (can_manage_users | can_assign_admin_roles).test(request.user)
        return can_manage_user.test(request.user, obj) or (
            can_assign_admin_roles.test(request.user) and obj.pk != request.user.pk)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = UserChangeForm if obj is not None else UserAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("username", "real_name", "phone", "email", "kind", "password1", "password2")
        fields = []
        if can_manage_user.test(request.user, obj):
            fields += ["real_name", "phone", "email", "new_password"]
        if is_secadmin.test(request.user) and obj.pk != request.user.pk:
            fields.append("password_never_expires")
        if can_assign_admin_roles.test(request.user) and obj.pk != request.user.pk:
            fields.append("admin_role")
        return fields or ["username"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and self.get_fields(request, obj) == ["username"]:
            return ("username",)
        return ()

    def service_create(self, request, data):
        return services.user_create(actor=request.user, username=data["username"], password=data["password1"],
                                    real_name=data.get("real_name", ""), phone=data.get("phone", ""),
                                    email=data.get("email", ""), kind=data.get("kind") or User.Kind.STAFF)

    def service_update(self, request, obj, changes):
        user = obj
        profile = {k: v for k, v in changes.items() if k in ("real_name", "phone", "email")}
        if profile:
            user = services.user_update(actor=request.user, user=user, **profile)
        if changes.get("new_password"):
            user = services.user_set_password(actor=request.user, user=user, password=changes["new_password"])
        if "password_never_expires" in changes:
            user = services.user_set_password_expiry(actor=request.user, user=user,
                                                     never_expires=changes["password_never_expires"])
        if "admin_role" in changes:
            user = services.user_set_admin_role(actor=request.user, user=user, role=changes["admin_role"] or "")
        return user

    @admin.action(description="停用所选账户")
    def deactivate_selected(self, request, queryset):
        self.run_action(request, queryset,
                        lambda u: services.user_set_active(actor=request.user, user=u, active=False), "已停用")

    @admin.action(description="解锁所选账户")
    def unlock_selected(self, request, queryset):
        self.run_action(request, queryset, lambda u: services.user_unlock(actor=request.user, user=u), "已解锁")

    @admin.action(description="启用所选账户")
    def activate_selected(self, request, queryset):
        self.run_action(request, queryset,
                        lambda u: services.user_set_active(actor=request.user, user=u, active=True), "已启用")


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(ServiceModelAdmin):
    view_predicate = can_manage_security_policy
    change_predicate = can_manage_security_policy
    list_display = ("__str__", "password_min_length", "password_min_classes", "password_max_age_days",
                    "lockout_threshold", "lockout_seconds", "session_idle_seconds", "updated_at")
    fields = ("password_min_length", "password_min_classes", "password_max_age_days", "lockout_threshold",
              "lockout_seconds", "session_idle_seconds")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not SecurityPolicy.objects.exists()

    def service_create(self, request, data):
        return services.security_policy_update(actor=request.user, **data)

    def service_update(self, request, obj, changes):
        return services.security_policy_update(actor=request.user, **changes)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """View only, for the audit administrator; nobody adds, changes or deletes an audit row."""

    list_display = ("seq", "occurred_at", "actor_label", "action", "object_type", "masked_repr", "ip", "outcome")
    list_filter = ("outcome", "object_type")
    search_fields = ("action", "actor_label", "object_id")
    date_hierarchy = "occurred_at"
    fields = ("seq", "occurred_at", "actor_label", "action", "object_type", "object_id", "masked_repr", "ip",
              "outcome", "masked_data", "prev_hash", "hash")
    readonly_fields = fields
    list_per_page = 50
    show_full_result_count = False

    @admin.display(description="对象")
    def masked_repr(self, obj):
        return mask_text(obj.object_repr)

    @admin.display(description="内容（已脱敏）")
    def masked_data(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(mask_audit_data(obj.data), ensure_ascii=False, indent=2))

    def has_module_permission(self, request):
        return can_view_audit_log.test(request.user)

    def has_view_permission(self, request, obj=None):
        return can_view_audit_log.test(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
