import xml.etree.ElementTree as ET

import pytest

from zhengwu.catalog.flowchart import flowchart_svg
from zhengwu.catalog.tests import factories as f

pytestmark = pytest.mark.django_db
NS = {"svg": "http://www.w3.org/2000/svg"}


def test_svg_has_one_box_per_step_with_role_and_budget():
    item = f.published_item(name="建设工程规划许可证核发<测试&>")
    root = ET.fromstring(flowchart_svg(item.current, element_id="f1"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img" and root.get("aria-labelledby") == "f1-title f1-desc"
    assert root.findtext("svg:title", namespaces=NS) == "建设工程规划许可证核发<测试&> 运行流程图"
    desc = root.findtext("svg:desc", default="", namespaces=NS)
    assert "共 3 个环节" in desc and "承诺办结时限5 个工作日" in desc and "第2步：审查，由审批人员办理，时限2 个工作日" in desc
    boxes = root.findall("svg:g[@class='step']", NS)
    assert [b.get("data-order") for b in boxes] == ["1", "2", "3"]
    texts = ["".join(t.itertext()) for t in boxes[2].findall("svg:text", NS)]
    assert texts == ["3. 决定", "首席代表 · 1 个工作日"]
    assert len(root.findall("svg:g[@class='terminal']", NS)) == 2


def test_immediate_steps_say_on_the_spot():
    item = f.published_item(case_kind="1", promised_limit_value=0, steps=[
        {"order": 1, "name": "收件受理", "role": "clerk", "budget_days": 0},
        {"order": 2, "name": "当场办结", "role": "chief_representative", "budget_days": 0}])
    root = ET.fromstring(flowchart_svg(item.current))
    labels = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "窗口人员 · 当场办结" in labels and "2. 当场办结" in labels
    assert "承诺办结时限当场办结" in root.findtext("svg:desc", default="", namespaces=NS)
