import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from openpyxl import load_workbook

from zhengwu.catalog import services
from zhengwu.catalog.excel import ITEM_COLUMNS, catalog_export_workbook, parse_workbook
from zhengwu.catalog.models import ServiceItem
from zhengwu.catalog.spec import spec_from_version
from zhengwu.catalog.tests import factories as f
from zhengwu.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _rich_catalog(dept, w1, w2):
    form = default_storage.save("catalog/forms/test/申请书.xlsx", ContentFile(b"PK\x03\x04demo"))
    a = f.published_item(
        dept, name="=公共场所卫生许可（新办）", basic_code="000000000101", legal_limit_value=20,
        legal_limit_note="《行政许可法》第四十二条", promised_limit_value=3, promised_limit_unit="working_days",
        fee_required=True, fee_basis="《价格法》",
        fees=[{"order": 1, "name": "工本费", "standard": "10元/本", "basis": "省物价局文件", "reducible": True,
               "reduction_basis": "低保户免收", "amount_kind": "fixed", "amount_min": Decimal("10.00")},
              {"order": 2, "name": "登记费", "standard": "每件 80—550 元", "basis": "省物价局文件",
               "amount_kind": "range", "amount_min": Decimal("80.00"), "amount_max": Decimal("550.50")},
              {"order": 3, "name": "测绘费", "standard": "按面积计收", "basis": "省物价局文件"}],
        materials=[{"order": 1, "name": "卫生许可申请书", "blank_form": form, "copy_count": 0, "source": "applicant",
                    "notes": "第一行\n第二行", "acceptance_standard": "填写完整"},
                   {"order": 2, "name": "营业执照", "original_count": 1, "copy_count": 2, "required": False,
                    "paper_spec": "A3", "form": "paper"}],
        steps=[{"order": 1, "name": "受理", "role": "clerk", "budget_days": 1},
               {"order": 2, "name": "审查决定", "role": "chief_representative", "budget_days": 2,
                "description": "两人以上核查"}],
        special_procedures=[{"kind": "test", "duration_value": 10, "duration_unit": "calendar_days", "note": "检验"}],
        faqs=[{"order": 1, "question": "能否加急？", "answer": "不能"}],
        service_objects=["1", "2"], handling_forms=["1", "2", "4"], themes=["health_org", "permits"],
        system_level="provincial", supports_delivery=True, supports_appointment=True, office_hours="周一至周五",
        quantity_limit="无", intermediary_services="无", power_source="2", handling_scope="city",
        consultation_phone="0571-1", complaint_phone="0571-2",
    )
    services.item_set_windows(actor="t", item=a, windows=[w1, w2])
    b = f.published_item(dept, name="个体工商户设立登记", basic_code="000000000102", case_kind="1",
                         promised_limit_value=0, legal_limit_value=3, online_depth=4, onsite_visits=0,
                         onsite_reason="", steps=[{"order": 1, "name": "收件受理", "role": "clerk", "budget_days": 0}])
    services.item_suspend(actor="t", item=b, reason="系统切换")
    return [a, b]


def _specs(items):
    out = {}
    for item in ServiceItem.objects.filter(pk__in=[i.pk for i in items]).order_by("basic_code"):
        out[item.basic_code] = (spec_from_version(item.current), item.status, item.cancelled_reason,
                                sorted(w.number for w in item.windows.all()))
    return out


def test_export_reads_back_into_an_equal_catalog():
    dept = f.department()
    windows = f.window(dept, number="B01"), f.window(dept, number="B02")
    with transaction.atomic():
        items = _rich_catalog(dept, *windows)
        before = _specs(items)
        data = catalog_export_workbook(ServiceItem.objects.order_by("basic_code"))
        transaction.set_rollback(True)
    assert not ServiceItem.objects.exists()

    report = services.catalog_import(actor="t", data=data)
    assert report.ok, [str(e) for e in report.errors]
    assert sorted(report.created) == ["000000000101", "000000000102"]
    after = _specs(ServiceItem.objects.all())
    assert after == before
    # All elements really were compared: a rich spec, not an empty one.
    spec_a = after["000000000101"][0]
    assert spec_a["name"].startswith("=") and spec_a["materials"][0]["notes"] == "第一行\n第二行"
    assert spec_a["fees"][0]["reducible"] is True and spec_a["special_procedures"][0]["duration_unit"] == "calendar_days"
    assert [(x["amount_kind"], x["amount_min"], x["amount_max"]) for x in spec_a["fees"]] == [
        ("fixed", Decimal("10.00"), None), ("range", Decimal("80.00"), Decimal("550.50")), ("text", None, None)]
    assert after["000000000102"][1:] == ("suspended", "系统切换", [])


def test_reimporting_the_export_changes_nothing_and_an_edit_makes_a_version():
    dept = f.department()
    _rich_catalog(dept, f.window(dept, number="B01"), f.window(dept, number="B02"))
    data = catalog_export_workbook(ServiceItem.objects.order_by("basic_code"))
    report = services.catalog_import(actor="t", data=data)
    assert report.ok and sorted(report.unchanged) == ["000000000101", "000000000102"] and not report.updated

    wb = load_workbook(io.BytesIO(data))
    ws = wb["事项"]
    headers = [c.value for c in ws[1]]
    ws.cell(row=2, column=headers.index("承诺办结时限") + 1, value=4)
    ws.cell(row=2, column=headers.index("变更说明") + 1, value="再压缩 1 天")
    buf = io.BytesIO()
    wb.save(buf)
    report = services.catalog_import(actor="t", data=buf.getvalue())
    assert report.ok and report.updated == ["000000000101"]
    item = ServiceItem.objects.get(basic_code="000000000101")
    assert item.current.number == 2 and item.current.promised_limit_value == 4
    assert item.current.change_note == "再压缩 1 天"


def _broken_workbook(dept):
    f.published_item(dept, basic_code="000000000201")
    data = catalog_export_workbook(ServiceItem.objects.all())
    wb = load_workbook(io.BytesIO(data))
    ws = wb["事项"]
    headers = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(headers)}
    # Row 3: a new item with three problems; row 4: unknown department.
    for c in range(1, len(headers) + 1):
        ws.cell(row=3, column=c, value=ws.cell(row=2, column=c).value)
        ws.cell(row=4, column=c, value=ws.cell(row=2, column=c).value)
    ws.cell(row=3, column=col["基本编码"], value="000000000202")
    ws.cell(row=3, column=col["实施编码"]).value = None  # derived on import
    ws.cell(row=3, column=col["监督投诉电话"], value="0571-87000001")
    ws.cell(row=3, column=col["办件类型"], value="即办件")
    ws.cell(row=3, column=col["到办事现场次数"], value="两次")
    ws.cell(row=4, column=col["基本编码"], value="000000000203")
    ws.cell(row=4, column=col["实施主体统一社会信用代码"], value="91330100MA00000000")
    steps = wb["流程"]
    steps.append(["000000000201", 9, "多余环节", "审批人员", 30, ""])
    steps.append(["000000009999", 1, "孤儿环节", "审批人员", 1, ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_is_all_or_nothing_and_reports_every_bad_row():
    dept = f.department()
    data = _broken_workbook(dept)
    events = AuditEvent.objects.count()
    report = services.catalog_import(actor="t", data=data)
    assert not report.ok
    found = {(e.sheet, e.row, e.column) for e in report.errors}
    assert ("事项", 3, "到办事现场次数") in found  # cell error: not an integer
    assert ("事项", 3, "监督投诉电话") in found  # same as the consultation phone
    assert ("事项", 3, "承诺办结时限") in found  # 即办件 with a promised limit
    assert ("事项", 4, "实施主体统一社会信用代码") in found
    assert ("事项", 2, "流程") in found  # steps now exceed the promised limit
    assert ("流程", 6, "基本编码") in found
    assert ("事项", 3, "实施编码") not in found
    assert len(report.errors) == len(found)  # one message per cell
    messages = " ".join(e.message for e in report.errors)
    assert "咨询电话与监督投诉电话不能相同" in messages and "即办件" in messages
    assert ServiceItem.objects.count() == 1
    assert ServiceItem.objects.get().versions.count() == 1
    assert AuditEvent.objects.count() == events


def test_not_an_excel_file():
    report = services.catalog_import(actor="t", data=b"hello")
    assert not report.ok and "xlsx" in report.errors[0].message


def test_dry_run_reports_without_writing():
    dept = f.department()
    with transaction.atomic():
        f.published_item(dept, basic_code="000000000301")
        data = catalog_export_workbook(ServiceItem.objects.all())
        transaction.set_rollback(True)
    report = services.catalog_import(actor="t", data=data, dry_run=True)
    assert report.ok and report.created == ["000000000301"] and "检查通过" in report.summary()
    assert not ServiceItem.objects.exists()


def test_readme_sheet_documents_every_column():
    data = catalog_export_workbook([])
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["事项", "材料", "流程", "收费", "特别程序", "常见问题", "说明"]
    documented = {(r[0], r[1]) for r in wb["说明"].iter_rows(min_row=3, values_only=True)}
    assert {("事项", c.header) for c in ITEM_COLUMNS} <= documented
    assert ("材料", "空白表格") in documented and ("流程", "时限（工作日）") in documented


def test_labels_or_codes_are_accepted():
    dept = f.department()
    with transaction.atomic():
        f.published_item(dept, basic_code="000000000401")
        data = catalog_export_workbook(ServiceItem.objects.all())
        transaction.set_rollback(True)
    wb = load_workbook(io.BytesIO(data))
    ws = wb["事项"]
    headers = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=headers.index("事项类型") + 1).value == "行政许可"
    ws.cell(row=2, column=headers.index("事项类型") + 1, value="07")
    ws.cell(row=2, column=headers.index("网上办理深度") + 1, value="3")
    buf = io.BytesIO()
    wb.save(buf)
    parsed = parse_workbook(buf.getvalue())
    assert parsed.errors == []
    assert parsed.items[0].spec["item_type"] == "07" and parsed.items[0].spec["online_depth"] == 3
