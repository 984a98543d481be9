"""Read endpoints of the organisation, mounted at /api/v1/org.

Regions, centres, departments and windows are public reference data (published on the portal);
`/me/scope` tells a signed-in staff member their own posts and department scope for the day.
"""

# No `from __future__ import annotations`: django-ninja reads the annotations at runtime.
import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema
from ninja.security import django_auth

from zhengwu.core.errors import ValidationFailed
from zhengwu.org import selectors
from zhengwu.org.models import Region, ServiceCentre

router = Router(tags=["组织机构"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    level_label: str
    parent_code: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class RegionNode(Schema):
    code: str
    name: str
    level: int
    retired: bool
    children: list["RegionNode"]


RegionNode.model_rebuild()


class WindowOut(Schema):
    id: int
    number: str
    name: str
    department_id: int | None = None
    is_comprehensive: bool


class DepartmentOut(Schema):
    id: int
    name: str
    short_name: str
    uscc: str
    region_code: str
    centre_id: int | None = None
    consultation_phone: str
    complaint_phone: str


class CentreOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    region_code: str
    parent_id: int | None = None
    address: str
    opening_hours: str
    phone: str
    complaint_phone: str


class CentreDetailOut(CentreOut):
    departments: list[DepartmentOut]
    windows: list[WindowOut]


class PostOut(Schema):
    position: str
    position_label: str
    department_id: int | None = None
    centre_id: int | None = None
    window_id: int | None = None
    acting_for: str | None = None


class ScopeOut(Schema):
    date: dt.date
    posts: list[PostOut]
    departments: list[DepartmentOut]


def _region(region: Region) -> dict:
    return {"code": region.code, "name": region.name, "level": region.level, "level_label": region.get_level_display(),
            "parent_code": region.parent.code if region.parent else None, "valid_from": region.valid_from,
            "valid_to": region.valid_to}


def _department(dept) -> dict:
    return {"id": dept.pk, "name": dept.name, "short_name": dept.short_name, "uscc": dept.uscc,
            "region_code": dept.region.code, "centre_id": dept.centre_id,
            "consultation_phone": dept.consultation_phone, "complaint_phone": dept.complaint_phone}


def _centre(centre: ServiceCentre) -> dict:
    return {"id": centre.pk, "name": centre.name, "kind": centre.kind, "kind_label": centre.get_kind_display(),
            "region_code": centre.region.code, "parent_id": centre.parent_id, "address": centre.address,
            "opening_hours": centre.opening_hours, "phone": centre.phone, "complaint_phone": centre.complaint_phone}


def _known_region(code: str | None) -> Region | None:
    if not code:
        return None
    region = selectors.region_get(code)
    if region is None:
        raise ValidationFailed(f"区划代码 {code} 不存在", f"unknown region code {code}", field="region")
    return region


@router.get("/regions", response=list[RegionOut], summary="行政区划列表")
def regions(request: HttpRequest, parent: str | None = None, level: int | None = None,
            include_retired: bool = False):
    rows = selectors.region_list(parent=_known_region(parent), level=level, include_retired=include_retired)
    return [_region(r) for r in rows.select_related("parent")]


@router.get("/regions/tree", response=list[RegionNode], summary="行政区划树")
def region_tree(request: HttpRequest, root: str | None = None, include_retired: bool = False):
    return selectors.region_tree(_known_region(root), include_retired=include_retired)


@router.get("/regions/{code}", response=RegionOut, summary="行政区划")
def region(request: HttpRequest, code: str):
    return _region(get_object_or_404(Region.objects.select_related("parent"), code=code))


@router.get("/centres", response=list[CentreOut], summary="服务中心列表")
def centres(request: HttpRequest, region: str | None = None, kind: str | None = None):
    if kind and kind not in ServiceCentre.Kind.values:
        raise ValidationFailed(f"中心类别无效：{kind}", f"invalid centre kind {kind}", field="kind")
    return [_centre(c) for c in selectors.centre_list(region=_known_region(region), kind=kind)]


@router.get("/centres/{centre_id}", response=CentreDetailOut, summary="服务中心（含进驻部门与窗口）")
def centre(request: HttpRequest, centre_id: int):
    found = get_object_or_404(ServiceCentre.objects.select_related("region"), pk=centre_id, is_active=True)
    body = _centre(found)
    body["departments"] = [_department(d) for d in selectors.department_list(centre=found)]
    body["windows"] = [{"id": w.pk, "number": w.number, "name": w.name, "department_id": w.department_id,
                        "is_comprehensive": w.is_comprehensive} for w in selectors.window_list(centre=found)]
    return body


@router.get("/departments", response=list[DepartmentOut], summary="部门（实施主体）列表")
def departments(request: HttpRequest, centre: int | None = None, region: str | None = None):
    found = get_object_or_404(ServiceCentre, pk=centre) if centre else None
    return [_department(d) for d in selectors.department_list(centre=found, region=_known_region(region))]


@router.get("/me/scope", response=ScopeOut, auth=django_auth, summary="我的岗位与部门范围（含 AB 岗代岗）")
def my_scope(request: HttpRequest, on: dt.date | None = None):
    user = request.user
    day = on or timezone.localdate()
    posts = [{"position": p.position, "position_label": p.get_position_display(), "department_id": p.department_id,
              "centre_id": p.centre_id, "window_id": p.window_id, "acting_for": None}
             for p in selectors.posts_of(user)]
    posts += [{"position": p.position, "position_label": p.get_position_display(), "department_id": p.department_id,
               "centre_id": p.centre_id, "window_id": p.window_id, "acting_for": p.user.username}
              for p in selectors.acting_for(user, day)]
    depts = selectors.departments_of(user, day).select_related("region")
    return {"date": day, "posts": posts, "departments": [_department(d) for d in depts]}
