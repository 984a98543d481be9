"""Reads behind the public portal. Everything here is public data: active centres and windows,
published catalog items only. Anything else is a 404 (NotFound)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from pypinyin import lazy_pinyin

from zhengwu.catalog import selectors as catalog_selectors
from zhengwu.catalog.codes import (
    POWER_ITEM_TYPES,
    HandlingForm,
    ServiceObject,
    ThemeAudience,
    ThemeKind,
)
from zhengwu.catalog.models import MaterialRequirement, ServiceItem, ServiceItemVersion, Theme
from zhengwu.core.errors import NotFound
from zhengwu.org.models import Department, ServiceCentre, StaffPost, Window
from zhengwu.portal.models import GuideViewDay

# Order in which centres are listed: the main hall first, then down the levels.
CENTRE_KIND_ORDER = [
    ServiceCentre.Kind.CITY,
    ServiceCentre.Kind.COUNTY,
    ServiceCentre.Kind.BRANCH,
    ServiceCentre.Kind.TOWNSHIP,
    ServiceCentre.Kind.VILLAGE,
]


@dataclass(frozen=True)
class CentreGroup:
    kind: str
    label: str
    centres: list[ServiceCentre]


# Public reference data (the site's centre, guide pages) kept per process for a short while: a guide
# page is nine SELECTs and the site's centre one more on every public page, and these rows change
# a few times a year. A write to the catalog or org tables in this process drops everything
# (zhengwu/portal/apps.py connects the signals); other processes see it within the cache's seconds
# (settings.ZHENGWU_PUBLIC_CACHE_SECONDS, 300 by default, 0 = off; off in test mode, where every
# test's rolled-back rows would otherwise outlive it). A guide entry is also checked against its
# item's row on every use, so a new version, a suspension or a withdrawal shows at once everywhere.
_PUBLIC_CACHE_MAX = 2000
_public_cache: dict[Any, tuple[float, Any, Any]] = {}
_public_cache_lock = threading.Lock()


def public_cache_clear(**_signal_kwargs) -> None:
    with _public_cache_lock:
        _public_cache.clear()


def _public_cache_seconds() -> float:
    return float(getattr(settings, "ZHENGWU_PUBLIC_CACHE_SECONDS", 0 if settings.ZHENGWU_ENV == "test" else 300))


def _cached(key, stamp, build):
    seconds = _public_cache_seconds()
    if seconds <= 0:
        return build()
    now = time.monotonic()
    hit = _public_cache.get(key)
    if hit is not None and hit[0] > now and hit[1] == stamp:
        return hit[2]
    value = build()
    with _public_cache_lock:
        if len(_public_cache) >= _PUBLIC_CACHE_MAX:
            _public_cache.clear()
        _public_cache[key] = (now + seconds, stamp, value)
    return value


def site_centre_get() -> ServiceCentre | None:
    """The hall the site speaks for: the top-level active city or county centre, if any."""
    return _cached("site_centre", None, _site_centre_load)


def _site_centre_load() -> ServiceCentre | None:
    for kind in (ServiceCentre.Kind.COUNTY, ServiceCentre.Kind.CITY):
        centre = (
            ServiceCentre.objects.filter(kind=kind, is_active=True, parent__isnull=True)
            .select_related("region")
            .order_by("id")
            .first()
        )
        if centre is not None:
            return centre
    return None


def site_name_for(centre: ServiceCentre | None) -> str:
    if centre is None:
        return "政务服务网"
    return f"{centre.region.name}政务服务网"


def centre_groups_public() -> list[CentreGroup]:
    centres = list(
        ServiceCentre.objects.filter(is_active=True).select_related("region", "parent").order_by("region__code", "id")
    )
    groups = []
    for kind in CENTRE_KIND_ORDER:
        members = [c for c in centres if c.kind == kind]
        if members:
            groups.append(CentreGroup(kind=kind, label=ServiceCentre.Kind(kind).label, centres=members))
    return groups


@dataclass(frozen=True)
class WindowEntry:
    window: Window
    items: list


@dataclass(frozen=True)
class CentrePage:
    centre: ServiceCentre
    windows: list[WindowEntry]
    children: list[ServiceCentre]
    departments: list[Department]


@dataclass(frozen=True)
class HomePage:
    popular: list[ServiceItem]
    popular_by_views: bool
    people_events: list[ThemeEntry]
    enterprise_events: list[ThemeEntry]
    people_topics: list[ThemeEntry]
    enterprise_topics: list[ThemeEntry]
    departments: list[Department]
    centre_groups: list[CentreGroup]
    online_count: int


POPULAR_COUNT = 8
POPULAR_WINDOW_DAYS = 30


def popular_items(*, limit: int = POPULAR_COUNT) -> tuple[list[ServiceItem], bool]:
    """The most viewed guides of the last 30 days; topped up with the newest items while there are
    fewer viewed ones (a new site has no views). The flag says whether any views were counted."""
    since = timezone.localdate() - timedelta(days=POPULAR_WINDOW_DAYS)
    ranked = (
        GuideViewDay.objects.filter(day__gte=since, item__in=published_items())
        .values("item_id").annotate(total=Sum("views")).order_by("-total", "item_id")[:limit]
    )
    ids = [row["item_id"] for row in ranked]
    by_id = published_items().in_bulk(ids)
    items = [by_id[i] for i in ids if i in by_id]
    if len(items) < limit:
        newest = published_items().exclude(pk__in=ids).order_by("-first_published_at", "basic_code")
        items.extend(newest[: limit - len(items)])
    return items, bool(ids)


def home_public() -> HomePage:
    popular, by_views = popular_items()
    themes = Theme.objects.all()
    natural, legal = ThemeAudience.NATURAL_PERSON, ThemeAudience.LEGAL_PERSON
    event, topic = ThemeKind.LIFE_EVENT, ThemeKind.TOPIC

    def with_items(qs):
        return [e for e in _theme_entries(qs) if e.count]

    return HomePage(
        popular=popular,
        popular_by_views=by_views,
        people_events=with_items(themes.filter(audience=natural, kind=event)),
        enterprise_events=with_items(themes.filter(audience=legal, kind=event)),
        people_topics=with_items(themes.filter(audience=natural, kind=topic)),
        enterprise_topics=with_items(themes.filter(audience=legal, kind=topic)),
        departments=departments_by_pinyin(d for d in department_list_public() if getattr(d, "item_count", 0)),
        centre_groups=centre_groups_public(),
        online_count=catalog_selectors.item_search(online=True).count(),
    )


def centre_page_public(*, centre_id: int) -> CentrePage:
    centre = centre_get_public(centre_id=centre_id)
    active_windows = list(_active_windows().filter(centre=centre).select_related("department"))
    links = list(ServiceItem.windows.through.objects.filter(
        window_id__in=[w.pk for w in active_windows], serviceitem__in=published_items()
    ).values_list("window_id", "serviceitem_id"))
    items = {i.pk: i for i in published_items().filter(pk__in={item_id for _, item_id in links})}
    by_window: dict[int, list[ServiceItem]] = {}
    for window_id, item_id in links:
        by_window.setdefault(window_id, []).append(items[item_id])
    for served in by_window.values():
        served.sort(key=lambda i: i.current_version.name if i.current_version else "")
    windows = [WindowEntry(window=w, items=by_window.get(w.pk, [])) for w in active_windows]
    departments = list(Department.objects.filter(centre=centre, is_active=True).order_by("name"))
    children = list(ServiceCentre.objects.filter(parent=centre, is_active=True).order_by("region__code", "id"))
    return CentrePage(centre=centre, windows=windows, children=children, departments=departments)


def staff_posts_of(*, user) -> QuerySet[StaffPost]:
    return (
        StaffPost.objects.filter(user=user, is_active=True)
        .select_related("department", "centre", "window")
        .order_by("position")
    )


def centre_get_public(*, centre_id: int) -> ServiceCentre:
    centre = ServiceCentre.objects.filter(pk=centre_id, is_active=True).select_related("region", "parent").first()
    if centre is None:
        raise NotFound("服务中心不存在或已停用", "service centre not found")
    return centre


def _active_windows() -> QuerySet[Window]:
    return Window.objects.filter(is_active=True).order_by("number")


def departments_by_pinyin(departments) -> list[Department]:
    """Chinese readers look names up in pinyin order (拼音排序), not by code point."""
    return sorted(departments, key=lambda d: (lazy_pinyin(d.name), d.pk))


def department_list_public() -> QuerySet[Department]:
    """Active departments with the number of their published items as `item_count`."""
    published = Q(service_items__status=ServiceItem.Status.PUBLISHED,
                  service_items__current_version__status=ServiceItemVersion.Status.PUBLISHED)
    return (
        Department.objects.filter(is_active=True)
        .select_related("centre")
        .annotate(item_count=Count("service_items", filter=published, distinct=True))
        .order_by("name")
    )


# ---- published catalog items -------------------------------------------------------------------
# The portal only ever shows an item whose status is published and whose current version is the
# published one; a suspended or cancelled item is a 404 like an unknown code.


def published_items() -> QuerySet[ServiceItem]:
    return (
        ServiceItem.objects.filter(
            status=ServiceItem.Status.PUBLISHED,
            current_version__status=ServiceItemVersion.Status.PUBLISHED,
        )
        .select_related("current_version", "department")
        .order_by("current_version__name", "basic_code")
    )


AUDIENCES = {
    # URL slug → (ThemeAudience, service-object codes of GB/T 39046 A.4, page title)
    "people": (ThemeAudience.NATURAL_PERSON, {ServiceObject.NATURAL_PERSON.value}, "个人办事"),
    "enterprise": (
        ThemeAudience.LEGAL_PERSON,
        {ServiceObject.ENTERPRISE.value, ServiceObject.PUBLIC_INSTITUTION.value,
         ServiceObject.SOCIAL_ORGANISATION.value, ServiceObject.OTHER_ORGANISATION.value},
        "法人办事",
    ),
}


@dataclass(frozen=True)
class ThemeEntry:
    theme: Theme
    count: int


def _theme_entries(themes: QuerySet[Theme]) -> list[ThemeEntry]:
    published = Q(versions__status=ServiceItemVersion.Status.PUBLISHED,
                  versions__item__status=ServiceItem.Status.PUBLISHED)
    annotated = themes.annotate(n=Count("versions", filter=published, distinct=True))
    return [ThemeEntry(theme=t, count=t.n) for t in annotated]


@dataclass(frozen=True)
class AudiencePage:
    slug: str
    title: str
    topics: list[ThemeEntry]
    life_events: list[ThemeEntry]
    items: list[ServiceItem]


def audience_page_public(*, slug: str) -> AudiencePage:
    if slug not in AUDIENCES:
        raise NotFound("栏目不存在", "no such audience")
    audience, object_codes, title = AUDIENCES[slug]
    themes = Theme.objects.filter(audience=audience)
    # service_objects is a short JSON list; filtering it in Python keeps one behaviour on SQLite
    # (no JSON containment lookup) and PostgreSQL. A county catalog has a few hundred items.
    items = [i for i in published_items()
             if i.current_version and object_codes & set(i.current_version.service_objects or [])]
    return AudiencePage(
        slug=slug,
        title=title,
        topics=_theme_entries(themes.filter(kind=ThemeKind.TOPIC)),
        life_events=_theme_entries(themes.filter(kind=ThemeKind.LIFE_EVENT)),
        items=items,
    )


@dataclass(frozen=True)
class LifeEventsPage:
    people: list[ThemeEntry]
    enterprise: list[ThemeEntry]


def life_events_public() -> LifeEventsPage:
    events = Theme.objects.filter(kind=ThemeKind.LIFE_EVENT)
    return LifeEventsPage(
        people=_theme_entries(events.filter(audience=ThemeAudience.NATURAL_PERSON)),
        enterprise=_theme_entries(events.filter(audience=ThemeAudience.LEGAL_PERSON)),
    )


def theme_get_public(*, code: str) -> Theme:
    theme = Theme.objects.filter(code=code).first()
    if theme is None:
        raise NotFound("主题不存在", "no such theme")
    return theme


def theme_items_public(*, theme: Theme) -> QuerySet[ServiceItem]:
    return catalog_selectors.items_by_theme(theme.code)


def department_get_public(*, department_id: int) -> Department:
    department = Department.objects.filter(pk=department_id, is_active=True).select_related("centre").first()
    if department is None:
        raise NotFound("部门不存在", "no such department")
    return department


def department_items_public(*, department: Department) -> QuerySet[ServiceItem]:
    return catalog_selectors.items_by_department(department)


def online_items_public() -> QuerySet[ServiceItem]:
    return catalog_selectors.item_search(online=True)


@dataclass(frozen=True)
class ServingWindow:
    window: Window
    centre: ServiceCentre


@dataclass(frozen=True)
class GuidePage:
    item: ServiceItem
    version: ServiceItemVersion
    windows: list[ServingWindow]
    service_objects: list[str]
    handling_forms: list[str]
    is_power_item: bool
    # What is rendered from this page alone (the guide's body, the same for every visitor), kept with
    # it: dropped with the page whenever the page is (a new stamp, a catalog or org write, the
    # cache's seconds), and never kept when the cache is off (a new page every request).
    rendered: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def guide_get_public(*, basic_code: str) -> GuidePage:
    """A published or suspended item's guide (a suspended one says so); anything else is NotFound."""
    stamp = _guide_stamp(basic_code)
    if stamp is None:
        return _guide_load(basic_code)  # raises the NotFound
    return _cached(("guide", basic_code), stamp, lambda: _guide_load(basic_code))


_GUIDE_CODE_SLOT = "\x00basic_code"
_guide_stamp_sql: dict[str, tuple[str, tuple[Any, ...]]] = {}


def _guide_stamp(basic_code: str) -> tuple[Any, ...] | None:
    """The item's row as far as a guide page depends on it, or None when it has no public guide."""
    # Compiled once per process and database, as the progress query is (cases.selectors): building
    # this SELECT through the ORM cost more CPU than the rest of a cached guide page's data.
    alias = router.db_for_read(ServiceItem)
    compiled = _guide_stamp_sql.get(alias)
    if compiled is None:
        query = (ServiceItem.objects.filter(basic_code=_GUIDE_CODE_SLOT, current_version__isnull=False,
                                            status__in=[ServiceItem.Status.PUBLISHED, ServiceItem.Status.SUSPENDED])
                 .order_by("pk")
                 .values_list("pk", "status", "updated_at", "current_version_id", "current_version__updated_at")[:1])
        compiled = _guide_stamp_sql[alias] = query.query.get_compiler(using=alias).as_sql()
    sql, params = compiled
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [basic_code if p == _GUIDE_CODE_SLOT else p for p in params])
        return cursor.fetchone()


def _guide_load(basic_code: str) -> GuidePage:
    item = catalog_selectors.item_get_published(basic_code, include_suspended=True)
    if item.basic_code != basic_code:
        # item_get_published also answers to the 31-character implementation code; the guide has one URL.
        raise NotFound("事项不存在或未发布", "service item not found or not published")
    version = item.current_version
    if version is None:
        raise NotFound("事项没有已发布的版本", "the item has no published version")
    windows = [ServingWindow(window=w, centre=w.centre) for w in item.windows.all() if w.centre.is_active]
    return GuidePage(
        item=item,
        version=version,
        windows=windows,
        service_objects=_labels(ServiceObject, version.service_objects),
        handling_forms=_labels(HandlingForm, version.handling_forms),
        is_power_item=version.item_type in POWER_ITEM_TYPES,
    )


def _labels(choices, codes) -> list[str]:
    labels = dict(choices.choices)
    return [labels.get(str(code), str(code)) for code in codes or []]


def material_get_public(*, basic_code: str, material_id: int) -> MaterialRequirement:
    item = guide_get_public(basic_code=basic_code).item
    material = MaterialRequirement.objects.filter(pk=material_id, version_id=item.current_version_id).first()
    if material is None:
        raise NotFound("材料不存在", "material not found")
    return material


def search_public(*, q: str = "", department: Department | None = None, item_type: str = "",
                  service_object: str = "", online: bool = False) -> QuerySet[ServiceItem]:
    """The portal's search box: the catalog's `item_search`, the same query as GET /api/v1/items."""
    return catalog_selectors.item_search(q=q or None, department=department, item_type=item_type or None,
                                         service_object=service_object or None, online=online or None)


@dataclass(frozen=True)
class GuideIndex:
    total: int
    online: int
    departments: int
    people: int
    enterprise: int
    life_events: int


def guide_index_public() -> GuideIndex:
    events = ThemeKind.LIFE_EVENT
    return GuideIndex(
        total=catalog_selectors.item_search().count(),
        online=catalog_selectors.item_search(online=True).count(),
        departments=sum(1 for d in department_list_public() if getattr(d, "item_count", 0)),
        people=len(audience_page_public(slug="people").items),
        enterprise=len(audience_page_public(slug="enterprise").items),
        life_events=sum(1 for e in _theme_entries(Theme.objects.filter(kind=events)) if e.count),
    )
