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
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from caseworker.domain.report import Chart, Report, ReportSection, ReportTable
from caseworker.printing.fonts import register

PAGE = landscape(A4)
MARGIN = 14 * mm
BAR = colors.HexColor("#3b6ea5")
LOW = colors.HexColor("#c0504d")
TARGET = colors.HexColor("#e08a00")
SECRET = colors.HexColor("#c00000")


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


class _Confidential(Flowable):
    """Draws nothing: marks the pages from here on as holding confidential figures (保密), or
    (`on=False`) ends that run. The page it ends on is still marked: it holds the run's end."""

    def __init__(self, on: bool) -> None:
        super().__init__()
        self.on = on
        self.width = self.height = 0

    def wrap(self, *_args: Any) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        canv: Any = self.canv
        canv._confidential_now = self.on
        if self.on:
            canv._confidential_page = True


class _NumberedCanvas(Canvas):
    """Holds pages until the end so each can say "第 X 页 共 Y 页", and stamps 保密 on the pages
    that hold confidential figures."""

    header = ("", "")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self._confidential_now = False
        self._confidential_page = False

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()
        # a run of confidential figures that goes on marks the next page too
        self._confidential_page = self._confidential_now

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
        if getattr(self, "_confidential_page", False):
            # centred in the header line, clear of the office's name and the period
            self.setFillColor(SECRET)
            self.setStrokeColor(SECRET)
            self.setLineWidth(1.2)
            y = h - 10 * mm
            self.rect(w / 2 - 62, y - 4, 124, 17, stroke=1, fill=0)
            self.setFont(font, 11)
            self.drawCentredString(w / 2, y + 0.5, "保密 · 仅限工作使用")


def _headline(section: ReportSection, font: str, width: float) -> Table:
    figures = [[label for label, _ in section.headline], [v for _, v in section.headline]]
    n = len(section.headline)
    head = Table(figures, colWidths=[width / n] * n)
    head.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), font, 7.5),
                ("FONT", (0, 1), (-1, 1), font, 12),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.grey),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("BOX", (0, 0), (-1, -1), 0.4, colors.grey),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 1), (-1, 1), 4),
            ]
        )
    )
    return head


def _table_block(t: ReportTable, font: str, width: float, h3: Any, note: Any) -> list[Any]:
    """A table with its title and note; a short one stays whole on a page, a long one splits
    with its header repeated."""
    block: list[Any] = [Paragraph(t.title, h3), _table(t, font, width)]
    if t.note:
        block.append(Paragraph(f"说明：{t.note}", note))
    return [KeepTogether(block)] if len(t.rows) < 25 else block


def _sign_off(report: Report, font: str, width: float) -> Any:
    """The last page's sign-off: the office's seal, its head, who checked, who filled it in."""
    style = ParagraphStyle("sign", fontName=font, fontSize=10, leading=15)
    line = "＿" * 8
    rows = [
        [
            Paragraph(f"填报单位（盖章）：{report.office_name}", style),
            Paragraph(f"单位负责人（签字）：{line}", style),
            Paragraph(f"审核人（科长）：{line}", style),
        ],
        [
            Paragraph(f"填表人：{line}", style),
            Paragraph(f"联系电话：{line}", style),
            Paragraph("报送日期：＿＿＿＿年＿＿月＿＿日", style),
        ],
    ]
    grid = Table(rows, colWidths=[width * 0.40, width * 0.30, width * 0.30], rowHeights=[30, 30])
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
    seal = Table(
        [
            [
                Paragraph(
                    "（单位公章）",
                    ParagraphStyle(
                        "seal", fontName=font, fontSize=8.5, textColor=colors.grey, alignment=1
                    ),
                )
            ]
        ],
        colWidths=[42 * mm],
        rowHeights=[42 * mm],
    )
    seal.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    seal.hAlign = "LEFT"  # under 填报单位（盖章）, where the stamp goes
    return KeepTogether([Spacer(1, 10), grid, Spacer(1, 4), seal])


def render_report(report: Report) -> bytes:
    """The report as a PDF: page 1 carries the title, every programme's key figures (主要指标)
    and the first programme's main table; each section then has its charts and tables and its
    definitions as numbered footnotes; the children's pages are stamped 保密; the last page
    ends with lines for the office's seal and its head."""
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
    h2 = ParagraphStyle(
        "h2", fontName=font, fontSize=12.5, leading=17, spaceBefore=6, keepWithNext=1
    )
    h3 = ParagraphStyle("h3", fontName=font, fontSize=10.5, leading=15, spaceBefore=6)
    small = ParagraphStyle("sm", fontName=font, fontSize=8.5, leading=12, keepWithNext=1)
    note = ParagraphStyle("n", fontName=font, fontSize=7.5, leading=10.5, textColor=colors.grey)
    foot = ParagraphStyle("f", fontName=font, fontSize=7.5, leading=10.5, leftIndent=10)
    period_text = (
        f"统计期：{report.period.first:%Y-%m-%d} 至 {report.until:%Y-%m-%d}"
        + ("（本期尚未结束，数据截至制表日期）" if report.partial else "")
        + f"　制表日期：{report.generated_on:%Y-%m-%d}"
    )
    story: list[Any] = [Paragraph(report.title, title), Paragraph(period_text, sub), Spacer(1, 4)]
    # 主要指标: every section's key figures on page 1, as a bureau's report begins (the
    # children's are the office's totals, which name no child: page 1 is not stamped 保密).
    story.append(Paragraph("主要指标", small))
    for section in report.sections:
        block = [Paragraph(section.title, note), _headline(section, font, width), Spacer(1, 3)]
        story.append(KeepTogether(block))
    for section in report.sections:
        if section.confidential:
            story.append(_Confidential(True))
        story.append(Paragraph(section.title, h2))
        tables = list(section.tables)
        if tables:  # the main table first, so page 1 is used for figures, then the charts
            story += _table_block(tables[0], font, width, h3, note)
        if section.charts:
            cw = width / len(section.charts)
            drawings = [chart_drawing(c, cw - 8, 170, font) for c in section.charts]
            story.append(Table([drawings], colWidths=[cw] * len(drawings)))
        for t in tables[1:]:
            story += _table_block(t, font, width, h3, note)
        if section.footnotes:
            notes = [Paragraph("注：", small)]
            notes += [
                Paragraph(f"{i}. {text}", foot) for i, text in enumerate(section.footnotes, 1)
            ]
            story.append(KeepTogether(notes))
        if section.confidential:
            story.append(_Confidential(False))
    story.append(_sign_off(report, font, width))
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
