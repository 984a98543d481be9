"""Every write to organisation data: atomic, permission-checked, audited in the same transaction."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from zhengwu.accounts.models import User
from zhengwu.accounts.permissions import is_secadmin
from zhengwu.core.audit import audit_record
from zhengwu.core.errors import Conflict, PermissionDenied, ValidationFailed
from zhengwu.org import permissions as perms
from zhengwu.org.identifiers import (
    LEVEL_COUNTY,
    LEVEL_PREFECTURE,
    LEVEL_TOWNSHIP,
    LEVEL_VILLAGE,
    region_code_normalise,
    region_level_of,
    region_parent_code,
    uscc_validate,
)
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
from zhengwu.org.selectors import BUSINESS_POSITIONS, CENTRE_POSITIONS, region_descendant_of

# Positions that work at a counter and may be tied to a window.
WINDOW_POSITIONS = frozenset({Position.CLERK, Position.CHIEF_REPRESENTATIVE})
CENTRE_LEVEL: dict[str, int] = {
    ServiceCentre.Kind.CITY: LEVEL_PREFECTURE,
    ServiceCentre.Kind.COUNTY: LEVEL_COUNTY,
    ServiceCentre.Kind.TOWNSHIP: LEVEL_TOWNSHIP,
    ServiceCentre.Kind.VILLAGE: LEVEL_VILLAGE,
}
# A main centre answers to the centre one level up: 便民服务室 → 便民服务中心 → 县中心 → 市中心.
PARENT_KINDS: dict[str, set[str]] = {
    ServiceCentre.Kind.CITY: set(),
    ServiceCentre.Kind.COUNTY: {ServiceCentre.Kind.CITY},
    ServiceCentre.Kind.BRANCH: {ServiceCentre.Kind.CITY, ServiceCentre.Kind.COUNTY},
    ServiceCentre.Kind.TOWNSHIP: {ServiceCentre.Kind.COUNTY, ServiceCentre.Kind.CITY},
    ServiceCentre.Kind.VILLAGE: {ServiceCentre.Kind.TOWNSHIP},
}
_PHONE = re.compile(r"^[0-9][0-9\-—() ]{2,29}$")


# --- helpers -------------------------------------------------------------------------------------

def _is_system(actor) -> bool:
    return actor is None or isinstance(actor, str)


def _authorise(actor, predicate, obj=None) -> None:
    """System actors (seeding, commands) pass; people need the named predicate."""
    if _is_system(actor):
        return
    allowed = predicate.test(actor, obj) if obj is not None else predicate.test(actor)
    if not allowed:
        raise PermissionDenied("您无权执行此操作", "you are not allowed to do this")


def _text(value: Any, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(f"{label}不能为空", f"{field} is required", field=field)
    if len(text) > max_length:
        raise ValidationFailed(f"{label}不能超过 {max_length} 个字", f"{field} is longer than {max_length}",
                               field=field)
    return text


def _phone(value: Any, *, field: str, label: str) -> str:
    text = (value or "").strip()
    if text and not _PHONE.match(text):
        raise ValidationFailed(f"{label}格式不正确：{text}", f"invalid phone number in {field}", field=field)
    return text


def _no_pk(pk: int | None) -> int:
    # exclude(pk=0) excludes nothing: ids start at 1.
    return pk if pk is not None else 0


def _lock(model, obj):
    return model.objects.select_for_update().get(pk=obj.pk)


def _changes(before: dict, after: dict) -> dict:
    return {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}


def _snapshot(obj, fields) -> dict:
    return {f: _plain(getattr(obj, f)) for f in fields}


def _plain(value):
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _reject_unknown(changes: dict, allowed: set[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(f"不能修改字段：{', '.join(sorted(unknown))}",
                               f"fields not editable here: {', '.join(sorted(unknown))}", field=sorted(unknown)[0])


def _require_current_region(region: Region, field: str = "region") -> None:
    if region.valid_to is not None:
        raise ValidationFailed(f"行政区划 {region} 已停用，不能再挂接新的对象",
                               f"region {region.code} is retired; nothing new can be attached to it", field=field)


# --- 行政区划 -------------------------------------------------------------------------------------

def region_create(*, actor, code: str, name: str, parent: Region | None = None,
                  valid_from: dt.date | None = None) -> Region:
    _authorise(actor, perms.can_manage_org_reference)
    code = region_code_normalise(code)
    level = region_level_of(code)
    name = _text(name, field="name", label="区划名称", max_length=100)
    expected_parent = region_parent_code(code)
    with transaction.atomic():
        existing = Region.objects.filter(code=code).first()
        if existing is not None:
            if existing.valid_to is not None:
                # GB/T 2260: a code is never reused; a retired code stays retired.
                raise ValidationFailed(f"区划代码 {code} 已于 {existing.valid_to} 停用，不得重复使用",
                                       f"region code {code} was retired on {existing.valid_to} and cannot be reused",
                                       field="code")
            raise Conflict(f"区划代码 {code} 已存在（{existing.name}）", f"region code {code} already exists",
                           field="code")
        if expected_parent is None:
            if parent is not None:
                raise ValidationFailed("省级区划没有上级区划", "a province has no parent region", field="parent")
        else:
            if parent is None:
                parent = Region.objects.filter(code=expected_parent).first()
                if parent is None:
                    raise ValidationFailed(f"上级区划 {expected_parent} 不存在，请先创建",
                                           f"parent region {expected_parent} does not exist yet", field="parent")
            elif parent.code != expected_parent:
                raise ValidationFailed(f"区划代码 {code} 应隶属于 {expected_parent}，不能挂在 {parent.code} 下",
                                       f"region {code} belongs under {expected_parent}, not {parent.code}",
                                       field="parent")
            parent = _lock(Region, parent)
            _require_current_region(parent, field="parent")
            if valid_from and parent.valid_from and valid_from < parent.valid_from:
                raise ValidationFailed("启用日期不能早于上级区划的启用日期",
                                       "valid_from cannot precede the parent's", field="valid_from")
        try:
            with transaction.atomic():
                region = Region.objects.create(code=code, name=name, level=level, parent=parent,
                                               valid_from=valid_from)
        except IntegrityError:
            raise Conflict(f"区划代码 {code} 已存在", f"region code {code} already exists", field="code") from None
        audit_record(actor=actor, action="org.region.create", obj=region,
                     data={"code": code, "name": name, "level": level, "parent": parent.code if parent else None})
    return region


def region_rename(*, actor, region: Region, name: str) -> Region:
    _authorise(actor, perms.can_manage_org_reference)
    name = _text(name, field="name", label="区划名称", max_length=100)
    with transaction.atomic():
        region = _lock(Region, region)
        _require_current_region(region, field="name")
        if region.name == name:
            return region
        old = region.name
        region.name = name
        region.save(update_fields=["name", "updated_at"])
        audit_record(actor=actor, action="org.region.rename", obj=region, data={"name": [old, name]})
    return region


def region_retire(*, actor, region: Region, valid_to: dt.date | None = None, reason: str = "") -> Region:
    """Retire a code (撤销/变更): it stays in the table so it can never be reused."""
    _authorise(actor, perms.can_manage_org_reference)
    valid_to = valid_to or timezone.localdate()
    reason = _text(reason, field="reason", label="停用原因", max_length=200, required=False)
    with transaction.atomic():
        region = _lock(Region, region)
        if region.valid_to is not None:
            raise Conflict(f"{region} 已于 {region.valid_to} 停用", f"region {region.code} is already retired")
        if region.valid_from and valid_to < region.valid_from:
            raise ValidationFailed("停用日期不能早于启用日期", "valid_to cannot precede valid_from", field="valid_to")
        current_children = region.children.filter(valid_to__isnull=True).count()
        if current_children:
            raise ValidationFailed(f"{region} 还有 {current_children} 个下级区划在用，请先停用或调整下级区划",
                                   f"{current_children} current child regions must be retired first")
        if region.centres.filter(is_active=True).exists() or region.departments.filter(is_active=True).exists():
            raise ValidationFailed(f"{region} 还有启用中的服务中心或部门，请先停用或迁移",
                                   "active centres or departments are still attached to this region")
        region.valid_to = valid_to
        region.save(update_fields=["valid_to", "updated_at"])
        audit_record(actor=actor, action="org.region.retire", obj=region,
                     data={"valid_to": valid_to.isoformat(), "reason": reason})
    return region


# --- 服务中心 --------------------------------------------------------------------------------------

_CENTRE_FIELDS = ("name", "kind", "region", "parent", "address", "opening_hours", "phone", "complaint_phone")


def _check_centre(*, name: str, kind: str, region: Region, parent: ServiceCentre | None,
                  exclude_pk: int | None = None) -> None:
    if kind not in ServiceCentre.Kind.values:
        raise ValidationFailed(f"中心类别无效：{kind}", f"invalid centre kind {kind}", field="kind")
    _require_current_region(region)
    label = ServiceCentre.Kind(kind).label
    if parent is not None:
        if exclude_pk is not None and parent.pk == exclude_pk:
            raise ValidationFailed("上级中心不能是自己", "a centre cannot be its own parent", field="parent")
        if not parent.is_active:
            raise ValidationFailed(f"上级中心 {parent} 已停用", f"parent centre {parent} is inactive", field="parent")
        if parent.kind not in PARENT_KINDS[kind]:
            raise ValidationFailed(f"{label}不能隶属于{parent.get_kind_display()}",
                                   f"a {kind} centre cannot sit under a {parent.kind} centre", field="parent")
    if kind == ServiceCentre.Kind.BRANCH:
        if parent is None:
            raise ValidationFailed("分中心必须指定上级政务服务中心", "a branch needs its parent centre", field="parent")
        if region.pk != parent.region_id:
            raise ValidationFailed("分中心应与上级中心在同一行政区划", "a branch sits in its parent centre's region",
                                   field="region")
    else:
        if region.level != CENTRE_LEVEL[kind]:
            raise ValidationFailed(
                f"{label}应设在{Region.Level(CENTRE_LEVEL[kind]).label}行政区划，{region} 是{region.get_level_display()}",
                f"a {kind} centre belongs in a level-{CENTRE_LEVEL[kind]} region", field="region")
        if parent is not None and not region_descendant_of(region, parent.region):
            raise ValidationFailed(f"上级中心 {parent} 不在 {region.name} 的上级区划",
                                   "the parent centre must be in an enclosing region", field="parent")
        same_kind = ServiceCentre.objects.filter(region=region, kind=kind, is_active=True).exclude(pk=_no_pk(exclude_pk))
        if same_kind.exists():
            raise Conflict(f"{region.name} 已有{label}：{same_kind.first()}",
                           f"{region.code} already has a {kind} centre", field="kind")
    duplicate = ServiceCentre.objects.filter(region=region, name=name, is_active=True).exclude(pk=_no_pk(exclude_pk))
    if duplicate.exists():
        raise Conflict(f"{region.name} 已有同名中心：{name}", f"a centre named {name} already exists here",
                       field="name")


def centre_create(*, actor, name: str, kind: str, region: Region, parent: ServiceCentre | None = None,
                  address: str = "", opening_hours: str = "", phone: str = "",
                  complaint_phone: str = "") -> ServiceCentre:
    _authorise(actor, perms.can_manage_org_reference)
    values: dict[str, Any] = {
        "name": _text(name, field="name", label="中心名称", max_length=100),
        "kind": kind,
        "region": region,
        "parent": parent,
        "address": _text(address, field="address", label="地址", max_length=200, required=False),
        "opening_hours": _text(opening_hours, field="opening_hours", label="办公时间", max_length=200,
                               required=False),
        "phone": _phone(phone, field="phone", label="咨询电话"),
        "complaint_phone": _phone(complaint_phone, field="complaint_phone", label="投诉电话"),
    }
    with transaction.atomic():
        region = _lock(Region, region)
        values["region"] = region
        _check_centre(name=values["name"], kind=kind, region=region, parent=parent)
        centre = ServiceCentre.objects.create(**values)
        audit_record(actor=actor, action="org.centre.create", obj=centre, data=_snapshot(centre, _CENTRE_FIELDS))
    return centre


def centre_update(*, actor, centre: ServiceCentre, **changes) -> ServiceCentre:
    _reject_unknown(changes, set(_CENTRE_FIELDS))
    _authorise(actor, perms.can_manage_org_reference)
    with transaction.atomic():
        centre = _lock(ServiceCentre, centre)
        if not centre.is_active:
            raise ValidationFailed(f"{centre} 已停用，不能修改", f"centre {centre} is inactive")
        before = _snapshot(centre, _CENTRE_FIELDS)
        for field, value in changes.items():
            if field == "name":
                value = _text(value, field="name", label="中心名称", max_length=100)
            elif field in ("phone", "complaint_phone"):
                value = _phone(value, field=field, label="电话")
            elif field in ("address", "opening_hours"):
                value = _text(value, field=field, label="地址或办公时间", max_length=200, required=False)
            setattr(centre, field, value)
        if centre.region_id != before["region"]:
            _require_current_region(centre.region)
        _check_centre(name=centre.name, kind=centre.kind, region=centre.region, parent=centre.parent,
                      exclude_pk=centre.pk)
        if centre.kind != ServiceCentre.Kind.BRANCH and centre.children.filter(
                is_active=True, kind=ServiceCentre.Kind.BRANCH).exclude(region=centre.region).exists():
            raise ValidationFailed("下属分中心须与本中心在同一区划", "branches must stay in the centre's region",
                                   field="region")
        diff = _changes(before, _snapshot(centre, _CENTRE_FIELDS))
        if not diff:
            return centre
        centre.save()
        audit_record(actor=actor, action="org.centre.update", obj=centre, data=diff)
    return centre


def centre_deactivate(*, actor, centre: ServiceCentre, reason: str = "") -> ServiceCentre:
    _authorise(actor, perms.can_manage_org_reference)
    with transaction.atomic():
        centre = _lock(ServiceCentre, centre)
        if not centre.is_active:
            raise Conflict(f"{centre} 已停用", f"centre {centre} is already inactive")
        blockers = []
        if centre.children.filter(is_active=True).exists():
            blockers.append("下级中心")
        if centre.windows.filter(is_active=True).exists():
            blockers.append("窗口")
        if centre.departments.filter(is_active=True).exists():
            blockers.append("进驻部门")
        if centre.posts.filter(is_active=True).exists():
            blockers.append("人员岗位")
        if blockers:
            raise ValidationFailed(f"{centre} 还有启用中的{'、'.join(blockers)}，请先停用或迁移",
                                   "active child centres, windows, departments or posts remain")
        centre.is_active = False
        centre.save(update_fields=["is_active", "updated_at"])
        audit_record(actor=actor, action="org.centre.deactivate", obj=centre, data={"reason": reason})
    return centre


# --- 部门（实施主体） -------------------------------------------------------------------------------

_DEPARTMENT_FIELDS = ("name", "short_name", "uscc", "nature", "region", "centre", "consultation_phone",
                      "complaint_phone", "address")


def _check_department(*, name: str, uscc: str, nature: str, region: Region, centre: ServiceCentre | None,
                      exclude_pk: int | None = None) -> None:
    if nature not in Department.Nature.values:
        raise ValidationFailed(f"实施主体性质无效：{nature}", f"invalid nature {nature}", field="nature")
    _require_current_region(region)
    if centre is not None:
        if not centre.is_active:
            raise ValidationFailed(f"进驻中心 {centre} 已停用", f"centre {centre} is inactive", field="centre")
        if centre.region_id != region.pk and not region_descendant_of(centre.region, region):
            raise ValidationFailed(f"进驻中心 {centre} 不在 {region.name} 辖区内",
                                   "the centre must be within the department's region", field="centre")
    holder = Department.objects.filter(uscc=uscc).exclude(pk=_no_pk(exclude_pk)).first()
    if holder is not None:
        raise Conflict(f"统一社会信用代码 {uscc} 已被 {holder.name} 使用",
                       f"USCC {uscc} already belongs to another department", field="uscc")
    if Department.objects.filter(region=region, name=name, is_active=True).exclude(pk=_no_pk(exclude_pk)).exists():
        raise Conflict(f"{region.name} 已有同名部门：{name}", f"a department named {name} already exists here",
                       field="name")


def department_create(*, actor, name: str, uscc: str, region: Region, centre: ServiceCentre | None = None,
                      nature: str = Department.Nature.STATUTORY, short_name: str = "", consultation_phone: str = "",
                      complaint_phone: str = "", address: str = "") -> Department:
    _authorise(actor, perms.can_manage_org_reference)
    values: dict[str, Any] = {
        "name": _text(name, field="name", label="部门名称", max_length=100),
        "short_name": _text(short_name, field="short_name", label="简称", max_length=50, required=False),
        "uscc": uscc_validate(uscc),
        "nature": nature,
        "region": region,
        "centre": centre,
        "consultation_phone": _phone(consultation_phone, field="consultation_phone", label="咨询电话"),
        "complaint_phone": _phone(complaint_phone, field="complaint_phone", label="监督投诉电话"),
        "address": _text(address, field="address", label="地址", max_length=200, required=False),
    }
    with transaction.atomic():
        values["region"] = _lock(Region, region)
        _check_department(name=values["name"], uscc=values["uscc"], nature=nature, region=values["region"],
                          centre=centre)
        try:
            with transaction.atomic():
                department = Department.objects.create(**values)
        except IntegrityError:
            raise Conflict(f"统一社会信用代码 {values['uscc']} 已被使用", "USCC already in use", field="uscc") from None
        audit_record(actor=actor, action="org.department.create", obj=department,
                     data=_snapshot(department, _DEPARTMENT_FIELDS))
    return department


def department_update(*, actor, department: Department, **changes) -> Department:
    _reject_unknown(changes, set(_DEPARTMENT_FIELDS))
    _authorise(actor, perms.can_manage_org_reference)
    with transaction.atomic():
        department = _lock(Department, department)
        if not department.is_active:
            raise ValidationFailed(f"{department} 已停用，不能修改", f"department {department} is inactive")
        before = _snapshot(department, _DEPARTMENT_FIELDS)
        for field, value in changes.items():
            if field == "uscc":
                value = uscc_validate(value)
            elif field == "name":
                value = _text(value, field="name", label="部门名称", max_length=100)
            elif field == "short_name":
                value = _text(value, field="short_name", label="简称", max_length=50, required=False)
            elif field in ("consultation_phone", "complaint_phone"):
                value = _phone(value, field=field, label="电话")
            elif field == "address":
                value = _text(value, field="address", label="地址", max_length=200, required=False)
            setattr(department, field, value)
        _check_department(name=department.name, uscc=department.uscc, nature=department.nature,
                          region=department.region, centre=department.centre, exclude_pk=department.pk)
        diff = _changes(before, _snapshot(department, _DEPARTMENT_FIELDS))
        if not diff:
            return department
        department.save()
        audit_record(actor=actor, action="org.department.update", obj=department, data=diff)
    return department


def department_deactivate(*, actor, department: Department, reason: str = "") -> Department:
    _authorise(actor, perms.can_manage_org_reference)
    with transaction.atomic():
        department = _lock(Department, department)
        if not department.is_active:
            raise Conflict(f"{department} 已停用", f"department {department} is already inactive")
        if department.windows.filter(is_active=True).exists() or department.posts.filter(is_active=True).exists():
            raise ValidationFailed(f"{department} 还有启用中的窗口或人员岗位，请先停用",
                                   "active windows or posts remain in this department")
        department.is_active = False
        department.save(update_fields=["is_active", "updated_at"])
        audit_record(actor=actor, action="org.department.deactivate", obj=department, data={"reason": reason})
    return department


# --- 窗口 -----------------------------------------------------------------------------------------

_WINDOW_FIELDS = ("number", "name", "department", "is_comprehensive")


def _check_window(*, centre: ServiceCentre, number: str, department: Department | None, is_comprehensive: bool,
                  exclude_pk: int | None = None) -> None:
    if not centre.is_active:
        raise ValidationFailed(f"{centre} 已停用，不能设窗口", f"centre {centre} is inactive", field="centre")
    if is_comprehensive and department is not None:
        raise ValidationFailed("综合窗口不属于单一部门，请不要指定部门", "a comprehensive window has no department",
                               field="department")
    if not is_comprehensive and department is None:
        raise ValidationFailed("部门窗口须指定所属部门，或勾选综合窗口",
                               "a window needs its department unless it is comprehensive", field="department")
    if department is not None:
        if not department.is_active:
            raise ValidationFailed(f"{department} 已停用", f"department {department} is inactive", field="department")
        if centre.region_id != department.region_id and not region_descendant_of(centre.region, department.region):
            raise ValidationFailed(f"{centre} 不在 {department} 的辖区内",
                                   "the centre is outside the department's region", field="department")
    if Window.objects.filter(centre=centre, number=number).exclude(pk=_no_pk(exclude_pk)).exists():
        raise Conflict(f"{centre} 已有 {number} 号窗口", f"window {number} already exists in this centre",
                       field="number")


def window_create(*, actor, centre: ServiceCentre, number: str, name: str, department: Department | None = None,
                  is_comprehensive: bool = False) -> Window:
    _authorise(actor, perms.can_manage_window, centre)
    number = _text(number, field="number", label="窗口号", max_length=20)
    name = _text(name, field="name", label="窗口名称", max_length=100)
    with transaction.atomic():
        centre = _lock(ServiceCentre, centre)
        _check_window(centre=centre, number=number, department=department, is_comprehensive=is_comprehensive)
        try:
            with transaction.atomic():
                window = Window.objects.create(centre=centre, number=number, name=name, department=department,
                                               is_comprehensive=is_comprehensive)
        except IntegrityError:
            raise Conflict(f"{centre} 已有 {number} 号窗口", "window number taken", field="number") from None
        audit_record(actor=actor, action="org.window.create", obj=window,
                     data={"centre": centre.pk, **_snapshot(window, _WINDOW_FIELDS)})
    return window


def window_update(*, actor, window: Window, **changes) -> Window:
    _reject_unknown(changes, set(_WINDOW_FIELDS))
    _authorise(actor, perms.can_manage_window, window)
    with transaction.atomic():
        window = _lock(Window, window)
        if not window.is_active:
            raise ValidationFailed(f"窗口 {window} 已停用，不能修改", f"window {window} is inactive")
        before = _snapshot(window, _WINDOW_FIELDS)
        for field, value in changes.items():
            if field == "number":
                value = _text(value, field="number", label="窗口号", max_length=20)
            elif field == "name":
                value = _text(value, field="name", label="窗口名称", max_length=100)
            setattr(window, field, value)
        _check_window(centre=window.centre, number=window.number, department=window.department,
                      is_comprehensive=window.is_comprehensive, exclude_pk=window.pk)
        if window.department_id != before["department"] and window.department_id is not None:
            stray = window.posts.filter(is_active=True).exclude(department_id=window.department_id)
            if stray.exists():
                raise ValidationFailed("窗口上还有其他部门的人员岗位，请先调整",
                                       "posts of another department are still at this window", field="department")
        diff = _changes(before, _snapshot(window, _WINDOW_FIELDS))
        if not diff:
            return window
        window.save()
        audit_record(actor=actor, action="org.window.update", obj=window, data=diff)
    return window


def window_deactivate(*, actor, window: Window, reason: str = "") -> Window:
    _authorise(actor, perms.can_manage_window, window)
    with transaction.atomic():
        window = _lock(Window, window)
        if not window.is_active:
            raise Conflict(f"窗口 {window} 已停用", f"window {window} is already inactive")
        if window.posts.filter(is_active=True).exists():
            raise ValidationFailed(f"窗口 {window} 还有在岗人员，请先调整岗位", "staff are still posted at this window")
        window.is_active = False
        window.save(update_fields=["is_active", "updated_at"])
        audit_record(actor=actor, action="org.window.deactivate", obj=window, data={"reason": reason})
    return window


# --- 人员岗位 -------------------------------------------------------------------------------------

def _sync_is_staff(user: User) -> None:
    """Admin access (is_staff) is for the three administrators and centre administrators only."""
    needs = bool(user.admin_role) or StaffPost.objects.filter(
        user=user, position=Position.CENTRE_ADMIN, is_active=True).exists()
    if user.is_staff != needs:
        User.objects.filter(pk=user.pk).update(is_staff=needs)
        user.is_staff = needs


def _check_post(*, user: User, position: str, department: Department | None, centre: ServiceCentre | None,
                window: Window | None) -> None:
    if position not in Position.values:
        raise ValidationFailed(f"岗位无效：{position}", f"invalid position {position}", field="position")
    if not user.is_active or user.kind != User.Kind.STAFF:
        raise ValidationFailed(f"{user.username} 不是在用的工作人员账户", "only active staff accounts hold posts",
                               field="user")
    if user.admin_role:
        # 三员分立: an administrator never also handles business.
        raise ValidationFailed(f"{user.username} 是{user.get_admin_role_display()}，三员不得兼任业务岗位",
                               "system, security and audit administrators cannot hold business positions",
                               field="user")
    label = Position(position).label
    if position in BUSINESS_POSITIONS:
        if department is None:
            raise ValidationFailed(f"{label}岗位须指定部门", f"a {position} post needs a department", field="department")
        if centre is not None:
            raise ValidationFailed(f"{label}岗位属于部门，不指定中心", f"a {position} post belongs to a department",
                                   field="centre")
        if not department.is_active:
            raise ValidationFailed(f"{department} 已停用", f"department {department} is inactive", field="department")
    else:
        if centre is None:
            raise ValidationFailed(f"{label}岗位须指定服务中心", f"a {position} post needs a centre", field="centre")
        if department is not None:
            raise ValidationFailed(f"{label}岗位属于中心，不指定部门", f"a {position} post belongs to a centre",
                                   field="department")
        if not centre.is_active:
            raise ValidationFailed(f"{centre} 已停用", f"centre {centre} is inactive", field="centre")
    if window is not None:
        if position not in WINDOW_POSITIONS:
            raise ValidationFailed(f"{label}不在窗口办公，不能指定窗口", f"a {position} post has no window",
                                   field="window")
        if not window.is_active:
            raise ValidationFailed(f"窗口 {window} 已停用", f"window {window} is inactive", field="window")
        if window.department_id is not None and (department is None or window.department_id != department.pk):
            raise ValidationFailed(f"窗口 {window} 属于{window.department}，不属于{department}",
                                   "the window belongs to another department", field="window")


def _post_repr(post: StaffPost) -> str:
    # Usernames, not real names: the audit log is exported and personal names stay out of it.
    unit = post.department or post.centre
    return f"{post.user.username} · {post.get_position_display()} · {unit}"[:200]


def staff_post_create(*, actor, user: User, position: str, department: Department | None = None,
                      centre: ServiceCentre | None = None, window: Window | None = None) -> StaffPost:
    """Assign a position. A previously ended identical post is reactivated rather than duplicated."""
    probe = StaffPost(user=user, position=position, department=department, centre=centre, window=window)
    _authorise(actor, perms.can_assign_post, probe)
    if not _is_system(actor) and position in CENTRE_POSITIONS and not is_secadmin.test(actor):
        raise PermissionDenied("监察员和中心管理员岗位只能由安全管理员分配",
                               "only the security administrator assigns supervisor and centre admin posts")
    with transaction.atomic():
        user = _lock(User, user)
        _check_post(user=user, position=position, department=department, centre=centre, window=window)
        existing = StaffPost.objects.select_for_update().filter(
            user=user, position=position, department=department, centre=centre).first()
        if existing is not None and existing.is_active:
            raise Conflict(f"{user.username} 已有该岗位", "the user already holds this post", field="position")
        if existing is not None:
            existing.is_active = True
            existing.window = window
            existing.save(update_fields=["is_active", "window", "updated_at"])
            post, action = existing, "org.staff_post.reactivate"
        else:
            post = StaffPost.objects.create(user=user, position=position, department=department, centre=centre,
                                            window=window)
            action = "org.staff_post.create"
        _sync_is_staff(user)
        audit_record(actor=actor, action=action, obj=post, object_repr=_post_repr(post),
                     data={"user": user.pk, "username": user.username, "position": position,
                           "department": _plain(department), "centre": _plain(centre), "window": _plain(window)})
    return post


def staff_post_update(*, actor, post: StaffPost, window: Window | None) -> StaffPost:
    """Move a front-line post to another window (or off any window)."""
    _authorise(actor, perms.can_assign_post, post)
    with transaction.atomic():
        post = _lock(StaffPost, post)
        if not post.is_active:
            raise ValidationFailed("该岗位已撤销，不能修改", "the post has ended")
        if window is not None:
            _authorise(actor, perms.can_assign_post, StaffPost(user=post.user, position=post.position,
                                                               department=post.department, window=window))
        _check_post(user=post.user, position=post.position, department=post.department, centre=post.centre,
                    window=window)
        if post.window_id == (window.pk if window else None):
            return post
        old = post.window_id
        post.window = window
        post.save(update_fields=["window", "updated_at"])
        audit_record(actor=actor, action="org.staff_post.update", obj=post, object_repr=_post_repr(post),
                     data={"window": [old, _plain(window)]})
    return post


def staff_post_deactivate(*, actor, post: StaffPost, reason: str = "") -> StaffPost:
    _authorise(actor, perms.can_assign_post, post)
    if not _is_system(actor) and post.position in CENTRE_POSITIONS and not is_secadmin.test(actor):
        raise PermissionDenied("监察员和中心管理员岗位只能由安全管理员撤销",
                               "only the security administrator ends supervisor and centre admin posts")
    with transaction.atomic():
        post = _lock(StaffPost, post)
        if not post.is_active:
            raise Conflict("该岗位已撤销", "the post has already ended")
        post.is_active = False
        post.save(update_fields=["is_active", "updated_at"])
        _sync_is_staff(post.user)
        audit_record(actor=actor, action="org.staff_post.deactivate", obj=post, object_repr=_post_repr(post),
                     data={"user": post.user_id, "position": post.position, "reason": reason})
    return post


# --- AB岗 and absences ----------------------------------------------------------------------------

def backup_post_create(*, actor, primary: StaffPost, backup: StaffPost) -> BackupPost:
    """B covers A when A's holder is absent; both posts work for the same department (or centre)."""
    _authorise(actor, perms.can_manage_backup_post, BackupPost(primary=primary, backup=backup))
    with transaction.atomic():
        primary, backup = _lock(StaffPost, primary), _lock(StaffPost, backup)
        if not primary.is_active or not backup.is_active:
            raise ValidationFailed("A岗和B岗都须为在岗岗位", "both posts must be active", field="backup")
        if primary.user_id == backup.user_id:
            raise ValidationFailed("A岗和B岗不能是同一人", "A and B must be different people", field="backup")
        if (primary.department_id, primary.centre_id) != (backup.department_id, backup.centre_id):
            raise ValidationFailed("A岗和B岗须属于同一部门（或同一中心）",
                                   "A and B posts must belong to the same department or centre", field="backup")
        if BackupPost.objects.filter(primary=primary, backup=backup).exists():
            raise Conflict("该AB岗已存在", "this backup pairing already exists", field="backup")
        pair = BackupPost.objects.create(primary=primary, backup=backup)
        audit_record(actor=actor, action="org.backup_post.create", obj=pair,
                     object_repr=f"A:{_post_repr(primary)} / B:{_post_repr(backup)}"[:200],
                     data={"primary": primary.pk, "backup": backup.pk})
    return pair


def backup_post_delete(*, actor, backup_post: BackupPost) -> None:
    _authorise(actor, perms.can_manage_backup_post, backup_post)
    with transaction.atomic():
        pair = BackupPost.objects.select_for_update().filter(pk=backup_post.pk).first()
        if pair is None:
            raise Conflict("该AB岗已删除", "the pairing no longer exists")
        data = {"primary": pair.primary_id, "backup": pair.backup_id}
        audit_record(actor=actor, action="org.backup_post.delete", object_type="org.backuppost",
                     object_id=str(pair.pk),
                     object_repr=f"A:{_post_repr(pair.primary)} / B:{_post_repr(pair.backup)}"[:200], data=data)
        pair.delete()


def absence_create(*, actor, user: User, starts_on: dt.date, ends_on: dt.date, reason: str) -> Absence:
    """Mark a staff member absent; from starts_on to ends_on (inclusive) their B岗 acts for them."""
    _authorise(actor, perms.can_record_absence, user)
    reason = _text(reason, field="reason", label="事由", max_length=200)
    if starts_on is None or ends_on is None:
        raise ValidationFailed("请填写开始和结束日期", "both dates are required", field="starts_on")
    if ends_on < starts_on:
        raise ValidationFailed("结束日期不能早于开始日期", "ends_on cannot precede starts_on", field="ends_on")
    with transaction.atomic():
        user = _lock(User, user)
        if not user.is_active or user.kind != User.Kind.STAFF:
            raise ValidationFailed(f"{user.username} 不是在用的工作人员账户", "only active staff can be absent",
                                   field="user")
        overlap = Absence.objects.filter(user=user, starts_on__lte=ends_on, ends_on__gte=starts_on).first()
        if overlap is not None:
            raise Conflict(f"与已登记的缺岗 {overlap.starts_on}–{overlap.ends_on} 重叠",
                           "overlaps an absence already recorded", field="starts_on")
        absence = Absence.objects.create(user=user, starts_on=starts_on, ends_on=ends_on, reason=reason)
        audit_record(actor=actor, action="org.absence.create", obj=absence,
                     object_repr=f"{user.username} {starts_on}–{ends_on}",
                     data={"user": user.pk, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()})
    return absence


def absence_cancel(*, actor, absence: Absence) -> None:
    _authorise(actor, perms.can_record_absence, absence)
    with transaction.atomic():
        row = Absence.objects.select_for_update().filter(pk=absence.pk).first()
        if row is None:
            raise Conflict("该缺岗登记已取消", "the absence no longer exists")
        audit_record(actor=actor, action="org.absence.cancel", object_type="org.absence", object_id=str(row.pk),
                     object_repr=f"{row.user.username} {row.starts_on}–{row.ends_on}",
                     data={"user": row.user_id, "starts_on": row.starts_on.isoformat(),
                           "ends_on": row.ends_on.isoformat()})
        row.delete()


# --- 区划代码导入 ---------------------------------------------------------------------------------

@dataclass
class RegionImportResult:
    created: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    unchanged: int = 0


def region_import(*, actor, rows: list[tuple[int, str, str]], dry_run: bool = False) -> RegionImportResult:
    """Load a code list (民政部 县级以上 list or 国家统计局 统计用区划代码): (line, code, name) rows.

    All or nothing: every row is checked, and if any fails nothing is written and the error lists
    each failing line. Parents come before children whatever the file's order; a current code
    with a new name is renamed; retired codes are refused (codes are never reused).
    """
    _authorise(actor, perms.can_manage_org_reference)
    result = RegionImportResult()
    problems: list[dict] = []
    seen: dict[str, int] = {}
    parsed = []
    for line, raw_code, raw_name in rows:
        code = region_code_normalise(raw_code)
        try:
            region_level_of(code)
        except ValidationFailed as exc:
            problems.append({"line": line, "code": raw_code, "message": exc.message_zh})
            continue
        if code in seen:
            problems.append({"line": line, "code": code, "message": f"与第 {seen[code]} 行重复"})
            continue
        seen[code] = line
        parsed.append((len(code), code, line, (raw_name or "").strip()))
    with transaction.atomic():
        for _length, code, line, name in sorted(parsed):
            try:
                with transaction.atomic():
                    existing = Region.objects.filter(code=code).first()
                    if existing is None:
                        region_create(actor=actor, code=code, name=name)
                        result.created.append(code)
                    elif existing.valid_to is None and existing.name != name:
                        region_rename(actor=actor, region=existing, name=name)
                        result.renamed.append(code)
                    elif existing.valid_to is not None:
                        raise ValidationFailed(f"区划代码 {code} 已停用，不得重复使用", "retired code")
                    else:
                        result.unchanged += 1
            except ValidationFailed as exc:
                problems.append({"line": line, "code": code, "message": exc.message_zh})
        if problems:
            problems.sort(key=lambda p: p["line"])
            first = problems[0]
            raise ValidationFailed(
                f"导入失败，共 {len(problems)} 行有误，未写入任何数据；第 {first['line']} 行：{first['message']}",
                f"import refused: {len(problems)} bad rows, nothing written", details=problems)
        if dry_run:
            transaction.set_rollback(True)
    return result
