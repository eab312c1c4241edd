"""Programme 3 printouts on A4: the child's file (档案), the visit record form (blank or pre-filled
for a month's visits) and the case summary for a referral.

Every page carries 保密 at the top, and at the bottom who printed it and when, with the page
number. Blocks (a titled grid of labelled boxes) never split across pages. Default file names
never contain a child's name (`default_filename`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from caseworker.printing import in_parts, paper_marks
from caseworker.printing.fonts import register
from caseworker.printing.paper_marks import Rect, Stamp
from caseworker.printing.text import wrap

PAGE_W, PAGE_H = A4
LEFT, RIGHT = 40.0, PAGE_W - 40.0
WIDTH = RIGHT - LEFT
TOP, BOTTOM = PAGE_H - 78.0, 56.0
LABEL_W = 92.0
SIZE = 9.5
LINE = SIZE + 4.5
GREY = 0.92
TITLE = "保密"  # every printout's PDF title: never a child's name


@dataclass(frozen=True)
class Field:
    """One labelled box: `lines` is how many text lines it may take (blank boxes keep room)."""

    label: str
    value: str = ""
    lines: int = 1
    half: bool = False  # two half-width fields share a row


@dataclass(frozen=True)
class Block:
    title: str
    fields: tuple[Field, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()  # first row = header
    widths: tuple[float, ...] = ()  # fractions of the width, for a table
    note: str = ""


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str = ""
    blocks: tuple[Block, ...] = ()
    signatures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Printed:
    """Who printed, when, and for which office (every page says so)."""

    by: str
    at: datetime
    office: str = ""


@dataclass
class _Pages:
    c: Canvas
    font: str
    printed: Printed
    title: str
    y: float = TOP
    page: int = 0  # the page number printed in the footer (a part goes on from the last)
    shown: int = 0  # pages begun on this canvas
    starts: list[int] = field(default_factory=list)
    stamp: Stamp | None = None  # the current document's printed-form code, when stamped
    doc_page: int = 0  # page within the current document
    # where the tick boxes and the handwritten boxes were drawn: (page within the document,
    # field label, choice or "", rectangle); what the scan reader measures
    drawn: list[tuple[int, str, str, Rect]] = field(default_factory=list)

    def new_page(self, doc_title: str, subtitle: str, first: bool = False) -> None:
        if self.shown:
            self._footer()
            self.c.showPage()
        self.shown += 1
        self.page += 1
        self.doc_page = 1 if first else self.doc_page + 1
        if self.stamp is not None:
            # left of the 保密 box, which keeps the top-right corner
            paper_marks.draw(self.c, self.stamp.code(self.doc_page), self.font, qr_right=RIGHT - 60)
        self.title = doc_title
        c = self.c
        c.setFillColorRGB(0.7, 0, 0)
        c.setStrokeColorRGB(0.7, 0, 0)
        c.setFont(self.font, 14)
        c.rect(RIGHT - 52, PAGE_H - 52, 52, 24, stroke=1, fill=0)
        c.drawCentredString(RIGHT - 26, PAGE_H - 45, "保 密")
        c.setFillGray(0)
        c.setStrokeGray(0)
        c.setFont(self.font, 8.5)
        c.drawString(LEFT, PAGE_H - 36, self.printed.office)
        c.setFont(self.font, 15)
        c.drawCentredString(PAGE_W / 2, PAGE_H - 58, doc_title)
        if subtitle:
            c.setFont(self.font, 9)
            c.drawCentredString(PAGE_W / 2, PAGE_H - 72, subtitle)
        self.y = TOP - (8 if subtitle else 0)

    def _footer(self) -> None:
        c = self.c
        c.setFont(self.font, 8)
        c.setFillGray(0.25)
        text = (
            f"保密 · 打印人：{self.printed.by} · 打印时间：{self.printed.at:%Y-%m-%d %H:%M}"
            " · 仅限儿童保护工作使用，不得复印、外传"
        )
        c.drawString(LEFT, 32, text)
        c.drawRightString(RIGHT, 32, f"第 {self.page} 页")
        c.setFillGray(0)

    def finish(self) -> None:
        self._footer()


def _label_lines(f: Field) -> list[str]:
    from caseworker.printing.fonts import register as font

    return wrap(f.label, font(), SIZE, LABEL_W - 8, 4) or [""]


def _field_height(f: Field) -> float:
    return max(f.lines, len(_label_lines(f)), 1) * LINE + 8


def _rows(fields: Sequence[Field]) -> list[list[Field]]:
    rows: list[list[Field]] = []
    i = 0
    while i < len(fields):
        f = fields[i]
        if f.half and i + 1 < len(fields) and fields[i + 1].half:
            rows.append([f, fields[i + 1]])
            i += 2
        else:
            rows.append([f])
            i += 1
    return rows


def _block_height(b: Block, font: str) -> float:
    h = 20.0
    for row in _rows(b.fields):
        h += max(_field_height(f) for f in row)
    if b.table:
        h += _table_height(b, font)
    if b.note:
        h += LINE + 4
    return h


def _table_height(b: Block, font: str) -> float:
    h = 0.0
    for row in b.table:
        h += _table_row_height(b, row, font)
    return h


def _table_row_height(b: Block, row: Sequence[str], font: str) -> float:
    widths = [w * WIDTH for w in b.widths] or [WIDTH / len(row)] * len(row)
    lines = max(
        len(wrap(cell, font, SIZE - 0.5, w - 6, 4)) or 1
        for cell, w in zip(row, widths, strict=True)
    )
    return lines * LINE + 6


def _draw_block(p: _Pages, b: Block, doc: Document) -> None:
    height = _block_height(b, p.font)
    if p.y - height < BOTTOM and p.y < TOP - 1:
        p.new_page(doc.title + "（续）", "")
    c = p.c
    c.setFont(p.font, 11)
    c.drawString(LEFT, p.y - 13, b.title)
    p.y -= 20
    for row in _rows(b.fields):
        h = max(_field_height(f) for f in row)
        width = WIDTH / len(row)
        for i, f in enumerate(row):
            x = LEFT + i * width
            c.setFillGray(GREY)
            c.rect(x, p.y - h, LABEL_W, h, stroke=1, fill=1)
            c.setFillGray(0)
            c.rect(x + LABEL_W, p.y - h, width - LABEL_W, h, stroke=1, fill=0)
            c.setFont(p.font, SIZE)
            for n, line in enumerate(_label_lines(f)):
                c.drawString(x + 4, p.y - LINE - n * LINE, line)
            if TICK_MARK in f.value:  # answers to tick: real boxes, measurable on a scan
                _draw_ticks(p, f, x + LABEL_W + 4, p.y - LINE)
                continue
            lines = wrap(f.value, p.font, SIZE, width - LABEL_W - 8, max(f.lines, 1))
            for n, line in enumerate(lines):
                c.drawString(x + LABEL_W + 4, p.y - LINE - n * LINE, line)
            if not f.value:  # a box to write in by hand
                box = Rect(x + LABEL_W, p.y - h, width - LABEL_W, h)
                p.drawn.append((p.doc_page, f.label, "", box))
        p.y -= h
    if b.table:
        widths = [w * WIDTH for w in b.widths] or [WIDTH / len(b.table[0])] * len(b.table[0])
        for r, cells in enumerate(b.table):
            h = _table_row_height(b, cells, p.font)
            x = LEFT
            for cell, w in zip(cells, widths, strict=True):
                if r == 0:
                    c.setFillGray(GREY)
                    c.rect(x, p.y - h, w, h, stroke=1, fill=1)
                    c.setFillGray(0)
                else:
                    c.rect(x, p.y - h, w, h, stroke=1, fill=0)
                c.setFont(p.font, SIZE - 0.5)
                for n, line in enumerate(wrap(cell, p.font, SIZE - 0.5, w - 6, 4)):
                    c.drawString(x + 3, p.y - LINE + 1 - n * LINE, line)
                x += w
            p.y -= h
    if b.note:
        c.setFont(p.font, 8.5)
        c.drawString(LEFT, p.y - LINE, b.note)
        p.y -= LINE + 4
    p.y -= 10


TICK_MARK = "□"
TICK = 8.0  # side of a tick box, points (as on the elderly visit form)


def tick_choices(value: str) -> list[tuple[str, str]]:
    """("□入户  □电话", ...) -> [(choice, label printed after its box)]: the choice is the label
    without its note in brackets ("有（见下）" answers 有)."""
    out = []
    for part in value.split(TICK_MARK)[1:]:
        label = part.strip()
        out.append((label.split("（")[0].strip(), label))
    return out


def _draw_ticks(p: _Pages, f: Field, x: float, baseline: float) -> None:
    """A field's answers as drawn boxes with their labels, clear of each other (a box's
    surroundings are paper, so a mark beside it is told from its label)."""
    c = p.c
    c.setFont(p.font, SIZE)
    for choice, label in tick_choices(f.value):
        box = Rect(x, baseline - 1, TICK, TICK)
        c.rect(box.x, box.y, box.w, box.h, stroke=1, fill=0)
        p.drawn.append((p.doc_page, f.label, choice, box))
        c.drawString(x + TICK + 4, baseline, label)
        x += TICK + 4 + c.stringWidth(label, p.font, SIZE) + 14


def _draw_signatures(p: _Pages, doc: Document) -> None:
    if not doc.signatures:
        return
    if p.y - 40 < BOTTOM:
        p.new_page(doc.title + "（续）", "")
    c = p.c
    c.setFont(p.font, 10)
    width = WIDTH / len(doc.signatures)
    for i, label in enumerate(doc.signatures):
        x = LEFT + i * width
        c.drawString(x, p.y - 24, f"{label}：")
        c.line(x + c.stringWidth(f"{label}：", p.font, 10) + 2, p.y - 26, x + width - 14, p.y - 26)
        p.drawn.append((p.doc_page, label, "", Rect(x, p.y - 38, width - 10, 36)))
    p.y -= 40


def render(
    docs: Sequence[Document],
    printed: Printed,
    stamps: Sequence[Stamp] | None = None,
    *,
    first_page: int = 1,
) -> bytes:
    """One PDF; each document starts on a new page. With `stamps` (one per document) every
    page carries its printed-form code and corner marks. `first_page` numbers a part of a
    larger batch (`write_visit_forms`)."""
    return _render(docs, printed, stamps, first_page)[0]


def _render(
    docs: Sequence[Document],
    printed: Printed,
    stamps: Sequence[Stamp] | None,
    first_page: int,
) -> tuple[bytes, int]:
    """(the PDF, the number of its last page)."""
    font = register()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(TITLE)  # the PDF's title never names a child
    c.setAuthor(printed.office)
    p = _Pages(c, font, printed, "", page=first_page - 1)
    for n, doc in enumerate(docs):
        p.stamp = stamps[n] if stamps else None
        p.new_page(doc.title, doc.subtitle, first=True)
        for block in doc.blocks:
            _draw_block(p, block, doc)
        _draw_signatures(p, doc)
    if not p.shown:
        p.new_page("（无内容）", "")
    p.finish()
    c.save()
    return buf.getvalue(), p.page


def write_visit_forms(
    forms: Sequence[VisitFormData],
    stamps: Sequence[Stamp] | None,
    printed: Printed,
    out: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    before_rename: Callable[[], None] | None = None,
    part_pages: int | None = None,
) -> int:
    """The visit forms of `forms` (one document each, as `render`) written to `out` in parts
    with memory flat (caseworker.printing.in_parts, as the elderly month's forms): pages are
    numbered across the parts; `progress(done, total)` in forms after each part (it may raise
    to cancel: no file is left); `before_rename` once the file is whole. Returns the pages."""
    last = [0]  # the last page number rendered so far: the next part goes on from there

    def part(start: int, stop: int) -> bytes:
        docs = [visit_form(d) for d in forms[start:stop]]
        pdf, last[0] = _render(docs, printed, stamps[start:stop] if stamps else None, last[0] + 1)
        return pdf

    return in_parts.write(
        out,
        len(forms),
        part,
        title=TITLE,
        author=printed.office,
        part_pages=part_pages or in_parts.PART_PAGES,
        progress=progress,
        before_rename=before_rename,
    )


def default_filename(kind: str, at: datetime) -> str:
    """A file name without any child's name: the kind of form and the time it was printed."""
    return f"{kind}-{at:%Y%m%d-%H%M%S}.pdf"


# -- the three forms, from plain values --------------------------------------------------------


@dataclass(frozen=True)
class VisitFormData:
    """A visit record form; empty strings print as boxes to fill by hand."""

    community: str = ""
    child_name: str = ""
    sex_age: str = ""
    id_masked: str = ""
    address: str = ""
    guardian: str = ""
    categories: str = ""
    risk: str = ""
    last_visit: str = ""
    due: str = ""


# The visit form's layout. Version 2 put 回访方式 in half a row, where its last choice (视频)
# ran over the cell's edge; version 3 gives it the whole row. A form printed with version 2 is
# still read with version 2's boxes (`scan.templates`), so the version of each printed form is
# recorded with it (`services.paper.KINDS`, `printed_form.template`).
VISIT_LAYOUT = 3
VISIT_LAYOUTS = (2, 3)


def visit_form(d: VisitFormData, *, layout: int = VISIT_LAYOUT) -> Document:
    fields = (
        Field("社区/村", d.community, half=True),
        Field("儿童姓名", d.child_name, half=True),
        Field("性别/年龄", d.sex_age, half=True),
        Field("身份证号", d.id_masked, half=True),
        Field("住址", d.address),
        Field("监护人及电话", d.guardian),
        Field("儿童类别", d.categories, half=True),
        Field("风险等级", d.risk, half=True),
        Field("上次回访", d.last_visit, half=True),
        Field("本次应访", d.due, half=True),
    )
    method = "□入户  □电话  □到校  □视频"
    answers = (
        (
            Field("回访日期", "", half=True),
            Field("回访方式", method, half=True),
            Field("是否见到儿童", "□是  □否", half=True),
            Field("安全隐患", "□无  □有（见下）", half=True),
        )
        if layout == 2
        else (
            Field("回访日期", "", half=True),
            Field("是否见到儿童", "□是  □否", half=True),
            Field("回访方式", method),
            Field("安全隐患", "□无  □有（见下）"),
        )
    )
    visit = (
        *answers,
        Field("儿童状况（身体、情绪、上学）", "", lines=4),
        Field("监护情况（谁在照顾、照顾得如何）", "", lines=4),
        Field("发现的问题与风险", "", lines=3),
        Field("采取的措施 / 需要的帮助", "", lines=3),
        Field("下次回访日期", ""),
    )
    return Document(
        "困境儿童回访记录表",
        "由儿童主任填写，交儿童督导员录入；纸质表按档案管理规定保存",
        (Block("基本情况", fields), Block("回访情况", visit)),
        ("回访人签名", "监护人签名", "日期"),
    )


@dataclass(frozen=True)
class VisitGeometry:
    """Where the visit form's tick boxes and handwritten boxes are (points, bottom-left origin):
    the same on every visit form, blank or pre-filled (the layout does not depend on the data:
    every pre-filled value is cut to its box)."""

    boxes: tuple[tuple[str, str, Rect], ...]  # (field label, choice, rectangle)
    areas: tuple[tuple[str, Rect], ...]  # (field label, rectangle) of the part written by hand


_VISIT_GEOMETRY: dict[int, VisitGeometry] = {}


def visit_geometry(layout: int = VISIT_LAYOUT) -> VisitGeometry:
    """The geometry of the visit form's `layout`, drawn once (on a canvas thrown away) and
    remembered."""
    if layout not in _VISIT_GEOMETRY:
        c = Canvas(io.BytesIO(), pagesize=A4)
        p = _Pages(c, register(), Printed("", datetime(2000, 1, 1)), "")
        doc = visit_form(VisitFormData(), layout=layout)
        p.new_page(doc.title, doc.subtitle, first=True)
        for block in doc.blocks:
            _draw_block(p, block, doc)
        _draw_signatures(p, doc)
        firsts = [d for d in p.drawn if d[0] == 1]
        boxes = tuple((label, choice, r) for _n, label, choice, r in firsts if choice)
        written = {f.label for f in doc.blocks[1].fields} | set(doc.signatures)
        areas = tuple(
            (label, r) for _n, label, choice, r in firsts if not choice and label in written
        )
        _VISIT_GEOMETRY[layout] = VisitGeometry(boxes, areas)
    return _VISIT_GEOMETRY[layout]


def child_file(
    info: Sequence[Field],
    categories: Sequence[tuple[str, ...]],
    guardians: Sequence[tuple[str, ...]],
    conditions: Sequence[tuple[str, ...]],
    cases: Sequence[tuple[str, ...]],
    visits: Sequence[tuple[str, ...]],
) -> Document:
    def table(
        header: tuple[str, ...], rows: Sequence[tuple[str, ...]]
    ) -> tuple[tuple[str, ...], ...]:
        return (header, *rows) if rows else (header, ("无",) + ("",) * (len(header) - 1))

    return Document(
        "困境儿童档案",
        "",
        (
            Block("基本信息", tuple(info)),
            Block(
                "类别认定",
                table=table(("类别", "是否符合", "自何日", "依据"), categories),
                widths=(0.2, 0.1, 0.13, 0.57),
            ),
            Block(
                "父母及监护人",
                table=table(("关系", "姓名", "电话", "同住", "监护人"), guardians),
                widths=(0.12, 0.2, 0.3, 0.19, 0.19),
            ),
            Block(
                "父母情形与证明材料",
                table=table(("对象", "情形", "起止", "证明材料", "说明"), conditions),
                widths=(0.1, 0.14, 0.22, 0.27, 0.27),
            ),
            Block(
                "个案",
                table=table(("报告日期", "来源", "阶段", "风险", "紧急", "结案"), cases),
                widths=(0.14, 0.14, 0.14, 0.1, 0.18, 0.3),
            ),
            Block(
                "回访记录",
                table=table(("日期", "方式", "回访人", "情况"), visits),
                widths=(0.14, 0.1, 0.14, 0.62),
            ),
        ),
        ("儿童督导员", "审核日期"),
    )


def case_summary(
    head: Sequence[Field],
    narrative: Sequence[Field],
    timeline: Sequence[tuple[str, ...]],
    services: Sequence[tuple[str, ...]],
    referral_to: str = "",
) -> Document:
    return Document(
        "困境儿童个案摘要",
        f"转介：{referral_to}" if referral_to else "",
        (
            Block("儿童与个案", tuple(head)),
            Block("发现、核实与评估", tuple(narrative)),
            Block(
                "个案经过",
                table=(("日期", "事项", "经办人", "说明"), *timeline),
                widths=(0.14, 0.14, 0.14, 0.58),
            ),
            Block(
                "帮扶计划",
                table=(("服务", "内容", "责任人", "期限", "状态", "结果"), *services),
                widths=(0.12, 0.28, 0.12, 0.12, 0.1, 0.26),
            ),
        ),
        ("儿童督导员", "接收单位经办人", "日期"),
    )
