"""Allowed clock transitions. No I/O; `services.clock_*` execute them."""

from __future__ import annotations

from zhengwu.workcalendar.models import Clock

S = Clock.Status

TRANSITIONS: dict[str, dict[str, str]] = {
    # action: {from status: to status}
    "suspend": {S.RUNNING: S.SUSPENDED},
    "resume": {S.SUSPENDED: S.RUNNING},
    "extend": {S.RUNNING: S.RUNNING, S.SUSPENDED: S.SUSPENDED},
    "stop": {S.RUNNING: S.STOPPED, S.SUSPENDED: S.STOPPED},
    "complete": {S.RUNNING: S.COMPLETED, S.SUSPENDED: S.COMPLETED},
}

ACTION_LABELS = {"suspend": "挂起", "resume": "恢复", "extend": "延期", "stop": "终止", "complete": "办结"}


def target_status(action: str, current: str) -> str | None:
    """The status after `action`, or None when the action is not allowed from `current`."""
    return TRANSITIONS[action].get(current)
