"""Idle session timeout (等保 8.1.4.1 b: 连接超时自动退出), length from the security policy.

Only sessions opened through a login page carry the idle clock (the login signal marks them),
so tokens and test clients that log in programmatically are not timed out behind their back.
"""

from __future__ import annotations

import time

from django.contrib.auth import logout
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from zhengwu.accounts.selectors import security_policy_get
from zhengwu.core.audit import audit_record

SEEN_KEY = "zhengwu_last_seen"
# Write the session at most this often: every request would mean a database write per page view.
TOUCH_EVERY = 30


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated and SEEN_KEY in session:
            now = time.time()
            idle = security_policy_get().session_idle_seconds
            if now - session[SEEN_KEY] > idle:
                with transaction.atomic():
                    audit_record(actor=user, action="accounts.session_timeout", obj=user,
                                 object_repr=user.get_username(), data={"idle_seconds": idle})
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse({"code": "session_expired", "message": "登录已超时，请重新登录",
                                         "message_en": "session expired"}, status=401)
                return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")
            if now - session[SEEN_KEY] > TOUCH_EVERY:
                session[SEEN_KEY] = now
        return self.get_response(request)
