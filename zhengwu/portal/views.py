"""Public portal pages and the staff landing page: parse → one selector → render."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from zhengwu.catalog.flowchart import flowchart_svg
from zhengwu.core.errors import NotFound
from zhengwu.portal import selectors
from zhengwu.portal.forms import SearchForm
from zhengwu.portal.remedies import REMEDIES
from zhengwu.portal.services import guide_view_count
from zhengwu.portal.templatetags.portal import ELDER_COOKIE, elder_mode_on

ELDER_COOKIE_AGE = 365 * 24 * 3600


def home(request):
    return render(request, "portal/home.html", {"home": selectors.home_public()})


@require_POST
def elder_mode(request):
    """长辈版 switch: a cookie read by base.html, so it works on every page and without JavaScript."""
    target = request.POST.get("next") or reverse("portal:home")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("portal:home")
    response = HttpResponseRedirect(target)
    if request.POST.get("mode") == "on":
        response.set_cookie(ELDER_COOKIE, "1", max_age=ELDER_COOKIE_AGE, samesite="Lax", httponly=True,
                            secure=request.is_secure())
    else:
        response.delete_cookie(ELDER_COOKIE, samesite="Lax")
    return response


def hall_list(request):
    return render(request, "portal/hall_list.html", {"groups": selectors.centre_groups_public()})


def hall(request, centre_id: int):
    page = _or_404(selectors.centre_page_public, centre_id=centre_id)
    return render(request, "portal/hall.html", {"page": page, "centre": page.centre})


def by_department(request):
    departments = selectors.departments_by_pinyin(selectors.department_list_public())
    return render(request, "portal/by_department.html", {"departments": departments})


def accessibility(request):
    return render(request, "portal/accessibility.html")


# The staff landing page links to the tools of the other apps by URL name; a tool whose app is not
# installed in this deployment is simply not listed.
STAFF_TOOLS = [
    ("workcalendar:deadline", "期限计算器", "按工作日计算法定、承诺办结期限，逐行说明计算过程"),
    ("catalog:changes", "事项发布记录", "已发布实施清单的版本与变更要素"),
    ("catalog:excel", "事项导入导出", "用 Excel 批量导入、导出实施清单"),
    ("catalog:reengineering", "流程再造统计", "承诺时限压缩、减环节、减材料情况"),
]


def _staff_tools(user) -> list[tuple[str, str, str]]:
    tools = []
    for name, label, description in STAFF_TOOLS:
        try:
            tools.append((reverse(name), label, description))
        except NoReverseMatch:
            continue
    if user.is_staff:
        tools.append((reverse("admin:index"), "管理后台", "区划、中心、部门、窗口、事项等基础数据"))
    return tools


@login_required
def staff_home(request):
    return render(request, "portal/staff_home.html", {
        "posts": selectors.staff_posts_of(user=request.user), "tools": _staff_tools(request.user),
    })


ITEMS_PER_PAGE = 20


def _page(request, items):
    return Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))


def _or_404(fn, **kwargs):
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message_zh) from exc


def department(request, department_id: int):
    dept = _or_404(selectors.department_get_public, department_id=department_id)
    items = _page(request, selectors.department_items_public(department=dept))
    return render(request, "portal/item_list_page.html", {
        "title": dept.name, "parent": ("部门办事", reverse("portal:by_department")), "items": items,
        "department": dept,
    })


def by_theme(request, audience: str):
    page = _or_404(selectors.audience_page_public, slug=audience)
    return render(request, "portal/audience.html", {"page": page, "audience": audience,
                                                    "items": _page(request, page.items)})


def life_events(request):
    return render(request, "portal/life_events.html", {"page": selectors.life_events_public()})


def theme(request, code: str):
    found = _or_404(selectors.theme_get_public, code=code)
    parent = (("人生事件", reverse("portal:life_events")) if found.kind == "life_event" else
              (("个人办事", reverse("portal:by_theme", args=["people"])) if found.audience == "natural" else
               ("法人办事", reverse("portal:by_theme", args=["enterprise"]))))
    items = _page(request, selectors.theme_items_public(theme=found))
    return render(request, "portal/item_list_page.html", {"title": found.name, "parent": parent, "items": items,
                                                          "theme": found})


def online(request):
    items = _page(request, selectors.online_items_public())
    return render(request, "portal/item_list_page.html", {
        "title": "全程网办", "items": items,
        "intro": "以下事项网上办理深度达到Ⅳ级：从申请、受理、审查到办结全部在网上完成，无需到现场。",
    })


# Stand-ins in a guide page kept for anonymous visitors, replaced on every response: the CSRF token
# (masked anew per response) and the page's own address with its query string (the 长辈版 switch's
# `next`). Nothing else on the page depends on the visitor but the 长辈版 cookie, which picks the copy.
_CSRF_SLOT = "__zw_slot_csrf__"
_NEXT_SLOT = "__zw_slot_next__"


def guide(request, basic_code: str):
    page = _or_404(selectors.guide_get_public, basic_code=basic_code)
    guide_view_count(actor=request.user, item=page.item)
    # The body (half of a guide view's CPU time in issue 5's load test) is rendered once per cached
    # page and lives as long as the page's data does; for anonymous visitors, so is the whole page,
    # one copy per 长辈版 mode.
    body = page.rendered.get("body")
    if body is None:
        body = page.rendered["body"] = render_to_string("portal/_guide_body.html", {
            "page": page, "item": page.item, "v": page.version, "remedies": REMEDIES if page.is_power_item else (),
            # flowchart_svg escapes every text it draws; the SVG is built on the server, no user markup.
            "flowchart": mark_safe(flowchart_svg(page.version, element_id="flow")),
        })
    context = {"page": page, "item": page.item, "v": page.version, "body": body}
    if request.user.is_authenticated:
        return render(request, "portal/guide.html", context)
    key = "page.elder" if elder_mode_on(request) else "page"
    html = page.rendered.get(key)
    if html is None:
        html = page.rendered[key] = render_to_string("portal/guide.html", {
            **context, "csrf_token": _CSRF_SLOT, "elder_next": _NEXT_SLOT}, request=request)
    return HttpResponse(html.replace(_CSRF_SLOT, get_token(request), 1)
                        .replace(_NEXT_SLOT, escape(request.get_full_path()), 1))


# Blank forms and samples are office documents or images uploaded by staff. They are always sent
# as attachments with a content type from this list, so an uploaded HTML or SVG file can never be
# rendered inside the site's origin.
DOWNLOAD_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".wps": "application/vnd.ms-works",
    ".et": "application/vnd.ms-excel",
    ".ofd": "application/ofd",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
    ".zip": "application/zip",
}
DOWNLOAD_KINDS = {"form": ("blank_form", "空白表格"), "sample": ("sample_file", "示例样表")}


def material_download(request, basic_code: str, material_id: int, kind: str):
    if kind not in DOWNLOAD_KINDS:
        raise Http404("no such file kind")
    material = _or_404(selectors.material_get_public, basic_code=basic_code, material_id=material_id)
    field, label = DOWNLOAD_KINDS[kind]
    return _attachment(getattr(material, field), f"{material.name}（{label}）")


def result_sample_download(request, basic_code: str):
    page = _or_404(selectors.guide_get_public, basic_code=basic_code)
    return _attachment(page.version.result_sample, f"{page.version.result_name or page.version.name}（结果样本）")


def _attachment(file_field, title: str) -> FileResponse:
    if not file_field or not file_field.name:
        raise Http404("文件未上传")
    ext = PurePosixPath(file_field.name).suffix.lower()
    try:
        handle = file_field.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("文件不存在") from exc
    safe_title = "".join(ch for ch in title if ch not in '\\/:*?"<>|\r\n\t')
    response = FileResponse(handle, as_attachment=True, filename=f"{safe_title}{ext}",
                            content_type=DOWNLOAD_TYPES.get(ext, "application/octet-stream"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def search(request):
    form = SearchForm(request.GET or None, departments=selectors.department_list_public())
    items = None
    if form.is_bound and form.is_valid() and (form.cleaned_data["q"] or form.has_filters):
        items = _page(request, selectors.search_public(**form.cleaned_data))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "portal/search.html", {"form": form, "items": items, "query_string": query.urlencode()})


def guide_index(request):
    return render(request, "portal/guide_index.html", {"index": selectors.guide_index_public()})
