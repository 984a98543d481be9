import datetime as dt

import pytest

from zhengwu.org.models import StaffPost
from zhengwu.org.services import absence_create, backup_post_create

pytestmark = pytest.mark.django_db


def test_region_tree_and_list(client, village):
    tree = client.get("/api/v1/org/regions/tree").json()
    assert tree[0]["code"] == "330000"
    leaf = tree[0]["children"][0]["children"][0]["children"][0]["children"][0]
    assert leaf == {"code": "330729100201", "name": "城东村", "level": 5, "retired": False, "children": []}
    rows = client.get("/api/v1/org/regions", {"parent": "330729"}).json()
    assert [r["code"] for r in rows] == ["330729100"] and rows[0]["parent_code"] == "330729"
    assert client.get("/api/v1/org/regions/330729100201").json()["level_label"] == "村级"


def test_unknown_regions_give_clear_errors(client, county):
    assert client.get("/api/v1/org/regions/999999").status_code == 404
    response = client.get("/api/v1/org/regions", {"parent": "110000"})
    assert response.status_code == 422 and response.json()["field"] == "region"


def test_centres_with_departments_and_windows(client, county_centre, window_market, window_general):
    rows = client.get("/api/v1/org/centres", {"region": "330729"}).json()
    assert [r["name"] for r in rows] == ["清溪县政务服务中心"]
    detail = client.get(f"/api/v1/org/centres/{county_centre.pk}").json()
    assert [d["name"] for d in detail["departments"]] == ["清溪县市场监督管理局"]
    assert {w["number"] for w in detail["windows"]} == {"01", "10"}
    assert client.get("/api/v1/org/centres", {"kind": "mall"}).status_code == 422


def test_my_scope_needs_a_login_and_shows_acting_posts(client, secadmin, centre_admin, chief_representative,
                                                       reviewer, dept_market):
    assert client.get("/api/v1/org/me/scope").status_code == 401
    backup_post_create(actor=secadmin, primary=StaffPost.objects.get(user=chief_representative),
                       backup=StaffPost.objects.get(user=reviewer))
    absence_create(actor=centre_admin, user=chief_representative, starts_on=dt.date(2026, 12, 7),
                   ends_on=dt.date(2026, 12, 7), reason="年休假")
    client.force_login(reviewer)
    body = client.get("/api/v1/org/me/scope", {"on": "2026-12-07"}).json()
    assert [(p["position"], p["acting_for"]) for p in body["posts"]] == [("reviewer", None),
                                                                          ("chief_representative", "chief")]
    assert [d["id"] for d in body["departments"]] == [dept_market.pk]
    body = client.get("/api/v1/org/me/scope", {"on": "2026-12-08"}).json()
    assert [p["position"] for p in body["posts"]] == ["reviewer"]
