import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from zhengwu.catalog import services
from zhengwu.catalog.excel import catalog_export_workbook
from zhengwu.catalog.models import ServiceItem
from zhengwu.catalog.tests import factories as f
from zhengwu.org.models import Position

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    a, b = f.department("县甲局"), f.department("县乙局")
    item_a = f.published_item(a, name="甲局事项", legal_limit_value=20, promised_limit_value=5)
    f.published_item(b, name="乙局事项", legal_limit_value=10, promised_limit_value=5)
    return {
        "a": a, "b": b, "item_a": item_a,
        "admin": f.staff(Position.CENTRE_ADMIN),
        "clerk_a": f.staff(Position.CLERK, a),
        "sysadmin": f.user(admin_role="sysadmin"),
        "applicant": f.user(kind="applicant"),
    }


def test_reengineering_needs_login_and_is_scoped(client, people):
    assert client.get("/catalog/reengineering/").status_code == 302
    client.force_login(people["applicant"])
    assert client.get("/catalog/reengineering/").status_code == 403
    client.force_login(people["clerk_a"])
    page = client.get("/catalog/reengineering/").content.decode()
    assert "甲局事项" in page and "乙局事项" not in page
    client.force_login(people["admin"])
    response = client.get("/catalog/reengineering/")
    page = response.content.decode()
    assert "甲局事项" in page and "乙局事项" in page
    report = response.context["report"]
    assert report.total.compressed_wd == Decimal(20) and report.total.ratio == Decimal("66.7")
    only_b = client.get("/catalog/reengineering/", {"department": people["b"].pk}).context["report"]
    assert only_b.total.items == 1


def test_changes_page_lists_publications(client, people):
    services.item_edit(actor="t", item=people["item_a"], changes={"acceptance_conditions": "新条件"},
                       change_note="调整受理条件")
    services.item_publish(actor="t", item=people["item_a"])
    client.force_login(people["clerk_a"])
    response = client.get("/catalog/changes/")
    rows = response.context["rows"]
    assert [(r.item.pk, r.version.number) for r in rows] == [(people["item_a"].pk, 2), (people["item_a"].pk, 1)]
    assert "调整受理条件" in response.content.decode() and "受理条件" in rows[0].changed
    bad = client.get("/catalog/changes/", {"since": "2026-05-01", "until": "2026-04-01"})
    assert bad.context["rows"] == [] and "开始日期不能晚于结束日期" in bad.content.decode()


def test_excel_pages_for_catalog_admins_only(client, people):
    client.force_login(people["clerk_a"])
    assert client.get("/catalog/excel/").status_code == 403
    assert client.get("/catalog/excel/export.xlsx").status_code == 403
    client.force_login(people["sysadmin"])
    response = client.get("/catalog/excel/export.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb["事项"].max_row == 3


def test_excel_upload_dry_run_then_import_and_errors(client, people):
    client.force_login(people["admin"])
    data = catalog_export_workbook(ServiceItem.objects.order_by("basic_code"))
    wb = load_workbook(io.BytesIO(data))
    headers = [c.value for c in wb["事项"][1]]
    wb["事项"].cell(row=2, column=headers.index("受理条件") + 1, value="导入修改的条件")
    buf = io.BytesIO()
    wb.save(buf)
    upload = SimpleUploadedFile("catalog.xlsx", buf.getvalue())
    response = client.post("/catalog/excel/", {"file": upload, "dry_run": "on"})
    assert response.status_code == 200 and response.context["report"].updated
    assert people["item_a"].versions.count() == 1
    response = client.post("/catalog/excel/", {"file": SimpleUploadedFile("catalog.xlsx", buf.getvalue())})
    assert response.status_code == 200 and "导入完成" in response.content.decode()
    assert people["item_a"].versions.count() == 2
    wb["事项"].cell(row=2, column=headers.index("事项类型") + 1, value="许可")
    buf = io.BytesIO()
    wb.save(buf)
    response = client.post("/catalog/excel/", {"file": SimpleUploadedFile("catalog.xlsx", buf.getvalue())})
    assert response.status_code == 422
    page = response.content.decode()
    assert "事项类型" in page and "不是有效取值" in page
    response = client.post("/catalog/excel/", {"file": SimpleUploadedFile("catalog.csv", b"a,b")})
    assert "请上传 .xlsx" in response.content.decode()


def test_public_flowchart_svg(client, people):
    response = client.get(f"/catalog/items/{people['item_a'].basic_code}/flowchart.svg")
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)
    assert root.findtext("{http://www.w3.org/2000/svg}title") == "甲局事项 运行流程图"
    assert client.get("/catalog/items/009999999999/flowchart.svg").status_code == 404


def test_index_shows_counts_and_admin_links_only_to_managers(client, people):
    services.item_start_draft(actor="t", item=people["item_a"])
    client.force_login(people["clerk_a"])
    response = client.get("/catalog/")
    assert response.context["overview"]["total"] == 1 and response.context["overview"]["drafts"] == 1
    assert "/catalog/excel/" not in response.content.decode()
    client.force_login(people["admin"])
    response = client.get("/catalog/")
    assert response.context["overview"]["total"] == 2
    assert dict(response.context["overview"]["by_status"])["已发布"] == 2
    assert "/catalog/excel/" in response.content.decode()
