"""A generated round official seal (公章), drawn as vectors with reportlab.

No image files: the seal is rebuilt from the department name on every render, so nothing that
looks like a real seal ever sits in the repository or on disk.
"""

from __future__ import annotations

import math

from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from zhengwu.documents.fonts import register_cjk_font

SEAL_RED = Color(0.87, 0.07, 0.11)
# Local government department seals are 42 mm across (国务院关于国家行政机关和企业事业单位社会团体印章管理的规定).
SEAL_RADIUS = 21 * mm
DEFAULT_PURPOSE = "行政审批专用章"
FILL_STROKE = 2


def _star(canvas: Canvas, cx: float, cy: float, outer: float) -> None:
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
    path = canvas.beginPath()
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(90 + i * 36)
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        if i == 0:
            path.moveTo(x, y)
        else:
            path.lineTo(x, y)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


def _bold_text(canvas: Canvas, font: str, size: float) -> None:
    # The font has no bold face; text mode 2 (fill + stroke) gives the engraved weight of a seal.
    canvas.setFont(font, size)
    canvas.setLineWidth(size * 0.04)


def draw_seal(canvas: Canvas, cx: float, cy: float, name: str, *, purpose: str = DEFAULT_PURPOSE,
              radius: float = SEAL_RADIUS, alpha: float = 0.85) -> None:
    """Draw the seal centred on (cx, cy): ring, star, `name` along the upper arc, `purpose` below."""
    font = register_cjk_font()
    canvas.saveState()
    # Slightly transparent, as ink on paper: the signature and date under it stay legible.
    canvas.setFillAlpha(alpha)
    canvas.setStrokeAlpha(alpha)
    canvas.setStrokeColor(SEAL_RED)
    canvas.setFillColor(SEAL_RED)
    ring = radius * 0.045
    canvas.setLineWidth(ring)
    canvas.circle(cx, cy, radius - ring / 2, stroke=1, fill=0)
    _star(canvas, cx, cy, radius * 0.3)

    chars = list(name.strip())
    if chars:
        # Longer names take more of the ring (up to 240°) and smaller characters, as a seal engraver would.
        span = min(240.0, 90.0 + 15.0 * len(chars)) if len(chars) > 1 else 0.0
        size = radius * 0.26
        for _ in range(3):
            baseline = radius - ring - radius * 0.07 - size
            per_char = baseline * math.radians(span) / max(len(chars) - 1, 1)
            size = min(radius * 0.26, per_char * 0.92)
        baseline = radius - ring - radius * 0.07 - size
        step = span / max(len(chars) - 1, 1)
        start = 90 + span / 2
        _bold_text(canvas, font, size)
        for i, ch in enumerate(chars):
            angle = start - i * step
            rad = math.radians(angle)
            canvas.saveState()
            canvas.translate(cx + baseline * math.cos(rad), cy + baseline * math.sin(rad))
            canvas.rotate(angle - 90)
            canvas.drawCentredString(0, 0, ch, mode=FILL_STROKE)
            canvas.restoreState()

    if purpose:
        size = radius * 0.17
        while canvas.stringWidth(purpose, font, size) > radius * 1.25 and size > 4:
            size -= 0.5
        _bold_text(canvas, font, size)
        canvas.drawCentredString(cx, cy - radius * 0.62, purpose, mode=FILL_STROKE)
    canvas.restoreState()
