from __future__ import annotations

from django import template

from zhengwu.portal import selectors

register = template.Library()

ELDER_COOKIE = "zw_elder"


@register.simple_tag(takes_context=True)
def portal_site(context):
    """Header and footer data, looked up once per request."""
    request = context.get("request")
    cached = getattr(request, "_portal_site", None) if request is not None else None
    if cached is not None:
        return cached
    centre = selectors.site_centre_get()
    site = {"name": selectors.site_name_for(centre), "centre": centre}
    if request is not None:
        request._portal_site = site
    return site


def elder_mode_on(request) -> bool:
    return bool(request is not None and request.COOKIES.get(ELDER_COOKIE) == "1")


@register.simple_tag(takes_context=True)
def elder_mode(context) -> bool:
    return elder_mode_on(context.get("request"))
