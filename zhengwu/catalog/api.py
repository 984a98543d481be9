"""Public REST endpoints of the catalog, mounted at /api/v1/items.

Both endpoints are anonymous and read published items only, through the same selectors the
portal uses.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at runtime.
from datetime import date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from zhengwu.catalog import selectors
from zhengwu.catalog.codes import (
    CaseKind,
    ExerciseLevel,
    HandlingForm,
    HandlingScope,
    ImplementerNature,
    ItemType,
    LimitUnit,
    OnlineDepth,
    PowerSource,
    ResultType,
    ServiceObject,
    SystemLevel,
)
from zhengwu.catalog.limits import format_limit
from zhengwu.catalog.models import ServiceItem
from zhengwu.catalog.spec import ELEMENT_NAMES, spec_from_version
from zhengwu.org.models import Position

router = Router(tags=["事项"])


class Coded(Schema):
    code: str
    label: str


class Limit(Schema):
    value: int
    unit: str
    unit_label: str
    note: str = ""
    text: str


class DepartmentOut(Schema):
    id: int
    name: str


class ItemOut(Schema):
    basic_code: str
    implementation_code: str
    name: str
    department: DepartmentOut
    item_type: Coded
    exercise_level: Coded
    case_kind: Coded
    legal_limit: Limit
    promised_limit: Limit
    online_depth: Coded
    fully_online: bool
    onsite_visits: int
    fee_required: bool
    version: int


class ItemDetailOut(ItemOut):
    status: str
    effective_from: str | None
    elements: dict[str, Any] = Field(description="实施清单全部要素（字段名同 Excel 导出）")
    labels: dict[str, Any] = Field(description="各代码要素的中文名称")
    materials: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    fees: list[dict[str, Any]]
    special_procedures: list[dict[str, Any]]
    faqs: list[dict[str, Any]]
    themes: list[Coded]
    windows: list[dict[str, Any]]


class ItemFilter(Schema):
    q: str | None = Field(None, max_length=100, description="事项名称、全拼或拼音首字母，如 yyzz、shipin")
    department: int | None = None
    item_type: str | None = Field(None, max_length=2)
    level: str | None = Field(None, max_length=1, description="行使层级 A.2")
    theme: str | None = Field(None, max_length=40)
    life_event: str | None = Field(None, max_length=40)
    service_object: str | None = Field(None, max_length=1)
    online: bool | None = Field(None, description="1 = 只看全程网办（Ⅳ级）")


def _coded(enum, value) -> dict[str, str]:
    try:
        return {"code": str(value), "label": str(enum(value).label)}
    except ValueError:
        return {"code": str(value), "label": ""}


def _limit(value: int, unit: str, note: str = "") -> dict[str, Any]:
    return {"value": value, "unit": unit, "unit_label": str(LimitUnit(unit).label), "note": note,
            "text": format_limit(value, unit)}


def item_summary(item: ServiceItem) -> dict[str, Any]:
    v = item.current
    return {
        "basic_code": item.basic_code,
        "implementation_code": v.implementation_code,
        "name": v.name,
        "department": {"id": item.department_id, "name": item.department.name},
        "item_type": _coded(ItemType, v.item_type),
        "exercise_level": _coded(ExerciseLevel, v.exercise_level),
        "case_kind": _coded(CaseKind, v.case_kind),
        "legal_limit": _limit(v.legal_limit_value, v.legal_limit_unit, v.legal_limit_note),
        "promised_limit": _limit(v.promised_limit_value, v.promised_limit_unit, v.promised_limit_note),
        "online_depth": _coded(OnlineDepth, v.online_depth),
        "fully_online": v.online_depth == OnlineDepth.FULLY_ONLINE,
        "onsite_visits": v.onsite_visits,
        "fee_required": v.fee_required,
        "version": v.number,
    }


def _file_url(name: str) -> str:
    from django.core.files.storage import default_storage

    return default_storage.url(name) if name else ""


def item_detail(item: ServiceItem) -> dict[str, Any]:
    """Every element of the current version, its child rows and the windows that serve it."""
    v = item.current
    spec = spec_from_version(v)
    elements = {k: spec[k] for k in ELEMENT_NAMES}
    elements["result_sample"] = _file_url(elements["result_sample"])
    labels = {
        "item_type": ItemType(v.item_type).label,
        "exercise_level": ExerciseLevel(v.exercise_level).label,
        "power_source": PowerSource(v.power_source).label,
        "implementer_nature": ImplementerNature(v.implementer_nature).label,
        "case_kind": CaseKind(v.case_kind).label,
        "result_type": ResultType(v.result_type).label,
        "handling_scope": HandlingScope(v.handling_scope).label,
        "online_depth": OnlineDepth(v.online_depth).label,
        "system_level": SystemLevel(v.system_level).label if v.system_level else "",
        "service_objects": [ServiceObject(c).label for c in v.service_objects],
        "handling_forms": [HandlingForm(c).label for c in v.handling_forms],
    }
    materials = []
    for m in spec["materials"]:
        materials.append({**m, "blank_form": _file_url(m["blank_form"]), "sample_file": _file_url(m["sample_file"])})
    steps = [{**s, "role_label": Position(s["role"]).label} for s in spec["steps"]]
    themes = [{"code": t.code, "label": t.name} for t in v.themes.all()]
    windows = [{"id": w.pk, "number": w.number, "name": w.name, "centre": w.centre.name,
                "address": w.centre.address} for w in item.windows.all()]
    return {
        **item_summary(item),
        "status": item.status,
        "effective_from": v.effective_from.isoformat() if v.effective_from else None,
        "elements": elements,
        "labels": labels,
        "materials": materials,
        "steps": steps,
        "fees": spec["fees"],
        "special_procedures": spec["special_procedures"],
        "faqs": spec["faqs"],
        "themes": themes,
        "windows": windows,
    }


class ItemPagination(PageNumberPagination):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=20, max_page_size=100, **kwargs)


@router.get("", response=list[ItemOut], summary="检索已发布事项")
@paginate(ItemPagination)
def list_items(request: HttpRequest, filters: Query[ItemFilter]):
    qs = selectors.item_search(q=filters.q, department=filters.department, item_type=filters.item_type,
                               exercise_level=filters.level, theme=filters.theme, life_event=filters.life_event,
                               online=filters.online, service_object=filters.service_object)
    return _SummaryList(qs)


class _SummaryList:
    """A sliceable, countable view that turns the page of items into summaries."""

    def __init__(self, qs) -> None:
        self.qs = qs

    def __getitem__(self, key):
        return [item_summary(i) for i in self.qs[key]]

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()


class ChangeOut(Schema):
    basic_code: str
    name: str
    department: str
    version: int
    previous_version: int | None
    published_at: str
    effective_from: str | None
    effective_to: str | None
    change_note: str
    changed: list[str]


class ChangeFilter(Schema):
    since: date | None = Field(None, description="发布日期起（含）")
    until: date | None = Field(None, description="发布日期止（含）")


@router.get("/changes", response=list[ChangeOut], summary="事项变更公告（已发布版本，最新在前，最多 200 条）")
def list_changes(request: HttpRequest, filters: Query[ChangeFilter]):
    def start(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time.min))

    rows = selectors.published_changes(
        since=start(filters.since) if filters.since else None,
        until=start(filters.until + timedelta(days=1)) if filters.until else None,
    )
    return [{
        "basic_code": r.item.basic_code, "name": r.version.name, "department": r.item.department.name,
        "version": r.version.number, "previous_version": r.previous_number,
        "published_at": r.version.published_at.isoformat() if r.version.published_at else "",
        "effective_from": r.version.effective_from.isoformat() if r.version.effective_from else None,
        "effective_to": r.version.effective_to.isoformat() if r.version.effective_to else None,
        "change_note": r.version.change_note, "changed": r.changed,
    } for r in rows]


@router.get("/{code}", response=ItemDetailOut, summary="事项办事指南（全部要素）")
def get_item(request: HttpRequest, code: str):
    return item_detail(selectors.item_get_published(code))
