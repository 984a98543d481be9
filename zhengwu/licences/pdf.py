"""The layout (版式) PDF of an 电子证照: border, title, printed fields, issuer with seal, identifier
and a QR code that opens the public verification page."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

import segno
from django.conf import settings
from django.urls import reverse
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from zhengwu.core.errors import ValidationFailed
from zhengwu.core.masking import mask_id_number
from zhengwu.documents.fonts import register_cjk_font
from zhengwu.documents.notice import chinese_date
from zhengwu.documents.seal import SEAL_RADIUS, draw_seal
from zhengwu.licences.models import Certificate, HolderIdType

BORDER = colors.Color(0.55, 0.12, 0.10)
DEFAULT_PUBLIC_BASE_URL = "http://localhost:8000"
QR_SIZE = 34 * mm


def verification_path(identifier: str) -> str:
    return reverse("licences:verify", args=[identifier])


def verification_url(identifier: str) -> str:
    """Absolute URL for the QR code: a phone scanning paper has no page to be relative to."""
    base = (getattr(settings, "ZHENGWU_PUBLIC_BASE_URL", "") or DEFAULT_PUBLIC_BASE_URL).rstrip("/")
    return base + verification_path(identifier)


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "、".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_text(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as vector squares, one filled rectangle per run of dark modules."""
    qr = segno.make(data, error="m", micro=False)
    matrix = qr.matrix
    quiet = 4
    count = len(matrix) + 2 * quiet
    module = size / count
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    for r, row in enumerate(matrix):
        top = y + size - (r + quiet + 1) * module
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                canvas.rect(x + (start + quiet) * module, top, (c - start) * module, module, stroke=0, fill=1)
            else:
                c += 1
    canvas.restoreState()


def _fields_table(rows: list[tuple[str, str]], font: str, size: float) -> Table:
    label = ParagraphStyle("label", fontName=font, fontSize=size, leading=size * 1.4, wordWrap="CJK")
    table = Table([[Paragraph(escape(k), label), Paragraph(escape(v), label)] for k, v in rows],
                  colWidths=[48 * mm, 142 * mm])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.Color(0.75, 0.75, 0.75)),
        ("TOPPADDING", (0, 0), (-1, -1), size / 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), size / 2.4),
    ]))
    return table


def render_certificate(certificate: Certificate, *, holder_id_number: str) -> bytes:
    font = register_cjk_font()
    width, height = landscape(A4)
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=(width, height))
    c.setTitle(f"{certificate.name} {certificate.number}")
    c.setAuthor(certificate.issuer_name)
    c.setSubject(certificate.identifier)
    c.setCreator("Zhengwu 政务服务平台")

    c.setStrokeColor(BORDER)
    c.setLineWidth(3)
    c.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    c.setLineWidth(0.8)
    c.rect(13 * mm, 13 * mm, width - 26 * mm, height - 26 * mm)

    c.setFillColor(colors.black)
    c.setFont(font, 30)
    c.drawCentredString(width / 2, height - 38 * mm, certificate.name)
    c.setFont(font, 12)
    c.drawCentredString(width / 2, height - 48 * mm, f"证照编号：{certificate.number}")

    # A person's ID number is masked on the file, which lies outside the encrypted column; the
    # full number stays in the signed payload, decrypted only inside the services.
    shown_id = holder_id_number if certificate.holder_id_type == HolderIdType.USCC \
        else mask_id_number(holder_id_number)
    valid_until = chinese_date(certificate.valid_until) if certificate.valid_until else "长期"
    rows = [
        ("持证主体", certificate.holder_name),
        (certificate.get_holder_id_type_display(), shown_id),
        *[(str(k), _text(v)) for k, v in certificate.content.items()],
        ("有效期限", f"{chinese_date(certificate.valid_from)} 至 {valid_until}"),
    ]
    top, bottom = height - 58 * mm, 70 * mm
    for size in (12, 11, 10, 9, 8):
        table = _fields_table(rows, font, size)
        _, table_height = table.wrapOn(c, 190 * mm, height)
        if top - table_height >= bottom:
            break
    else:
        raise ValidationFailed("照面信息过多，一页证照放不下", "too many printed fields for one page",
                               field="content")
    table.drawOn(c, 28 * mm, top - table_height)

    qr_x, qr_y = width - 28 * mm - QR_SIZE, height - 58 * mm - QR_SIZE
    draw_qr(c, verification_url(certificate.identifier), qr_x, qr_y, QR_SIZE)
    c.setFont(font, 9)
    c.drawCentredString(qr_x + QR_SIZE / 2, qr_y - 5 * mm, "扫码核验真伪")

    sign_x = width - 28 * mm - 45 * mm
    date_y = 42 * mm
    c.setFont(font, 13)
    c.drawCentredString(sign_x, date_y + 9 * mm, f"发证机关：{certificate.issuer_name}")
    c.drawCentredString(sign_x, date_y, f"发证日期：{chinese_date(certificate.issued_on)}")
    draw_seal(c, sign_x, date_y + 5 * mm, certificate.issuer_name, radius=SEAL_RADIUS)

    c.setFont(font, 8)
    c.drawString(20 * mm, 24 * mm, f"电子证照标识：{certificate.identifier}")
    c.drawString(20 * mm, 20 * mm, f"本证照以 SM2 数字签名签发，签名密钥：{certificate.signing_key.reference}")
    c.drawString(20 * mm, 16 * mm, f"核验地址：{verification_url(certificate.identifier)}")
    c.showPage()
    c.save()
    return buffer.getvalue()


def render_certificate_job(certificate: Certificate, params: dict) -> bytes:
    """Renderer of the document queue (zhengwu.documents.jobs): the holder's number is decrypted
    only for the printing, never stored in the job."""
    from zhengwu.licences.services import holder_id_decrypt

    return render_certificate(certificate, holder_id_number=holder_id_decrypt(certificate))
