"""运行流程图: the process steps of a version as an accessible SVG, drawn on the server.

One box per step, top to bottom, with the step name, the acting post and its working-day budget;
arrows between boxes; start and end terminals. `<title>` and `<desc>` carry the whole process in
words for screen readers (GB/T 37668), and `role="img"` with `aria-labelledby` points at them.
The portal inlines the string; no script, no external resource.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from zhengwu.catalog.limits import format_limit
from zhengwu.catalog.models import ServiceItemVersion
from zhengwu.org.models import Position

WIDTH = 420
BOX_W = 300
BOX_H = 64
GAP = 36
TERM_H = 36
MARGIN = 16
FONT = "'Noto Sans CJK SC','WenQuanYi Zen Hei','Microsoft YaHei',sans-serif"


def _budget_label(days: int) -> str:
    return "当场办结" if days == 0 else f"{days} 个工作日"


def _terminal(y: int, text: str) -> str:
    x = (WIDTH - 160) // 2
    return (f'<g class="terminal"><rect x="{x}" y="{y}" width="160" height="{TERM_H}" rx="18" ry="18" '
            f'fill="#eef4fb" stroke="#2b5797" stroke-width="1.5"/>'
            f'<text x="{WIDTH // 2}" y="{y + TERM_H // 2 + 5}" text-anchor="middle" font-size="14">{escape(text)}</text></g>')


def _arrow(y1: int, y2: int) -> str:
    x = WIDTH // 2
    return (f'<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2 - 6}" stroke="#555" stroke-width="1.5"/>'
            f'<polygon points="{x - 5},{y2 - 8} {x + 5},{y2 - 8} {x},{y2}" fill="#555"/>')


def flowchart_svg(version: ServiceItemVersion, *, element_id: str = "flow") -> str:
    steps = list(version.steps.all())
    title = f"{version.name} 运行流程图"
    limit = format_limit(version.promised_limit_value, version.promised_limit_unit)
    sentences = [
        f"第{i}步：{s.name}，由{Position(s.role).label}办理，时限{_budget_label(s.budget_days)}"
        for i, s in enumerate(steps, start=1)
    ]
    desc = f"共 {len(steps)} 个环节，承诺办结时限{limit}。" + "；".join(sentences) + ("。" if sentences else "")

    height = MARGIN * 2 + TERM_H * 2 + (len(steps) + 1) * GAP + len(steps) * BOX_H
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{element_id}-title {element_id}-desc" font-family="{FONT}" class="flowchart">',
        f'<title id="{element_id}-title">{escape(title)}</title>',
        f'<desc id="{element_id}-desc">{escape(desc)}</desc>',
    ]
    y = MARGIN
    parts.append(_terminal(y, "申请"))
    y += TERM_H
    x = (WIDTH - BOX_W) // 2
    for i, step in enumerate(steps, start=1):
        parts.append(_arrow(y, y + GAP))
        y += GAP
        parts.append(
            f'<g class="step" data-order="{i}">'
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" ry="6" fill="#ffffff" '
            f'stroke="#2b5797" stroke-width="1.5"/>'
            f'<text x="{WIDTH // 2}" y="{y + 26}" text-anchor="middle" font-size="16" font-weight="bold">'
            f'{i}. {escape(step.name)}</text>'
            f'<text x="{WIDTH // 2}" y="{y + 50}" text-anchor="middle" font-size="13" fill="#333">'
            f'{escape(Position(step.role).label)} · {escape(_budget_label(step.budget_days))}</text></g>'
        )
        y += BOX_H
    parts.append(_arrow(y, y + GAP))
    y += GAP
    parts.append(_terminal(y, "办结"))
    parts.append("</svg>")
    return "".join(parts)
