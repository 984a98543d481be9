"""The one place where owner apps register what happens when a clock fires.

`CLOCK_HANDLERS` maps a clock kind ("case.correction_notice", "case.promised", …) to the dotted path
of a function `handler(clock, event)`. It runs inside the sweeper's claim transaction, so its
writes commit or roll back with the event; it must call its own app's services (which audit) and
must not sleep or call remote systems (send notices on commit). `event.kind` is "warning" or
"overdue"; a deemed acceptance / approval / consent handler acts on "overdue".
Kinds without an entry use the "*" default, which only records the event in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.utils.module_loading import import_string

from zhengwu.core.audit import audit_record

CLOCK_HANDLERS: dict[str, str] = {
    "*": "zhengwu.workcalendar.handlers.audit_only",
    "case.acceptance": "zhengwu.cases.clock_handlers.on_acceptance_clock",
    "case.correction": "zhengwu.cases.clock_handlers.on_correction_clock",
    # The supervision handler calls the cases one (超时默许) first, then records the warning.
    "case.promised": "zhengwu.supervision.clock_handlers.on_case_promised_clock",
    "case.legal": "zhengwu.supervision.clock_handlers.on_case_clock",
    # A deemed approval's deferred certificate is retried (cases), then the warning recorded.
    "case.certificate": "zhengwu.supervision.clock_handlers.on_case_certificate_clock",
    "supervision.order_reply": "zhengwu.supervision.clock_handlers.on_order_clock",
}


def audit_only(clock, event) -> None:
    audit_record(actor="clock_sweeper", action=f"clock.{event.kind}", obj=clock, data={
        "kind": clock.kind, "owner": f"{clock.owner_type_id}:{clock.owner_id}",
        "due_at": event.due_at.isoformat(), "scheduled_at": event.scheduled_at.isoformat(),
    })


@cache
def _load(path: str) -> Callable:
    return import_string(path)


def handler_for(kind: str) -> tuple[str, Callable]:
    """(dotted path, function) registered for a clock kind, else the "*" default."""
    path = CLOCK_HANDLERS.get(kind) or CLOCK_HANDLERS["*"]
    return path, _load(path)
