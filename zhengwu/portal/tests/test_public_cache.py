"""The per-process cache of guide pages and the site's centre (off in test mode, on here)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhengwu.catalog.services import item_suspend
from zhengwu.portal import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def public_cache(settings):
    settings.ZHENGWU_PUBLIC_CACHE_SECONDS = 60
    selectors.public_cache_clear()
    yield
    selectors.public_cache_clear()


def _unmasked(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)  # masked anew on every response


def _guide(client, code="000132001000"):
    return client.get(reverse("portal:guide", args=[code]))


def test_a_cached_guide_costs_its_item_check_and_the_view_count(client, county, django_assert_num_queries):
    first = _guide(client).content.decode()
    with django_assert_num_queries(2):  # the item's row, the day's view count
        again = _guide(client).content.decode()
    assert _unmasked(again) == _unmasked(first)
    assert "广宗县政务服务网" in again and "个体工商户设立登记" in again


def test_a_cached_guide_renders_its_body_once(client, county):
    first = _guide(client)
    assert "portal/_guide_body.html" in [t.name for t in first.templates]
    again = _guide(client)
    assert "portal/_guide_body.html" not in [t.name for t in again.templates]
    assert _unmasked(again.content.decode()) == _unmasked(first.content.decode())
    # A change of the item (its row's stamp) renders the body anew, with the change in it.
    item_suspend(actor="test", item=county.items["licence"], reason="系统升级")
    suspended = _guide(client)
    assert "portal/_guide_body.html" in [t.name for t in suspended.templates]
    assert "该事项暂停办理。" in suspended.content.decode()


def test_a_suspension_shows_at_once(client, county):
    assert "该事项暂停办理。" not in _guide(client).content.decode()
    item_suspend(actor="test", item=county.items["licence"], reason="系统升级")
    assert "该事项暂停办理。" in _guide(client).content.decode()


def test_an_org_write_drops_the_cached_centre_and_guides(client, county):
    assert "广宗县冀南路 88 号" in _guide(client).content.decode()
    county.centre.address = "广宗县新华路 1 号"
    county.centre.save()
    html = _guide(client).content.decode()
    assert "广宗县新华路 1 号" in html and "广宗县冀南路 88 号" not in html


def test_an_unpublished_code_is_still_a_404(client, county):
    assert _guide(client).status_code == 200
    for code in ("999999999999", "000120005000", "11130531MB0000001X4000132001000"):
        assert _guide(client, code).status_code == 404


def test_off_when_set_to_zero(client, county, settings):
    settings.ZHENGWU_PUBLIC_CACHE_SECONDS = 0
    _guide(client)
    with CaptureQueriesContext(connection) as captured:
        _guide(client)
    assert len(captured.captured_queries) > 2


def test_a_cached_guide_page_keeps_each_mode_apart(client, county):
    assert 'class="elder"' not in _guide(client).content.decode()
    client.cookies["zw_elder"] = "1"
    elder = _guide(client).content.decode()
    assert '<html lang="zh-Hans" class="elder">' in elder and 'value="off"' in elder
    del client.cookies["zw_elder"]
    standard = _guide(client).content.decode()
    assert 'class="elder"' not in standard and 'value="on"' in standard


def _token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_a_cached_guide_page_gets_this_visitors_token_and_address(client, county):
    from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]

    first = _guide(client)
    page = client.get(reverse("portal:guide", args=["000132001000"]) + '?from="x"&a=1').content.decode()
    assert "__zw_slot_" not in page
    assert 'name="next" value="/guide/000132001000/?from=%22x%22&amp;a=1"' in page
    token = _token(page)
    assert _unmask_cipher_token(token) == first.cookies["csrftoken"].value
    # The switch works from a cached page, with the CSRF check on.
    checked = type(client)(enforce_csrf_checks=True)
    checked.get(reverse("portal:guide", args=["000132001000"]))
    html = checked.get(reverse("portal:guide", args=["000132001000"])).content.decode()
    token = _token(html)
    response = checked.post(reverse("portal:elder_mode"), {"mode": "on", "next": "/guide/000132001000/",
                                                           "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response.cookies["zw_elder"].value == "1"


def test_a_signed_in_visitor_never_gets_the_anonymous_page(client, county, applicant):
    assert "工作人员登录" in _guide(client).content.decode()
    client.force_login(applicant)
    html = _guide(client).content.decode()
    assert "工作台" in html and "工作人员登录" not in html
    client.logout()
    assert "工作人员登录" in _guide(client).content.decode()
