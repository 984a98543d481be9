"""Files the browser tests upload."""

from __future__ import annotations

import io

from pypdf import PdfWriter


def blank_pdf() -> bytes:
    """A real one-page A4 PDF (the upload check reads its first bytes)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
