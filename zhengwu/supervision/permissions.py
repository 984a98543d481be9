"""Named predicates of the supervision app."""

from __future__ import annotations

from zhengwu.org.models import Position
from zhengwu.org.selectors import departments_of, departments_supervised_by, user_has_position

REPLY_POSITIONS = (Position.SECTION_HEAD, Position.LEADER, Position.CHIEF_REPRESENTATIVE)


def is_supervisor(user) -> bool:
    return user_has_position(user, Position.SUPERVISOR, include_acting=False)


def can_supervise(user, department) -> bool:
    """监察员 of a centre where the department is stationed (or of its parent centre)."""
    return is_supervisor(user) and departments_supervised_by(user).filter(pk=department.pk).exists()


def can_reply_for(user, department) -> bool:
    """The department's section heads, leaders and chief representatives answer its 督办单."""
    if not departments_of(user).filter(pk=department.pk).exists():
        return False
    return any(user_has_position(user, p, department) for p in REPLY_POSITIONS)


def can_follow_up(user, department) -> bool:
    """差评回访整改 is the department's: those who answer its 督办单 record it."""
    return can_reply_for(user, department)
