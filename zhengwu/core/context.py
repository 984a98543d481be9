"""The request that caused a write, for the audit log: who, from which address.

Set by RequestContextMiddleware for web requests; management commands and the sweeper run
with an empty context and pass their actor explicitly.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""


_current: ContextVar[RequestContext] = ContextVar("zhengwu_request_context", default=RequestContext())  # noqa: B039 - frozen dataclass


def current() -> RequestContext:
    return _current.get()


def activate(ctx: RequestContext):
    return _current.set(ctx)


def reset(token) -> None:
    _current.reset(token)
