"""The 效能通报 on a small fixture month whose figures were computed by hand, read back from the
Excel workbook and the PDF."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from pypdf import PdfReader

from zhengwu.cases.models import Case
from zhengwu.catalog.tests.factories import published_item
from zhengwu.core.errors import ValidationFailed
from zhengwu.supervision import services
from zhengwu.supervision.bulletin import Period, bulletin_compute
from zhengwu.supervision.exports import bulletin_pdf, bulletin_xlsx
from zhengwu.supervision.history import HistoricalCase, case_history_import
from zhengwu.supervision.models import Complaint, SupervisionOrder
from zhengwu.supervision.services import Hit
from zhengwu.supervision.tests.conftest import SH


def t(day, hour=9, minute=0):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SH)


@pytest.fixture
def month(item, immediate_item, dept_market, dept_land, window_market, clerk, chief_representative, leader,
          outsider, supervisor):
    land_item = published_item(dept_land, name="建设用地规划许可", themes=[])
    assert land_item.current_version_id is not None
    p, i = item.current_version_id, immediate_item.current_version_id
    m = {"department_id": dept_market.pk, "window_id": window_market.pk, "first_responder_id": clerk.pk}
    rows = [
        # 1: promised 5 WD, decided after 2 WD by the chief representative: on time, early.
        HistoricalCase("H1", p, received_at=t(2), accepted_at=t(2, 10), decided_at=t(4, 15), status="completed",
                       outcome="approve", decided_by_id=chief_representative.pk, rating_level="very_satisfied",
                       rated_at=t(4, 16), **m),
        # 2: decided on 03-10, a day after the promised due date 03-09; within the legal 20 WD.
        HistoricalCase("H2", p, received_at=t(2), accepted_at=t(2, 10), decided_at=t(10, 10), status="completed",
                       outcome="approve", decided_by_id=leader.pk, rating_level="dissatisfied", rated_at=t(10, 11),
                       **m),
        # 3: still open at the end of March, promised due 03-10: overdue.
        HistoricalCase("H3", p, received_at=t(3), accepted_at=t(3, 10), status="accepted", **m),
        # 4: 即办件 finished on the spot by the chief representative.
        HistoricalCase("H4", i, received_at=t(5), accepted_at=t(5, 9, 10), decided_at=t(5, 9, 30), status="completed",
                       outcome="approve", decided_by_id=chief_representative.pk, completed_on_site=True,
                       rating_level="satisfied", rated_at=t(5, 10), **m),
        # 5: 即办件 not finished on the spot, and entered in the system three days late.
        HistoricalCase("H5", i, received_at=t(5), accepted_at=t(5, 9, 10), decided_at=t(6, 10), status="completed",
                       outcome="approve", decided_by_id=clerk.pk, registered_at=t(9), **m),
        # 6: the other department, one decided case (below the minimum sample of 2).
        HistoricalCase("H6", land_item.current_version_id, department_id=dept_land.pk, received_at=t(10),
                       accepted_at=t(10, 10), decided_at=t(12, 10), status="completed", outcome="approve",
                       decided_by_id=outsider.pk, first_responder_id=outsider.pk),
        # Outside the month: ignored.
        HistoricalCase("H7", p, received_at=dt.datetime(2026, 2, 27, 9, tzinfo=SH),
                       accepted_at=dt.datetime(2026, 2, 27, 10, tzinfo=SH),
                       decided_at=dt.datetime(2026, 2, 27, 16, tzinfo=SH), status="completed",
                       outcome="approve", decided_by_id=chief_representative.pk, **m),
    ]
    assert case_history_import(actor="test", rows=rows) == 7
    for code, when in (("W01", t(8)), ("W02", t(11)), ("A07", t(12))):
        services._records_create(actor="test", rule=services.rule_get(code), hits=[Hit(
            subject=f"x:{code}", department_id=dept_market.pk, window_id=window_market.pk, occurred_at=when,
            description=code, responsible_user_id=clerk.pk)])
    Complaint.objects.create(department=dept_market, window=window_market, summary="窗口态度差", received_at=t(12))
    SupervisionOrder.objects.create(number="DB1", department=dept_market, content="请说明", reply_days=3,
                                    issued_by=supervisor, issued_at=t(20), reply_due_at=t(26, 0))
    return rows


EXPECTED_MARKET = {
    "received": 5, "accepted": 5, "completed": 4, "entry_rate": 0.8, "authorisation_rate": 0.5,
    "on_site_rate": 0.5, "on_time_legal_rate": 1.0, "on_time_promised_rate": 0.5, "early_rate": 0.25,
    "avg_days_used": 2.25, "avg_days_promised": 2.5, "compression_rate": 0.875, "ratings": 3,
    "satisfaction_rate": 2 / 3, "dissatisfaction_rate": 1 / 3, "complaints": 1, "complaint_rate": 200.0,
    "yellow": 1, "red": 1, "anomalies": 1, "orders_open": 1, "orders_overdue": 1,
}


def test_figures_equal_the_hand_computed_ones(month, dept_market, dept_land):
    b = bulletin_compute(Period.month(2026, 3), min_sample=2)
    rows = {r.name: r for r in b.levels["department"]}
    market, land = rows[dept_market.name], rows[dept_land.name]
    for key, value in EXPECTED_MARKET.items():
        assert market.values[key] == pytest.approx(value), key
    assert market.rank == 1 and market.flags == ["on_site_rate"]
    assert land.rank is None and land.small_sample and land.values["completed"] == 1
    assert b.total.values["received"] == 6 and b.total.values["completed"] == 5
    (window,) = b.levels["window"]
    assert window.values["received"] == 5 and window.values["complaints"] == 1
    staff = {r.name: r.values for r in b.levels["staff"]}
    assert staff["李窗口（clerk）"]["received"] == 5 and staff["李窗口（clerk）"]["yellow"] == 1
    assert [r.values["received"] for r in b.levels["centre"]] == [6]
    assert b.levels["township"] == []
    assert b.overdue_sentences() == [f"截至3月31日超期未办结办件的单位有：{dept_market.name}（1件）。",
                                     f"截至3月31日未按期回复督办单的单位有：{dept_market.name}（1件）。"]


def test_a_period_of_days_counts_only_those_days(month, dept_market):
    b = bulletin_compute(Period.days(dt.date(2026, 3, 1), dt.date(2026, 3, 4)), min_sample=0)
    market = next(r for r in b.levels["department"] if r.name == dept_market.name)
    assert market.values["received"] == 3 and market.values["completed"] == 1


def test_excel_and_pdf_read_back(month, dept_market, tmp_path):
    call_command("bulletin", "--month", "2026-03", "--out", str(tmp_path), "--min-sample", "2")
    wb = load_workbook(tmp_path / "效能通报-2026-03.xlsx")
    assert wb.sheetnames == ["说明", "中心", "部门", "窗口", "便民服务中心", "工作人员"]
    ws = wb["部门"]
    header = [c.value for c in ws[1]]
    market = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[1] == dept_market.name)
    row = dict(zip(header, market, strict=True))
    assert row["排名"] == 1 and row["收件数"] == 5 and row["办结数"] == 4
    assert row["现场办结率"] == 0.5 and row["按时办结率（承诺）"] == 0.5 and row["投诉率（‰）"] == 200
    assert ws.cell(row=2, column=header.index("现场办结率") + 1).number_format == "0.0%"
    notes = [r[0] for r in wb["说明"].iter_rows(values_only=True)]
    assert "项目录入率" in notes and any("超期未办结办件的单位有" in (n or "") for n in notes)
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "效能通报-2026-03.pdf").pages)
    text = text.replace("\n", "").replace(" ", "")
    assert "效能通报（2026年3月）" in text and "本期收件6件" in text and "办结5件" in text
    assert f"{dept_market.name}（1件）" in text and "现场办结率：" in text


def test_exports_of_an_empty_month_still_render(db):
    b = bulletin_compute(Period.month(2025, 1))
    assert load_workbook(io.BytesIO(bulletin_xlsx(b))).sheetnames[0] == "说明"
    assert b"%PDF" in bulletin_pdf(b)[:8]


def test_import_is_idempotent_and_all_or_nothing(month, item, dept_market):
    assert case_history_import(actor="test", rows=month) == 0
    bad = [HistoricalCase("X1", item.current_version.pk, dept_market.pk, received_at=t(2), status="completed")]
    with pytest.raises(ValidationFailed) as exc:
        case_history_import(actor="test", rows=bad)
    assert exc.value.details[0]["case_no"] == "X1" and "决定" in exc.value.details[0]["errors"][0]
    assert not Case.objects.filter(case_no="X1").exists()


def test_the_command_narrows_to_one_centre(month, township, county_centre, tmp_path):
    from zhengwu.org.models import ServiceCentre
    from zhengwu.org.tests.factories import CentreFactory

    other = CentreFactory(name="清溪镇便民服务中心", kind=ServiceCentre.Kind.TOWNSHIP, region=township,
                          parent=None)
    call_command("bulletin", "--month", "2026-03", "--out", str(tmp_path / "a"), "--centre", str(county_centre.pk))
    call_command("bulletin", "--month", "2026-03", "--out", str(tmp_path / "b"), "--centre",
                 str(other.pk))  # type: ignore[attr-defined]
    full = load_workbook(tmp_path / "a" / "效能通报-2026-03.xlsx")["部门"]
    empty = load_workbook(tmp_path / "b" / "效能通报-2026-03.xlsx")["部门"]
    assert full.max_row == 3 and empty.max_row == 1


def test_pdf_headings_of_five_characters_stay_on_one_line():
    # 按时办结率 once broke as 按时办结 / 率: the column's width less its padding must hold five 7-pt characters.
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph

    from zhengwu.supervision import exports

    cell = ParagraphStyle("cell", fontName=exports.register_cjk_font(), fontSize=7, leading=9)
    width = exports.COLUMN_WIDTH_MM * mm - 2 * exports.HEADER_PADDING
    names = {exports.LABELS[k].split("（")[0] for k in exports.PDF_COLUMNS}
    assert "按时办结率" in names
    for name in (n for n in names if len(n) <= 5):
        paragraph = Paragraph(name, cell)
        paragraph.wrap(width, 1000)
        assert len(paragraph.blPara.lines) == 1, name
