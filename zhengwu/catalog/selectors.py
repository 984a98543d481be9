"""Every catalog read that users see: public search and guides, published changes, 流程再造 figures.

The public sees published items only. The portal's search box and `GET /api/v1/items` both call
`item_search`, so they give the same answers.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from zhengwu.catalog.codes import CaseKind, OnlineDepth, ThemeKind
from zhengwu.catalog.limits import CompressionSuggestion, compression_suggestion, to_working_days
from zhengwu.catalog.models import ProcessStep, ServiceItem, ServiceItemVersion, Theme
from zhengwu.catalog.search import query_tokens
from zhengwu.catalog.spec import ELEMENT_FIELDS, spec_from_version
from zhengwu.core.errors import NotFound
from zhengwu.org.models import Department

ItemStatus = ServiceItem.Status
VersionStatus = ServiceItemVersion.Status

_VERSION_CHILDREN = ("materials", "steps", "fees", "special_procedures", "faqs", "themes")


def _published() -> QuerySet[ServiceItem]:
    return (ServiceItem.objects.filter(status=ItemStatus.PUBLISHED, current_version__isnull=False)
            .select_related("current_version", "department"))


def item_search(*, q: str | None = None, department: int | Department | None = None,
                exercise_level: str | None = None, item_type: str | None = None, theme: str | None = None,
                life_event: str | None = None, online: bool | None = None,
                service_object: str | None = None) -> QuerySet[ServiceItem]:
    """Published items matching every given filter.

    `q`: each whitespace-separated term must occur in the name, its full pinyin or its pinyin
    initials (`yyzz` → 营业执照, `shipin` → 食品). `online=True`: 全程网办 (网办深度 Ⅳ) only.
    Items whose name starts with the first term come first, then other name matches, then
    pinyin matches; ties by basic code, so the order is the same on every database.
    """
    qs = _published()
    tokens = query_tokens(q)
    for token in tokens:
        qs = qs.filter(_token_filter(token))
    if department:
        qs = qs.filter(department=department)
    if exercise_level:
        qs = qs.filter(current_version__exercise_level=exercise_level)
    if item_type:
        qs = qs.filter(current_version__item_type=item_type)
    if theme:
        qs = qs.filter(current_version__themes__code=theme)
    if life_event:
        qs = qs.filter(current_version__themes__code=life_event,
                       current_version__themes__kind=ThemeKind.LIFE_EVENT)
    if online:
        qs = qs.filter(current_version__online_depth=OnlineDepth.FULLY_ONLINE)
    if service_object:
        # JSON list of codes; a quoted substring match is portable across SQLite and PostgreSQL.
        qs = qs.filter(current_version__service_objects__icontains=f'"{service_object}"')
    if tokens:
        first = tokens[0]
        qs = qs.annotate(rank=Case(
            When(current_version__name__startswith=first, then=Value(0)),
            When(current_version__name__contains=first, then=Value(1)),
            When(search_text__contains=first, then=Value(2)),
            default=Value(3), output_field=IntegerField(),
        )).order_by("rank", "basic_code")
    else:
        qs = qs.order_by("basic_code")
    return qs


def _token_filter(token: str) -> Q:
    """A term matches its exact text or pinyin; a Chinese term of 2+ characters also matches a name
    holding its characters in order, so 食品经营许可 finds 食品（含保健食品）经营许可核发 — citizens
    rarely type the official name with its brackets."""
    match = Q(search_text__contains=token)
    if len(token) >= 2 and all("\u4e00" <= ch <= "\u9fff" for ch in token):
        match |= Q(current_version__name__regex=".*".join(re.escape(ch) for ch in token))
    return match


def items_by_department(department: int | Department) -> QuerySet[ServiceItem]:
    return item_search(department=department)


def items_by_theme(code: str) -> QuerySet[ServiceItem]:
    return item_search(theme=code)


def items_by_life_event(code: str) -> QuerySet[ServiceItem]:
    return item_search(life_event=code)


def theme_list(*, kind: str | None = None, audience: str | None = None) -> QuerySet[Theme]:
    qs = Theme.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    if audience:
        qs = qs.filter(audience=audience)
    return qs


def _version_prefetch(prefix: str) -> list[Any]:
    return [f"{prefix}{name}" for name in _VERSION_CHILDREN]


def item_get_published(code: str, *, include_suspended: bool = False) -> ServiceItem:
    """One public item by basic code (12) or implementation code (31), with every child row loaded.

    A suspended item keeps its guide visible when asked (the portal shows "暂停办理").
    """
    statuses = [ItemStatus.PUBLISHED, ItemStatus.SUSPENDED] if include_suspended else [ItemStatus.PUBLISHED]
    code = (code or "").strip().upper()
    qs = (ServiceItem.objects.filter(status__in=statuses, current_version__isnull=False)
          .filter(Q(basic_code=code) | Q(current_version__implementation_code=code))
          .select_related("current_version", "department")
          .prefetch_related(*_version_prefetch("current_version__"),
                            Prefetch("windows", queryset=_windows_qs())))
    item = qs.first()
    if item is None:
        raise NotFound(f"未找到事项 {code}", f"item {code} not found")
    return item


def _windows_qs():
    from zhengwu.org.models import Window

    return Window.objects.filter(is_active=True).select_related("centre").order_by("centre_id", "number")


def item_spec(item: ServiceItem) -> dict[str, Any]:
    """All elements of the item's current version (see spec.py)."""
    if item.current_version is None:
        raise NotFound("事项没有已发布的版本", "the item has no published version")
    return spec_from_version(item.current_version)


def item_versions(item: ServiceItem) -> QuerySet[ServiceItemVersion]:
    return item.versions.order_by("number")


# ---------------------------------------------------------------- published changes


@dataclass
class PublishedChange:
    version: ServiceItemVersion
    item: ServiceItem
    previous_number: int | None
    changed: list[str]


def _labels(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    labels = {f.name: str(f.verbose_name) for f in ELEMENT_FIELDS}
    labels.update({"materials": "申请材料", "steps": "办理环节", "fees": "收费项目", "special_procedures": "特别程序",
                   "faqs": "常见问题", "themes": "服务主题"})
    return [labels[k] for k in after if before.get(k) != after[k] and k in labels]


def published_changes(*, since=None, until=None, department: int | Department | None = None,
                      departments: QuerySet[Department] | None = None, limit: int = 200) -> list[PublishedChange]:
    """Every publication of a version, newest first, with the elements changed from the version before."""
    qs = (ServiceItemVersion.objects.filter(published_at__isnull=False)
          .select_related("item", "item__department").order_by("-published_at", "-pk"))
    if since:
        qs = qs.filter(published_at__gte=since)
    if until:
        qs = qs.filter(published_at__lt=until)
    if department:
        qs = qs.filter(item__department=department)
    if departments is not None:
        qs = qs.filter(item__department__in=departments)
    versions = list(qs.prefetch_related(*_VERSION_CHILDREN)[:limit])
    previous = {
        (p.item_id, p.number): p
        for p in ServiceItemVersion.objects.filter(item_id__in={v.item_id for v in versions}, published_at__isnull=False)
        .prefetch_related(*_VERSION_CHILDREN)
    }
    result = []
    for v in versions:
        earlier = [n for (i, n) in previous if i == v.item_id and n < v.number]
        prev = previous[(v.item_id, max(earlier))] if earlier else None
        changed = ["新增事项"] if prev is None else _labels(spec_from_version(prev), spec_from_version(v))
        result.append(PublishedChange(version=v, item=v.item, previous_number=prev.number if prev else None,
                                      changed=changed))
    return result


# ---------------------------------------------------------------- 流程再造 figures


def _q(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class ItemReengineering:
    item: ServiceItem
    version: ServiceItemVersion
    baseline: ServiceItemVersion
    legal_wd: Decimal
    promised_wd: Decimal
    compressed_wd: Decimal
    ratio: Decimal | None
    steps_removed: list[str]
    materials_removed: list[str]
    days_cut_since_baseline: Decimal
    suggestion: CompressionSuggestion | None

    @property
    def immediate(self) -> bool:
        return self.version.case_kind == CaseKind.IMMEDIATE


@dataclass
class Totals:
    label: str
    items: int = 0
    limited_items: int = 0
    legal_wd: Decimal = Decimal(0)
    promised_wd: Decimal = Decimal(0)
    compressed_wd: Decimal = Decimal(0)
    immediate: int = 0
    zero_visits: int = 0
    fully_online: int = 0
    steps_removed: int = 0
    materials_removed: int = 0
    rows: list[ItemReengineering] = field(default_factory=list)

    @property
    def ratio(self) -> Decimal | None:
        """Share of the statutory time cut by the promises (Σ legal − promised) / Σ legal."""
        if not self.legal_wd:
            return None
        return (self.compressed_wd / self.legal_wd * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def add(self, row: ItemReengineering) -> None:
        self.items += 1
        self.rows.append(row)
        if row.legal_wd:
            self.limited_items += 1
            self.legal_wd += row.legal_wd
            self.promised_wd += row.promised_wd
            self.compressed_wd += row.compressed_wd
        self.immediate += row.immediate
        self.zero_visits += row.version.onsite_visits == 0
        self.fully_online += row.version.online_depth == OnlineDepth.FULLY_ONLINE
        self.steps_removed += len(row.steps_removed)
        self.materials_removed += len(row.materials_removed)


def _item_row(item: ServiceItem, versions: list[ServiceItemVersion]) -> ItemReengineering:
    current = item.current
    published = sorted((v for v in versions if v.published_at is not None), key=lambda v: v.number)
    baseline = published[0] if published else current
    legal = to_working_days(current.legal_limit_value, current.legal_limit_unit)
    promised = to_working_days(current.promised_limit_value, current.promised_limit_unit)
    # Items without a statutory limit (行政检查, 税收保全 …) have nothing to compress against.
    compressed = max(legal - promised, Decimal(0)) if legal else Decimal(0)
    base_steps = [s.name for s in baseline.steps.all()]
    cur_steps = {s.name for s in current.steps.all()}
    base_materials = [m.name for m in baseline.materials.all()]
    cur_materials = {m.name for m in current.materials.all()}
    base_promised = to_working_days(baseline.promised_limit_value, baseline.promised_limit_unit)
    return ItemReengineering(
        item=item, version=current, baseline=baseline, legal_wd=legal, promised_wd=promised,
        compressed_wd=_q(compressed), ratio=_q(compressed / legal * 100) if legal else None,
        steps_removed=[n for n in base_steps if n not in cur_steps],
        materials_removed=[n for n in base_materials if n not in cur_materials],
        days_cut_since_baseline=_q(base_promised - promised),
        suggestion=compression_suggestion(legal_value=current.legal_limit_value, legal_unit=current.legal_limit_unit,
                                          promised_value=current.promised_limit_value,
                                          promised_unit=current.promised_limit_unit),
    )


@dataclass
class ReengineeringReport:
    total: Totals
    by_department: list[Totals]
    by_centre: list[Totals]


def reengineering_report(*, departments: QuerySet[Department] | None = None) -> ReengineeringReport:
    """流程再造 figures of published items: promised vs legal limits, working days compressed,
    steps and materials removed since each item's first published version, and the suggestion
    of the seeds' compression rule. `departments` scopes the report (None = all)."""
    items = _published().select_related("department__centre").prefetch_related(
        "current_version__steps", "current_version__materials",
        Prefetch("versions", queryset=ServiceItemVersion.objects.filter(published_at__isnull=False)
                 .prefetch_related("steps", "materials")),
    )
    if departments is not None:
        items = items.filter(department__in=departments)
    total = Totals("合计")
    by_dept: dict[int, Totals] = {}
    by_centre: dict[int | None, Totals] = defaultdict(lambda: Totals("未进驻中心"))
    for item in items.order_by("department__name", "basic_code"):
        row = _item_row(item, list(item.versions.all()))
        total.add(row)
        dept = item.department
        by_dept.setdefault(dept.pk, Totals(dept.name)).add(row)
        centre = dept.centre
        bucket = by_centre[centre.pk if centre else None]
        if centre:
            bucket.label = centre.name
        bucket.add(row)
    return ReengineeringReport(total=total, by_department=list(by_dept.values()),
                               by_centre=sorted(by_centre.values(), key=lambda t: t.label))


def items_for_export(*, departments: QuerySet[Department] | None = None) -> list[ServiceItem]:
    """Every item (any status) with what the export writes, in basic-code order."""
    qs = (ServiceItem.objects.select_related("department", "current_version")
          .prefetch_related(*_version_prefetch("current_version__"), "windows")
          .order_by("basic_code"))
    if departments is not None:
        qs = qs.filter(department__in=departments)
    return list(qs)


def catalog_overview(*, departments: QuerySet[Department] | None = None) -> dict[str, Any]:
    """Item counts by status and the number of open drafts, for the staff start page."""
    from django.db.models import Count

    items = ServiceItem.objects.all()
    if departments is not None:
        items = items.filter(department__in=departments)
    counts = dict(items.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {
        "by_status": [(label, counts.get(value, 0)) for value, label in ItemStatus.choices],
        "drafts": ServiceItemVersion.objects.filter(item__in=items, status=VersionStatus.DRAFT).count(),
        "total": sum(counts.values()),
    }


# ------------------------------------------------------------------------------------------------
# Published versions, kept per process

_FROZEN: OrderedDict[int, ServiceItemVersion] = OrderedDict()
_FROZEN_MAX = 2048
_FROZEN_LOCK = threading.Lock()


def version_frozen(pk: int) -> ServiceItemVersion:
    """A 实施清单 version with its materials, process steps and special procedures loaded.

    A version out of draft is a legal record whose content never changes
    (`ServiceItemVersion.save` refuses; only its bookkeeping — status and effective dates — moves),
    so every case service can take it from this per-process cache instead of joining the wide
    version row on each call. Callers read its content only, never `status` or the effective dates,
    which may be stale here. A draft is read fresh each time and not kept. `version_frozen_clear`
    empties the cache (tests whose rolled-back ids come back with other content)."""
    with _FROZEN_LOCK:
        hit = _FROZEN.get(pk)
        if hit is not None:
            _FROZEN.move_to_end(pk)
            return hit
    version = (ServiceItemVersion.objects
               .prefetch_related(Prefetch("steps", queryset=ProcessStep.objects.order_by("order", "id")),
                                 "materials", "special_procedures")
               .get(pk=pk))
    if version.status != ServiceItemVersion.Status.DRAFT:
        with _FROZEN_LOCK:
            _FROZEN[pk] = version
            while len(_FROZEN) > _FROZEN_MAX:
                _FROZEN.popitem(last=False)
    return version


def version_frozen_clear() -> None:
    with _FROZEN_LOCK:
        _FROZEN.clear()
