"""The permission matrix (issue 5, 等保 8.1.4.2 访问控制): every URL pattern of the project and every
REST operation × every persona → the expected answer class.

A pattern or operation without an entry fails `test_every_endpoint_has_an_entry`, so a new endpoint
has to be added here with its expected answers. Matrix requests are GETs (a POST-only view answers
405 to everyone); unsafe methods are checked separately: anonymous and the outsider never succeed.

Answer classes: ok (2xx/3xx other than a login redirect), login (redirect to a login page), 401,
403, 404, 405, 400.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from zhengwu.api.api import api

PERSONAS = ("anonymous", "applicant", "clerk", "reviewer", "chief_representative", "section_head", "leader",
            "supervisor", "centre_admin", "sysadmin", "secadmin", "auditadmin", "outsider")
STAFF = ("clerk", "reviewer", "chief_representative", "section_head", "leader", "supervisor", "centre_admin")
MARKET = ("clerk", "reviewer", "chief_representative", "section_head", "leader")  # the case's department
ADMINS = ("sysadmin", "secadmin", "auditadmin")
ADMIN_SITE_STAFF = ("centre_admin", *ADMINS)  # is_staff: may open /admin/

OK, LOGIN, E400, E401, E403, E404, E405 = "ok", "login", "400", "401", "403", "404", "405"
LOGIN_URLS = ("/accounts/login/", "/cases/signin/", "/admin/login/")


def row(default: str, **overrides: str) -> dict[str, str]:
    """One persona → answer mapping: a default plus the personas that differ."""
    unknown = set(overrides) - set(PERSONAS)
    assert not unknown, f"unknown personas {unknown}"
    return {persona: overrides.get(persona, default) for persona in PERSONAS}


def only(allowed: tuple[str, ...], answer: str, *, anonymous: str = LOGIN, otherwise: str = E404) -> dict[str, str]:
    """Allowed personas get `answer`, anonymous `anonymous`, every other persona `otherwise`."""
    return {p: (answer if p in allowed else anonymous if p == "anonymous" else otherwise) for p in PERSONAS}


PUBLIC = row(OK)
POST_ONLY = row(E405)
LOGGED_IN = row(OK, anonymous=LOGIN)
STAFF_PAGE = row(OK, anonymous=LOGIN, applicant=E403)
POST_ONLY_LOGIN = row(E405, anonymous=LOGIN)
PUBLIC_FORM = row(E405)
NOT_ADMINS = dict.fromkeys(("applicant", "centre_admin", *ADMINS), E404)
SUPERVISION_WIDE = row(OK, anonymous=LOGIN, **NOT_ADMINS)  # outsider sees its own department
SUPERVISION_MARKET = only((*MARKET, "supervisor"), OK)

# --- Django URL patterns, grouped by app (route as Django prints it) -------------------------------

PAGES: dict[str, dict[str, str]] = {
    # core
    "healthz": PUBLIC,
    # django-ninja's own pages (the operations are in OPERATIONS below)
    "api/v1/openapi.json": PUBLIC,
    "api/v1/docs": PUBLIC,
    "api/v1/": row(E404),
    "i18n/setlang/": PUBLIC,  # Django's set_language: redirects back
    # accounts: 三员分立 — only the audit administrator reads and exports the audit log
    "accounts/login/": PUBLIC,
    "accounts/logout/": POST_ONLY,
    "accounts/password/": LOGGED_IN,
    "accounts/otp/": LOGGED_IN,
    "accounts/otp/setup/": LOGGED_IN,
    "accounts/audit/": only(("auditadmin",), OK, otherwise=E403),
    "accounts/audit/export.csv": only(("auditadmin",), OK, otherwise=E403),
    # workcalendar
    "calendar/deadline/": STAFF_PAGE,
    # catalog (staff pages)
    "catalog/": STAFF_PAGE,
    "catalog/reengineering/": STAFF_PAGE,
    "catalog/changes/": STAFF_PAGE,
    "catalog/excel/": only(("centre_admin", "sysadmin"), OK, otherwise=E403),
    "catalog/excel/export.xlsx": only(("centre_admin", "sysadmin"), OK, otherwise=E403),
    "catalog/items/<str:code>/flowchart.svg": PUBLIC,
    # licences: public verification of an 电子证照
    "licences/verify/<str:identifier>/": PUBLIC,
    # supervision: staff see their own department's figures; the supervision office sees the centre
    "supervision/": SUPERVISION_WIDE,
    "supervision/departments/<int:department_id>/": SUPERVISION_MARKET,
    "supervision/departments/<int:department_id>/cards/": POST_ONLY_LOGIN,
    "supervision/windows/<int:window_id>/": SUPERVISION_MARKET,
    "supervision/bulletin/": SUPERVISION_WIDE,
    "supervision/bulletin.<str:fmt_name>": SUPERVISION_WIDE,
    "supervision/screen/": SUPERVISION_WIDE,
    "supervision/records/": LOGGED_IN,  # a scoped list: see test_scoped_lists_show_only_own_work
    "supervision/orders/": LOGGED_IN,
    "supervision/orders/new/": POST_ONLY_LOGIN,
    "supervision/rules/<str:code>/toggle/": POST_ONLY_LOGIN,
    "supervision/orders/<int:order_id>/": SUPERVISION_MARKET,
    "supervision/orders/<int:order_id>/<slug:action>/": POST_ONLY_LOGIN,
    "supervision/departments/<int:department_id>/accountability/": POST_ONLY_LOGIN,
    "supervision/departments/<int:department_id>/cards/<int:card_id>/<slug:action>/": POST_ONLY_LOGIN,
    "supervision/ratings/": SUPERVISION_WIDE,  # a scoped list, like the records
    "supervision/ratings/<int:rating_id>/": SUPERVISION_MARKET,
    "supervision/thresholds/": SUPERVISION_WIDE,  # read by staff; only supervisors save
    "supervision/thresholds/save/": POST_ONLY_LOGIN,
    # cases: applicants
    "cases/signup/": PUBLIC,
    "cases/signin/": PUBLIC,
    "cases/apply/<str:basic_code>/": only(("applicant",), OK),
    "cases/my/": row(OK, anonymous=LOGIN, **dict.fromkeys(ADMINS, E404)),
    "cases/my/<str:case_no>/": only(("applicant",), OK),
    "cases/my/<str:case_no>/upload/": POST_ONLY,
    "cases/my/<str:case_no>/correction/": POST_ONLY,
    "cases/my/<str:case_no>/withdraw/": POST_ONLY,
    "cases/my/<str:case_no>/rate/": POST_ONLY,
    "cases/<str:case_no>/documents/<slug:kind>/": only(("applicant", *MARKET, "supervisor"), OK),
    "cases/<str:case_no>/materials/<int:material_id>/": only(("applicant", *MARKET, "supervisor"), OK),
    "cases/progress/": PUBLIC,
    "hall/screen/": PUBLIC,
    # cases: staff workbench
    "work/": row(OK, anonymous=LOGIN, applicant=E404, **dict.fromkeys(ADMINS, E404)),
    "work/register/": only(("clerk", "chief_representative"), OK),  # staff posted at a window
    "work/<str:case_no>/": only((*MARKET, "supervisor"), OK),
    "work/<str:case_no>/id-number/": POST_ONLY,  # 查看完整证件号: test_id_number_view holds the POST answers
    "work/<str:case_no>/<slug:action>/": POST_ONLY,
    # portal: public pages
    "": PUBLIC,
    "elder-mode/": PUBLIC_FORM,  # the 长辈版 switch: a form anyone may post
    "accessibility/": PUBLIC,
    "guide/": PUBLIC,
    "guide/search": PUBLIC,
    "guide/departments/": PUBLIC,
    "guide/departments/<int:department_id>/": PUBLIC,
    "guide/for/<slug:audience>/": PUBLIC,
    "guide/life-events/": PUBLIC,
    "guide/themes/<slug:code>/": PUBLIC,
    "guide/online/": PUBLIC,
    "guide/<str:basic_code>/": PUBLIC,
    "guide/<str:basic_code>/result-sample/": row(E404),  # the test item has no result sample
    "guide/<str:basic_code>/materials/<int:material_id>/<slug:kind>/": row(E404),  # nor a blank form
    "hall/": PUBLIC,
    "hall/<int:centre_id>/": PUBLIC,
    "staff/": LOGGED_IN,
    # admin site: its index for every persona; every other admin pattern by the ADMIN_SITE rule
    "admin/": row(LOGIN, **dict.fromkeys(ADMIN_SITE_STAFF, OK)),
    "admin/login/": PUBLIC,
    "admin/logout/": row(OK, **dict.fromkeys(ADMIN_SITE_STAFF, E405)),  # non-staff: redirected away
}
# Every other pattern under admin/: anonymous and non-staff personas are sent to the admin login.
ADMIN_SITE = {p: LOGIN for p in PERSONAS if p not in ADMIN_SITE_STAFF}

# --- REST operations (method path as in the OpenAPI schema) ----------------------------------------

API_PUBLIC = row(OK)
API_LOGGED_IN = row(OK, anonymous=E401)
API_WRITE = "unsafe"  # unsafe methods: see test_unsafe_operations_refuse_anonymous_and_outsider

OPERATIONS: dict[str, dict[str, str] | str] = {
    # calendar
    "GET /api/v1/calendar/deadline": API_PUBLIC,
    "GET /api/v1/calendar/working-days": API_PUBLIC,
    "GET /api/v1/calendar/years": API_PUBLIC,
    "GET /api/v1/calendar/years/{year}": API_PUBLIC,
    "GET /api/v1/calendar/months/{year}/{month}": API_PUBLIC,
    # org
    "GET /api/v1/org/regions": API_PUBLIC,
    "GET /api/v1/org/regions/tree": API_PUBLIC,
    "GET /api/v1/org/regions/{code}": API_PUBLIC,
    "GET /api/v1/org/centres": API_PUBLIC,
    "GET /api/v1/org/centres/{centre_id}": API_PUBLIC,
    "GET /api/v1/org/departments": API_PUBLIC,
    "GET /api/v1/org/me/scope": API_LOGGED_IN,
    # catalog
    "GET /api/v1/items": API_PUBLIC,
    "GET /api/v1/items/changes": API_PUBLIC,
    "GET /api/v1/items/{code}": API_PUBLIC,
    # licences
    "GET /api/v1/licences/verify/{identifier}": API_PUBLIC,
    # cases
    "GET /api/v1/cases/progress": API_PUBLIC,
    "GET /api/v1/cases": API_LOGGED_IN,
    # A read by POST, so an ID number travels in the body (cases/tests/test_search_privacy.py).
    "POST /api/v1/cases/search": API_LOGGED_IN,
    "GET /api/v1/cases/{case_no}": only(("applicant", *MARKET, "supervisor"), OK, anonymous=E401),
    "POST /api/v1/cases": API_WRITE,
    "POST /api/v1/cases/walk-in": API_WRITE,
    "POST /api/v1/cases/{case_no}/id-numbers": API_WRITE,  # answers per persona: cases/tests/test_id_number_view
    "POST /api/v1/cases/{case_no}/accept": API_WRITE,
    "POST /api/v1/cases/{case_no}/reject": API_WRITE,
    "POST /api/v1/cases/{case_no}/correction-notice": API_WRITE,
    "POST /api/v1/cases/{case_no}/correction": API_WRITE,
    "POST /api/v1/cases/{case_no}/materials": API_WRITE,
    "POST /api/v1/cases/{case_no}/steps/pass": API_WRITE,
    "POST /api/v1/cases/{case_no}/steps/return": API_WRITE,
    "POST /api/v1/cases/{case_no}/special-procedures": API_WRITE,
    "POST /api/v1/cases/{case_no}/special-procedures/end": API_WRITE,
    "POST /api/v1/cases/{case_no}/extension": API_WRITE,
    "POST /api/v1/cases/{case_no}/extension-requests": API_WRITE,
    "POST /api/v1/cases/{case_no}/extension-requests/approve": API_WRITE,
    "POST /api/v1/cases/{case_no}/extension-requests/refuse": API_WRITE,
    "POST /api/v1/cases/{case_no}/decision": API_WRITE,
    "POST /api/v1/cases/{case_no}/certificate": API_WRITE,
    "POST /api/v1/cases/{case_no}/delivery": API_WRITE,
    "POST /api/v1/cases/{case_no}/delivery/confirm": API_WRITE,
    "POST /api/v1/cases/{case_no}/withdraw": API_WRITE,
    "POST /api/v1/cases/{case_no}/terminate": API_WRITE,
    "POST /api/v1/cases/{case_no}/rating": API_WRITE,
    "POST /api/v1/cases/{case_no}/fee-notices": API_WRITE,
    "POST /api/v1/cases/{case_no}/fee-notices/{notice_no}/void": API_WRITE,
    "POST /api/v1/cases/{case_no}/payments": API_WRITE,
    # notify
    "GET /api/v1/notices": API_LOGGED_IN,
    "POST /api/v1/notices/{notice_id}/read": API_WRITE,
    # supervision
    "GET /api/v1/supervision/records": API_LOGGED_IN,
    "GET /api/v1/supervision/rules": API_LOGGED_IN,
    "PATCH /api/v1/supervision/rules/{code}": API_WRITE,
    "POST /api/v1/supervision/rules/run": API_WRITE,
    "GET /api/v1/supervision/orders": API_LOGGED_IN,
    "POST /api/v1/supervision/orders": API_WRITE,
    "POST /api/v1/supervision/orders/{order_id}/reply": API_WRITE,
    "GET /api/v1/supervision/bulletin/{month}": API_LOGGED_IN,
    "GET /api/v1/supervision/thresholds": row(OK, anonymous=E401, **NOT_ADMINS),
    "PUT /api/v1/supervision/thresholds/{item_type}/{clock_kind}": API_WRITE,
    "DELETE /api/v1/supervision/thresholds/{item_type}/{clock_kind}": API_WRITE,
    "GET /api/v1/supervision/ratings": API_LOGGED_IN,
    "POST /api/v1/supervision/ratings/{rating_id}/follow-ups": API_WRITE,
    "POST /api/v1/supervision/cards/{card_id}/appeal": API_WRITE,
    "POST /api/v1/supervision/cards/{card_id}/ruling": API_WRITE,
    "POST /api/v1/supervision/cards/{card_id}/revoke": API_WRITE,
}

# Cases in the matrix that show a real bug: (route or operation, persona) → the bug, file:line.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


# --- enumeration -------------------------------------------------------------------------------------

def django_routes() -> Iterator[tuple[str, str]]:
    """(route, namespaced name) of every URL pattern, resolvers walked recursively."""
    def walk(patterns, prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern),
                                pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else (pattern.name or "")
                yield prefix + str(pattern.pattern), name
    yield from walk(get_resolver().url_patterns, "", "")


@functools.cache
def api_operations() -> tuple[tuple[str, str, dict], ...]:
    schema = api.get_openapi_schema()
    return tuple((method.upper(), path, operation) for path, item in schema["paths"].items()
                 for method, operation in item.items() if method in ("get", "post", "put", "patch", "delete"))


def _is_operation_route(route: str) -> bool:
    """Django patterns generated by ninja for operations (checked in OPERATIONS, not PAGES)."""
    if not route.startswith("api/v1/") or route in ("api/v1/openapi.json", "api/v1/docs", "api/v1/"):
        return False
    templated = "/" + re.sub(r"<(\w+)>", r"{\1}", route)
    return any(path == templated for _, path, _ in api_operations())


@functools.cache
def page_routes() -> tuple[str, ...]:
    return tuple(route for route, _ in django_routes() if not _is_operation_route(route))


def entry_for(route: str) -> dict[str, str]:
    if route in PAGES:
        return PAGES[route]
    if route.startswith("admin/"):
        return ADMIN_SITE
    raise KeyError(route)


# --- filling path parameters with real objects -------------------------------------------------------

def _values(world) -> dict[str, str]:
    from zhengwu.cases.models import CaseMaterial

    material = CaseMaterial.objects.filter(case=world.case).order_by("pk").first()
    requirement = world.item.current_version.materials.order_by("pk").first()
    return {
        "basic_code": world.item.basic_code,
        "case_no": world.case.case_no,
        "kind": "acceptance",
        "material_id": str(material.pk if material else 0),
        "department_id": str(world.department.pk),
        "centre_id": str(world.centre.pk),
        "window_id": str(world.window.pk),
        "order_id": str(world.order.pk),
        "card_id": str(world.card.pk),
        "rating_id": str(world.rating.pk),
        "item_type": "01",
        "clock_kind": "case.promised",
        "identifier": world.certificate.identifier,
        "audience": "people",
        "code": world.theme.code,
        "action": "accept",
        "fmt_name": "xlsx",
        "year": "2026",
        "month": "3",
        "notice_id": "1",
        "notice_no": f"JK{world.case.case_no}-01",
        # per-route overrides are applied in fill()
        "_requirement_id": str(requirement.pk if requirement else 0),
    }


def fill(route: str, world) -> str:
    values = _values(world)
    if route == "catalog/items/<str:code>/flowchart.svg":
        values["code"] = world.item.basic_code
    if route.startswith("supervision/rules/"):
        values["code"] = "A03"
    if route.startswith("guide/<str:basic_code>/materials/"):
        values["material_id"], values["kind"] = values["_requirement_id"], "form"
    if route.startswith("admin/"):
        values = dict.fromkeys(re.findall(r"<(?:\w+:)?(\w+)>", route), "1")

    def one(match: re.Match) -> str:
        return values[match.group(1)]

    path = re.sub(r"<(?:\w+:)?(\w+)>", one, route)
    path = re.sub(r"\{(\w+)\}", one, path)
    # admin patterns are regexes (^…$); keep the literal part
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + path.lstrip("/")


def fill_operation(method: str, path: str, world) -> str:
    values = _values(world)
    if path.startswith("/api/v1/org/regions/"):
        values["code"] = world.department.region.code
    elif path.startswith("/api/v1/supervision/rules/"):
        values["code"] = "A03"
    elif path.startswith("/api/v1/supervision/bulletin/"):
        values["month"] = "2026-03"
    elif path.startswith("/api/v1/items/"):
        values["code"] = world.item.basic_code
    url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
    if path == "/api/v1/calendar/deadline":
        url += "?start=2026-03-02&working_days=20"
    elif path == "/api/v1/calendar/working-days":
        url += "?start=2026-03-02&end=2026-04-02"
    elif path == "/api/v1/cases/progress":
        url += f"?case_no={world.case.case_no}&query_code={world.case.query_code}"
    return url


# --- answering -----------------------------------------------------------------------------------------

def classify(response) -> str:
    code = response.status_code
    if code in (301, 302, 303, 307, 308) and any(u in response.get("Location", "") for u in LOGIN_URLS):
        return LOGIN
    if code < 400:
        return OK
    return str(code)


@pytest.fixture
def world(world, county_centre, supervisor):
    from zhengwu.cases.models import Rating
    from zhengwu.catalog.models import Theme
    from zhengwu.supervision import services as supervision_services

    world.theme = Theme.objects.create(code="kaiban", name="开办企业", audience="legal", kind="topic")
    world.card = supervision_services.card_issue(actor=supervisor, colour="yellow", department=world.department,
                                                 reason="先办后补", record_ids=[world.record.pk])
    world.rating = Rating.objects.create(case=world.case, level="dissatisfied", channel="pc",
                                         rated_at=world.case.accepted_at)
    return world


@pytest.fixture
def clients(request, world) -> dict[str, Client]:
    out = {"anonymous": Client()}
    for persona in PERSONAS[1:]:
        user = request.getfixturevalue(persona)
        client = Client()
        client.force_login(user)
        out[persona] = client
    return out


def _observe(clients, url: str, method: str = "get") -> dict[str, str]:
    if method == "get":
        return {persona: classify(client.get(url)) for persona, client in clients.items()}
    return {persona: classify(getattr(client, method)(url, data={}, content_type="application/json"))
            for persona, client in clients.items()}


# --- tests ---------------------------------------------------------------------------------------------

def test_every_endpoint_has_an_entry():
    missing = [route for route in page_routes() if route not in PAGES and not route.startswith("admin/")]
    missing += [f"{m} {p}" for m, p, _ in api_operations() if f"{m} {p}" not in OPERATIONS]
    assert not missing, f"add these endpoints to the permission matrix: {missing}"
    stale = [r for r in PAGES if r not in set(page_routes())]
    stale += [k for k in OPERATIONS if k not in {f"{m} {p}" for m, p, _ in api_operations()}]
    assert not stale, f"entries for endpoints that no longer exist: {stale}"


def test_enumeration_sees_every_app():
    routes = page_routes()
    operations = list(api_operations())
    assert len(routes) > 60 and len(operations) > 40
    for prefix in ("accounts/", "catalog/", "cases/", "work/", "guide/", "supervision/", "licences/", "admin/"):
        assert any(r.startswith(prefix) for r in routes), prefix


def _compare(clients, world, key: str, url: str, expected: dict[str, str], method: str = "get") -> list[str]:
    observed = _observe(clients, url, method)
    problems = []
    for persona in PERSONAS:
        if observed[persona] != expected[persona] and (key, persona) not in KNOWN_BUGS:
            problems.append(f"{key} as {persona}: expected {expected[persona]}, got {observed[persona]}")
    return problems


PAGE_GROUPS: dict[str, Callable[[str], bool]] = {
    "core_accounts_calendar": lambda r: r.split("/")[0] in ("healthz", "api", "i18n", "accounts", "calendar"),
    "catalog_licences": lambda r: r.split("/")[0] in ("catalog", "licences"),
    "supervision": lambda r: r.startswith("supervision"),
    "cases": lambda r: r.split("/")[0] in ("cases", "work") or r == "hall/screen/",
    "portal": lambda r: r.split("/")[0] in ("", "elder-mode", "accessibility", "guide", "hall", "staff")
    and r != "hall/screen/",
    "admin": lambda r: r in ("admin/", "admin/login/", "admin/logout/"),
}


@pytest.mark.parametrize("group", PAGE_GROUPS)
def test_page_matrix(group, clients, world):
    problems = []
    for route in page_routes():
        if PAGE_GROUPS[group](route) and route in PAGES:
            problems += _compare(clients, world, route, fill(route, world), PAGES[route])
    assert not problems, "\n".join(problems)


def test_admin_site_refuses_non_staff(clients, world):
    problems = []
    for route in page_routes():
        if route.startswith("admin/") and route not in PAGES:
            url = fill(route, world)
            for persona, expected in ADMIN_SITE.items():
                got = classify(clients[persona].get(url))
                if got != expected:
                    problems.append(f"{route} as {persona}: expected {expected}, got {got}")
    assert not problems, "\n".join(problems)


def test_operation_matrix(clients, world):
    problems = []
    for method, path, _ in api_operations():
        expected = OPERATIONS[f"{method} {path}"]
        if expected == API_WRITE:
            continue
        assert isinstance(expected, dict)
        problems += _compare(clients, world, f"{method} {path}", fill_operation(method, path, world), expected,
                             method=method.lower())
    assert not problems, "\n".join(problems)


def test_unsafe_operations_refuse_anonymous_and_outsider(clients, world):
    problems = []
    for method, path, _ in api_operations():
        if OPERATIONS[f"{method} {path}"] != API_WRITE:
            continue
        url = fill_operation(method, path, world)
        for persona in ("anonymous", "outsider"):
            response = getattr(clients[persona], method.lower())(url, data={}, content_type="application/json")
            if response.status_code < 300 or response.status_code >= 500:
                problems.append(f"{method} {path} as {persona}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_unsafe_page_posts_refuse_anonymous_and_outsider(clients, world):
    problems = []
    for route in page_routes():
        if PAGES.get(route) is not POST_ONLY or route.startswith("admin/") or route == "accounts/logout/":
            continue
        url = fill(route, world)
        for persona in ("anonymous", "outsider"):
            response = clients[persona].post(url, data={})
            answer = classify(response)
            if answer == OK or response.status_code >= 500:
                problems.append(f"POST {route} as {persona}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_scoped_lists_show_only_own_work(clients, world):
    """Lists open to every logged-in user are scoped: the market department's order and case appear
    for the supervisor and the market staff, never for the outsider, the admins or other citizens."""
    order_no, case_no = world.order.number, world.case.case_no
    lists = [
        ("/supervision/orders/", order_no, ("supervisor", "leader"), ("applicant", "outsider", *ADMINS)),
        ("/api/v1/supervision/orders", order_no, ("supervisor", "leader"), ("applicant", "outsider", *ADMINS)),
        ("/api/v1/cases", case_no, ("applicant", "clerk", "supervisor"), ("outsider", *ADMINS)),
    ]
    problems = []
    for url, marker, must_see, must_not_see in lists:
        for persona in must_see + must_not_see:
            response = clients[persona].get(url)
            seen = response.status_code == 200 and marker in response.content.decode()
            if seen != (persona in must_see):
                problems.append(f"{url} as {persona}: {'shows' if seen else 'hides'} {marker} ({response.status_code})")
    assert not problems, "\n".join(problems)
