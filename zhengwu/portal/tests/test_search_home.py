from __future__ import annotations

import pytest
from django.urls import reverse

from zhengwu.portal.models import GuideViewDay

pytestmark = pytest.mark.django_db


def _portal_codes(client, **params):
    response = client.get(reverse("portal:search"), params)
    assert response.status_code == 200
    return [i.basic_code for i in response.context["items"]]


def _api_codes(client, **params):
    response = client.get("/api/v1/items", params)
    assert response.status_code == 200
    return [i["basic_code"] for i in response.json()["items"]]


@pytest.mark.parametrize("q,expected", [
    ("yyzz", ["000132002000"]),
    ("营业执照", ["000132002000"]),
    ("登记", ["000132001000", "000107003000"]),
    ("jiehun", ["000107003000"]),
    ("gtgsh sldj", ["000132001000"]),
    ("火星签证", []),
])
def test_search_box_answers_like_the_api(client, county, q, expected):
    portal = _portal_codes(client, q=q)
    assert sorted(portal) == sorted(expected)
    assert portal == _api_codes(client, q=q)


def test_search_filters_match_the_api(client, county):
    assert _portal_codes(client, q="", online="on") == _api_codes(client, online=1)
    assert sorted(_portal_codes(client, online="on")) == ["000120004000", "000132002000"]
    civil = county.civil.pk
    assert _portal_codes(client, department=civil) == _api_codes(client, department=civil)
    assert sorted(_portal_codes(client, department=civil)) == ["000107003000", "000120004000"]
    assert _portal_codes(client, item_type="01") == _api_codes(client, item_type="01")
    assert _portal_codes(client, service_object="2") == ["000132002000"]
    assert _portal_codes(client, q="申领", service_object="1") == ["000120004000"]


def test_search_page_renders_results_and_filters(client, county):
    html = client.get(reverse("portal:search"), {"q": "yyzz"}).content.decode()
    assert "“yyzz”的搜索结果" in html and "找到 1 个事项" in html
    assert 'href="/guide/000132002000/"' in html
    assert '<label for="id_department">实施部门</label>' in html
    empty = client.get(reverse("portal:search"), {"q": "火星签证"}).content.decode()
    assert "没有找到相关事项" in empty


def test_search_without_terms_shows_the_form_only(client, county):
    response = client.get(reverse("portal:search"))
    assert response.context["items"] is None


def test_search_rejects_bad_filters_without_error_page(client, county):
    response = client.get(reverse("portal:search"), {"q": "登记", "department": "abc"})
    assert response.status_code == 200
    assert response.context["items"] is None
    assert "实施部门：" in response.content.decode()


def test_home_has_search_themes_departments_and_newest_items(client, county):
    response = client.get(reverse("portal:home"))
    html = response.content.decode()
    assert '<label for="home-q">搜索办事事项</label>' in html
    assert f'action="{reverse("portal:search")}"' in html
    home = response.context["home"]
    assert home.popular_by_views is False and "最新发布事项" in html
    assert {i.basic_code for i in home.popular} == {"000132001000", "000132002000", "000107003000", "000120004000"}
    assert [e.theme.code for e in home.people_events] == ["marriage", "retirement"]
    assert [e.theme.code for e in home.enterprise_events] == ["start_business", "business_change"]
    assert home.online_count == 2
    assert "广宗县行政审批局" in html and "广宗县政务服务中心" in html


def test_guide_views_rank_popular_items(client, county):
    for _ in range(3):
        client.get(reverse("portal:guide", args=["000120004000"]))
    client.get(reverse("portal:guide", args=["000107003000"]))
    client.get(reverse("portal:guide", args=["999999999999"]))  # 404s count nothing
    assert GuideViewDay.objects.get(item=county.items["elderly"]).views == 3
    assert GuideViewDay.objects.count() == 2
    response = client.get(reverse("portal:home"))
    home = response.context["home"]
    assert home.popular_by_views is True and "热门事项" in response.content.decode()
    assert [i.basic_code for i in home.popular[:2]] == ["000120004000", "000107003000"]
    assert len(home.popular) == 4  # topped up with the other published items


def test_batched_guide_views_are_written_together_and_add_up(client, county, settings, django_assert_num_queries):
    from zhengwu.portal.services import guide_view_flush

    client.get(reverse("portal:guide", args=["000120004000"]))  # written at once (the setting is 0 in tests)
    settings.ZHENGWU_GUIDE_VIEW_FLUSH_SECONDS = 3600
    guide_view_flush()
    for _ in range(2):
        client.get(reverse("portal:guide", args=["000120004000"]))
    client.get(reverse("portal:guide", args=["000107003000"]))
    assert GuideViewDay.objects.get(item=county.items["elderly"]).views == 1  # counted, not written yet
    with django_assert_num_queries(1):
        guide_view_flush()
    assert GuideViewDay.objects.get(item=county.items["elderly"]).views == 3
    assert GuideViewDay.objects.get(item=county.items["marriage"]).views == 1
    with django_assert_num_queries(0):
        guide_view_flush()


def test_a_large_batch_of_guide_views_is_written_in_parts(county, monkeypatch, django_assert_num_queries):
    import datetime as dt

    from zhengwu.portal import services

    monkeypatch.setattr(services, "_ROWS_PER_STATEMENT", 1)
    day = dt.date(2026, 3, 2)
    with django_assert_num_queries(2):
        services._write({(county.items["elderly"].pk, day): 4, (county.items["marriage"].pk, day): 1})
    with django_assert_num_queries(1):
        services._write({(county.items["elderly"].pk, day): 1})
    assert GuideViewDay.objects.get(item=county.items["elderly"], day=day).views == 5
    assert GuideViewDay.objects.get(item=county.items["marriage"], day=day).views == 1
