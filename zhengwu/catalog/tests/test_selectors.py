import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from zhengwu.catalog import selectors, services
from zhengwu.catalog.tests import factories as f
from zhengwu.core.errors import NotFound

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def catalog():
    shichang, jiaoyu = f.department("县市场监督管理局"), f.department("县教育局")
    items = {
        "yyzz": f.published_item(shichang, name="营业执照遗失补领", themes=["start_business"]),
        "food": f.published_item(shichang, name="食品经营许可（新办）", themes=["food", "permits"]),
        "food2": f.published_item(shichang, name="小餐饮食品登记", item_type="07", themes=["food"]),
        "school": f.published_item(jiaoyu, name="民办学校设立审批", exercise_level="3", themes=["school"],
                                   online_depth=4, onsite_visits=0, onsite_reason=""),
    }
    draft = services.item_create(actor="t", department=shichang, spec=f.spec(name="营业执照草稿事项"))
    suspended = f.published_item(shichang, name="营业执照暂停事项")
    services.item_suspend(actor="t", item=suspended, reason="调整")
    return {"depts": (shichang, jiaoyu), "draft": draft, "suspended": suspended, **items}


def _names(qs):
    return [i.current.name for i in qs]


def test_pinyin_initials_full_pinyin_and_chinese(catalog):
    assert _names(selectors.item_search(q="yyzz")) == ["营业执照遗失补领"]
    assert _names(selectors.item_search(q="shipin")) == ["食品经营许可（新办）", "小餐饮食品登记"]
    assert _names(selectors.item_search(q="食品")) == ["食品经营许可（新办）", "小餐饮食品登记"]
    assert _names(selectors.item_search(q="ShiPin  dengji")) == ["小餐饮食品登记"]
    assert _names(selectors.item_search(q="不存在的事项")) == []


def test_name_prefix_matches_rank_first(catalog):
    f.published_item(catalog["depts"][0], name="餐饮食品安全登记")
    assert _names(selectors.item_search(q="餐饮")) == ["餐饮食品安全登记", "小餐饮食品登记"]


def test_filters(catalog):
    shichang, jiaoyu = catalog["depts"]
    assert _names(selectors.item_search(department=jiaoyu)) == ["民办学校设立审批"]
    assert _names(selectors.item_search(department=jiaoyu.pk, q="shipin")) == []
    assert _names(selectors.item_search(item_type="07")) == ["小餐饮食品登记"]
    assert _names(selectors.item_search(exercise_level="3")) == ["民办学校设立审批"]
    assert _names(selectors.item_search(theme="food")) == ["食品经营许可（新办）", "小餐饮食品登记"]
    assert _names(selectors.items_by_life_event("start_business")) == ["营业执照遗失补领"]
    # "food" is a topic, not a life event.
    assert _names(selectors.items_by_life_event("food")) == []
    assert _names(selectors.item_search(online=True)) == ["民办学校设立审批"]
    assert len(selectors.items_by_department(shichang)) == 3
    assert _names(selectors.item_search(service_object="2", q="xuexiao")) == ["民办学校设立审批"]
    assert _names(selectors.item_search(service_object="1")) == []


def test_drafts_and_suspended_items_are_not_public(catalog):
    assert "营业执照草稿事项" not in _names(selectors.item_search(q="yyzz"))
    assert "营业执照暂停事项" not in _names(selectors.item_search(q="yyzz"))
    with pytest.raises(NotFound):
        selectors.item_get_published(catalog["draft"].basic_code)
    with pytest.raises(NotFound):
        selectors.item_get_published(catalog["suspended"].basic_code)
    assert selectors.item_get_published(catalog["suspended"].basic_code, include_suspended=True)


def test_get_published_by_basic_or_implementation_code(catalog):
    item = catalog["food"]
    by_basic = selectors.item_get_published(item.basic_code)
    by_impl = selectors.item_get_published(item.current.implementation_code.lower())
    assert by_basic.pk == by_impl.pk == item.pk
    with pytest.raises(NotFound):
        selectors.item_get_published("009999999999")


def test_published_changes_lists_versions_with_changed_elements():
    with time_machine.travel(dt.datetime(2026, 1, 5, 9, tzinfo=TZ), tick=False):
        item = f.published_item(name="取水许可")
    with time_machine.travel(dt.datetime(2026, 2, 5, 9, tzinfo=TZ), tick=False):
        services.item_edit(actor="t", item=item, changes={"legal_basis": "《取水许可和水资源费征收管理条例》第二十一条",
                                                          "materials": [{"order": 1, "name": "取水许可申请书"}]})
        services.item_publish(actor="t", item=item)
    changes = selectors.published_changes()
    assert [(c.version.number, c.previous_number) for c in changes] == [(2, 1), (1, None)]
    assert changes[0].changed == ["设定依据", "申请材料"]
    assert changes[1].changed == ["新增事项"]
    assert [c.version.number for c in selectors.published_changes(since=dt.datetime(2026, 2, 1, tzinfo=TZ))] == [2]
    assert selectors.published_changes(until=dt.datetime(2026, 1, 1, tzinfo=TZ)) == []


def test_reengineering_figures_per_department_and_centre():
    a, b = f.department("县甲局"), f.department("县乙局")
    item = f.published_item(a, legal_limit_value=20, promised_limit_value=5)
    f.published_item(a, case_kind="1", legal_limit_value=10, promised_limit_value=0, onsite_visits=0,
                     onsite_reason="", steps=[{"order": 1, "name": "收件受理", "role": "clerk", "budget_days": 0}])
    # No statutory limit (e.g. 行政检查): counted as an item, not in the compression sums.
    f.published_item(b, item_type="06", legal_limit_value=0, promised_limit_value=5)
    services.item_edit(actor="t", item=item, changes={
        "promised_limit_value": 3,
        "steps": [{"order": 1, "name": "受理", "role": "clerk", "budget_days": 1},
                  {"order": 2, "name": "审查决定", "role": "chief_representative", "budget_days": 2}],
        "materials": [{"order": 1, "name": "食品经营许可申请书"}],
    })
    services.item_publish(actor="t", item=item)

    report = selectors.reengineering_report()
    assert report.total.items == 3 and report.total.limited_items == 2
    assert report.total.legal_wd == Decimal(30) and report.total.promised_wd == Decimal(3)
    assert report.total.compressed_wd == Decimal(27) and report.total.ratio == Decimal("90.0")
    assert report.total.immediate == 1 and report.total.zero_visits == 1
    assert report.total.steps_removed == 2 and report.total.materials_removed == 1
    dept_a = next(t for t in report.by_department if t.label == "县甲局")
    row = next(r for r in dept_a.rows if r.item.pk == item.pk)
    assert row.steps_removed == ["审查", "决定"] and row.materials_removed == ["营业执照"]
    assert row.days_cut_since_baseline == Decimal(2) and row.ratio == Decimal("85.0")
    assert row.suggestion is not None
    assert row.suggestion.cut_wd == 1 and row.suggestion.suggested_wd == 2
    assert [t.label for t in report.by_centre] == ["示范县政务服务中心"] and report.by_centre[0].items == 3
    scoped = selectors.reengineering_report(departments=type(b).objects.filter(pk=b.pk))
    assert scoped.total.items == 1 and scoped.total.ratio is None



def test_result_name_matches_rank_after_name_matches():
    dept = f.department()
    f.published_item(dept, name="公司设立登记", result_name="营业执照", basic_code="000000000011")
    f.published_item(dept, name="营业执照遗失补领", basic_code="000000000012")
    assert _names(selectors.item_search(q="营业执照")) == ["营业执照遗失补领", "公司设立登记"]
    assert {*_names(selectors.item_search(q="yyzz"))} == {"营业执照遗失补领", "公司设立登记"}


def test_a_chinese_query_finds_names_with_its_characters_in_order(catalog):
    f.published_item(catalog["depts"][0], name="食品（含保健食品）经营许可核发")
    found = _names(selectors.item_search(q="食品经营许可"))
    # The exact substring ranks first; the name with brackets in between is still found.
    assert found == ["食品经营许可（新办）", "食品（含保健食品）经营许可核发"]
    # Characters out of order do not match, and neither does a regex metacharacter.
    assert _names(selectors.item_search(q="许可经营食品")) == []
    assert _names(selectors.item_search(q="食.*")) == []


# --- published versions kept per process ----------------------------------------------------------

def test_a_published_version_is_read_once_per_process_with_its_lists(catalog, django_assert_num_queries):
    version_id = catalog["food"].current_version_id
    first = selectors.version_frozen(version_id)
    with django_assert_num_queries(0):
        again = selectors.version_frozen(version_id)
        steps, materials = list(again.steps.all()), list(again.materials.all())
        procedures = list(again.special_procedures.all())
    assert again is first and first.name == "食品经营许可（新办）"
    assert steps and [(s.order, s.pk) for s in steps] == sorted((s.order, s.pk) for s in steps)
    assert [m.pk for m in materials] == list(first.materials.values_list("pk", flat=True))
    assert procedures == list(first.special_procedures.all())


def test_a_draft_version_is_read_fresh_each_time(catalog, django_assert_num_queries):
    draft_version = catalog["draft"].versions.get()
    selectors.version_frozen(draft_version.pk)
    with django_assert_num_queries(4):  # the row and its three lists, again
        selectors.version_frozen(draft_version.pk)


def test_clearing_forgets_every_version(catalog, django_assert_num_queries):
    version_id = catalog["food"].current_version_id
    selectors.version_frozen(version_id)
    selectors.version_frozen_clear()
    with django_assert_num_queries(4):
        selectors.version_frozen(version_id)
