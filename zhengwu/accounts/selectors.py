"""Reads of accounts data and of the audit log."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from zhengwu.accounts.models import SecurityPolicy, User
from zhengwu.core.models import AuditEvent


def security_policy_get() -> SecurityPolicy:
    """The policy in force; the defaults until the security administrator first saves one."""
    return SecurityPolicy.objects.filter(pk=1).first() or SecurityPolicy(pk=1)


def user_list(*, kind: str | None = None, include_inactive: bool = False, search: str = "") -> QuerySet[User]:
    users = User.objects.all()
    if kind:
        users = users.filter(kind=kind)
    if not include_inactive:
        users = users.filter(is_active=True)
    if search:
        users = users.filter(Q(username__icontains=search) | Q(real_name__icontains=search))
    return users.order_by("username")


def admins_with_role(role: str) -> QuerySet[User]:
    return User.objects.filter(admin_role=role, is_active=True)


def audit_event_list(*, date_from: dt.date | None = None, date_to: dt.date | None = None, action: str = "",
                     actor: str = "", object_type: str = "", outcome: str = "") -> QuerySet[AuditEvent]:
    """The audit log, newest first, filtered on indexed columns. Days are local (Asia/Shanghai)."""
    events = AuditEvent.objects.all()
    tz = timezone.get_current_timezone()
    if date_from:
        events = events.filter(occurred_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        events = events.filter(occurred_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min,
                                                                   tzinfo=tz))
    if action:
        events = events.filter(action__startswith=action)
    if actor:
        events = events.filter(actor_label=actor)
    if object_type:
        events = events.filter(object_type=object_type)
    if outcome:
        events = events.filter(outcome=outcome)
    return events.order_by("-occurred_at", "-id")
