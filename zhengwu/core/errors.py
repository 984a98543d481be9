"""Typed domain errors. Services raise them; one handler maps each to its HTTP status.

Every message is Chinese first with an English rendering, so that a window clerk and an
integrator both understand what went wrong.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 422
    code = "invalid"

    def __init__(self, message_zh: str, message_en: str = "", *, field: str | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        self.field = field
        self.details = details or []

    @property
    def message(self) -> str:
        return f"{self.message_zh} / {self.message_en}" if self.message_en != self.message_zh else self.message_zh

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message_zh, "message_en": self.message_en}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body

    def __str__(self) -> str:
        return self.message


class ValidationFailed(DomainError):
    """The input breaks a business rule (422)."""


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The object changed under the caller, or the transition is not allowed now (409)."""

    status = 409
    code = "conflict"
