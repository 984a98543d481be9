"""A fixed-window rate limiter keyed by client address and path group, as one middleware.

Groups come from settings.ZHENGWU_RATE_LIMITS, each a list of URL prefixes (a trailing "$" makes
an entry exact), the methods it counts, and "limit per window seconds". Matching by URL keeps the
limits out of the apps' views: login, the public progress query and public submissions are
limited here without touching those apps.

Counts live in a Django cache (alias in settings, "default" unless told). With several app
servers that cache must be shared (Redis, memcached or the database cache, see docs/deploy.md);
a per-process cache only limits per worker.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from zhengwu.core.audit import audit_record
from zhengwu.core.middleware import client_ip
from zhengwu.core.models import AuditEvent

logger = logging.getLogger(__name__)

MESSAGE_ZH = "访问过于频繁，请稍后再试"
MESSAGE_EN = "too many requests, please retry later"


@dataclass(frozen=True)
class Group:
    name: str
    paths: tuple[str, ...]
    methods: frozenset[str]
    limit: int
    window: int

    def matches(self, method: str, path: str) -> bool:
        if self.methods and method not in self.methods:
            return False
        for entry in self.paths:
            if entry.endswith("$"):
                if path == entry[:-1]:
                    return True
            elif path.startswith(entry):
                return True
        return False


def groups_from_settings() -> list[Group]:
    conf = getattr(settings, "ZHENGWU_RATE_LIMITS", {}) or {}
    return [Group(name=g["name"], paths=tuple(g["paths"]), methods=frozenset(m.upper() for m in g.get("methods", ())),
                  limit=int(g["limit"]), window=int(g["window"])) for g in conf.get("groups", [])]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    retry_after: int


def hit(group: Group, ident: str, *, cache_alias: str = "default", now: float | None = None) -> Decision:
    """Count one request of `ident` in the group's current window."""
    now = time.time() if now is None else now
    window_no = int(now // group.window)
    key = f"zhengwu:rl:{group.name}:{ident}:{window_no}"
    cache = caches[cache_alias]
    # add() then incr() is atomic on shared caches; the extra second keeps the key past the edge.
    cache.add(key, 0, timeout=group.window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=group.window + 1)
        count = 1
    retry_after = max(1, math.ceil((window_no + 1) * group.window - now))
    return Decision(allowed=count <= group.limit, count=count, retry_after=retry_after)


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        conf = getattr(settings, "ZHENGWU_RATE_LIMITS", {}) or {}
        if conf.get("enabled"):
            for group in groups_from_settings():
                if not group.matches(request.method, request.path):
                    continue
                ident = client_ip(request) or "unknown"
                decision = hit(group, ident, cache_alias=conf.get("cache", "default"))
                if not decision.allowed:
                    return self._refuse(request, group, ident, decision)
        return self.get_response(request)

    @staticmethod
    def _refuse(request, group: Group, ident: str, decision: Decision) -> HttpResponse:
        if decision.count == group.limit + 1:
            # The first refusal of a window is a security event (等保 8.1.4.3 a); the rest of the
            # burst is not written, so a flood cannot flood the audit chain too.
            logger.warning("rate limit %s reached by %s", group.name, ident)
            with transaction.atomic():
                audit_record(actor=None, action="security.rate_limited", object_type="security.ratelimit",
                             object_repr=group.name, outcome=AuditEvent.Outcome.DENIED,
                             data={"group": group.name, "path": request.path[:200], "limit": group.limit,
                                   "window": group.window})
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                {"code": "rate_limited", "message": MESSAGE_ZH, "message_en": MESSAGE_EN,
                 "retry_after": decision.retry_after}, status=429)
        else:
            response = HttpResponse(render_to_string("security/429.html",
                                                     {"retry_after": decision.retry_after}, request=request),
                                    status=429)
        response["Retry-After"] = str(decision.retry_after)
        return response
