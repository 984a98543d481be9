"""Lifecycle of a ServiceItem: which status changes are allowed, and what each one is called.

No I/O here; `services._item_transition` is the one executor (row lock, table check, timestamps,
audit event). A new version of the elements is not a status change: it is published with
`item_publish` while the item stays published (or suspended).
"""

from __future__ import annotations

from dataclasses import dataclass

from zhengwu.catalog.models import ServiceItem

S = ServiceItem.Status


@dataclass(frozen=True)
class Transition:
    name: str
    source: str
    target: str
    label: str
    needs_reason: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition("publish", S.DRAFT, S.PUBLISHED, "发布"),
    Transition("suspend", S.PUBLISHED, S.SUSPENDED, "暂停", needs_reason=True),
    Transition("resume", S.SUSPENDED, S.PUBLISHED, "恢复"),
    Transition("cancel", S.PUBLISHED, S.CANCELLED, "取消", needs_reason=True),
    Transition("cancel", S.SUSPENDED, S.CANCELLED, "取消", needs_reason=True),
)

_BY_KEY = {(t.name, t.source): t for t in TRANSITIONS}


def transition_for(name: str, source: str) -> Transition | None:
    return _BY_KEY.get((name, source))


def allowed_from(source: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == source]


def is_public(status: str) -> bool:
    """Published items are listed; suspended ones keep their guide but take no new applications."""
    return status == S.PUBLISHED
