"""The home-visit form (探访记录表), blank or pre-filled: one person per A4 page.

The printed grid (labels, boxes, tick boxes, signature lines) is drawn once per document as a
PDF form XObject and placed on every page; only the known data and the page number are drawn
per page. A form is exactly one page, so no block can split across pages.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from caseworker.domain.visit_form import AREAS, CHOICE_FIELDS, REFERRAL_TARGETS, TEXT_FIELDS, Method
from caseworker.printing import in_parts, paper_marks
from caseworker.printing.fonts import register
from caseworker.printing.paper_marks import Rect, Stamp
from caseworker.printing.text import fit, wrap, wrap_balanced

TITLE = "特殊困难老年人探访记录表"
AUTHOR = "街道民政工作台"
PAGE_W, PAGE_H = A4
LEFT = 40.0
RIGHT = PAGE_W - 40.0
WIDTH = RIGHT - LEFT
LABEL_SIZE = 9.0
VALUE_SIZE = 10.0
GREY = 0.92
TEMPLATE = "visitform"
TICK = 8.0  # side of a tick box, points


@dataclass(frozen=True, slots=True)  # slots: a month's 75,563 of them take 3x less
class VisitFormData:
    """What is known before the visit; empty strings print as blank boxes to fill by hand."""

    office_name: str = ""
    community_name: str = ""
    month_label: str = ""  # "2026年11月"
    resident_name: str = ""
    sex: str = ""
    age: str = ""
    id_number_masked: str = ""
    phone: str = ""
    address: str = ""
    categories: str = ""
    tier: str = ""
    living_arrangement: str = ""
    supporter: str = ""  # "王建国（儿子）"
    supporter_phone: str = ""
    emergency_contact: str = ""
    emergency_phone: str = ""
    health_notes: str = ""
    last_visit: str = ""  # "2026-10-12"
    due: str = ""  # "2026-11-11（已逾期 18 天）"
    open_referrals: str = ""
    proposed_next: str = ""  # the tier's interval after the due date, as a suggestion
    resident_id: str = ""  # not printed: what the form's code is issued for


@dataclass(frozen=True)
class TickBox:
    """One printed tick box: the visit field it answers and the choice it stands for."""

    field: str  # "method", a ChoiceField name, or "referral"
    choice: str
    rect: Rect


@dataclass(frozen=True)
class FormGeometry:
    """Where the hand-filled parts of the visit form are (points, bottom-left origin): every
    tick box, and every area written by hand (visit field name or signature → rectangle)."""

    boxes: tuple[TickBox, ...]
    areas: tuple[tuple[str, Rect], ...]


@dataclass(frozen=True)
class _Cell:
    x: float
    y: float  # baseline for the value
    width: float


class _Layout:
    """Draws the static grid and remembers where each value goes."""

    def __init__(self, c: Canvas, font: str) -> None:
        self.c = c
        self.font = font
        self.cells: dict[str, _Cell] = {}
        self.boxes: list[TickBox] = []
        self.areas: list[tuple[str, Rect]] = []

    def label_box(self, x: float, top: float, w: float, h: float, label: str) -> None:
        c = self.c
        c.setFillGray(GREY)
        c.rect(x, top - h, w, h, stroke=1, fill=1)
        c.setFillGray(0)
        c.setFont(self.font, LABEL_SIZE)
        lines = wrap_balanced(label, self.font, LABEL_SIZE, w - 6, 3)
        line_h = LABEL_SIZE + 2
        start = top - h / 2 + (len(lines) * line_h) / 2 - LABEL_SIZE
        for i, line in enumerate(lines):
            c.drawCentredString(x + w / 2, start - i * line_h + 1, line)

    def value_box(self, key: str, x: float, top: float, w: float, h: float) -> None:
        self.c.rect(x, top - h, w, h, stroke=1, fill=0)
        self.cells[key] = _Cell(x + 4, top - min(h, 22) / 2 - VALUE_SIZE / 2 + 2, w - 8)

    def row(self, top: float, h: float, parts: Sequence[tuple[str, float, str | None]]) -> float:
        """parts: (label, label width, value key or None) ...; the last value box takes the rest."""
        x = LEFT
        for i, (label, lw, key) in enumerate(parts):
            self.label_box(x, top, lw, h, label)
            x += lw
            if key is None:
                continue
            vw = _VALUE_WIDTHS[key] if i + 1 < len(parts) else RIGHT - x
            self.value_box(key, x, top, vw, h)
            x += vw
        return top - h

    def tick(self, x: float, y: float, label: str, field: str, size: float = 9.5) -> float:
        """A tick box and its label at baseline y; returns the x after it."""
        c = self.c
        c.rect(x, y - 1, TICK, TICK, stroke=1, fill=0)
        self.boxes.append(TickBox(field, label, Rect(x, y - 1, TICK, TICK)))
        c.setFont(self.font, size)
        c.drawString(x + 10, y, label)
        return x + 10 + c.stringWidth(label, self.font, size) + 8


_VALUE_WIDTHS = {
    "resident_name": 95.0,
    "sex": 35.0,
    "age": 35.0,
    "phone": 130.0,
    "categories": 265.0,
    "living_arrangement": 120.0,
    "supporter": 135.0,
    "emergency_contact": 135.0,
    "last_visit": 100.0,
    "due": 150.0,
    "visit_date": 120.0,
    "method": 150.0,
}


def _draw_template(c: Canvas, font: str) -> _Layout:  # noqa: C901
    """The static grid as a form XObject; returns the layout (where the pre-filled values go,
    where the tick boxes and handwritten areas are)."""
    lay = _Layout(c, font)
    c.beginForm(TEMPLATE)
    c.setLineWidth(0.6)
    c.setFont(font, 18)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 52, TITLE)
    c.setFont(font, 9.5)
    top = PAGE_H - 64
    c.drawString(LEFT, top - 12, "街道：")
    c.drawString(LEFT + 190, top - 12, "社区/村：")
    c.drawString(LEFT + 380, top - 12, "月份：")
    lay.cells["office_name"] = _Cell(LEFT + 30, top - 12, 155)
    lay.cells["community_name"] = _Cell(LEFT + 232, top - 12, 140)
    lay.cells["month_label"] = _Cell(LEFT + 410, top - 12, 100)
    top -= 20
    h = 22.0
    top = lay.row(
        top,
        h,
        [
            ("姓名", 50, "resident_name"),
            ("性别", 35, "sex"),
            ("年龄", 35, "age"),
            ("身份证号", 55, "id_number_masked"),
        ],
    )
    top = lay.row(top, h, [("联系电话", 50, "phone"), ("住址", 40, "address")])
    top = lay.row(top, h, [("人员类别", 50, "categories"), ("探访等级", 55, "tier")])
    top = lay.row(
        top,
        h,
        [
            ("居住情况", 50, "living_arrangement"),
            ("赡养人", 45, "supporter"),
            ("电话", 35, "supporter_phone"),
        ],
    )
    top = lay.row(
        top,
        h,
        [("紧急联系人", 60, "emergency_contact"), ("电话", 45, "emergency_phone")],
    )
    top = lay.row(top, 32, [("健康档案", 50, "health_notes")])
    top = lay.row(
        top,
        h,
        [
            ("上次探访", 50, "last_visit"),
            ("应访日期", 50, "due"),
            ("待办转介", 50, "open_referrals"),
        ],
    )

    # -- filled in by hand at the visit --
    top -= 8
    c.setFillGray(0.8)
    c.rect(LEFT, top - 16, WIDTH, 16, stroke=1, fill=1)
    c.setFillGray(0)
    c.setFont(font, 10)
    c.drawString(LEFT + 6, top - 12, "本次探访情况（探访人现场填写：在方框内打勾，并补充说明）")
    top -= 16
    top = lay.row(
        top,
        h,
        [("探访日期", 50, "visit_date"), ("探访方式", 50, "method"), ("探访人", 45, "visitors")],
    )
    c.setFont(font, VALUE_SIZE)
    date_cell = lay.cells["visit_date"]
    c.drawString(date_cell.x + 30, date_cell.y, "年        月        日")
    mx = lay.cells["method"].x
    for m in Method:
        mx = lay.tick(mx, lay.cells["method"].y, m.value, "method")
    for key in ("visit_date", "visitors"):
        cell = lay.cells[key]
        lay.areas.append((key, Rect(cell.x - 3, cell.y - 7, cell.width + 6, h - 1)))

    line_h = 19.0
    label_w = 50.0
    for area, area_title in AREAS:
        choices = [f for f in CHOICE_FIELDS if f.area == area]
        texts = [(name, label) for name, a, label in TEXT_FIELDS if a == area]
        lines: list[list[object]] = []
        per_line = 1 if any(f.multi for f in choices) else 2
        for i in range(0, len(choices), per_line):
            lines.append(list(choices[i : i + per_line]))
        for name, label in texts:
            lines.append([(name, label)])
        if area == "family":
            lines.append([("", "")])  # one more line to write on
        block_h = line_h * len(lines) + 6
        lay.label_box(LEFT, top, label_w, block_h, area_title.split("、")[1])
        c.rect(LEFT + label_w, top - block_h, WIDTH - label_w, block_h, stroke=1, fill=0)
        y = top - 15
        for line in lines:
            x = LEFT + label_w + 6
            for item in line:
                if isinstance(item, tuple):
                    name, label = item
                    c.setFont(font, 9.5)
                    if label:
                        c.drawString(x, y, f"{label}：")
                        x += c.stringWidth(f"{label}：", font, 9.5)
                    c.setDash(1, 2)
                    c.line(x, y - 3, RIGHT - 6, y - 3)
                    c.setDash()
                    if name:
                        lay.areas.append((name, Rect(x, y - 5, RIGHT - 6 - x, line_h)))
                else:
                    c.setFont(font, 9.5)
                    c.drawString(x, y, f"{item.label}：")  # type: ignore[attr-defined]
                    x += c.stringWidth(f"{item.label}：", font, 9.5)  # type: ignore[attr-defined]
                    for choice in item.choices:  # type: ignore[attr-defined]
                        x = lay.tick(x, y, choice, item.name)  # type: ignore[attr-defined]
                    x = max(x + 10, LEFT + label_w + 6 + (WIDTH - label_w) / 2)
            y -= line_h
        top -= block_h

    for key, label, height in (("problems", "发现的问题", 46.0), ("actions", "采取的措施", 40.0)):
        lay.label_box(LEFT, top, label_w, height, label)
        c.rect(LEFT + label_w, top - height, WIDTH - label_w, height, stroke=1, fill=0)
        lay.areas.append((key, Rect(LEFT + label_w, top - height, WIDTH - label_w, height)))
        top -= height
    ref_h = 40.0
    lay.label_box(LEFT, top, label_w, ref_h, "转介")
    c.rect(LEFT + label_w, top - ref_h, WIDTH - label_w, ref_h, stroke=1, fill=0)
    x = LEFT + label_w + 6
    for target in REFERRAL_TARGETS:
        x = lay.tick(x, top - 15, target, "referral")
    c.setFont(font, 9.5)
    c.drawString(LEFT + label_w + 6, top - 33, "转介事项：")
    c.drawString(RIGHT - 170, top - 33, "办理期限：      年     月     日")
    lay.areas.append(("referral_text", Rect(LEFT + label_w, top - ref_h, WIDTH - label_w, 22)))
    top -= ref_h
    top = lay.row(top, h, [("下次探访", 50, "next_visit")])
    c.setFont(font, VALUE_SIZE)
    nv = lay.cells["next_visit"]
    c.drawString(nv.x + 30, nv.y, "年        月        日")
    lay.areas.append(("next_visit_on", Rect(nv.x - 3, nv.y - 7, 160, h - 1)))

    sign_h = 46.0
    half = WIDTH / 2
    c.rect(LEFT, top - sign_h, half, sign_h, stroke=1, fill=0)
    c.rect(LEFT + half, top - sign_h, half, sign_h, stroke=1, fill=0)
    c.setFont(font, 10)
    for i, who in enumerate(("探访人签名：", "老人/家属签名：")):
        x0 = LEFT + i * half + 8
        c.drawString(x0, top - 18, who)
        c.line(x0 + c.stringWidth(who, font, 10), top - 20, x0 + half - 20, top - 20)
        c.drawString(x0, top - 38, "日期：        年      月      日")
        key = ("signature_visitor", "signature_resident")[i]
        lay.areas.append((key, Rect(LEFT + i * half, top - sign_h, half, sign_h)))
    top -= sign_h
    c.setFont(font, 8)
    c.drawString(LEFT, 22, "说明：本表签字后交街道民政存档；更正已录入的内容须注明原因。")
    c.endForm()
    return lay


_GEOMETRY: FormGeometry | None = None


def geometry() -> FormGeometry:
    """Where the visit form's tick boxes and handwritten areas are (drawn once, remembered)."""
    global _GEOMETRY
    if _GEOMETRY is None:
        font = register()
        c = Canvas(io.BytesIO(), pagesize=A4, initialFontName=font)
        lay = _draw_template(c, font)
        _GEOMETRY = FormGeometry(tuple(lay.boxes), tuple(lay.areas))
    return _GEOMETRY


def _draw_values(c: Canvas, font: str, cells: dict[str, _Cell], form: VisitFormData) -> None:
    c.setFont(font, VALUE_SIZE)
    for key, value in (
        ("office_name", form.office_name),
        ("community_name", form.community_name),
        ("month_label", form.month_label),
        ("resident_name", form.resident_name),
        ("sex", form.sex),
        ("age", form.age),
        ("id_number_masked", form.id_number_masked),
        ("phone", form.phone),
        ("address", form.address),
        ("categories", form.categories),
        ("tier", form.tier),
        ("living_arrangement", form.living_arrangement),
        ("supporter", form.supporter),
        ("supporter_phone", form.supporter_phone),
        ("emergency_contact", form.emergency_contact),
        ("emergency_phone", form.emergency_phone),
        ("last_visit", form.last_visit),
        ("due", form.due),
        ("open_referrals", form.open_referrals),
    ):
        if value:
            cell = cells[key]
            c.drawString(cell.x, cell.y, fit(value, font, VALUE_SIZE, cell.width))
    if form.health_notes:
        cell = cells["health_notes"]
        c.setFont(font, 9)
        for i, line in enumerate(wrap(form.health_notes, font, 9, cell.width, 2)):
            c.drawString(cell.x, cell.y + 5 - i * 11, line)
    if form.proposed_next:
        cell = cells["next_visit"]
        c.setFont(font, 9)
        c.drawString(cell.x + 170, cell.y, f"（按探访等级建议不晚于 {form.proposed_next}）")


def render_visit_forms(
    forms: Sequence[VisitFormData],
    stamps: Sequence[Stamp] | None = None,
    *,
    first_page: int = 1,
    total_pages: int | None = None,
) -> bytes:
    """A PDF with one visit form per entry (A4, font embedded as a subset); bytes. With
    `stamps` (one per form, caseworker.services.paper.issue) each page carries its QR code
    and corner marks. `first_page` and `total_pages` number a part of a larger batch
    (`write_visit_forms`)."""
    font = register()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=1, initialFontName=font)
    c.setTitle(TITLE)
    c.setAuthor(AUTHOR)
    cells = _draw_template(c, font).cells
    total = total_pages or max(1, len(forms))
    for n, form in enumerate(forms or [VisitFormData()], start=first_page):
        c.doForm(TEMPLATE)
        _draw_values(c, font, cells, form)
        if stamps:
            paper_marks.draw(c, stamps[n - first_page].code(1), font)
        c.setFont(font, 8.5)
        c.drawRightString(RIGHT, 22, f"第 {n} 页 共 {total} 页")
        c.showPage()
    c.save()
    return buf.getvalue()


def write_visit_forms(
    forms: Sequence[VisitFormData],
    stamps: Sequence[Stamp] | None,
    out: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    before_rename: Callable[[], None] | None = None,
    part_pages: int | None = None,
) -> int:
    """The same PDF as `render_visit_forms`, written to `out` in parts with memory flat
    (caseworker.printing.in_parts: a month's 75,563 forms in under 300 MB); `progress(done,
    total)` after each part, and it may raise to cancel (no file is left). Returns the pages."""
    total = max(1, len(forms))

    def part(start: int, stop: int) -> bytes:
        if not forms:
            return render_visit_forms([], stamps)
        return render_visit_forms(
            forms[start:stop],
            stamps[start:stop] if stamps else None,
            first_page=start + 1,
            total_pages=total,
        )

    return in_parts.write(
        out,
        len(forms),
        part,
        title=TITLE,
        author=AUTHOR,
        part_pages=part_pages or in_parts.PART_PAGES,
        progress=progress,
        before_rename=before_rename,
    )


def render_blank_form(stamp: Stamp | None = None) -> bytes:
    """One blank visit form to photocopy (every copy carries the same blank form's code: it
    opens an empty visit entry)."""
    return render_visit_forms([VisitFormData()], [stamp] if stamp else None)


def write(pdf: bytes, out: Path) -> Path:
    """Write PDF bytes atomically (a half-written file never replaces a good one, and a failed
    write leaves no `.part` with residents' data behind: caseworker.outfile)."""
    from caseworker.outfile import write_bytes

    return write_bytes(out, pdf)
