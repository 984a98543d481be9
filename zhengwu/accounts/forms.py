from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from zhengwu.core.models import AuditEvent


class LockoutMixin(forms.Form):
    """Refuse a locked account before checking its password (等保 8.1.4.1 b), so guessing
    stops for the lockout time even when the guess is right."""

    def clean(self):
        username = getattr(self, "cleaned_data", {}).get("username")
        if username:
            user = get_user_model().objects.filter(username=username).only("locked_until").first()
            if user is not None and user.is_locked():
                until = timezone.localtime(user.locked_until).strftime("%H:%M")
                raise forms.ValidationError(f"连续登录失败次数过多，账户已锁定，请于 {until} 后再试或联系安全管理员解锁。",
                                            code="locked")
        return super().clean()


class StaffLoginForm(LockoutMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确。请注意区分大小写。",
        "inactive": "该账户已停用，请联系系统管理员。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class AdminLoginForm(LockoutMixin, AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确，或该账户无权进入管理后台。",
    }


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="当前密码", strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password1 = forms.CharField(label="新密码", strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label="确认新密码", strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError("当前密码不正确。")
        return value

    def clean(self):
        data = super().clean() or {}
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", "两次输入的新密码不一致。")
        if one and data.get("old_password") == one:
            self.add_error("new_password1", "新密码不能与当前密码相同。")
        return data


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    action = forms.CharField(label="操作（前缀）", required=False, max_length=80)
    actor = forms.CharField(label="操作人", required=False, max_length=150)
    object_type = forms.CharField(label="对象类型", required=False, max_length=80)
    outcome = forms.ChoiceField(label="结果", required=False,
                                choices=[("", "全部"), *AuditEvent.Outcome.choices])

    def clean(self):
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "结束日期不能早于开始日期。")
        return data
