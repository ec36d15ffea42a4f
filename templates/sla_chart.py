"""The SLA over time as an SVG picture (pure): the share of decisions on time, the number
of decisions and the queue at each day's end, one column a business day. Shown by
`pdu status --svg FILE` and in the daily Prefect artifact."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

Point = tuple[date, int, int, int]  # day, decided, on time, queue at the day's end

WIDTH, PANEL, GAP, LEFT, TOP = 720, 90, 34, 60, 40


def _panel(
    title: str, y: int, values: Sequence[float | None], top: float, bars: bool, colour: str
) -> list[str]:
    out = [
        f'<text x="{LEFT}" y="{y - 8}" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{y + PANEL}" x2="{WIDTH - 20}" y2="{y + PANEL}" stroke="#999"/>',
        f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" fill="#555">'
        f"{escape(_label(top, title))}</text>",
        f'<text x="{LEFT - 6}" y="{y + PANEL}" text-anchor="end" fill="#555">0</text>',
    ]
    step = (WIDTH - 20 - LEFT) / max(len(values), 1)
    line = []
    for i, value in enumerate(values):
        if value is None:
            continue
        x = LEFT + i * step
        h = 0 if top == 0 else value / top * PANEL
        if bars:
            out.append(
                f'<rect x="{x + 1:.1f}" y="{y + PANEL - h:.1f}" width="{max(step - 2, 1):.1f}" '
                f'height="{h:.1f}" fill="{colour}"/>'
            )
        else:
            line.append(f"{x + step / 2:.1f},{y + PANEL - h:.1f}")
    if line:
        out.append(
            f'<polyline points="{" ".join(line)}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
    return out


def _label(top: float, title: str) -> str:
    return "100%" if title.startswith("On time") else f"{top:g}"


def sla_svg(points: Sequence[Point], promise_business_days: int) -> str:
    shares = [on_time / decided if decided else None for _, decided, on_time, _ in points]
    decided = [float(d) for _, d, _, _ in points]
    queue = [float(q) for *_, q in points]
    height = TOP + 3 * (PANEL + GAP) + 30
    first, last = (points[0][0], points[-1][0]) if points else (None, None)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="{LEFT}" y="18" font-size="13" font-weight="bold">The last {len(points)} '
        f"business days{f' ({first} to {last})' if first else ''}</text>",
    ]
    out += _panel(
        f"On time (decided within {promise_business_days} business days)",
        TOP + 10, shares, 1.0, False, "#1b7837",
    )  # fmt: skip
    out += _panel("Decisions a day", TOP + 10 + PANEL + GAP, decided, max(decided, default=0), True, "#2166ac")  # fmt: skip  # noqa: E501
    out += _panel(
        "Queue at the day's end", TOP + 10 + 2 * (PANEL + GAP), queue, max(queue, default=0),
        False, "#b2182b",
    )  # fmt: skip
    out.append("</svg>")
    return "\n".join(out) + "\n"
