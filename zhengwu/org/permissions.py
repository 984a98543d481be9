"""Named predicates for organisation data.

The system administrator keeps the reference data (regions, centres, departments, windows);
a centre administrator (中心管理员) runs the windows, posts, AB岗 and absences of its own centre
and the branches under it; the security administrator assigns positions anywhere.
"""

from __future__ import annotations

import rules

from zhengwu.accounts.permissions import is_business_staff, is_secadmin, is_sysadmin
from zhengwu.org.models import (
    Absence,
    BackupPost,
    Department,
    Position,
    ServiceCentre,
    StaffPost,
    Window,
)


def centre_ids_administered_by(user) -> set[int]:
    """Centres a centre administrator runs: its own and their direct branches."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    own = set(StaffPost.objects.filter(user=user, position=Position.CENTRE_ADMIN, is_active=True,
                                       centre__isnull=False).values_list("centre_id", flat=True))
    if not own:
        return own
    branches = ServiceCentre.objects.filter(parent_id__in=own, kind=ServiceCentre.Kind.BRANCH)
    return own | set(branches.values_list("id", flat=True))


def _centre_ids_of(obj) -> set[int]:
    if obj is None:
        return set()
    if isinstance(obj, ServiceCentre):
        return {obj.pk}
    if isinstance(obj, Window):
        return {obj.centre_id}
    if isinstance(obj, Department):
        return {obj.centre_id} if obj.centre_id else set()
    if isinstance(obj, StaffPost):
        if obj.centre_id:
            return {obj.centre_id}
        found: set[int] = set()
        if obj.window is not None:
            found.add(obj.window.centre_id)
        if obj.department is not None and obj.department.centre_id:
            found.add(obj.department.centre_id)
        return found
    if isinstance(obj, BackupPost):
        return _centre_ids_of(obj.primary) & _centre_ids_of(obj.backup)
    if isinstance(obj, Absence):
        obj = obj.user
    # A user: the centres of their active posts.
    posts = StaffPost.objects.filter(user=obj, is_active=True).select_related("department", "window")
    ids: set[int] = set()
    for post in posts:
        ids |= _centre_ids_of(post)
    return ids


@rules.predicate
def is_centre_admin(user) -> bool:
    return is_business_staff(user) and bool(centre_ids_administered_by(user))


@rules.predicate
def is_centre_admin_of(user, obj) -> bool:
    if obj is None or not is_business_staff(user):
        return False
    mine = centre_ids_administered_by(user)
    theirs = _centre_ids_of(obj)
    return bool(theirs) and theirs <= mine


@rules.predicate
def is_section_head_of(user, obj) -> bool:
    """科室负责人 or 分管领导 of a department where the target user (or absence's user) holds a post."""
    if obj is None or not is_business_staff(user):
        return False
    target = obj.user if isinstance(obj, Absence) else obj
    heads = StaffPost.objects.filter(user=user, is_active=True,
                                     position__in=[Position.SECTION_HEAD, Position.LEADER]).values("department_id")
    return StaffPost.objects.filter(user=target, is_active=True, department_id__in=heads).exists()


can_manage_org_reference = is_sysadmin
can_manage_windows = is_sysadmin | is_centre_admin
can_manage_window = is_sysadmin | is_centre_admin_of
can_assign_posts = is_secadmin | is_centre_admin
can_assign_post = is_secadmin | is_centre_admin_of
can_manage_backup_post = is_secadmin | is_centre_admin_of
can_record_absences = is_sysadmin | is_centre_admin
can_record_absence = is_sysadmin | is_centre_admin_of | is_section_head_of
can_view_org_admin = is_sysadmin | is_secadmin | is_centre_admin

rules.add_perm("org.manage_reference", can_manage_org_reference)
rules.add_perm("org.manage_window", can_manage_window)
rules.add_perm("org.assign_post", can_assign_post)
rules.add_perm("org.manage_backup_post", can_manage_backup_post)
rules.add_perm("org.record_absence", can_record_absence)
