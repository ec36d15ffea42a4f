"""docs/workflow.svg, drawn from the transition table itself (pure: returns the SVG text).

States sit in columns by their distance from `submitted`; each transition is an arrow
labelled with its event (and the case kinds it belongs to when not all). Purging, which
every closed state allows, is one note rather than a dozen arrows. tests/unit/
test_workflow_drawing.py fails when the committed drawing and the table disagree:
    .venv/bin/python -c "from models.workflow_drawing import workflow_svg; \\
        print(workflow_svg(), end='')" > docs/workflow.svg
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

from models.enums import CaseKind, CaseStatus
from models.workflow import TRANSITIONS, Event

BOX_W, BOX_H, COL_GAP, ROW_GAP, MARGIN = 150, 34, 110, 40, 30
KIND_LABEL = {
    CaseKind.PREAPPROVAL: "pre-approval",
    CaseKind.PROVIDER: "provider",
    CaseKind.ACCOUNT_REQUEST: "account",
    CaseKind.OPPORTUNITY: "opportunity",
}


def _edges() -> dict[tuple[CaseStatus, CaseStatus, Event], list[CaseKind]]:
    edges: dict[tuple[CaseStatus, CaseStatus, Event], list[CaseKind]] = defaultdict(list)
    for kind, table in TRANSITIONS.items():
        for (source, event), target in table.items():
            if event is not Event.PURGE:
                edges[(source, target, event)].append(kind)
    return dict(sorted(edges.items(), key=lambda item: (item[0][0], item[0][1], item[0][2])))


def _columns(
    edges: dict[tuple[CaseStatus, CaseStatus, Event], list[CaseKind]],
) -> list[list[CaseStatus]]:
    depth = {CaseStatus.SUBMITTED: 0}
    frontier = [CaseStatus.SUBMITTED]
    while frontier:
        nxt = []
        for state in frontier:
            for source, target, _ in edges:
                if source == state and target not in depth:
                    depth[target] = depth[state] + 1
                    nxt.append(target)
        frontier = sorted(nxt)
    depth.setdefault(CaseStatus.PURGED, max(depth.values()) + 1)
    columns: list[list[CaseStatus]] = [[] for _ in range(max(depth.values()) + 1)]
    for state in sorted(depth):
        columns[depth[state]].append(state)
    return columns


def workflow_svg() -> str:
    edges = _edges()
    columns = _columns(edges)
    where: dict[CaseStatus, tuple[int, int]] = {}
    for c, states in enumerate(columns):
        for r, state in enumerate(states):
            where[state] = (MARGIN + c * (BOX_W + COL_GAP), MARGIN + 40 + r * (BOX_H + ROW_GAP))
    width = MARGIN * 2 + len(columns) * (BOX_W + COL_GAP) - COL_GAP
    height = MARGIN * 2 + 40 + max(len(s) for s in columns) * (BOX_H + ROW_GAP) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif" font-size="11">',
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' "
        "markerHeight='7' orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' "
        "fill='#444'/></marker></defs>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{MARGIN}" y="{MARGIN + 10}" font-size="14" font-weight="bold">Case states '
        "and transitions (drawn from models/workflow.py)</text>",
    ]
    for n, ((source, target, event), kinds) in enumerate(edges.items()):
        (x1, y1), (x2, y2) = where[source], where[target]
        ax: float = x1 + BOX_W
        ay: float = y1 + BOX_H / 2
        bx: float = x2
        by: float = y2 + BOX_H / 2
        mid_y: float
        lx: float
        ly: float
        if x2 <= x1:  # backwards or within a column: curve below the boxes
            ax, bx = x1 + BOX_W / 2 + 10, x2 + BOX_W / 2 - 10
            ay, by = y1 + BOX_H, y2 + BOX_H
            mid_y = max(ay, by) + 18 + (n % 3) * 6
            path = f"M{ax:.0f},{ay:.0f} C{ax:.0f},{mid_y} {bx:.0f},{mid_y} {bx:.0f},{by:.0f}"
            lx, ly = (ax + bx) / 2, mid_y
        else:
            path = f"M{ax:.0f},{ay:.0f} L{bx:.0f},{by:.0f}"
            lx, ly = (ax + bx) / 2, (ay + by) / 2 - 4
        label = event.value
        if len(kinds) != len(TRANSITIONS):
            label += " (" + ", ".join(KIND_LABEL[k] for k in kinds) + ")"
        out.append(
            f'<path d="{path}" fill="none" stroke="#444" marker-end="url(#arrow)"/>'
            f'<text x="{lx:.0f}" y="{ly:.0f}" text-anchor="middle" fill="#333" '
            f'font-size="9">{escape(label)}</text>'
        )
    purgeable = {s for table in TRANSITIONS.values() for (s, e) in table if e is Event.PURGE}
    for state, (x, y) in where.items():
        closed = state in purgeable or state is CaseStatus.PURGED
        fill = "#eeeeee" if closed else "#e3f0fb"
        out.append(
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" '
            f'stroke="#336"/><text x="{x + BOX_W / 2:.0f}" y="{y + BOX_H / 2 + 4:.0f}" '
            f'text-anchor="middle">{escape(state.value)}</text>'
        )
    out.append(
        f'<text x="{MARGIN}" y="{height - MARGIN + 10}" fill="#333">Grey: closed. Every '
        "closed state moves to purged when its retention period ends (event purge).</text>"
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"
