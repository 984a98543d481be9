"""Small server-side SVG charts (no JavaScript, no network): bars and a line."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

FONT = "font-family='Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif'"


def bar_chart(items: Sequence[tuple[str, float | None]], *, title: str, percent: bool = True, target: float | None = None,
              width: int = 640) -> str:
    """Horizontal bars, one per (label, value); values are fractions when `percent`."""
    row, left, top = 24, 200, 30
    height = top + row * max(len(items), 1) + 20
    top_value = 1.0 if percent else max([v or 0 for _, v in items] + [1])
    scale = (width - left - 70) / top_value
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' role='img' "
             f"aria-label='{escape(title)}' class='chart'>",
             f"<text x='4' y='18' font-size='14' font-weight='bold' {FONT}>{escape(title)}</text>"]
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = (value or 0) * scale
        low = target is not None and value is not None and value < target
        colour = "#c0392b" if low else "#2e86c1"
        text = "—" if value is None else (f"{value * 100:.1f}%" if percent else f"{value:g}")
        parts.append(f"<text x='{left - 6}' y='{y + 15}' font-size='12' text-anchor='end' {FONT}>"
                     f"{escape(label if len(label) <= 15 else label[:14] + '…')}</text>")
        parts.append(f"<rect x='{left}' y='{y + 3}' width='{w:.1f}' height='16' fill='{colour}'/>")
        parts.append(f"<text x='{left + w + 4:.1f}' y='{y + 15}' font-size='12' {FONT}>{text}</text>")
    if target is not None:
        x = left + target * scale
        parts.append(f"<line x1='{x:.1f}' y1='{top}' x2='{x:.1f}' y2='{height - 20}' stroke='#c0392b' "
                     "stroke-dasharray='4 3'/>")
    parts.append("</svg>")
    return "".join(parts)


def line_chart(points: Sequence[tuple[str, float]], *, title: str, width: int = 640, height: int = 220) -> str:
    """One series over labelled x positions (e.g. months)."""
    left, right, top, bottom = 40, 20, 30, 30
    top_value = max([v for _, v in points] + [1])
    n = max(len(points) - 1, 1)
    xs = [left + i * (width - left - right) / n for i in range(len(points))]
    ys = [height - bottom - v / top_value * (height - top - bottom) for _, v in points]
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' role='img' "
             f"aria-label='{escape(title)}' class='chart'>",
             f"<text x='4' y='18' font-size='14' font-weight='bold' {FONT}>{escape(title)}</text>",
             f"<line x1='{left}' y1='{height - bottom}' x2='{width - right}' y2='{height - bottom}' stroke='#999'/>"]
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        parts.append(f"<polyline points='{path}' fill='none' stroke='#2e86c1' stroke-width='2'/>")
    for (label, value), x, y in zip(points, xs, ys, strict=True):
        parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='#2e86c1'/>")
        parts.append(f"<text x='{x:.1f}' y='{y - 6:.1f}' font-size='10' text-anchor='middle' {FONT}>{value:g}</text>")
        parts.append(f"<text x='{x:.1f}' y='{height - 10}' font-size='10' text-anchor='middle' {FONT}>"
                     f"{escape(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)
