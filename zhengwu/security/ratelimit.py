"""A fixed-window rate limiter keyed by client address and path group, as one middleware.

Groups come from settings.ZHENGWU_RATE_LIMITS, each a list of URL prefixes (a trailing "$" makes
an entry exact), the methods it counts, and "limit per window seconds". Matching by URL keeps the
limits out of the apps' views: login, the public progress query and public submissions are
limited here without touching those apps.

Counts live in the database by default (`RateLimitCounter`, one atomic upsert per counted
request), so every gunicorn worker and every app server shares them. `"store": "cache"` counts in
a Django cache instead (alias in "cache"): only a shared one (Redis, memcached) limits across
workers; the default per-process cache would let each worker count on its own.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from zhengwu.core.audit import audit_record
from zhengwu.core.middleware import client_ip
from zhengwu.core.models import AuditEvent
from zhengwu.security.models import RateLimitCounter

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


def _count_in_cache(key: str, timeout: int, cache_alias: str) -> int:
    cache = caches[cache_alias]
    # add() then incr() is atomic on shared caches; the extra second keeps the key past the edge.
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def _count_in_database(key: str, expires_at: int, now: float) -> int:
    # One statement, atomic on both databases: concurrent workers each get a distinct count.
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, count, expires_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT (key) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [key, expires_at])
        count = cursor.fetchone()[0]
        if count == 1:
            # A window opened: sweep the windows that have closed (indexed on expires_at).
            cursor.execute(f"DELETE FROM {table} WHERE expires_at < %s", [int(now)])
    return count


def hit(group: Group, ident: str, *, store: str | None = None, cache_alias: str = "default",
        now: float | None = None) -> Decision:
    """Count one request of `ident` in the group's current window."""
    now = time.time() if now is None else now
    window_no = int(now // group.window)
    key = f"zhengwu:rl:{group.name}:{ident}:{window_no}"[:200]
    store = store or (getattr(settings, "ZHENGWU_RATE_LIMITS", {}) or {}).get("store", "database")
    if store == "cache":
        count = _count_in_cache(key, group.window + 1, cache_alias)
    else:
        count = _count_in_database(key, (window_no + 1) * group.window + 1, now)
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
                decision = hit(group, ident, store=conf.get("store", "database"),
                               cache_alias=conf.get("cache", "default"))
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
