"""Reads of organisation data that users and other apps see.

Department scope is the basis of every case, ticket and request query (STYLE.md habit 5):
`departments_of(user)` is the one place that says which departments a user works for on a day,
including those covered through AB岗 while the A post's holder is absent.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from zhengwu.org.models import (
    Absence,
    BackupPost,
    Department,
    Position,
    Region,
    ServiceCentre,
    StaffPost,
    Window,
)

BUSINESS_POSITIONS = frozenset({Position.CLERK, Position.REVIEWER, Position.CHIEF_REPRESENTATIVE,
                                Position.SECTION_HEAD, Position.LEADER})
CENTRE_POSITIONS = frozenset({Position.SUPERVISOR, Position.CENTRE_ADMIN})


def _is_person(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.pk is not None)


def posts_of(user) -> QuerySet[StaffPost]:
    """A user's own active posts."""
    if not _is_person(user):
        return StaffPost.objects.none()
    return StaffPost.objects.filter(user=user, is_active=True).select_related("department", "centre", "window")


def absent_user_ids(on_date: dt.date) -> QuerySet:
    return Absence.objects.filter(starts_on__lte=on_date, ends_on__gte=on_date).values("user_id")


def is_absent(user, on_date: dt.date | None = None) -> bool:
    on_date = on_date or timezone.localdate()
    return Absence.objects.filter(user=user, starts_on__lte=on_date, ends_on__gte=on_date).exists()


def acting_for(user, on_date: dt.date | None = None) -> list[StaffPost]:
    """The A posts this user holds for the day as B岗, because A's holder is marked absent."""
    if not _is_person(user):
        return []
    on_date = on_date or timezone.localdate()
    return list(
        StaffPost.objects.filter(
            is_active=True,
            user__is_active=True,
            user_id__in=absent_user_ids(on_date),
            backups__backup__user=user,
            backups__backup__is_active=True,
        )
        .exclude(user=user)
        .select_related("user", "department", "centre", "window")
        .distinct()
        .order_by("id")
    )


def posts_in_department(user, department_id: int, on_date: dt.date | None = None) -> list[tuple[str, int]]:
    """(position, holder's user id) of the posts the user may act in for one department that day:
    their own active posts, and the A posts they cover as B岗 while A's holder is absent. One query."""
    if not _is_person(user):
        return []
    # Written out in SQL: every case service asks this once per call, and the ORM's compilation of
    # the same lookup (three joins and a subquery) cost twenty times the query itself.
    # Same meaning as departments_of(): own active posts, or an active A post whose (active) holder
    # is absent that day and whose active B post this user holds.
    sql, params = posts_in_department_statement(user, "%s", [department_id], on_date)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(position, user_id) for position, user_id in cursor.fetchall()]


def posts_in_department_statement(user, department: str, department_params: list, on_date: dt.date | None = None,
                                  ) -> tuple[str, list]:
    """The SELECT of `posts_in_department` (rows of position and holder's user id), the department
    given as an SQL expression with its parameters (`%s`, or a subquery): a service reads it in the
    same round trip as the row that names the department (zhengwu.core.rows.fetch_together)."""
    day = connection.ops.adapt_datefield_value(on_date or timezone.localdate())
    return _posts_in_department_sql(department), [*department_params, user.pk, user.pk, day, day]


@functools.lru_cache(maxsize=16)
def _posts_in_department_sql(department: str) -> str:
    return f"""
SELECT DISTINCT p.position, p.user_id
FROM {StaffPost._meta.db_table} p
WHERE p.is_active AND p.department_id = {department} AND (
    p.user_id = %s
    OR (EXISTS (SELECT 1 FROM {BackupPost._meta.db_table} b
                JOIN {StaffPost._meta.db_table} bp ON bp.id = b.backup_id
                WHERE b.primary_id = p.id AND bp.user_id = %s AND bp.is_active)
        AND EXISTS (SELECT 1 FROM {Absence._meta.db_table} a
                    WHERE a.user_id = p.user_id AND a.starts_on <= %s AND a.ends_on >= %s)
        AND EXISTS (SELECT 1 FROM {get_user_model()._meta.db_table} u WHERE u.id = p.user_id AND u.is_active)))
ORDER BY 1, 2
"""


def departments_of(user, on_date: dt.date | None = None) -> QuerySet[Department]:
    """Active departments where the user holds an active post, plus those covered as B岗 that day."""
    if not _is_person(user):
        return Department.objects.none()
    on_date = on_date or timezone.localdate()
    own = StaffPost.objects.filter(user=user, is_active=True, department__isnull=False).values("department_id")
    covered = StaffPost.objects.filter(
        is_active=True,
        department__isnull=False,
        user_id__in=absent_user_ids(on_date),
        backups__backup__user=user,
        backups__backup__is_active=True,
    ).values("department_id")
    return Department.objects.filter(Q(id__in=own) | Q(id__in=covered), is_active=True).order_by("name")


@dataclass(frozen=True)
class DepartmentRef:
    """A department as lists name it: no model instance to build for a heading."""

    pk: int
    name: str
    short_name: str


@dataclass(frozen=True)
class StaffReach:
    """Where a member of staff works on a day, read in one statement (the workbench's every request)."""

    departments: tuple[DepartmentRef, ...]  # departments_of(user), by name
    positions: dict[int, frozenset[str]]  # per department of `departments`: posts_in_department's positions
    supervised: frozenset[int]  # departments_supervised_by(user), by id


def staff_reach(user, on_date: dt.date | None = None) -> StaffReach:
    """departments_of, posts_in_department (for each of those departments) and
    departments_supervised_by in one query, with the same meaning (tested against them)."""
    if not _is_person(user):
        return StaffReach((), {}, frozenset())
    day = connection.ops.adapt_datefield_value(on_date or timezone.localdate())
    with connection.cursor() as cursor:
        supervisor = Position.SUPERVISOR.value
        cursor.execute(_staff_reach_sql(), [user.pk, user.pk, day, day, user.pk, supervisor, user.pk, supervisor])
        rows = cursor.fetchall()
    departments: dict[int, DepartmentRef] = {}
    positions: dict[int, set[str]] = {}
    supervised: set[int] = set()
    for department_id, name, short_name, position, holder_id, holder_active in rows:
        if position is None:
            supervised.add(department_id)
            continue
        departments.setdefault(department_id, DepartmentRef(department_id, name, short_name))
        # A covered A post's positions count only while its holder's account is active (posts_in_department).
        if holder_id == user.pk or holder_active:
            positions.setdefault(department_id, set()).add(position)
    return StaffReach(tuple(departments.values()), {pk: frozenset(held) for pk, held in positions.items()},
                      frozenset(supervised))


@functools.cache
def _staff_reach_sql() -> str:
    # The first part: the user's own active posts and the active A posts covered as B岗 while their
    # holder is absent that day, in active departments (departments_of), with their positions
    # (posts_in_department). The second: departments at, or under, an active centre where the
    # user is an active supervisor (departments_supervised_by), marked by a NULL position.
    post, backup, absence = StaffPost._meta.db_table, BackupPost._meta.db_table, Absence._meta.db_table
    department, centre, user = Department._meta.db_table, ServiceCentre._meta.db_table, get_user_model()._meta.db_table
    return f"""
SELECT d.id, d.name, d.short_name, p.position, p.user_id, u.is_active
FROM {post} p
JOIN {department} d ON d.id = p.department_id AND d.is_active
JOIN {user} u ON u.id = p.user_id
WHERE p.is_active AND (
    p.user_id = %s
    OR (EXISTS (SELECT 1 FROM {backup} b
                JOIN {post} bp ON bp.id = b.backup_id
                WHERE b.primary_id = p.id AND bp.user_id = %s AND bp.is_active)
        AND EXISTS (SELECT 1 FROM {absence} a
                    WHERE a.user_id = p.user_id AND a.starts_on <= %s AND a.ends_on >= %s)))
UNION ALL
SELECT d.id, d.name, d.short_name, NULL, NULL, NULL
FROM {department} d
WHERE d.is_active AND d.centre_id IN (
    SELECT c.id FROM {centre} c
    WHERE c.id IN (SELECT s.id FROM {centre} s JOIN {post} sp ON sp.centre_id = s.id
                   WHERE s.is_active AND sp.user_id = %s AND sp.is_active AND sp.position = %s)
       OR c.parent_id IN (SELECT s.id FROM {centre} s JOIN {post} sp ON sp.centre_id = s.id
                          WHERE s.is_active AND sp.user_id = %s AND sp.is_active AND sp.position = %s))
ORDER BY 2, 1
"""


def user_has_position(user, position: str, department: Department | None = None, *,
                      on_date: dt.date | None = None, include_acting: bool = True) -> bool:
    """Whether the user holds the position (in the department, if given) — their own post, or,
    with include_acting, an absent colleague's post they cover as B岗 that day."""
    if not _is_person(user):
        return False
    own = StaffPost.objects.filter(user=user, is_active=True, position=position)
    if department is not None:
        own = own.filter(department=department)
    if own.exists():
        return True
    if not include_acting:
        return False
    return any(post.position == position and (department is None or post.department_id == department.pk)
               for post in acting_for(user, on_date))


def centres_of(user, position: str | None = None) -> QuerySet[ServiceCentre]:
    """Centres where the user holds a centre post (supervisor, centre administrator)."""
    if not _is_person(user):
        return ServiceCentre.objects.none()
    posts = StaffPost.objects.filter(user=user, is_active=True, centre__isnull=False)
    if position:
        posts = posts.filter(position=position)
    return ServiceCentre.objects.filter(id__in=posts.values("centre_id"), is_active=True)


def departments_supervised_by(user) -> QuerySet[Department]:
    """监察员's view: the departments stationed at their centres and those centres' branches."""
    centres = centres_of(user, Position.SUPERVISOR)
    return Department.objects.filter(
        Q(centre__in=centres) | Q(centre__parent__in=centres), is_active=True
    ).order_by("name")


def staff_with_position(position: str, department: Department | None = None) -> QuerySet:
    from django.contrib.auth import get_user_model

    posts = StaffPost.objects.filter(position=position, is_active=True)
    if department is not None:
        posts = posts.filter(department=department)
    return get_user_model().objects.filter(id__in=posts.values("user_id"), is_active=True).order_by("username")


def backups_of(post: StaffPost) -> QuerySet[StaffPost]:
    return StaffPost.objects.filter(covers__primary=post, is_active=True)


# Reference data lists (public: regions, centres, departments and windows are published on the portal).

def region_list(*, parent: Region | None = None, include_retired: bool = False, level: int | None = None
                ) -> QuerySet[Region]:
    regions = Region.objects.all()
    if parent is not None:
        regions = regions.filter(parent=parent)
    if level is not None:
        regions = regions.filter(level=level)
    if not include_retired:
        regions = regions.filter(valid_to__isnull=True)
    return regions.order_by("code")


def region_get(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()


def region_tree(root: Region | None = None, *, include_retired: bool = False) -> list[dict]:
    """Nested {code, name, level, children} from root (or every province), in one query."""
    regions = Region.objects.all() if root is None else Region.objects.filter(code__startswith=_prefix(root))
    if not include_retired:
        regions = regions.filter(valid_to__isnull=True)
    nodes: dict[int, dict] = {}
    rows = list(regions.order_by("level", "code").values("id", "code", "name", "level", "parent_id", "valid_to"))
    roots: list[dict] = []
    for row in rows:
        node = {"code": row["code"], "name": row["name"], "level": row["level"],
                "retired": row["valid_to"] is not None, "children": []}
        nodes[row["id"]] = node
        parent = nodes.get(row["parent_id"])
        if parent is not None:
            parent["children"].append(node)
        elif root is None or row["id"] == root.pk:
            roots.append(node)
    return roots


def _prefix(region: Region) -> str:
    from zhengwu.org.identifiers import region_significant_prefix

    return region_significant_prefix(region.code)


def region_descendant_of(region: Region, ancestor: Region) -> bool:
    return region.pk != ancestor.pk and region.code.startswith(_prefix(ancestor)) and region.level > ancestor.level


def centre_list(*, region: Region | None = None, kind: str | None = None, include_inactive: bool = False
                ) -> QuerySet[ServiceCentre]:
    centres = ServiceCentre.objects.select_related("region", "parent")
    if region is not None:
        centres = centres.filter(region__code__startswith=_prefix(region))
    if kind:
        centres = centres.filter(kind=kind)
    if not include_inactive:
        centres = centres.filter(is_active=True)
    return centres.order_by("region__code", "name")


def department_list(*, centre: ServiceCentre | None = None, region: Region | None = None,
                    include_inactive: bool = False) -> QuerySet[Department]:
    departments = Department.objects.select_related("region", "centre")
    if centre is not None:
        departments = departments.filter(centre=centre)
    if region is not None:
        departments = departments.filter(region=region)
    if not include_inactive:
        departments = departments.filter(is_active=True)
    return departments.order_by("name")


def window_list(*, centre: ServiceCentre | None = None, department: Department | None = None,
                include_inactive: bool = False) -> QuerySet[Window]:
    windows = Window.objects.select_related("centre", "department")
    if centre is not None:
        windows = windows.filter(centre=centre)
    if department is not None:
        windows = windows.filter(department=department)
    if not include_inactive:
        windows = windows.filter(is_active=True)
    return windows.order_by("centre_id", "number")


def backup_pairs_of(user) -> QuerySet[BackupPost]:
    return BackupPost.objects.filter(Q(primary__user=user) | Q(backup__user=user)).select_related(
        "primary__user", "backup__user")
