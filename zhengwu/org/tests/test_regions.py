import datetime as dt

import pytest

from zhengwu.core.errors import Conflict, PermissionDenied, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.org.models import Region, ServiceCentre
from zhengwu.org.selectors import region_list, region_tree
from zhengwu.org.services import centre_create, region_create, region_rename, region_retire

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(sysadmin):
    province = region_create(actor=sysadmin, code="330000", name="浙江省")
    prefecture = region_create(actor=sysadmin, code="330700", name="金华市")
    county = region_create(actor=sysadmin, code="330729", name="清溪县")
    township = region_create(actor=sysadmin, code="330729100", name="清溪镇")
    village = region_create(actor=sysadmin, code="330729100201", name="城东村")
    return province, prefecture, county, township, village


def test_a_tree_from_province_to_village_is_built_with_inferred_levels_and_parents(tree):
    province, prefecture, county, township, village = tree
    assert [r.level for r in tree] == [1, 2, 3, 4, 5]
    assert village.parent == township and township.parent == county and county.parent == prefecture
    assert prefecture.parent == province and province.parent is None
    nested = region_tree()
    assert nested[0]["code"] == "330000"
    assert nested[0]["children"][0]["children"][0]["children"][0]["children"][0]["name"] == "城东村"
    assert [n["code"] for n in region_tree(county)] == ["330729"]
    assert AuditEvent.objects.filter(action="org.region.create").count() == 5


def test_a_code_must_sit_under_its_own_parent(tree, sysadmin):
    _, prefecture, county, township, _ = tree
    with pytest.raises(ValidationFailed, match="应隶属于 330729"):
        region_create(actor=sysadmin, code="330729101", name="错镇", parent=prefecture)
    with pytest.raises(ValidationFailed, match="上级区划 330781 不存在"):
        region_create(actor=sysadmin, code="330781100", name="无县镇")
    assert not Region.objects.filter(code__in=["330729101", "330781100"]).exists()


def test_a_province_has_no_parent(tree, sysadmin):
    with pytest.raises(ValidationFailed, match="没有上级"):
        region_create(actor=sysadmin, code="320000", name="江苏省", parent=tree[0])


def test_a_duplicate_code_conflicts(tree, sysadmin):
    with pytest.raises(Conflict):
        region_create(actor=sysadmin, code="330729100", name="另一个镇")


def test_a_retired_code_is_never_reused_and_nothing_attaches_to_it(tree, sysadmin):
    _, _, county, township, village = tree
    region_retire(actor=sysadmin, region=village, valid_to=dt.date(2026, 6, 30), reason="撤村并居")
    village.refresh_from_db()
    assert village.valid_to == dt.date(2026, 6, 30) and not village.is_current
    with pytest.raises(ValidationFailed, match="不得重复使用"):
        region_create(actor=sysadmin, code="330729100201", name="城东社区")
    region_retire(actor=sysadmin, region=township)
    with pytest.raises(ValidationFailed, match="已停用"):
        region_create(actor=sysadmin, code="330729100202", name="新村")
    with pytest.raises(ValidationFailed, match="已停用"):
        centre_create(actor=sysadmin, name="清溪镇便民服务中心", kind=ServiceCentre.Kind.TOWNSHIP, region=township)
    with pytest.raises(ValidationFailed, match="已停用"):
        region_rename(actor=sysadmin, region=township, name="新名")
    assert [r.code for r in region_list(parent=county)] == []
    assert [r.code for r in region_list(parent=county, include_retired=True)] == ["330729100"]


def test_a_region_with_current_children_or_centres_cannot_be_retired(tree, sysadmin):
    _, _, county, township, village = tree
    with pytest.raises(ValidationFailed, match="下级区划"):
        region_retire(actor=sysadmin, region=township)
    region_retire(actor=sysadmin, region=village)
    centre_create(actor=sysadmin, name="清溪镇便民服务中心", kind=ServiceCentre.Kind.TOWNSHIP, region=township)
    with pytest.raises(ValidationFailed, match="服务中心"):
        region_retire(actor=sysadmin, region=township)
    with pytest.raises(Conflict):
        region_retire(actor=sysadmin, region=village)


def test_rename_is_audited_with_old_and_new_names(tree, sysadmin):
    county = tree[2]
    region_rename(actor=sysadmin, region=county, name="清溪区")
    event = AuditEvent.objects.get(action="org.region.rename")
    assert event.data == {"name": ["清溪县", "清溪区"]} and event.actor_id == sysadmin.pk
    county.refresh_from_db()
    assert county.name == "清溪区"


@pytest.mark.parametrize("persona", ["secadmin", "auditadmin", "centre_admin", "clerk"])
def test_only_the_system_administrator_writes_regions(request, persona, province):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        region_create(actor=actor, code="330100", name="杭州市")
    assert not Region.objects.filter(code="330100").exists()
