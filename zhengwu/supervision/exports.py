"""The bulletin as an Excel workbook (one sheet per level, with the definitions) and a PDF."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from zhengwu.documents.fonts import register_cjk_font
from zhengwu.supervision.bulletin import (
    COLUMNS,
    DEFINITIONS,
    LABELS,
    LEVEL_LABELS,
    ON_SITE_TARGET,
    RATE_KEYS,
    Bulletin,
    fmt,
)

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
LOW_FILL = PatternFill("solid", fgColor="F8CBAD")
THIN = Border(*(Side(style="thin", color="999999"),) * 4)
PDF_COLUMNS = ["received", "accepted", "completed", "entry_rate", "authorisation_rate", "on_site_rate",
               "on_time_legal_rate", "on_time_promised_rate", "satisfaction_rate", "complaint_rate", "yellow",
               "red", "anomalies", "orders_overdue"]


HEADER_PADDING = 3  # points each side of a bulletin PDF table cell
COLUMN_WIDTH_MM = 16


def bulletin_xlsx(bulletin: Bulletin) -> bytes:
    wb = Workbook()
    notes = wb.active
    notes.title = "说明"
    notes.append([f"效能通报（{bulletin.period.label}）"])
    notes["A1"].font = Font(bold=True, size=14)
    for line in bulletin.overdue_sentences():
        notes.append([line])
    notes.append([f"最小样本量：办结数少于 {bulletin.min_sample} 件的单位列出但不排名。"])
    notes.append([])
    notes.append(["指标", "定义"])
    for cell in notes[notes.max_row]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for _, name, text in DEFINITIONS:
        notes.append([name, text])
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 110
    for level, rows in bulletin.levels.items():
        ws = wb.create_sheet(LEVEL_LABELS[level])
        header = ["排名", "单位"] + [LABELS[k] for k in COLUMNS] + ["备注"]
        ws.append(header)
        for cell in ws[1]:
            cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, THIN
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        for row in rows + ([bulletin.total] if level == "centre" else []):
            note = "样本不足，不排名" if row.small_sample else ""
            ws.append([row.rank if row.rank is not None else "—", row.name]
                      + [row.values.get(k) for k in COLUMNS] + [note])
            r = ws.max_row
            for j, key in enumerate(COLUMNS, start=3):
                cell = ws.cell(row=r, column=j)
                cell.border = THIN
                if key in RATE_KEYS:
                    cell.number_format = "0.0%"
                elif key in ("avg_days_used", "avg_days_promised", "complaint_rate"):
                    cell.number_format = "0.0"
                if key == "on_site_rate" and cell.value is not None and cell.value < ON_SITE_TARGET:
                    cell.fill = LOW_FILL
        ws.freeze_panes = "C2"
        ws.row_dimensions[1].height = 42
        ws.column_dimensions["B"].width = 30
        for j in range(3, len(header) + 1):
            ws.column_dimensions[get_column_letter(j)].width = 11
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def bulletin_pdf(bulletin: Bulletin, *, title: str = "效能通报") -> bytes:
    font = register_cjk_font()
    h1 = ParagraphStyle("h1", fontName=font, fontSize=18, leading=26, alignment=1)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=13, leading=20, spaceBefore=8)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, firstLineIndent=20)
    cell = ParagraphStyle("cell", fontName=font, fontSize=7, leading=9)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=f"{title} {bulletin.period.label}")
    story = [Paragraph(escape(f"{title}（{bulletin.period.label}）"), h1), Spacer(1, 4 * mm)]
    t = bulletin.total.values
    story.append(Paragraph(escape(
        f"本期收件 {t['received']} 件，受理 {t['accepted']} 件，办结 {t['completed']} 件；按时办结率（承诺）"
        f"{fmt('on_time_promised_rate', t['on_time_promised_rate'])}，按时办结率（法定）"
        f"{fmt('on_time_legal_rate', t['on_time_legal_rate'])}，现场办结率 {fmt('on_site_rate', t['on_site_rate'])}，"
        f"测评满意率 {fmt('satisfaction_rate', t['satisfaction_rate'])}；黄牌预警 {t['yellow']} 次，红牌超期 {t['red']} 次，"
        f"异常行为 {t['anomalies']} 条。"), body))
    for line in bulletin.overdue_sentences():
        story.append(Paragraph(escape(line), body))
    for level, rows in bulletin.levels.items():
        if not rows:
            continue
        story.append(Paragraph(escape(f"{LEVEL_LABELS[level]}情况"), h2))
        # A 16 mm column with 3-pt side padding holds five 7-pt characters (45 pt − 6 ≥ 35), so a
        # five-character heading such as 按时办结率 stays on one line; break before the bracket so
        # "（法定）" stays whole on the next.
        data = [[Paragraph("排名", cell), Paragraph("单位", cell)]
                + [Paragraph(escape(LABELS[k]).replace("（", "<br/>（"), cell) for k in PDF_COLUMNS]]
        low = []
        for i, row in enumerate(rows, start=1):
            data.append([str(row.rank) if row.rank else "—", Paragraph(escape(row.name), cell)]
                        + [fmt(k, row.values.get(k)) for k in PDF_COLUMNS])
            if row.flags:
                low.append(i)
        widths = [10 * mm, 36 * mm] + [COLUMN_WIDTH_MM * mm] * len(PDF_COLUMNS)
        table = Table(data, colWidths=widths, repeatRows=1)
        style = [("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 7),
                 ("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                 ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                 ("LEFTPADDING", (0, 0), (-1, -1), HEADER_PADDING), ("RIGHTPADDING", (0, 0), (-1, -1), HEADER_PADDING)]
        col = 2 + PDF_COLUMNS.index("on_site_rate")
        style += [("TEXTCOLOR", (col, i), (col, i), colors.red) for i in low]
        table.setStyle(TableStyle(style))
        story.append(table)
    story.append(PageBreak())
    story.append(Paragraph("指标定义", h2))
    story.append(Paragraph(escape(f"办结数少于 {bulletin.min_sample} 件的单位列出但不排名；现场办结率低于 90% 以红色标示。"),
                           body))
    for _, name, text in DEFINITIONS:
        story.append(Paragraph(escape(f"{name}：{text}"), body))
    doc.build(story)
    return buf.getvalue()
