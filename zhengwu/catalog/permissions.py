"""Named predicates for the catalog.

The catalog is edited by the centre administrator (中心管理员) and the system administrator;
every staff member may read the 流程再造 figures and the published changes of the departments
they work in, and centre-level staff (centre administrator, supervisor) those of all departments.
"""

from __future__ import annotations

import rules
from django.db.models import QuerySet

from zhengwu.accounts.permissions import is_staff_member, is_sysadmin
from zhengwu.org.models import Department, Position, StaffPost

CENTRE_WIDE_POSITIONS = (Position.CENTRE_ADMIN, Position.SUPERVISOR)


@rules.predicate
def is_centre_admin(user) -> bool:
    return bool(is_staff_member(user) and StaffPost.objects.filter(
        user=user, position=Position.CENTRE_ADMIN, is_active=True).exists())


@rules.predicate
def is_centre_wide(user) -> bool:
    return bool(is_staff_member(user) and StaffPost.objects.filter(
        user=user, position__in=CENTRE_WIDE_POSITIONS, is_active=True).exists())


can_manage_catalog = is_centre_admin | is_sysadmin
can_view_catalog_figures = is_staff_member

rules.add_perm("catalog.manage_catalog", can_manage_catalog)
rules.add_perm("catalog.view_catalog_figures", can_view_catalog_figures)


def departments_visible_to(user) -> QuerySet[Department]:
    """Departments whose catalog figures the user sees: all for centre-wide staff and administrators,
    otherwise those of the user's active posts."""
    if can_manage_catalog(user) or is_centre_wide(user):
        return Department.objects.all()
    if not is_staff_member(user):
        return Department.objects.none()
    ids = StaffPost.objects.filter(user=user, is_active=True, department__isnull=False).values("department_id")
    return Department.objects.filter(pk__in=ids)
