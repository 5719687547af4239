"""The read-only drawing of a process: a server-rendered SVG (no JavaScript, no library).

Activities are laid out in rows by their distance from the start activity (those the start
cannot reach come last, marked), transitions are arrows labelled with their name; the start
activity has a double border, end activities (no transition leaves them) a thick one.
"""

from __future__ import annotations

from collections import deque

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ..models import Process

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 200, 44, 40, 90, 20


def _short(text: str, size: int = 26) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def render(process: Process) -> SafeString:
    activities = list(process.activities.all())
    transitions = list(process.transitions.all())
    if not activities:
        return format_html("<p>{}</p>", _("No activity yet."))
    edges: dict[int, list[int]] = {}
    for t in transitions:
        edges.setdefault(t.from_activity_id, []).append(t.to_activity_id)
    level: dict[int, int] = {}
    todo = deque([(process.start_activity_id, 0)] if process.start_activity_id else [])
    while todo:
        node, depth = todo.popleft()
        if node in level or node is None:
            continue
        level[node] = depth
        todo.extend((n, depth + 1) for n in edges.get(node, ()))
    unreached = max(level.values(), default=-1) + 1
    rows: dict[int, list[int]] = {}
    for activity in activities:
        rows.setdefault(level.get(activity.pk, unreached), []).append(activity.pk)
    place: dict[int, tuple[int, int]] = {}
    for row, members in rows.items():
        for column, pk in enumerate(members):
            place[pk] = (MARGIN + column * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y))
    width = MARGIN * 2 + max(len(m) for m in rows.values()) * (BOX_W + GAP_X) - GAP_X
    height = MARGIN * 2 + (max(rows) + 1) * (BOX_H + GAP_Y) - GAP_Y
    arrows = []
    for t in transitions:
        (x1, y1), (x2, y2) = place[t.from_activity_id], place[t.to_activity_id]
        start: tuple[float, float] = (x1 + BOX_W / 2, y1 + BOX_H)
        end: tuple[float, float] = (x2 + BOX_W / 2, y2)
        if y2 <= y1:  # back or sideways: leave from the side
            start = (x1 + BOX_W, y1 + BOX_H / 2)
            end = (x2 + BOX_W, y2 + BOX_H / 2 + 6)
        label = ((start[0] + end[0]) / 2 + 6, (start[1] + end[1]) / 2)
        arrows.append((start[0], start[1], end[0], end[1], label[0], label[1], _short(t.name)))
    ends = {a.pk for a in activities if not edges.get(a.pk)}
    boxes = []
    for activity in activities:
        x, y = place[activity.pk]
        # Presentation attributes, not a <style> (the admin's CSP allows no inline styles).
        stroke, width_, dash = "#5a6b80", "1.5", "none"
        if activity.pk == process.start_activity_id:
            stroke, width_ = "#2a6ebb", "4"
        elif activity.pk in ends:
            stroke, width_ = "#333333", "3"
        if activity.pk not in level:
            stroke, dash = "#bb0000", "4 3"
        boxes.append(
            (
                x,
                y,
                BOX_W,
                BOX_H,
                stroke,
                width_,
                dash,
                x + BOX_W / 2,
                y + BOX_H / 2 + 5,
                _short(activity.name),
            )
        )
    return format_html(
        '<svg class="process-diagram" xmlns="http://www.w3.org/2000/svg" role="img" '
        'width="{}" height="{}" viewBox="0 0 {} {}" aria-label="{}" font-family="sans-serif" '
        'font-size="13">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#444444"/></marker></defs>{}{}</svg>',
        width,
        height,
        width,
        height,
        _("Diagram of the process “%(name)s”") % {"name": process.name},
        format_html_join(
            "",
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#444444" stroke-width="1.3" '
            'marker-end="url(#arrow)"/>'
            '<text x="{}" y="{}" fill="#555555" font-size="11">{}</text>',
            arrows,
        ),
        format_html_join(
            "",
            '<g><rect x="{}" y="{}" width="{}" height="{}" rx="6" fill="#f4f7fb" stroke="{}" '
            'stroke-width="{}" stroke-dasharray="{}"/>'
            '<text x="{}" y="{}" text-anchor="middle" fill="#222222">{}</text></g>',
            boxes,
        ),
    )
