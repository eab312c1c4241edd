"""The month's route sheet (探访路线表) for one community: everyone due, in route order, on
landscape A4 pages with the header repeated. Every row has a fixed height, so a row never
splits across pages; long text is cut with "…".
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from caseworker.printing import paper_marks
from caseworker.printing.fonts import register
from caseworker.printing.paper_marks import Stamp
from caseworker.printing.text import fit

PAGE_W, PAGE_H = landscape(A4)
LEFT = 30.0
RIGHT = PAGE_W - 30.0
ROW_H = 24.0
HEADER_H = 22.0
TABLE_TOP = PAGE_H - 92.0
BOTTOM = 44.0
ROWS_PER_PAGE = int((TABLE_TOP - HEADER_H - BOTTOM) // ROW_H)

COLUMNS: tuple[tuple[str, float], ...] = (
    ("序号", 30),
    ("姓名", 58),
    ("性别", 30),
    ("年龄", 30),
    ("住址", 200),
    ("电话", 82),
    ("等级", 42),
    ("应访日期", 64),
    ("上次探访", 64),
    ("探访日期", 60),
    ("方式", 46),
    ("探访人签名", RIGHT - LEFT - 706),
)


@dataclass(frozen=True)
class RouteRow:
    name: str
    sex: str
    age: str
    address: str
    phone: str
    tier: str
    due: str
    last_visit: str


@dataclass(frozen=True)
class RouteSheetData:
    office_name: str
    community_name: str
    month_label: str  # "2026年11月"
    printed_on: str  # "2026-11-29"
    rows: tuple[RouteRow, ...]


def page_count(rows: int) -> int:
    return max(1, -(-rows // ROWS_PER_PAGE))


def _header(
    c: Canvas, font: str, sheet: RouteSheetData, page: int, pages: int, stamped: bool = False
) -> None:
    c.setFont(font, 16)
    c.drawCentredString(
        PAGE_W / 2, PAGE_H - 42, f"{sheet.community_name}  {sheet.month_label}  探访路线表"
    )
    c.setFont(font, 9.5)
    c.drawString(LEFT, PAGE_H - 66, f"街道：{sheet.office_name}")
    c.drawString(LEFT + 260, PAGE_H - 66, f"本月应访：{len(sheet.rows)} 人")
    # a stamped page has its QR code at the top right: the date moves left of it
    c.drawRightString(RIGHT - (80 if stamped else 0), PAGE_H - 66, f"打印日期：{sheet.printed_on}")
    c.setFont(font, 8.5)
    c.drawString(LEFT, 24, "说明：探访后请在“探访日期”“方式”栏填写并签名，连同探访记录表交回。")
    c.drawRightString(RIGHT, 24, f"第 {page} 页 共 {pages} 页")
    x = LEFT
    c.setLineWidth(0.6)
    for title, w in COLUMNS:
        c.setFillGray(0.88)
        c.rect(x, TABLE_TOP - HEADER_H, w, HEADER_H, stroke=1, fill=1)
        c.setFillGray(0)
        c.setFont(font, 9.5)
        c.drawCentredString(x + w / 2, TABLE_TOP - HEADER_H + 7, title)
        x += w


def render_route_sheet(sheet: RouteSheetData, stamp: Stamp | None = None) -> bytes:
    """The route sheet as PDF bytes (with `stamp`, each page carries its code and marks)."""
    font = register()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(PAGE_W, PAGE_H), pageCompression=1, initialFontName=font)
    c.setTitle(f"{sheet.community_name}{sheet.month_label}探访路线表")
    pages = page_count(len(sheet.rows))
    for p in range(pages):
        _header(c, font, sheet, p + 1, pages, stamp is not None)
        if stamp is not None:
            paper_marks.draw(c, stamp.code(p + 1), font, page=(PAGE_W, PAGE_H))
        chunk: Sequence[RouteRow] = sheet.rows[p * ROWS_PER_PAGE : (p + 1) * ROWS_PER_PAGE]
        top = TABLE_TOP - HEADER_H
        for i, row in enumerate(chunk):
            seq = p * ROWS_PER_PAGE + i + 1
            values = (
                str(seq),
                row.name,
                row.sex,
                row.age,
                row.address,
                row.phone,
                row.tier,
                row.due,
                row.last_visit,
                "",
                "",
                "",
            )
            x = LEFT
            c.setFont(font, 9)
            for (_title, w), value in zip(COLUMNS, values, strict=True):
                c.rect(x, top - ROW_H, w, ROW_H, stroke=1, fill=0)
                if value:
                    c.drawString(x + 3, top - ROW_H + 8, fit(value, font, 9, w - 6))
                x += w
            top -= ROW_H
        c.showPage()
    c.save()
    return buf.getvalue()
