"""Programme 2 paper: the on-site assessment form (入户评估表), the acceptance form (验收单) with
photos and signature lines, and a household's whole file (档案) as one PDF. A4, the bundled CJK
font embedded; blocks (signatures, a photo pair, the totals) never split across pages.

Data in (the frozen dataclasses below, built by caseworker.services.retrofit.forms), PDF bytes out.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from caseworker.printing import paper_marks
from caseworker.printing.fonts import register
from caseworker.printing.paper_marks import Stamp

ASSESSMENT_TITLE = "居家适老化改造入户评估表"
ACCEPTANCE_TITLE = "居家适老化改造验收单"
FILE_TITLE = "居家适老化改造档案"
PAGE_W, PAGE_H = A4
MARGIN = 15 * mm
WIDTH = PAGE_W - 2 * MARGIN
GRID = colors.Color(0, 0, 0)
LABEL_BG = colors.Color(0.92, 0.92, 0.92)


@dataclass(frozen=True)
class FormLine:
    """One item row; money already formatted in yuan ("1,234.50"), blank on a blank form."""

    part: str
    name: str
    unit: str
    quantity: str = ""
    unit_price: str = ""
    cost: str = ""
    subsidy: str = ""
    household: str = ""
    room: str = ""
    note: str = ""
    basic: bool = False


@dataclass(frozen=True)
class FormPhoto:
    jpeg: bytes
    caption: str
    stage: str


@dataclass(frozen=True)
class FormEvent:
    on: str
    action: str
    steps: str
    actor: str
    note: str


@dataclass(frozen=True)
class RetrofitFormData:
    """Everything the three printouts show. Empty strings print as boxes to fill by hand."""

    office_name: str = ""
    case_no: str = ""
    name: str = ""
    sex: str = ""
    age: str = ""
    id_number: str = ""  # masked unless the file is printed for the archive
    community: str = ""
    address: str = ""
    phone: str = ""
    contact: str = ""
    categories: str = ""
    eligibility: str = ""  # "符合：低保家庭，…" / "不符合：…"
    step: str = ""
    applied_on: str = ""
    assessed_on: str = ""
    assessed_by: str = ""
    assessment_note: str = ""
    approved_on: str = ""
    approved_by: str = ""
    contractor: str = ""
    contractor_contact: str = ""
    construction: str = ""  # "2026-10-20 至 2026-11-05（计划）"
    accepted_on: str = ""
    signed_by: str = ""
    closed: str = ""
    lines: tuple[FormLine, ...] = ()
    total_cost: str = ""
    total_subsidy: str = ""
    total_household: str = ""
    cap_note: str = ""  # "每户补贴上限 3,000.00 元，超出 240.00 元由家庭承担"
    prices_note: str = ""  # "按 2026-10-15 审批时的价格"
    events: tuple[FormEvent, ...] = ()
    photos_before: tuple[FormPhoto, ...] = ()
    photos_after: tuple[FormPhoto, ...] = ()
    blank: bool = False


# -- styles --------------------------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    font = register()
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=24, alignment=TA_CENTER),
        "sub": ParagraphStyle("sub", parent=base, fontSize=9, alignment=TA_CENTER),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "label": ParagraphStyle("label", parent=base, alignment=TA_CENTER),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11.5, leading=16, spaceBefore=6),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    safe = (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(safe.replace("\n", "<br/>"), style)


def _fields(s: dict[str, ParagraphStyle], *pairs: tuple[str, str]) -> list[Flowable | str]:
    """A grid row of (label, value) pairs side by side: the label shaded, the value plain."""
    row: list[Flowable | str] = []
    for label, value in pairs:
        row += [_p(label, s["label"]), _p(value, s["base"])]
    return row


def _grid(rows: list[list], widths: Sequence[float], label_cols: Sequence[int] = ()) -> Table:
    t = Table(rows, colWidths=list(widths))
    style = [
        ("GRID", (0, 0), (-1, -1), 0.6, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for c in label_cols:
        style.append(("BACKGROUND", (c, 0), (c, -1), LABEL_BG))
    t.setStyle(TableStyle(style))
    return t


def _header(d: RetrofitFormData, title: str, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    return [
        _p(title, s["title"]),
        _p(
            f"{d.office_name or '________街道'}　　档案号：{d.case_no or '__________'}",
            s["sub"],
        ),
        Spacer(1, 4 * mm),
    ]


def _applicant(d: RetrofitFormData, s: dict[str, ParagraphStyle]) -> Table:
    b, lb = s["base"], s["label"]
    w = WIDTH
    rows = [
        [_p("姓名", lb), _p(d.name, b), _p("性别", lb), _p(d.sex, b), _p("年龄", lb), _p(d.age, b)],
        [
            _p("身份证号", lb),
            _p(d.id_number, b),
            _p("社区/村", lb),
            _p(d.community, b),
            _p("电话", lb),
            _p(d.phone, b),
        ],
        [_p("住址", lb), _p(d.address, b), "", "", _p("家属/联系人", lb), _p(d.contact, b)],
        [
            _p("家庭类别", lb),
            _p(
                d.categories
                or "□特困 □低保 □低保边缘/低收入 □失能/半失能 □高龄 □残疾 □计划生育特殊家庭",
                b,
            ),
            "",
            "",
            "",
            "",
        ],
        [
            _p("补贴资格", lb),
            _p(d.eligibility or "□符合政府补贴条件　□不符合（家庭自费）", b),
            "",
            "",
            "",
            "",
        ],
    ]
    t = _grid(rows, [w * 0.12, w * 0.26, w * 0.11, w * 0.17, w * 0.13, w * 0.21], (0,))
    t.setStyle(
        TableStyle(
            [
                ("SPAN", (1, 2), (3, 2)),
                ("SPAN", (1, 3), (5, 3)),
                ("SPAN", (1, 4), (5, 4)),
                ("BACKGROUND", (2, 0), (2, 1), LABEL_BG),
                ("BACKGROUND", (4, 0), (4, 2), LABEL_BG),
            ]
        )
    )
    return t


ITEM_HEAD = (
    "序号",
    "类别",
    "改造项目",
    "位置",
    "数量",
    "单位",
    "单价(元)",
    "金额(元)",
    "政府补贴(元)",
    "家庭自付(元)",
)
ITEM_WIDTHS = (0.06, 0.09, 0.20, 0.08, 0.07, 0.08, 0.09, 0.11, 0.11, 0.11)


def _items(
    d: RetrofitFormData, s: dict[str, ParagraphStyle], blank_rows: int = 0
) -> list[Flowable]:
    small, right = s["small"], ParagraphStyle("r", parent=s["small"], alignment=TA_RIGHT)
    rows: list[list] = [
        [_p(h, ParagraphStyle("h", parent=small, alignment=TA_CENTER)) for h in ITEM_HEAD]
    ]
    for n, ln in enumerate(d.lines, start=1):
        name = ln.name + ("★" if ln.basic else "")
        if ln.note:
            name += f"（{ln.note}）"
        rows.append(
            [
                _p(str(n), small),
                _p(ln.part, small),
                _p(name, small),
                _p(ln.room, small),
                _p(ln.quantity, right),
                _p(ln.unit, small),
                _p(ln.unit_price, right),
                _p(ln.cost, right),
                _p(ln.subsidy, right),
                _p(ln.household, right),
            ]
        )
    for _ in range(blank_rows):
        rows.append([""] * len(ITEM_HEAD))
    rows.append(
        [
            _p("合计", small),
            "",
            "",
            "",
            "",
            "",
            "",
            _p(d.total_cost, right),
            _p(d.total_subsidy, right),
            _p(d.total_household, right),
        ]
    )
    t = Table(rows, colWidths=[WIDTH * f for f in ITEM_WIDTHS], repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), LABEL_BG),
                ("BACKGROUND", (0, -1), (-1, -1), LABEL_BG),
                ("SPAN", (0, -1), (6, -1)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ROWHEIGHT", (0, 1), (-1, -1), 18),
            ]
        )
    )
    notes = "★ 基础项目（符合条件的家庭由政府补贴，不超过项目补贴上限）。"
    if d.cap_note:
        notes += d.cap_note + "。"
    if d.prices_note:
        notes += d.prices_note + "。"
    return [t, Spacer(1, 1.5 * mm), _p(notes, small)]


def _signatures(labels: Sequence[str], s: dict[str, ParagraphStyle]) -> Table:
    rows = [
        [
            _p(f"{label}（签字）：", s["base"]),
            _p("____________________　　日期：______年____月____日", s["base"]),
        ]
        for label in labels
    ]
    t = Table(rows, colWidths=[WIDTH * 0.32, WIDTH * 0.68], rowHeights=[11 * mm] * len(rows))
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
    return t


def _box(
    label: str, text: str | Flowable, s: dict[str, ParagraphStyle], height: float = 22 * mm
) -> Table:
    t = Table(
        [[_p(label, s["label"]), text if isinstance(text, Flowable) else _p(text, s["base"])]],
        colWidths=[WIDTH * 0.14, WIDTH * 0.86],
        rowHeights=[height],
    )
    t.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, GRID),
                ("BACKGROUND", (0, 0), (0, 0), LABEL_BG),
                ("VALIGN", (0, 0), (0, 0), "MIDDLE"),
                ("VALIGN", (1, 0), (1, 0), "TOP"),
            ]
        )
    )
    return t


TICK = 8.0  # side of a tick box, points (as on the visit forms)
TICK_LINE = 18.0  # one answer per line, far enough apart that a mark is told from its neighbour
Layout = list[tuple[int, str, str, paper_marks.Rect]]  # (page, field, choice, box) as drawn


class TickLines(Flowable):
    """Answers to tick, one per line: a drawn box, clear of its label, the border and the next
    line, and the label. Where each box lands is added to `layout` as it is drawn (the page and
    place depend on what comes before it), so a scan of this very printout can be read."""

    def __init__(
        self, field: str, answers: Sequence[tuple[str, str]], layout: Layout | None = None
    ) -> None:
        super().__init__()
        self.field = field
        self.answers = list(answers)  # (choice, label)
        self.layout = layout

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        self.height = TICK_LINE * len(self.answers) + 4
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        font = register()
        for i, (choice, label) in enumerate(self.answers):
            y = self.height - 6 - TICK - i * TICK_LINE
            c.setLineWidth(0.6)
            c.rect(6, y, TICK, TICK, stroke=1, fill=0)
            c.setFont(font, 9.5)
            c.drawString(6 + TICK + 7, y + 0.5, label)
            if self.layout is not None:
                x0, y0 = c.absolutePosition(6, y)
                box = paper_marks.Rect(x0, y0, TICK, TICK)
                self.layout.append((c.getPageNumber(), self.field, choice, box))


ACCEPTANCE_ANSWERS = (
    ("合格", "合格：以上改造项目已按评估方案完成，质量和安全符合要求。"),
    ("不合格", "不合格：存在问题（写明）："),
)


def _photo_rows(photos: Sequence[FormPhoto], s: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Photos two to a row, each row kept whole."""
    out: list[Flowable] = []
    cell_w = WIDTH / 2 - 3 * mm
    max_h = 62 * mm
    for i in range(0, len(photos), 2):
        pair = photos[i : i + 2]
        cells = []
        for ph in pair:
            img = Image(io.BytesIO(ph.jpeg))
            ratio = min(cell_w / img.imageWidth, max_h / img.imageHeight)
            img.drawWidth, img.drawHeight = img.imageWidth * ratio, img.imageHeight * ratio
            cells.append([img, _p(f"{ph.stage}：{ph.caption}", s["small"])])
        while len(cells) < 2:
            cells.append(["", ""])
        t = Table(
            [[cells[0][0], cells[1][0]], [cells[0][1], cells[1][1]]],
            colWidths=[WIDTH / 2, WIDTH / 2],
        )
        t.setStyle(
            TableStyle([("ALIGN", (0, 0), (-1, 0), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "TOP")])
        )
        out.append(KeepTogether([t, Spacer(1, 2 * mm)]))
    return out


# -- the three printouts -------------------------------------------------------------------------


def assessment_flow(d: RetrofitFormData) -> list[Flowable]:
    s = _styles()
    flow = _header(d, ASSESSMENT_TITLE, s)
    flow += [_applicant(d, s), Spacer(1, 3 * mm)]
    when = f"申请日期：{d.applied_on or '______'}　　评估日期：{d.assessed_on or '______年____月____日'}　　评估人：{d.assessed_by or '________'}"
    flow += [_p(when, s["base"]), Spacer(1, 2 * mm)]
    flow += _items(d, s, blank_rows=0 if d.lines else 6)
    flow += [Spacer(1, 3 * mm), _box("评估意见", d.assessment_note, s)]
    flow += [
        Spacer(1, 2 * mm),
        _box(
            "审批意见",
            f"{d.approved_by} {d.approved_on} 审批通过" if d.approved_on else "",
            s,
            16 * mm,
        ),
    ]
    flow.append(
        KeepTogether([Spacer(1, 4 * mm), _signatures(("评估人", "老年人或家属", "审批人"), s)])
    )
    return flow


def blank_assessment_flow(catalogue: Sequence[FormLine], office_name: str = "") -> list[Flowable]:
    """The checklist taken to a home: every catalogue item with its price, quantity to write."""
    s = _styles()
    d = RetrofitFormData(office_name=office_name, lines=tuple(catalogue), blank=True)
    flow = _header(d, ASSESSMENT_TITLE, s)
    flow += [_applicant(d, s), Spacer(1, 3 * mm)]
    flow += [
        _p(
            "评估日期：______年____月____日　　评估人：________　　（在需要改造的项目上填写位置和数量）",
            s["base"],
        ),
        Spacer(1, 2 * mm),
    ]
    flow += _items(d, s)
    flow += [Spacer(1, 3 * mm), _box("评估意见", "", s)]
    flow.append(KeepTogether([Spacer(1, 4 * mm), _signatures(("评估人", "老年人或家属"), s)]))
    return flow


def acceptance_flow(d: RetrofitFormData, layout: Layout | None = None) -> list[Flowable]:
    s = _styles()
    flow = _header(d, ACCEPTANCE_TITLE, s)
    flow += [_applicant(d, s), Spacer(1, 3 * mm)]
    firm = _grid(
        [
            _fields(s, ("施工单位", d.contractor), ("联系人/电话", d.contractor_contact)),
            _fields(
                s,
                ("施工日期", d.construction),
                ("验收日期", d.accepted_on or "______年____月____日"),
            ),
        ],
        [WIDTH * 0.13, WIDTH * 0.42, WIDTH * 0.15, WIDTH * 0.30],
        (0, 2),
    )
    flow += [firm, Spacer(1, 3 * mm)]
    flow += _items(d, s, blank_rows=0 if d.lines else 6)
    flow += [
        Spacer(1, 3 * mm),
        _box("验收结论", TickLines("conclusion", ACCEPTANCE_ANSWERS, layout), s, 26 * mm),
    ]
    photos = list(d.photos_before) + list(d.photos_after)
    if photos:
        flow += [_p("改造前后照片", s["h2"]), Spacer(1, 1 * mm)]
        flow += _photo_rows(photos, s)
    sign = [Spacer(1, 4 * mm), _p("本人已确认以上改造项目完成情况。", s["base"])]
    sign.append(_signatures(("老年人或家属", "验收人", "施工单位"), s))
    if d.signed_by:
        sign.append(_p(f"（系统记录：{d.accepted_on} 验收通过，签字人 {d.signed_by}）", s["small"]))
    flow.append(KeepTogether(sign))
    return flow


def file_flow(d: RetrofitFormData) -> list[Flowable]:
    """The household's whole file: summary and timeline, then both forms."""
    s = _styles()
    flow = _header(d, FILE_TITLE, s)
    flow += [_applicant(d, s), Spacer(1, 3 * mm)]
    summary = [
        _fields(s, ("当前环节", d.step), ("申请日期", d.applied_on)),
        _fields(s, ("费用合计(元)", d.total_cost), ("政府补贴(元)", d.total_subsidy)),
        _fields(s, ("家庭自付(元)", d.total_household), ("施工单位", d.contractor)),
        [*_fields(s, ("结案", d.closed)), "", ""],
    ]
    t = _grid(summary, [WIDTH * 0.15, WIDTH * 0.35, WIDTH * 0.15, WIDTH * 0.35], (0, 2))
    t.setStyle(TableStyle([("SPAN", (1, 3), (3, 3))]))
    flow += [t, _p("办理经过", s["h2"])]
    rows = [[_p(h, s["small"]) for h in ("日期", "办理", "环节", "经办人", "说明")]]
    rows += [
        [
            _p(e.on, s["small"]),
            _p(e.action, s["small"]),
            _p(e.steps, s["small"]),
            _p(e.actor, s["small"]),
            _p(e.note, s["small"]),
        ]
        for e in d.events
    ]
    ev = Table(rows, colWidths=[WIDTH * f for f in (0.13, 0.13, 0.22, 0.12, 0.40)], repeatRows=1)
    ev.setStyle(
        TableStyle(
            [("GRID", (0, 0), (-1, -1), 0.5, GRID), ("BACKGROUND", (0, 0), (-1, 0), LABEL_BG)]
        )
    )
    flow += [ev, PageBreak()]
    flow += [*assessment_flow(d), PageBreak(), *acceptance_flow(d)]
    return flow


def render(flow: list[Flowable], title: str, stamp: Stamp | None = None) -> bytes:
    """A4 PDF bytes with page numbers; with `stamp`, every page carries its code and corner
    marks (the top margin grows to make room for the QR code)."""
    font = register()
    buf = io.BytesIO()

    def on_page(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawRightString(PAGE_W - MARGIN, 8 * mm, f"{title}　第 {doc.page} 页")
        canvas.restoreState()
        if stamp is not None:
            paper_marks.draw(canvas, stamp.code(doc.page), font)

    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN if stamp is None else 26 * mm,
        bottomMargin=MARGIN,
        title=title,
        author="街道民政工作台",
    )
    doc.build(flow, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def render_assessment(d: RetrofitFormData, stamp: Stamp | None = None) -> bytes:
    return render(assessment_flow(d), ASSESSMENT_TITLE, stamp)


def render_blank_assessment(
    catalogue: Sequence[FormLine], office_name: str = "", stamp: Stamp | None = None
) -> bytes:
    return render(blank_assessment_flow(catalogue, office_name), ASSESSMENT_TITLE, stamp)


def render_acceptance(
    d: RetrofitFormData, stamp: Stamp | None = None, layout: Layout | None = None
) -> bytes:
    """The acceptance form; with `layout`, where its tick boxes were drawn is added to it."""
    return render(acceptance_flow(d, layout), ACCEPTANCE_TITLE, stamp)


def render_file(d: RetrofitFormData) -> bytes:
    return render(file_flow(d), FILE_TITLE)


def write(pdf: bytes, out: Path) -> Path:
    """Write PDF bytes atomically, leaving nothing behind on failure (caseworker.outfile)."""
    from caseworker.outfile import write_bytes

    return write_bytes(out, pdf)
