from __future__ import annotations

import pytest
from django.urls import reverse

from zhengwu.catalog.services import item_cancel, item_suspend
from zhengwu.portal.tests.data import DOCX_BYTES

pytestmark = pytest.mark.django_db


def _guide(client, code):
    return client.get(reverse("portal:guide", args=[code]))


def test_guide_shows_every_element(client, county):
    response = _guide(client, "000132001000")
    assert response.status_code == 200
    html = response.content.decode()
    expected = [
        "个体工商户设立登记", "000132001000", "11130531MB0000001X4000132001000", "行政许可",
        "《个体工商户设立登记管理办法》第十条",  # 设定依据
        "申请人为本县居民或在本县登记的市场主体。",  # 受理条件
        "个体工商户登记（备案）申请书", "经营者身份证明", "申请人自备", "原件 1 份 / 复印件 1 份", "A4",
        "15 个工作日", "3 个工作日", "承诺件", "到办事现场次数", "需核验身份证件原件",  # 到现场 reason
        "Ⅲ级 在线申办", "证照工本费", "每本 10 元", "冀价〔2020〕1号",
        "个体工商户设立登记结果通知书", "证照",
        "广宗县政务服务中心 · A01 号窗口", "广宗县冀南路 88 号", "0319-7321234",
        "0319-7320001", "0319-7320002",  # consultation and complaint phones
        "专家评审", "可以委托他人办理吗？", "第 1 版", "收件受理", "审查决定",
    ]
    missing = [text for text in expected if text not in html]
    assert missing == []


def test_licensing_item_shows_remedies(client, county):
    html = _guide(client, "000132001000").content.decode()
    assert "权利救济" in html
    assert "60 日内" in html and "6 个月内" in html and "15 日内" in html
    assert "《中华人民共和国行政复议法》第二十条" in html


def test_public_service_item_has_no_remedies_section(client, county):
    html = _guide(client, "000120004000").content.decode()
    assert "高龄津贴申领" in html
    assert 'id="guide-remedies"' not in html


def test_immediate_item_says_on_the_spot(client, county):
    html = _guide(client, "000107003000").content.decode()
    assert "即办件" in html and "当场办结" in html
    assert "法律未规定" in html  # legal limit 0


def test_unknown_draft_and_cancelled_items_are_chinese_404(client, county):
    item_cancel(actor="test", item=county.items["company"], reason="事项取消")
    for code in ("999999999999", "000120005000", "000132002000"):
        response = _guide(client, code)
        assert response.status_code == 404
        assert "您访问的页面不存在" in response.content.decode()
    # the implementation code finds the item in the API, but the guide has one address
    assert _guide(client, "11130531MB0000001X4000132001000").status_code == 404


def test_suspended_item_keeps_its_guide_with_a_notice(client, county):
    html = _guide(client, "000132001000").content.decode()
    assert "暂停办理" not in html
    item_suspend(actor="test", item=county.items["licence"], reason="系统升级")
    response = _guide(client, "000132001000")
    assert response.status_code == 200
    assert "该事项暂停办理。" in response.content.decode() and "原因：系统升级" in response.content.decode()


def test_flow_chart_is_inline_accessible_svg(client, county):
    html = _guide(client, "000132001000").content.decode()
    start = html.index('<figure class="flow-figure">')
    figure = html[start:html.index("</figure>", start)]
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in figure and 'role="img"' in figure
    assert "个体工商户设立登记 运行流程图" in figure
    assert "1. 收件受理" in figure and "2. 审查决定" in figure


def test_blank_form_download(client, county):
    material = county.items["licence"].current_version.materials.get(order=1)
    url = reverse("portal:material_download", args=["000132001000", material.pk, "form"])
    assert url in _guide(client, "000132001000").content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition and disposition.endswith(".docx")
    assert b"".join(response.streaming_content) == DOCX_BYTES


def test_sample_download_is_pdf(client, county):
    material = county.items["licence"].current_version.materials.get(order=1)
    response = client.get(reverse("portal:material_download", args=["000132001000", material.pk, "sample"]))
    assert response["Content-Type"] == "application/pdf"


def test_download_refuses_missing_files_other_items_and_bad_kinds(client, county):
    licence = county.items["licence"].current_version.materials.get(order=1)
    without_file = county.items["licence"].current_version.materials.get(order=2)
    assert client.get(reverse("portal:material_download",
                              args=["000132001000", without_file.pk, "form"])).status_code == 404
    # a material of one item is not reachable under another item's code
    assert client.get(reverse("portal:material_download",
                              args=["000107003000", licence.pk, "form"])).status_code == 404
    assert client.get(reverse("portal:material_download",
                              args=["000132001000", licence.pk, "source"])).status_code == 404


def test_html_upload_is_never_served_inline(client, county):
    from django.core.files.base import ContentFile

    material = county.items["licence"].current_version.materials.get(order=2)
    material.blank_form.save("evil.html", ContentFile(b"<script>alert(1)</script>"))
    response = client.get(reverse("portal:material_download", args=["000132001000", material.pk, "form"]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_print_button_needs_script_and_is_hidden_without_it(client, county):
    html = _guide(client, "000132001000").content.decode()
    assert '<button type="button" class="btn btn-secondary" data-print hidden>打印本指南</button>' in html
    assert "zhengwu/portal.js" in html and "onclick" not in html
