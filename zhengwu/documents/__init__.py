"""Official written documents (文书) as PDF: notices, decisions and the generated seal."""

from zhengwu.documents.fonts import FontMissing, register_cjk_font
from zhengwu.documents.notice import (
    NoticeKind,
    NoticeTable,
    chinese_date,
    format_document_number,
    remedies_paragraph,
    render_notice,
)
from zhengwu.documents.seal import draw_seal

__all__ = [
    "FontMissing",
    "NoticeKind",
    "NoticeTable",
    "chinese_date",
    "draw_seal",
    "format_document_number",
    "register_cjk_font",
    "remedies_paragraph",
    "render_notice",
]
