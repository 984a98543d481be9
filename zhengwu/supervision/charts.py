"""Small server-side SVG charts (no JavaScript, no network): bars and a line."""

from __future__ import annotations

import math
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


def multi_line_chart(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float | None]]], *,
                     title: str, target: tuple[str, float] | None = None, width: int = 720,
                     height: int = 280) -> str:
    """Several percentage series (name, colour, fractions or None) over the same labelled x positions.

    A missing value (no cases or no ratings that month) leaves a gap instead of a fall to zero; the
    y axis is 0–100 %; `target` draws a dashed reference line (e.g. 现场办结率 90 %).
    """
    left, right, top, bottom = 44, 16, 52, 30
    plot_h = height - top - bottom
    n = max(len(labels) - 1, 1)
    xs = [left + i * (width - left - right) / n for i in range(len(labels))]
    # Rates near 90–100 % would sit in a flat band on a 0–100 % axis: start the axis at the 10 % step
    # below the lowest value (or the target) so month-to-month changes show; the ticks say where it starts.
    shown = [v for _, _, values in series for v in values if v is not None] + ([target[1]] if target else [])
    low = max(0.0, math.floor((min(shown, default=0.0) - 0.02) * 10) / 10)
    step = 0.05 if 1 - low <= 0.3 else 0.25 if low == 0 else 0.1
    ticks = [round(low + i * step, 2) for i in range(round((1 - low) / step) + 1)]

    def y_of(value: float) -> float:
        return height - bottom - (value - low) / (1 - low) * plot_h

    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' role='img' "
             f"aria-label='{escape(title)}' class='chart'>",
             f"<text x='4' y='18' font-size='14' font-weight='bold' {FONT}>{escape(title)}</text>"]
    for i, (name, colour, _) in enumerate(series):
        x = left + i * 170
        parts.append(f"<rect x='{x}' y='28' width='14' height='4' fill='{colour}'/>"
                     f"<text x='{x + 18}' y='34' font-size='12' {FONT}>{escape(name)}</text>")
    for tick in ticks:
        y = y_of(tick)
        parts.append(f"<line x1='{left}' y1='{y:.1f}' x2='{width - right}' y2='{y:.1f}' stroke='#e5e5e5'/>"
                     f"<text x='{left - 4}' y='{y + 4:.1f}' font-size='10' text-anchor='end' {FONT}>"
                     f"{round(tick * 100)}%</text>")
    if target is not None:
        name, value = target
        y = y_of(value)
        parts.append(f"<line x1='{left}' y1='{y:.1f}' x2='{width - right}' y2='{y:.1f}' stroke='#c0392b' "
                     f"stroke-dasharray='4 3'/><text x='{left + 4}' y='{y + 12:.1f}' font-size='10' "
                     f"fill='#c0392b' {FONT}>{escape(name)}</text>")
    for _, colour, values in series:
        run: list[str] = []
        for px, v in zip(xs, values, strict=True):
            if v is None:
                if len(run) > 1:
                    parts.append(f"<polyline points='{' '.join(run)}' fill='none' stroke='{colour}' stroke-width='2'/>")
                run = []
                continue
            run.append(f"{px:.1f},{y_of(v):.1f}")
            parts.append(f"<circle cx='{px:.1f}' cy='{y_of(v):.1f}' r='2.5' fill='{colour}'>"
                         f"<title>{v * 100:.1f}%</title></circle>")
        if len(run) > 1:
            parts.append(f"<polyline points='{' '.join(run)}' fill='none' stroke='{colour}' stroke-width='2'/>")
    for label, lx in zip(labels, xs, strict=True):
        parts.append(f"<text x='{lx:.1f}' y='{height - 10}' font-size='10' text-anchor='middle' {FONT}>"
                     f"{escape(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)
