from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_layout_has_site_name_nav_footer_and_skip_link(client, county):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "广宗县政务服务网" in html
    assert 'href="#main"' in html and 'id="main"' in html
    for label in ("首页", "部门办事", "个人办事", "法人办事", "人生事件", "全程网办", "服务大厅", "工作人员登录"):
        assert f">{label}</a>" in html, label
    assert "广宗县冀南路 88 号" in html
    assert "0319-7321234" in html


def test_site_name_falls_back_without_a_county_centre(client, db):
    html = client.get(reverse("portal:home")).content.decode()
    assert "<title>政务服务网</title>" in html


def test_elder_mode_switch_sets_cookie_and_class(client, county):
    guide = reverse("portal:guide", args=["000132001000"])
    response = client.post(reverse("portal:elder_mode"), {"mode": "on", "next": guide})
    assert response.status_code == 302
    assert response["Location"] == guide
    assert response.cookies["zw_elder"].value == "1"
    html = client.get(guide).content.decode()
    assert '<html lang="zh-Hans" class="elder">' in html
    assert "切换到标准版" in html
    client.post(reverse("portal:elder_mode"), {"mode": "off", "next": guide})
    assert 'class="elder"' not in client.get(guide).content.decode()


def test_elder_mode_refuses_offsite_redirect(client, db):
    response = client.post(reverse("portal:elder_mode"), {"mode": "on", "next": "https://evil.example/"})
    assert response["Location"] == reverse("portal:home")


def test_elder_mode_needs_post(client, db):
    assert client.get(reverse("portal:elder_mode")).status_code == 405


def test_hall_list_groups_active_centres(client, county):
    html = client.get(reverse("portal:hall_list")).content.decode()
    assert "县级政务服务中心" in html and "便民服务中心" in html
    assert "广宗镇便民服务中心" in html
    assert "旧城便民服务室" not in html


def test_hall_page_lists_windows_with_their_published_items(client, county):
    html = client.get(reverse("portal:hall", args=[county.centre.pk])).content.decode()
    assert "A01 号" in html and "市场准入综合窗口" in html
    assert "个体工商户设立登记" in html and "营业执照遗失补领" in html
    assert "内地居民结婚登记" in html
    assert "殡葬补贴申领草稿" not in html
    assert "广宗镇便民服务中心" in html  # child service point
    a01 = html.index("市场准入综合窗口")
    b03 = html.index("民政业务窗口")
    assert a01 < html.index("个体工商户设立登记") < b03 < html.index("内地居民结婚登记")


def test_inactive_or_unknown_centre_is_404(client, county):
    assert client.get(reverse("portal:hall", args=[county.closed_centre.pk])).status_code == 404
    assert client.get(reverse("portal:hall", args=[999999])).status_code == 404


def test_department_list_counts_published_items_in_pinyin_order(client, county):
    from zhengwu.org.models import Department

    Department.objects.create(name="广宗县财政局", uscc="11130531MB00000036", region=county.region)
    response = client.get(reverse("portal:by_department"))
    depts = [(d.name, d.item_count) for d in response.context["departments"]]
    # 财 (cai) sorts after 民 by code point but first in pinyin order
    assert depts == [("广宗县财政局", 0), ("广宗县民政局", 2), ("广宗县行政审批局", 2)]


def test_department_page_lists_its_items(client, county):
    html = client.get(reverse("portal:department", args=[county.civil.pk])).content.decode()
    assert "内地居民结婚登记" in html and "高龄津贴申领" in html
    assert "个体工商户设立登记" not in html
    assert "殡葬补贴申领草稿" not in html


def test_audience_pages_split_people_and_enterprise(client, county):
    people = client.get(reverse("portal:by_theme", args=["people"]))
    names = {i.current_version.name for i in people.context["items"]}
    assert names == {"个体工商户设立登记", "内地居民结婚登记", "高龄津贴申领"}
    enterprise = client.get(reverse("portal:by_theme", args=["enterprise"]))
    assert {i.current_version.name for i in enterprise.context["items"]} == {"营业执照遗失补领"}
    assert "开办企业" in enterprise.content.decode()
    assert client.get(reverse("portal:by_theme", args=["aliens"])).status_code == 404


def test_life_events_and_theme_page(client, county):
    html = client.get(reverse("portal:life_events")).content.decode()
    assert "结婚" in html and "开办企业" in html
    marriage = {e.theme.code: e.count for e in client.get(reverse("portal:life_events")).context["page"].people}
    assert marriage["marriage"] == 1 and marriage["birth"] == 0
    theme = client.get(reverse("portal:theme", args=["marriage"])).content.decode()
    assert "内地居民结婚登记" in theme and "高龄津贴申领" not in theme
    assert client.get(reverse("portal:theme", args=["nope"])).status_code == 404


def test_online_lists_fully_online_items_only(client, county):
    response = client.get(reverse("portal:online"))
    assert {i.current_version.name for i in response.context["items"]} == {"营业执照遗失补领", "高龄津贴申领"}


def test_accessibility_page(client, db):
    assert "长辈版" in client.get(reverse("portal:accessibility")).content.decode()


def test_unknown_page_is_the_chinese_404(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "抱歉，您访问的页面不存在" in html and '<html lang="zh-Hans">' in html
    assert 'action="/guide/search"' in html


def test_hall_page_folds_long_item_lists(client, county):
    from zhengwu.portal.tests.data import publish_item

    for n in range(7):
        publish_item(department=county.civil, basic_code=f"00012010{n}000", name=f"救助事项{n}",
                     materials=[("申请书", False)], windows=[county.civil_window], service_objects=["1"])
    html = client.get(reverse("portal:hall", args=[county.centre.pk])).content.decode()
    assert '<details class="served" open>\n          <summary>可办理事项（2 项）</summary>' in html
    assert '<details class="served">\n          <summary>可办理事项（9 项）</summary>' in html


def test_guide_index_counts_the_ways_to_browse(client, county):
    response = client.get(reverse("portal:guide_index"))
    index = response.context["index"]
    assert (index.total, index.online, index.departments, index.people, index.enterprise, index.life_events) == (
        4, 2, 2, 3, 1, 4)
    html = response.content.decode()
    assert "共公布 4 个政务服务事项" in html and '<label for="guide-q">搜索办事事项</label>' in html
