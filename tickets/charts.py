"""Charts as inline SVG, drawn on the server: readable without JavaScript, printable, and
styled by the page's CSS (classes, ``currentColor``), so they follow its colours.

Each function returns safe markup: every text in it is escaped here. The SVG has
``role="img"`` with a label; the table beside it holds the same numbers for screen readers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

WIDTH = 640
BAR = 22
GAP = 8
LABEL_WIDTH = 200


def _num(value: float) -> str:
    return number_format(value, decimal_pos=1 if value != int(value) else 0)


def _text(value) -> str:
    return escape(str(value))


def bars(
    items: Sequence[tuple[object, float | None]], *, maximum: float | None, unit: str, label
) -> SafeString:
    """Horizontal bars, one per item (label, value); None draws no bar and says "n/a"."""
    values = [v for _l, v in items if v is not None]
    top = maximum or (max(values) if values else 0) or 1
    height = max(1, len(items)) * (BAR + GAP) + GAP
    plot = WIDTH - LABEL_WIDTH - 70
    parts = [
        f'<svg class="chart chart-bars" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{_text(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_text(label)}</title>",
    ]
    for index, (name, value) in enumerate(items):
        y = GAP + index * (BAR + GAP)
        shown = str(name)
        if len(shown) > 28:
            shown = shown[:27] + "…"
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + BAR * 0.7:.1f}" '
            f'text-anchor="end">{_text(shown)}</text>'
        )
        parts.append(
            f'<rect class="chart-track" x="{LABEL_WIDTH}" y="{y}" width="{plot}" '
            f'height="{BAR}" rx="3"/>'
        )
        if value is not None:
            width = max(0.0, min(1.0, value / top)) * plot
            parts.append(
                f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" '
                f'height="{BAR}" rx="3"/>'
            )
        figure = gettext("n/a") if value is None else f"{_num(value)}{unit and ' ' + unit}"
        parts.append(
            f'<text class="chart-value" x="{LABEL_WIDTH + plot + 6}" y="{y + BAR * 0.7:.1f}">'
            f"{_text(figure)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)


def columns(
    labels: Sequence[object], series: Sequence[tuple[object, str, Sequence[float]]], *, label
) -> SafeString:
    """Vertical columns, one group per label, one column per series (its CSS class), with a
    legend; dates as labels are shown as short dates, at most about 16 of them."""
    height, top_pad, bottom = 260, 28, 48
    left = 44
    plot_w, plot_h = WIDTH - left - 10, height - top_pad - bottom
    values = [v for _n, _c, vs in series for v in vs]
    top = max(values) if values and max(values) > 0 else 1
    groups = max(1, len(labels))
    slot = plot_w / groups
    column = max(1.0, (slot * 0.8) / max(1, len(series)))
    parts = [
        f'<svg class="chart chart-columns" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{_text(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_text(label)}</title>",
        f'<line class="chart-axis" x1="{left}" y1="{top_pad + plot_h}" '
        f'x2="{WIDTH - 10}" y2="{top_pad + plot_h}"/>',
        f'<text class="chart-value" x="{left - 6}" y="{top_pad + 4}" text-anchor="end">'
        f"{_text(_num(top))}</text>",
        f'<text class="chart-value" x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end">0'
        "</text>",
    ]
    every = max(1, math.ceil(groups / 8))
    for index, name in enumerate(labels):
        x0 = left + index * slot + slot * 0.1
        for number, (_n, css, vs) in enumerate(series):
            value = vs[index] if index < len(vs) else 0
            h = (value / top) * plot_h
            parts.append(
                f'<rect class="chart-bar {css}" x="{x0 + number * column:.1f}" '
                f'y="{top_pad + plot_h - h:.1f}" width="{column:.1f}" height="{h:.1f}">'
                f"<title>{_text(date_format(name) if isinstance(name, dt.date) else name)}"
                f": {_text(_num(value))}</title></rect>"
            )
        if index % every == 0:
            # A short day ("3/9", "9.3."): the table has the full dates.
            shown = date_format(name, gettext("n/j")) if isinstance(name, dt.date) else str(name)
            if len(shown) > 14:
                shown = shown[:13] + "…"
            parts.append(
                f'<text class="chart-label" x="{left + index * slot + slot / 2:.1f}" '
                f'y="{top_pad + plot_h + 16}" text-anchor="middle">{_text(shown)}</text>'
            )
    x = left
    for name, css, _vs in series:
        parts.append(f'<rect class="chart-bar {css}" x="{x}" y="6" width="12" height="12"/>')
        parts.append(f'<text class="chart-label" x="{x + 16}" y="16">{_text(name)}</text>')
        x += 16 + 9 * len(str(name)) + 20
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)
