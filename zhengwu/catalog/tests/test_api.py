import pytest

from zhengwu.catalog import services
from zhengwu.catalog.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def items():
    dept = f.department("县市场监督管理局")
    yyzz = f.published_item(dept, name="营业执照遗失补领", themes=["start_business"],
                            fee_required=True, fee_basis="《价格法》",
                            fees=[{"order": 1, "name": "工本费", "standard": "10元/本", "basis": "省物价局文件"}],
                            special_procedures=[{"kind": "expert_review", "duration_value": 15,
                                                 "duration_unit": "working_days", "note": "机构评审"}],
                            faqs=[{"order": 1, "question": "可以代办吗？", "answer": "可以，携带委托书。"}])
    services.item_set_windows(actor="t", item=yyzz, windows=[f.window(dept, number="A01", name="市场准入窗口")])
    food = [f.published_item(dept, name=f"食品经营许可{i}") for i in range(3)]
    online = f.published_item(dept, name="全程网办测试事项", online_depth=4, onsite_visits=0, onsite_reason="")
    return {"dept": dept, "yyzz": yyzz, "food": food, "online": online}


def test_list_search_and_filters(client, items):
    body = client.get("/api/v1/items", {"q": "yyzz"}).json()
    assert body["count"] == 1 and body["items"][0]["name"] == "营业执照遗失补领"
    assert body["items"][0]["department"]["name"] == "县市场监督管理局"
    body = client.get("/api/v1/items", {"q": "shipin", "page_size": 2}).json()
    assert body["count"] == 3 and len(body["items"]) == 2
    page2 = client.get("/api/v1/items", {"q": "shipin", "page_size": 2, "page": 2}).json()
    assert len(page2["items"]) == 1
    body = client.get("/api/v1/items", {"online": "1"}).json()
    assert [i["name"] for i in body["items"]] == ["全程网办测试事项"] and body["items"][0]["fully_online"]
    body = client.get("/api/v1/items", {"theme": "start_business", "department": items["dept"].pk,
                                        "item_type": "01"}).json()
    assert [i["basic_code"] for i in body["items"]] == [items["yyzz"].basic_code]
    assert client.get("/api/v1/items", {"item_type": "02"}).json()["count"] == 0


def test_list_rejects_bad_parameters(client, items):
    response = client.get("/api/v1/items", {"department": "abc"})
    assert response.status_code == 400 and response.json()["code"] == "bad_request"


def test_detail_has_all_elements_and_children(client, items):
    item = items["yyzz"]
    body = client.get(f"/api/v1/items/{item.basic_code}").json()
    assert body["name"] == "营业执照遗失补领" and body["implementation_code"] == item.current.implementation_code
    assert body["promised_limit"] == {"value": 5, "unit": "working_days", "unit_label": "工作日", "note": "",
                                      "text": "5 个工作日"}
    assert body["elements"]["legal_basis"] == "《中华人民共和国食品安全法》第三十五条"
    assert body["elements"]["consultation_phone"] == "0571-87000001"
    assert body["labels"]["case_kind"] == "承诺件" and body["labels"]["service_objects"] == ["企业法人"]
    assert [m["name"] for m in body["materials"]] == ["食品经营许可申请书", "营业执照"]
    assert [(s["name"], s["role_label"], s["budget_days"]) for s in body["steps"]] == [
        ("受理", "窗口人员", 1), ("审查", "审批人员", 2), ("决定", "首席代表", 1)]
    assert body["fees"][0]["standard"] == "10元/本"
    assert body["special_procedures"][0]["kind"] == "expert_review"
    assert body["faqs"][0]["question"] == "可以代办吗？"
    assert body["themes"] == [{"code": "start_business", "label": "开办企业"}]
    assert body["windows"][0]["number"] == "A01"


def test_detail_by_implementation_code_and_404(client, items):
    impl = items["yyzz"].current.implementation_code
    assert client.get(f"/api/v1/items/{impl}").json()["basic_code"] == items["yyzz"].basic_code
    response = client.get("/api/v1/items/009999999999")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    services.item_suspend(actor="t", item=items["online"], reason="系统升级")
    assert client.get(f"/api/v1/items/{items['online'].basic_code}").status_code == 404


def test_published_changes_feed(client):
    import datetime as dt

    import time_machine

    tz = dt.timezone(dt.timedelta(hours=8))
    with time_machine.travel(dt.datetime(2026, 3, 1, 23, 30, tzinfo=tz), tick=False):
        item = f.published_item(name="取水许可")
    with time_machine.travel(dt.datetime(2026, 3, 2, 0, 30, tzinfo=tz), tick=False):
        services.item_edit(actor="t", item=item, changes={"quantity_limit": "无"}, change_note="补充数量限制")
        services.item_publish(actor="t", item=item)
    body = client.get("/api/v1/items/changes").json()
    assert [(c["version"], c["previous_version"]) for c in body] == [(2, 1), (1, None)]
    assert body[0]["changed"] == ["数量限制"] and body[0]["change_note"] == "补充数量限制"
    assert body[1]["effective_to"] == body[0]["effective_from"]
    # Dates are Beijing dates: 23:30 on 1 March is not on 2 March.
    only = client.get("/api/v1/items/changes", {"since": "2026-03-02", "until": "2026-03-02"}).json()
    assert [c["version"] for c in only] == [2]
    assert client.get("/api/v1/items/changes", {"since": "bad"}).status_code == 400
