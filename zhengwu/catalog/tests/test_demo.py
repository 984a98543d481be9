import re
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from openpyxl import load_workbook

from zhengwu.catalog import demo
from zhengwu.catalog.models import FeeItem, ServiceItem, ServiceItemVersion
from zhengwu.catalog.selectors import item_search
from zhengwu.catalog.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    names = sorted({r.department for r in demo.read_rows()})
    departments = {name: f.department(name) for name in names}
    windows = {d.pk: [f.window(d)] for d in departments.values()}
    return departments, windows


def test_seed_builds_all_270_rows_published_and_is_idempotent(county):
    departments, windows = county
    started = time.perf_counter()
    assert demo.seed_catalog(actor="demo", departments=departments, windows_by_department=windows) == 270
    elapsed = time.perf_counter() - started
    print(f"seed_catalog: 270 items in {elapsed:.2f} s")
    assert ServiceItem.objects.filter(status="published").count() == 270
    assert ServiceItemVersion.objects.filter(status="published").count() == 270
    counts = Counter(ServiceItemVersion.objects.values_list("item_type", flat=True))
    assert counts["01"] == 115 and counts["20"] == 60 and counts["06"] == 2
    assert Counter(ServiceItemVersion.objects.values_list("case_kind", flat=True)) == {"2": 206, "1": 64}
    assert ServiceItemVersion.objects.filter(fee_required=True).count() == 13
    assert demo.seed_catalog(actor="demo", departments=departments, windows_by_department=windows) == 0
    assert ServiceItem.objects.count() == 270


def test_seeded_items_are_searchable_and_complete(county):
    departments, windows = county
    demo.seed_catalog(actor="demo", departments=departments, windows_by_department=windows)
    names = [i.current.name for i in item_search(q="gtgshsldj")]
    assert names == ["个体工商户设立登记"]
    # Nobody's item is called 营业执照, but the registrations that issue it are found by it.
    assert {"公司设立登记", "个体工商户设立登记"} <= {i.current.name for i in item_search(q="yyzz")}
    assert any("食品" in i.current.name for i in item_search(q="shipin"))
    item = ServiceItem.objects.get(current_version__name="公共场所卫生许可新办审批（县级）")
    v = item.current
    assert len(item.basic_code) == 12 and item.basic_code.startswith("00")
    assert v.implementation_code == f"{item.department.uscc}4{item.basic_code}"
    assert v.case_kind == "1" and v.promised_limit_value == 0 and v.legal_limit_value == 20
    assert [s.budget_days for s in v.steps.all()] == [0, 0]
    assert list(item.windows.all()) == windows[item.department.pk]
    form = v.materials.exclude(blank_form="").first()
    assert form is not None
    wb = load_workbook(default_storage.open(form.blank_form.name))
    assert wb.active["A1"].value == form.name
    fee_item = ServiceItem.objects.get(current_version__name="普通护照签发").current
    assert fee_item.fees.get().standard == "每本 120 元"
    assert fee_item.fees.get().amount_bounds() == (Decimal("120.00"), Decimal("120.00"))
    # Every demo fee reads as an amount or is marked as a text standard, never left to guessing.
    kinds = {fee.name: fee.amount_kind for fee in FeeItem.objects.all()}
    assert kinds["不动产登记费"] == "range" and kinds["水资源费"] == "text"
    assert set(kinds) == set(demo.FEE_AMOUNTS)
    for version in ServiceItemVersion.objects.filter(case_kind="2").prefetch_related("steps")[:50]:
        assert sum(s.budget_days for s in version.steps.all()) == version.promised_limit_value


def test_basic_codes_are_deterministic_and_unique():
    rows = demo.read_rows()
    first = demo.basic_codes(rows)
    assert len(set(first.values())) == 270
    assert all(re.fullmatch(r"00\d{7}000", code) for code in first.values())
    assert first == demo.basic_codes(demo.read_rows())
    # Row 1 (公司设立登记): 县行政审批局 is the 30th department in code-point order, first 01 item.
    assert first[1] == "003001001000"


def test_missing_department_is_reported(county):
    departments, windows = county
    departments.pop("县气象局")
    with pytest.raises(Exception, match="县气象局"):
        demo.seed_catalog(actor="demo", departments=departments, windows_by_department=windows)
    assert not ServiceItem.objects.exists()


@pytest.mark.parametrize(("total", "expected"), [(1, [0, 0, 1, 0, 0]), (5, [0, 0, 4, 1, 0]), (20, [0, 2, 11, 5, 2])])
def test_step_budgets_sum_to_the_promise(total, expected):
    row = demo.read_rows()[0]
    steps = demo.build_steps(row.__class__(**{**row.__dict__, "promised": total, "immediate": False}))
    budgets = [s["budget_days"] for s in steps]
    assert budgets == expected and sum(budgets) == total
