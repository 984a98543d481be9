from __future__ import annotations

from typing import Any

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

from zhengwu.portal import selectors

register = template.Library()

ELDER_COOKIE = "zw_elder"


# The header's and footer's links, as (URL name, keyword arguments).
_NAV = {
    "home": ("portal:home", {}), "elder_mode": ("portal:elder_mode", {}),
    "by_department": ("portal:by_department", {}),
    "people": ("portal:by_theme", {"audience": "people"}), "enterprise": ("portal:by_theme", {"audience": "enterprise"}),
    "life_events": ("portal:life_events", {}), "online": ("portal:online", {}), "hall_list": ("portal:hall_list", {}),
    "my_list": ("cases:my_list", {}), "staff_home": ("portal:staff_home", {}),
    "accessibility": ("portal:accessibility", {}),
}
_nav_urls: dict[tuple[str, Any], dict[str, str]] = {}


def nav_urls() -> dict[str, str]:
    """The links every page carries, reversed once per process (and URL prefix and URLconf): a
    dozen reverse() calls were a tenth of a page's rendering."""
    key = (get_script_prefix(), get_urlconf())
    urls = _nav_urls.get(key)
    if urls is None:
        urls = _nav_urls[key] = {slot: reverse(name, kwargs=kwargs) for slot, (name, kwargs) in _NAV.items()}
    return urls


@register.simple_tag(takes_context=True)
def portal_site(context):
    """Header and footer data, looked up once per request."""
    request = context.get("request")
    cached = getattr(request, "_portal_site", None) if request is not None else None
    if cached is not None:
        return cached
    centre = selectors.site_centre_get()
    site = {"name": selectors.site_name_for(centre), "centre": centre, "urls": nav_urls()}
    if request is not None:
        request._portal_site = site
    return site


def elder_mode_on(request) -> bool:
    return bool(request is not None and request.COOKIES.get(ELDER_COOKIE) == "1")


@register.simple_tag(takes_context=True)
def elder_mode(context) -> bool:
    return elder_mode_on(context.get("request"))
