"""统计报表 as a PDF: A4 landscape, the office and the period on every page, page numbers,
the charts drawn with reportlab's own graphics (vector, no extra library), then the tables."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from caseworker.printing.fonts import register
from caseworker.services.reports import Chart, Report, ReportTable

PAGE = landscape(A4)
MARGIN = 14 * mm
BAR = colors.HexColor("#3b6ea5")
LOW = colors.HexColor("#c0504d")
TARGET = colors.HexColor("#e08a00")


def _cell(value: Any, kind: str) -> str:
    if value is None or value == "":
        return "—" if kind == "percent" else ""
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "float":
        return f"{value:,.2f}"
    return str(value)


def _gaps(rates: tuple[float | None, ...]) -> list[float | None]:
    """A line's points in percent with None as gaps, unless a run of one point would be left
    (reportlab cannot draw a line of fewer than two points): then the months without figures
    are drawn at 0."""
    points = [None if v is None else round(v * 100, 1) for v in rates]
    runs, run = [], 0
    for p in [*points, None]:
        if p is None:
            if run:
                runs.append(run)
            run = 0
        else:
            run += 1
    if not runs or any(r < 2 for r in runs):
        return [0 if p is None else p for p in points]
    return points


def chart_drawing(chart: Chart, width: float, height: float, font: str) -> Drawing:
    """One chart as a reportlab Drawing: rates in percent, the target as a dashed line."""
    d = Drawing(width, height)
    d.add(
        String(width / 2, height - 12, chart.title, fontName=font, fontSize=10, textAnchor="middle")
    )
    # A bar with nothing to rate is drawn empty and labelled "—"; a line skips it.
    values = [0 if v is None else round(v * 100, 1) for v in chart.values]
    left, bottom = 34, 46
    cw, ch = width - left - 10, height - bottom - 24
    if chart.kind == "bar":
        c: Any = VerticalBarChart()
        c.bars[0].fillColor = BAR
        c.barLabelFormat = "values"
        c.barLabelArray = [["—" if v is None else f"{v * 100:.0f}%" for v in chart.values]]
        c.barLabels.fontName = font
        c.barLabels.fontSize = 6.5
        c.barLabels.nudge = 6
        c.barSpacing = 2
        target = chart.target
        for i, v in enumerate(chart.values):
            if target is not None and v is not None and v < target:
                c.bars[(0, i)].fillColor = LOW
    else:
        c = HorizontalLineChart()
        c.lines[0].strokeColor = BAR
        c.lines[0].strokeWidth = 1.6
        c.joinedLines = 1
        from reportlab.graphics.widgets.markers import makeMarker

        c.lines[0].symbol = makeMarker("FilledCircle", size=3.5)
    c.x, c.y, c.width, c.height = left, bottom, cw, ch
    c.data = [values if chart.kind == "bar" else _gaps(chart.values)]
    c.valueAxis.valueMin = 0
    c.valueAxis.valueMax = 100
    c.valueAxis.valueStep = 20
    c.valueAxis.labelTextFormat = "%d%%"
    c.valueAxis.labels.fontName = font
    c.valueAxis.labels.fontSize = 7
    c.categoryAxis.categoryNames = list(chart.labels)
    c.categoryAxis.labels.fontName = font
    c.categoryAxis.labels.fontSize = 7
    if len(chart.labels) > 6:
        c.categoryAxis.labels.angle = 35
        c.categoryAxis.labels.boxAnchor = "ne"
        c.categoryAxis.labels.dx = 4
    d.add(c)
    if chart.target is not None:
        y = bottom + ch * min(chart.target, 1.0)
        d.add(
            Line(left, y, left + cw, y, strokeColor=TARGET, strokeWidth=1, strokeDashArray=[4, 3])
        )
        d.add(
            String(
                left + cw,
                y + 3,
                f"目标 {chart.target * 100:.0f}%",
                fontName=font,
                fontSize=7,
                fillColor=TARGET,
                textAnchor="end",
            )
        )
    return d


def _table(t: ReportTable, font: str, width: float) -> Table:
    n = len(t.columns)
    size = 8 if n <= 8 else 6.5
    head = ParagraphStyle("th", fontName=font, fontSize=size, leading=size + 2, alignment=1)
    data: list[list[Any]] = [[Paragraph(c.header, head) for c in t.columns]]
    data += [[_cell(v, c.kind) for v, c in zip(row, t.columns, strict=False)] for row in t.rows]
    first = min(90.0, width * 0.22)
    rest = (width - first) / max(1, n - 1)
    table = Table(data, colWidths=[first] + [rest] * (n - 1), repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), font, size),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
        ("ALIGN", (1, 0), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if t.total:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f2f2")))
    table.setStyle(TableStyle(style))
    return table


class _NumberedCanvas(Canvas):
    """Holds pages until the end so each can say "第 X 页 共 Y 页"."""

    header = ("", "")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        font = register()
        w, h = PAGE
        left, right = self.header
        self.setFont(font, 8.5)
        self.setFillColor(colors.grey)
        self.drawString(MARGIN, h - 9 * mm, left)
        self.drawRightString(w - MARGIN, h - 9 * mm, right)
        self.drawCentredString(w / 2, 7 * mm, f"第 {self._pageNumber} 页 共 {total} 页")


def render_report(report: Report) -> bytes:
    font = register()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=14 * mm,
        bottomMargin=13 * mm,
        title=report.title,
        author=report.office_name,
    )
    width = PAGE[0] - 2 * MARGIN
    title = ParagraphStyle("t", fontName=font, fontSize=16, leading=22, alignment=1)
    sub = ParagraphStyle("s", fontName=font, fontSize=9, leading=13, alignment=1)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12.5, leading=18, spaceBefore=6)
    h3 = ParagraphStyle("h3", fontName=font, fontSize=10.5, leading=15, spaceBefore=8)
    note = ParagraphStyle("n", fontName=font, fontSize=7.5, leading=10.5, textColor=colors.grey)
    story: list[Any] = [
        Paragraph(report.title, title),
        Paragraph(
            f"统计期：{report.period.first:%Y-%m-%d} 至 {report.until:%Y-%m-%d}　"
            f"制表日期：{report.generated_on:%Y-%m-%d}",
            sub,
        ),
        Spacer(1, 6),
    ]
    for section in report.sections:
        story.append(Paragraph(section.title, h2))
        figures = [[label for label, _ in section.headline], [v for _, v in section.headline]]
        head = Table(figures, colWidths=[width / len(section.headline)] * len(section.headline))
        head.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, 0), font, 8),
                    ("FONT", (0, 1), (-1, 1), font, 13),
                    ("TEXTCOLOR", (0, 0), (-1, 0), colors.grey),
                    ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                    ("BOX", (0, 0), (-1, -1), 0.4, colors.grey),
                ]
            )
        )
        story += [head, Spacer(1, 6)]
        if section.charts:
            cw = width / len(section.charts)
            drawings = [chart_drawing(c, cw - 8, 190, font) for c in section.charts]
            story.append(Table([drawings], colWidths=[cw] * len(drawings)))
        for t in section.tables:
            block: list[Any] = [Paragraph(t.title, h3), _table(t, font, width)]
            if t.note:
                block.append(Paragraph(f"说明：{t.note}", note))
            story.append(KeepTogether(block) if len(t.rows) < 25 else block[0])
            if len(t.rows) >= 25:
                story += block[1:]
    sign = ParagraphStyle("sign", fontName=font, fontSize=10, leading=16, spaceBefore=18)
    story.append(
        Paragraph(
            f"填报单位：{report.office_name}　　填表人：＿＿＿＿＿＿　　"
            "审核人（科长）：＿＿＿＿＿＿　　报送日期：＿＿＿＿年＿＿月＿＿日",
            sign,
        )
    )
    canvas_cls = type(
        "_ReportCanvas",
        (_NumberedCanvas,),
        {"header": (report.office_name, f"{report.period.label} {report.period.report_name}")},
    )
    doc.build(story, canvasmaker=canvas_cls)
    return buf.getvalue()


def write_pdf(report: Report, out: Path | str) -> Path:
    """Render and write (to a temporary name, then renamed: no half-written file)."""
    from caseworker.outfile import write_bytes

    return write_bytes(Path(out), render_report(report))
