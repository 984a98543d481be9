"""督办单 statuses and the table of allowed transitions. No I/O; `services._order_transition` executes."""

from __future__ import annotations

from django.db import models


class OrderStatus(models.TextChoices):
    ISSUED = "issued", "待回复"
    REPLIED = "replied", "已回复待审核"
    RETURNED = "returned", "退回重报"
    ACCEPTED = "accepted", "已办结"


class OrderAction(models.TextChoices):
    REPLY = "reply", "回复（情况说明及整改）"
    ACCEPT = "accept", "审核通过"
    RETURN = "return", "退回"


class OrderRole(models.TextChoices):
    SUPERVISOR = "supervisor", "监察员"
    DEPARTMENT = "department", "被督办部门"


S, A, R = OrderStatus, OrderAction, OrderRole

TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    # (from, action): (to, role)
    (S.ISSUED, A.REPLY): (S.REPLIED, R.DEPARTMENT),
    (S.RETURNED, A.REPLY): (S.REPLIED, R.DEPARTMENT),
    (S.REPLIED, A.ACCEPT): (S.ACCEPTED, R.SUPERVISOR),
    (S.REPLIED, A.RETURN): (S.RETURNED, R.SUPERVISOR),
}

OPEN = frozenset({S.ISSUED, S.REPLIED, S.RETURNED})
AWAITING_REPLY = frozenset({S.ISSUED, S.RETURNED})


def target(src: str, action: str, role: str) -> str | None:
    """The status after `action` by `role`, or None when the table does not allow it."""
    entry = TRANSITIONS.get((src, action))
    if entry is None or entry[1] != role:
        return None
    return entry[0]
