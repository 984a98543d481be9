"""The TOTP step of the staff login, and enrolment of a phone (QR code + secret)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from zhengwu.accounts.otp import (
    NEXT_KEY,
    PENDING_KEY,
    otp_device_confirm,
    otp_device_get,
    otp_device_start,
    otp_pending_device_get,
    otp_qr_svg,
    otp_required,
    otp_secret_base32,
    otp_verify,
)
from zhengwu.core.errors import DomainError


class TokenForm(forms.Form):
    token = forms.CharField(label="动态口令", max_length=8, widget=forms.TextInput(attrs={
        "autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*", "autofocus": True}))


def _next_url(request) -> str:
    from zhengwu.accounts.views import password_change_due

    if password_change_due(request.user):
        return "accounts:password_change"
    target = request.session.pop(NEXT_KEY, "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "portal:staff_home"


@never_cache
@login_required
def otp_verify_view(request):
    if otp_device_get(request.user) is None:
        return redirect("accounts:otp_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        try:
            ok = otp_verify(user=user, token=form.cleaned_data["token"], request=request)
        except DomainError as exc:
            form.add_error("token", exc.message_zh)
        else:
            if ok:
                return redirect(_next_url(request))
            user.refresh_from_db(fields=["locked_until"])
            if user.is_locked():
                # 等保 8.1.4.1 b: end the session when the failure limit is reached.
                until = timezone.localtime(user.locked_until).strftime("%H:%M")
                logout(request)
                return render(request, "accounts/otp_verify.html", {
                    "locked": f"动态口令连续错误次数过多，账户已锁定，请于 {until} 后再试或联系安全管理员解锁。"},
                    status=403)
            form.add_error("token", "动态口令不正确，请输入手机上当前显示的 6 位数字。")
    return render(request, "accounts/otp_verify.html", {"form": form})


@never_cache
@login_required
def otp_setup_view(request):
    user = request.user
    if otp_device_get(user) is not None:
        if request.session.get(PENDING_KEY):
            return redirect("accounts:otp_verify")
        messages.info(request, "您已绑定动态口令。如需更换手机，请联系安全管理员重置。")
        return redirect("portal:staff_home")
    form = TokenForm(request.POST or None)
    device = otp_pending_device_get(user)
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            otp_device_confirm(actor=user, token=form.cleaned_data["token"], request=request)
        except DomainError as exc:
            form.add_error("token", exc.message_zh)
        else:
            messages.success(request, "动态口令已绑定，今后登录时请输入手机上显示的动态口令。")
            return redirect(_next_url(request))
    if device is None:
        try:
            device = otp_device_start(actor=user)
        except DomainError as exc:
            messages.error(request, exc.message_zh)
            return redirect("portal:staff_home")
    return render(request, "accounts/otp_setup.html", {
        "form": form, "qr_svg": otp_qr_svg(device), "secret": otp_secret_base32(device),
        "required": otp_required(user),
    })
