"""Written notices and decisions (文书) of the licensing procedure, rendered as PDF.

Layout follows GB/T 9704-2012 (党政机关公文格式) where a notice can: A4, margins 37/28/35/26 mm,
issuing authority above the title, 文号 under it, the addressee flush left, body paragraphs
indented two characters, the issuer and date at the lower right with the seal pressed over both.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from zhengwu.documents.fonts import register_cjk_font
from zhengwu.documents.seal import DEFAULT_PURPOSE, SEAL_RADIUS, SEAL_RED, draw_seal


class NoticeKind(Enum):
    """Each notice of 行政许可法 §32–§45, with its printed name and the word in its 文号."""

    ACCEPTANCE = ("acceptance", "受理通知书", "受字")
    REJECTION = ("rejection", "不予受理通知书", "不受字")
    CORRECTION_NOTICE = ("correction_notice", "补正材料通知书（一次性告知）", "补字")
    SPECIAL_PROCEDURE = ("special_procedure", "特别程序告知书", "特字")
    EXTENSION = ("extension", "延期告知书", "延字")
    APPROVAL = ("approval", "准予行政许可决定书", "准字")
    DENIAL = ("denial", "不予行政许可决定书", "不准字")

    def __init__(self, code: str, title: str, number_word: str) -> None:
        self.code = code
        self.title = title
        self.number_word = number_word

    @property
    def is_refusal(self) -> bool:
        # 行政许可法 §38: a refusal states reasons and the right to 行政复议 / 行政诉讼; the same
        # holds for a refusal to accept, which is itself a reviewable act.
        return self in (NoticeKind.REJECTION, NoticeKind.DENIAL)

    @classmethod
    def of(cls, value: NoticeKind | str) -> NoticeKind:
        if isinstance(value, cls):
            return value
        for kind in cls:
            if value in (kind.code, kind.title, kind.name):
                return kind
        raise ValueError(f"未知的文书种类 {value!r} / unknown notice kind")


@dataclass(frozen=True)
class NoticeTable:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    caption: str = ""
    col_widths: Sequence[float] | None = field(default=None)


# 行政复议法 (2023) §20: 60 days from knowing of the act; 行政诉讼法 §46: 6 months.
REVIEW_DAYS = 60
LITIGATION_MONTHS = 6


def remedies_paragraph(*, review_body: str = "", court: str = "") -> str:
    body = review_body or "有管辖权的行政复议机关"
    court_name = court or "有管辖权的人民法院"
    return (
        f"如不服本决定，可以自收到本文书之日起{_cn_int(REVIEW_DAYS)}日内向{body}申请行政复议"
        "（《中华人民共和国行政复议法》第二十条），"
        f"也可以自收到本文书之日起{_cn_int(LITIGATION_MONTHS)}个月内依法向{court_name}提起行政诉讼"
        "（《中华人民共和国行政诉讼法》第四十六条）。"
    )


_DIGITS = "零一二三四五六七八九"


def _cn_int(n: int) -> str:
    if n < 10:
        return _DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    return str(n)


def chinese_date(value: date) -> str:
    # GB/T 9704-2012 §7.3.5.3: the date is written in full with Arabic numerals (2026年1月5日).
    return f"{value.year}年{value.month}月{value.day}日"


def format_document_number(*, prefix: str, year: int, seq: int) -> str:
    return f"{prefix}〔{year}〕第{seq:04d}号"


PAGE_MARGINS = {"topMargin": 37 * mm, "bottomMargin": 35 * mm, "leftMargin": 28 * mm, "rightMargin": 26 * mm}
BODY_SIZE = 14
TITLE_SIZE = 22


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.9,
                          wordWrap="CJK", alignment=TA_JUSTIFY, firstLineIndent=2 * BODY_SIZE)
    return {
        "issuer": ParagraphStyle("issuer", parent=base, fontSize=20, leading=30, alignment=TA_CENTER,
                                 firstLineIndent=0, textColor=SEAL_RED),
        "title": ParagraphStyle("title", parent=base, fontSize=TITLE_SIZE, leading=TITLE_SIZE * 1.6,
                                alignment=TA_CENTER, firstLineIndent=0, spaceBefore=6),
        "number": ParagraphStyle("number", parent=base, alignment=TA_CENTER, firstLineIndent=0, spaceAfter=10),
        "recipient": ParagraphStyle("recipient", parent=base, alignment=TA_LEFT, firstLineIndent=0),
        "body": base,
        "caption": ParagraphStyle("caption", parent=base, alignment=TA_CENTER, firstLineIndent=0, spaceBefore=4),
        "cell": ParagraphStyle("cell", parent=base, fontSize=11, leading=15, firstLineIndent=0, alignment=TA_LEFT),
        "head": ParagraphStyle("head", parent=base, fontSize=11, leading=15, firstLineIndent=0,
                               alignment=TA_CENTER),
        "sign": ParagraphStyle("sign", parent=base, alignment=TA_RIGHT, firstLineIndent=0),
    }


class SignatureBlock(Flowable):
    """Issuer and date at the right, with the seal pressed over both (GB/T 9704-2012 §7.3.5.1)."""

    def __init__(self, *, issuer: str, issued_on: date, font: str, seal: bool, purpose: str) -> None:
        super().__init__()
        self.issuer = issuer
        self.date_text = chinese_date(issued_on)
        self.font = font
        self.seal = seal
        self.purpose = purpose

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        self.height = 2 * SEAL_RADIUS + 6 * mm
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        c.setFont(self.font, BODY_SIZE)
        # Right edge four characters in from the margin, as the standard's 右空四字.
        right = self.width - 4 * BODY_SIZE
        text_width = max(c.stringWidth(self.issuer, self.font, BODY_SIZE),
                         c.stringWidth(self.date_text, self.font, BODY_SIZE))
        centre_x = right - text_width / 2
        date_y = 6 * mm + SEAL_RADIUS - BODY_SIZE
        issuer_y = date_y + BODY_SIZE * 1.9
        c.setFillColor(colors.black)
        c.drawCentredString(centre_x, issuer_y, self.issuer)
        c.drawCentredString(centre_x, date_y, self.date_text)
        if self.seal:
            # Issuer and date sit below the seal's centre, the seal covering both lines.
            draw_seal(c, centre_x, date_y + BODY_SIZE * 1.2, self.issuer, purpose=self.purpose)


def _table(table: NoticeTable | Sequence[Sequence[str]], styles: dict[str, ParagraphStyle],
           width: float) -> list[Flowable]:
    if not isinstance(table, NoticeTable):
        rows = [list(r) for r in table]
        if not rows:
            return []
        table = NoticeTable(header=rows[0], rows=rows[1:])
    header = [Paragraph(escape(str(h)), styles["head"]) for h in table.header]
    body = [[Paragraph(escape(str(cell)), styles["cell"]) for cell in row] for row in table.rows]
    widths = list(table.col_widths) if table.col_widths else None
    if widths is None:
        ncols = len(table.header)
        # A narrow first column for the 序号, the rest shared.
        first = 14 * mm if ncols > 1 and str(table.header[0]) in ("序号", "No.") else width / ncols
        widths = [first] + [(width - first) / (ncols - 1)] * (ncols - 1) if ncols > 1 else [width]
    grid = Table([header, *body], colWidths=widths, repeatRows=1)
    grid.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    flow: list[Flowable] = []
    if table.caption:
        flow.append(Paragraph(escape(table.caption), styles["caption"]))
    flow += [Spacer(1, 2 * mm), grid, Spacer(1, 4 * mm)]
    return flow


def _page_number(canvas, doc) -> None:
    # GB/T 9704-2012 §7.5: page numbers as "— 1 —" below the text area.
    canvas.saveState()
    canvas.setFont(register_cjk_font(), 12)
    canvas.drawCentredString(A4[0] / 2, 20 * mm, f"— {doc.page} —")
    canvas.restoreState()


def render_notice(*, kind: NoticeKind | str, number: str, recipient: str, paragraphs: Sequence[str],
                  tables: Sequence[NoticeTable | Sequence[Sequence[str]]] = (), issuer_name: str,
                  issued_on: date, seal: bool = True, seal_purpose: str = DEFAULT_PURPOSE,
                  remedies: bool | None = None, review_body: str = "", court: str = "") -> bytes:
    """Render one notice and return the PDF bytes.

    `remedies` defaults to the kind: refusals (不予受理, 不予许可) always tell the applicant of 行政复议
    and 行政诉讼 (行政许可法 §38); pass `review_body` / `court` to name them.
    """
    notice_kind = NoticeKind.of(kind)
    font = register_cjk_font()
    styles = _styles(font)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=f"{notice_kind.title} {number}", author=issuer_name,
                            subject=notice_kind.title, creator="Zhengwu 政务服务平台", **PAGE_MARGINS)
    story: list[Flowable] = [
        Paragraph(escape(issuer_name), styles["issuer"]),
        Paragraph(escape(notice_kind.title), styles["title"]),
        Paragraph(escape(number), styles["number"]),
        Paragraph(escape(f"{recipient}："), styles["recipient"]),
    ]
    story += [Paragraph(escape(p), styles["body"]) for p in paragraphs]
    for table in tables:
        story += _table(table, styles, doc.width)
    if notice_kind.is_refusal if remedies is None else remedies:
        story.append(Paragraph(escape(remedies_paragraph(review_body=review_body, court=court)), styles["body"]))
    story.append(Spacer(1, 10 * mm))
    story.append(KeepTogether([SignatureBlock(issuer=issuer_name, issued_on=issued_on, font=font, seal=seal,
                                              purpose=seal_purpose)]))
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buffer.getvalue()
