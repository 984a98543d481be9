"""Keeps a session that passed the password but not yet the TOTP code away from everything else.

Runs after django_otp's OTPMiddleware (which gives request.user.is_verified()). The pending flag is
set only by a login through a login page (see zhengwu.accounts.otp), and cleared by a good code.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from zhengwu.accounts.otp import NEXT_KEY, PENDING_KEY, otp_device_get


class OTPRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if (session is not None and user is not None and user.is_authenticated and session.get(PENDING_KEY)
                and not user.is_verified() and not self._allowed(request.path)):
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "otp_required", "message": "请先完成动态口令验证",
                                     "message_en": "second factor required"}, status=401)
            if request.method == "GET":
                # Come back to the page the login was heading for once the code is in.
                session[NEXT_KEY] = request.get_full_path()
            target = "accounts:otp_verify" if otp_device_get(user) else "accounts:otp_setup"
            return redirect(reverse(target))
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        allowed = (reverse("accounts:otp_verify"), reverse("accounts:otp_setup"), reverse("accounts:logout"),
                   "/static/", "/i18n/", "/healthz")
        return path.startswith(allowed)
