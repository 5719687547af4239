"""A report (tickets.reports) as a PDF file: title, period and filters, the chart and the table.

The chart is drawn with ReportLab's vector shapes from the same ``Report.chart`` data the SVG
of :mod:`tickets.charts` uses (bars, axis, labels; nothing is rasterised), and the table is a
ReportLab table that flows over as many A4 pages as it needs, its header row repeated on each.

Text is in the active language (the view's, or the recipient's for a scheduled mail). The
font is Open Sans from the ``ttf-opensans`` wheel, embedded as a subset: it covers Latin with
its extensions (Polish, Czech, Turkish ...), Greek and Cyrillic; ReportLab's standard fonts
know Latin-1 only. Scripts outside it (CJK, for example) show as empty boxes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

import ttf_opensans  # the font files live in this package
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language, gettext
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .reports import GROUPED, Column, Dimension, Kind, Report, cell

FONT = "OpenSans"
BOLD = "OpenSans-Bold"
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
# Bars of one drawing: a drawing never splits; 18 bars (330 pt) fit below the title on the
# first page, and two such parts on each further one.
BARS_PER_DRAWING = 18
# The chart's colours: the two series of the page's CSS (s1, s2), the bar track, the axis.
SERIES = (colors.HexColor("#2f6fb0"), colors.HexColor("#d9822b"))
TRACK = colors.HexColor("#e8ecf1")
INK = colors.HexColor("#222222")
MUTED = colors.HexColor("#555555")


def _fonts() -> None:
    """Register Open Sans with ReportLab once per process (its registry is global)."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(ttf_opensans.OPENSANS_REGULAR.path)))
    pdfmetrics.registerFont(TTFont(BOLD, str(ttf_opensans.OPENSANS_BOLD.path)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def pdf_filename(report: Report) -> str:
    return f"{report.kind}-{report.filters.start.isoformat()}-{report.filters.end.isoformat()}.pdf"


def to_pdf(report: Report) -> bytes:
    """The report as the bytes of a PDF document."""
    _fonts()
    out = io.BytesIO()
    title = str(report.title)
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        subject=str(report.chart_label),
        creator="OTRS-Django",
        lang=get_language() or "en",
        initialFontName=FONT,
    )
    styles = _styles()
    story: list = [Paragraph(escape(title), styles["title"])]
    story += [Paragraph(escape(line), styles["meta"]) for line in _filter_lines(report)]
    story.append(Spacer(1, 4 * mm))
    if not report.rows:
        story.append(Paragraph(escape(gettext("No tickets in this period.")), styles["body"]))
    else:
        heading, *drawings = [
            Paragraph(escape(str(report.chart_label)), styles["heading"]),
            *_chart(report),
        ]
        story.append(KeepTogether([heading, drawings[0]]))
        story += drawings[1:]
        story.append(Spacer(1, 6 * mm))
        story.append(Paragraph(escape(gettext("Table")), styles["heading"]))
        story.append(_table(report, styles))

    def footer(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, MARGIN / 2, title)
        canvas.drawRightString(
            A4[0] - MARGIN, MARGIN / 2, gettext("Page %(n)s") % {"n": document.page}
        )
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _styles() -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=BOLD, fontSize=17, leading=21, spaceAfter=6),
        "meta": ParagraphStyle("meta", fontName=FONT, fontSize=9.5, leading=13, textColor=MUTED),
        "heading": ParagraphStyle(
            "heading", fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=2, spaceAfter=4
        ),
        "body": ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13),
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=10.5),
        "cell_bold": ParagraphStyle("cell_bold", fontName=BOLD, fontSize=8.5, leading=10.5),
        "head_num": ParagraphStyle(
            "head_num", fontName=BOLD, fontSize=8.5, leading=10.5, alignment=TA_RIGHT
        ),
    }


def _filter_lines(report: Report) -> list[str]:
    """What the report covers, as the page says it (period or moment, grouping, queue)."""
    filters = report.filters
    if report.kind == Kind.BACKLOG:
        at = date_format(timezone.localtime(report.generated_at), "SHORT_DATETIME_FORMAT")
        lines = [gettext("Open tickets at %(at)s") % {"at": at}]
    else:
        lines = [
            gettext("Period: %(start)s to %(end)s")
            % {
                "start": date_format(filters.start, "SHORT_DATE_FORMAT"),
                "end": date_format(filters.end, "SHORT_DATE_FORMAT"),
            }
        ]
    if report.kind in GROUPED:
        lines.append(f"{gettext('Group by')}: {Dimension(filters.dimension).label}")
    queue = filters.queue.full_name if filters.queue is not None else gettext("all")
    lines.append(f"{gettext('Queue')}: {queue}")
    return lines


# --- the chart ---------------------------------------------------------------------------------


def _chart(report: Report) -> list[Drawing]:
    """The chart as one drawing, or (many bars) as several that each fit on a page."""
    if report.chart[0] == "bars":
        _kind, items, maximum, unit = report.chart
        values = [v for _l, v in items if v is not None]
        top = maximum or (max(values) if values else 0) or 1
        return [
            _bars(items[start : start + BARS_PER_DRAWING], top=top, unit=unit)
            for start in range(0, max(1, len(items)), BARS_PER_DRAWING)
        ]
    _kind, labels, series = report.chart
    return [_columns(labels, series)]


def _num(value: float) -> str:
    return number_format(value, decimal_pos=1 if value != int(value) else 0)


def _fit(text: str, width: float, size: float) -> str:
    """The text, cut with an ellipsis to fit ``width`` points."""
    if pdfmetrics.stringWidth(text, FONT, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text + "…"


def _bars(items: Sequence[tuple[object, float | None]], *, top: float, unit: str) -> Drawing:
    """Horizontal bars, one per item, on a track scaled to ``top``; None draws no bar and
    says "n/a"."""
    bar, gap, size = 13.0, 5.0, 8.0
    label_w, value_w = 170.0, 60.0
    plot = WIDTH - label_w - value_w
    height = max(1, len(items)) * (bar + gap) + gap
    drawing = Drawing(WIDTH, height, initialFontName=FONT, initialFontSize=8)
    for index, (name, value) in enumerate(items):
        # ReportLab's y runs upwards: the first item at the top, as on the page.
        y = height - gap - (index + 1) * (bar + gap) + gap
        text_y = y + bar * 0.3
        drawing.add(
            String(
                label_w - 6,
                text_y,
                _fit(str(name), label_w - 8, size),
                fontName=FONT,
                fontSize=size,
                fillColor=INK,
                textAnchor="end",
            )
        )
        drawing.add(Rect(label_w, y, plot, bar, fillColor=TRACK, strokeColor=None))
        if value is not None:
            width = max(0.0, min(1.0, value / top)) * plot
            drawing.add(Rect(label_w, y, width, bar, fillColor=SERIES[0], strokeColor=None))
        figure = gettext("n/a") if value is None else f"{_num(value)}{unit and ' ' + unit}"
        drawing.add(
            String(label_w + plot + 5, text_y, figure, fontName=FONT, fontSize=size, fillColor=INK)
        )
    drawing.add(Line(label_w, 0, label_w, height, strokeColor=MUTED, strokeWidth=0.6))
    return drawing


def _columns(
    labels: Sequence[object], series: Sequence[tuple[object, str, Sequence[float]]]
) -> Drawing:
    """Vertical columns, one group per label and one column per series, with an axis, the
    top value, a legend and at most about eight labels (dates as short dates)."""
    size = 7.5
    height, legend_h, bottom, left = 190.0, 18.0, 22.0, 34.0
    plot_w, plot_h = WIDTH - left - 6, height - legend_h - bottom - 6
    values = [v for _n, _c, vs in series for v in vs]
    top = max(values) if values and max(values) > 0 else 1
    groups = max(1, len(labels))
    slot = plot_w / groups
    column = max(0.8, (slot * 0.8) / max(1, len(series)))
    drawing = Drawing(WIDTH, height, initialFontName=FONT, initialFontSize=8)
    base = bottom
    drawing.add(Line(left, base, left + plot_w, base, strokeColor=MUTED, strokeWidth=0.8))
    drawing.add(Line(left, base, left, base + plot_h, strokeColor=MUTED, strokeWidth=0.6))
    for figure, y in ((_num(top), base + plot_h), ("0", base)):
        drawing.add(
            String(left - 4, y - size / 3, figure, fontName=FONT, fontSize=size, textAnchor="end")
        )
    drawing.add(
        Line(left, base + plot_h, left + plot_w, base + plot_h, strokeColor=TRACK, strokeWidth=0.6)
    )
    every = max(1, -(-groups // 8))
    for index, name in enumerate(labels):
        x0 = left + index * slot + slot * 0.1
        for number, (_n, _css, vs) in enumerate(series):
            value = vs[index] if index < len(vs) else 0
            h = (value / top) * plot_h
            colour = SERIES[number % len(SERIES)]
            drawing.add(
                Rect(x0 + number * column, base, column, h, fillColor=colour, strokeColor=None)
            )
        if index % every == 0:
            shown = date_format(name, gettext("n/j")) if isinstance(name, dt.date) else str(name)
            drawing.add(
                String(
                    left + index * slot + slot / 2,
                    base - 11,
                    _fit(shown, max(slot * every - 4, 30), size),
                    fontName=FONT,
                    fontSize=size,
                    fillColor=INK,
                    textAnchor="middle",
                )
            )
    x = left
    for number, (name, _css, _vs) in enumerate(series):
        colour = SERIES[number % len(SERIES)]
        drawing.add(Rect(x, height - 11, 9, 9, fillColor=colour, strokeColor=None))
        drawing.add(String(x + 12, height - 9.5, str(name), fontName=FONT, fontSize=8))
        x += 12 + pdfmetrics.stringWidth(str(name), FONT, 8) + 16
    return drawing


# --- the table ---------------------------------------------------------------------------------


def _table(report: Report, styles: dict[str, ParagraphStyle]) -> Table:
    columns = report.columns
    header = [
        Paragraph(escape(str(c.label)), styles["cell_bold" if i == 0 else "head_num"])
        for i, c in enumerate(columns)
    ]
    body = [_row(row, columns, styles["cell"]) for row in report.rows]
    data = [header, *body]
    if report.total:
        data.append(_row(report.total, columns, styles["cell_bold"]))
    widths = _widths(report)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("BACKGROUND", (0, 0), (-1, 0), TRACK),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f8fa")]),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if report.total:
        style += [
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
            ("FONTNAME", (0, -1), (-1, -1), BOLD),
            ("BACKGROUND", (0, -1), (-1, -1), colors.white),
        ]
    return Table(data, colWidths=widths, repeatRows=1, style=TableStyle(style))


def _widths(report: Report) -> list[float]:
    """Each figure column as wide as its longest header word or widest value (headers wrap
    between words only), at most 70 % of the width together; the name column has the rest."""
    pad = 16.0  # the cell padding (6 + 6) and a little air
    widths = []
    for column in report.columns[1:]:
        words = str(column.label).split() or [""]
        values = [cell(row, column) for row in [*report.rows, report.total or {}]]
        widths.append(
            max(
                36.0,
                max(pdfmetrics.stringWidth(w, BOLD, 8.5) for w in words) + pad,
                max(pdfmetrics.stringWidth(v, BOLD, 8.5) for v in values) + pad,
            )
        )
    room = WIDTH * 0.7
    if sum(widths) > room:
        widths = [w * room / sum(widths) for w in widths]
    return [WIDTH - sum(widths), *widths]


def _row(row: dict, columns: list[Column], first: ParagraphStyle) -> list:
    """The first cell wraps (names can be long); the figures are plain text."""
    return [Paragraph(escape(cell(row, columns[0])), first), *(cell(row, c) for c in columns[1:])]
