from __future__ import annotations

import uuid

from zhengwu.core import context


def client_ip(request) -> str | None:
    # Behind nginx the real address comes in X-Real-IP (set by our own proxy config, see
    # docs/deploy.md); X-Forwarded-For is client-controlled and never trusted here.
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = context.activate(
            context.RequestContext(
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
                request_id=uuid.uuid4().hex[:16],
            )
        )
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
