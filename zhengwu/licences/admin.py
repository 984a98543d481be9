"""Admin in Chinese. Certificates and keys are read-only here; every change goes through a service."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from stdnum.cn import uscc

from zhengwu.core.errors import DomainError
from zhengwu.licences import services
from zhengwu.licences.models import Certificate, CertificateReuse, LicenceType, SigningKey


class LicenceTypeForm(forms.ModelForm):
    class Meta:
        model = LicenceType
        fields = ["code", "name", "ministry"]

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if not uscc.is_valid(code[:18]):
            raise forms.ValidationError("前 18 位应为主管部门的统一社会信用代码")
        return code


@admin.register(LicenceType)
class LicenceTypeAdmin(admin.ModelAdmin):
    form = LicenceTypeForm
    list_display = ["code", "name", "ministry", "is_active"]
    search_fields = ["code", "name"]

    def has_change_permission(self, request, obj=None):
        # A type code is part of every identifier issued under it, so it never changes.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = services.licence_type_create(actor=request.user, code=obj.code, name=obj.name,
                                               ministry=obj.ministry)
        obj.pk = created.pk


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    list_display = ["reference", "department", "is_active", "created_at", "retired_at"]
    list_filter = ["is_active"]
    exclude = ["private_key_cipher"]
    actions = ["rotate"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_rotate_permission(self, request):
        return request.user.is_superuser

    @admin.action(description="为所选密钥的部门生成新密钥（旧密钥保留用于验证）", permissions=["rotate"])
    def rotate(self, request, queryset):
        departments = {key.department for key in queryset.select_related("department")}
        for department in departments:
            key = services.signing_key_rotate(actor=request.user, department=department)
            self.message_user(request, f"已为 {department} 生成新密钥 {key.reference}")


class CertificateReuseInline(admin.TabularInline):
    model = CertificateReuse
    extra = 0
    can_delete = False
    fields = ["used_at", "purpose", "reference", "used_by"]
    readonly_fields = ["used_at", "purpose", "reference", "used_by"]

    def has_add_permission(self, request, obj=None):
        return False


CERTIFICATE_FIELDS: tuple[str, ...] = ("identifier", "licence_type", "name", "number", "holder_masked", "holder_id_type", "holder_id_masked",
    "issuer", "issuer_name", "issued_on", "valid_from", "valid_until", "status_now", "revoked_at",
    "revoked_reason", "content", "content_digest", "signature", "signing_key", "pdf", "source",
    "reuse_count", "verification")


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["identifier", "name", "number", "holder_masked", "issuer_name", "issued_on", "status_now",
                    "reuse_count"]
    list_filter = ["status", "licence_type", "issuer"]
    search_fields = ["identifier", "number"]
    date_hierarchy = "issued_on"
    fields = CERTIFICATE_FIELDS
    readonly_fields = CERTIFICATE_FIELDS
    inlines = [CertificateReuseInline]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.is_superuser or request.user.has_perm("licences.change_certificate")

    @admin.display(description="持证主体")
    def holder_masked(self, obj):
        return services.masked_holder(obj)[0]

    @admin.display(description="持证主体代码")
    def holder_id_masked(self, obj):
        return services.masked_holder(obj)[1]

    @admin.display(description="当前状态")
    def status_now(self, obj):
        return obj.current_status_label()

    @admin.display(description="验证结果")
    def verification(self, obj):
        result = services.licence_verify(obj)
        return "验证通过" if result.ok else "验证失败：" + "；".join(result.reasons)

    @admin.action(description="注销所选电子证照", permissions=["revoke"])
    def revoke(self, request, queryset):
        done = 0
        for certificate in queryset:
            try:
                services.licence_revoke(actor=request.user, certificate=certificate,
                                        reason=f"由 {request.user.get_username()} 在管理后台注销")
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{certificate.identifier}：{exc.message_zh}", level=messages.WARNING)
        if done:
            self.message_user(request, f"已注销 {done} 份电子证照")
