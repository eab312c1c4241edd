"""A batch of scanned paper forms: each page read (caseworker.scan), matched to its printed
form by its code (caseworker.services.paper), and given a clear note. Nothing is saved here:
the caseworker confirms each page in its entry form, and only then is the visit saved and the
page image kept as the signed original (`keep_original`).

A page is matched only by its code, never by a guess: a page whose code cannot be read is
listed for the caseworker to choose its person. A blank page, a page printed by another office,
a page of a form already entered (a photocopy, a second scan) and the same page twice in one
batch each get their own note.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor
from caseworker.domain.visit_form import CHOICE_FIELDS, MULTI_SEPARATOR
from caseworker.scan import pages as scan_pages
from caseworker.scan import reader, templates
from caseworker.services import paper

# statuses of a page in a batch
MATCHED = "matched"
ENTERED = "entered"
UNREADABLE = "unreadable"
BLANK = "blank"
REFUSED = "refused"  # another office's, or not printed here
REPEATED = "repeated"
STATUS_TEXT = {
    MATCHED: "可录入",
    ENTERED: "已录入过",
    UNREADABLE: "需人工匹配",
    BLANK: "空白页",
    REFUSED: "不能录入",
    REPEATED: "重复页",
}
ORIGINAL_QUALITY = 60  # JPEG quality of the kept page (grayscale, 150 dpi): about 150 KB


@dataclass
class ScanPage:
    source: Path
    number: int
    status: str
    note: str
    reading: reader.PageReading
    found: paper.Found | None = None
    values: dict[str, object] = field(default_factory=dict)  # proposed visit values
    unsure: list[tuple[str, str]] = field(default_factory=list)  # (field, choice) to look at

    def as_json(self) -> dict[str, object]:
        f = self.found
        return {
            "file": str(self.source),
            "page": self.number,
            "status": self.status,
            "note": self.note,
            "code": self.reading.code,
            "form": f.title if f else None,
            "kind": f.kind if f else None,
            "record_id": f.record_id if f else None,
            "period": f.period if f else None,
            "entered_ref": f.entered_ref if f else None,
            "rotation": self.reading.rotation,
            "boxes": len(self.reading.boxes),
            "ticked": sum(b.ticked for b in self.reading.boxes),
            "unsure": [f"{name}:{choice}" for name, choice in self.unsure],
            "values": {k: v for k, v in self.values.items()},
        }


def proposed_values(
    boxes: Sequence[reader.BoxReading], kind: str = "elderly_visit"
) -> tuple[dict[str, object], list[tuple[str, str]]]:
    """The entry's values from the ticks read (a one-answer question with an unsure or doubled
    tick is left empty for the caseworker), and the boxes to look at."""
    ticked: dict[str, list[str]] = {}
    unsure: list[tuple[str, str]] = []
    doubtful: set[str] = set()
    for b in boxes:
        if b.unsure:
            unsure.append((b.field, b.choice))
            doubtful.add(b.field)
        if b.ticked:
            ticked.setdefault(b.field, []).append(b.choice)

    def one(name: str) -> str:
        chosen = ticked.get(name, [])
        return chosen[0] if len(chosen) == 1 and name not in doubtful else ""

    values: dict[str, object] = {}
    if kind in templates.ACCEPTANCE_KINDS:
        values["conclusion"] = one("conclusion")  # 合格 or 不合格
        return values, unsure
    if kind in templates.CHILD_VISIT_KINDS:
        values["method"] = one("method")
        # a yes/no question read for sure, else None: the entry keeps its own default
        values["child_seen"] = {"是": True, "否": False}.get(one("child_seen"))
        values["safety_concern"] = {"有": True, "无": False}.get(one("safety_concern"))
        return values, unsure
    if kind not in templates.VISIT_KINDS:
        return values, unsure
    if one("method"):
        values["method"] = one("method")
    for cf in CHOICE_FIELDS:
        chosen = ticked.get(cf.name, [])
        if cf.multi:
            values[cf.name] = MULTI_SEPARATOR.join(c for c in cf.choices if c in chosen)
        else:
            values[cf.name] = one(cf.name)
    values["referral"] = list(ticked.get("referral", []))
    return values, unsure


class _Forms:
    """The reader's `template_for(code)`, which resolves the page's code to find its form; the
    page's match then takes that same resolution (`resolve`) instead of asking the database
    again (one session, nothing written between: the same answer, a statement less a page)."""

    def __init__(self, session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.last: tuple[str, paper.Found] | None = None

    def resolve(self, code: str) -> paper.Found:
        if self.last is not None and self.last[0] == code:
            return self.last[1]
        found = paper.resolve(self.session, self.actor, code)
        self.last = (code, found)
        return found

    def __call__(self, code: str | None) -> reader.Template | None:
        if code is None:
            return None
        try:
            found = self.resolve(code)
        except ValidationError:
            return None
        return templates.for_found(self.session, found)


def _template_for(session, actor: Actor) -> Callable[[str | None], reader.Template | None]:
    return _Forms(session, actor)


def read_files(
    ws,
    actor: Actor,
    files: Sequence[Path],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[ScanPage]:
    """Each page of each file, read and matched, in the order scanned."""
    for path in files:  # refuse a bad file before reading any page
        if path.suffix.lower() not in scan_pages.SUFFIXES:
            raise ValidationError(f"不支持的扫描件格式：{path.name}（可用 PDF、TIFF、JPEG、PNG）")
        if not path.is_file():
            raise ValidationError(f"找不到扫描件：{path}")
    total = sum(scan_pages.count(p) for p in files)
    seen: dict[str, tuple[Path, int]] = {}
    done = 0
    with ws.reader() as session:
        forms = _Forms(session, actor)
        for path in files:
            for page in scan_pages.pages(path):
                result = _one(session, actor, page, forms, seen)
                done += 1
                if progress is not None:
                    progress(done, total)
                yield result


def _one(session, actor: Actor, page: scan_pages.Page, forms: _Forms, seen) -> ScanPage:
    reading = reader.read_page(page.image, forms)
    if reading.blank:
        return ScanPage(page.source, page.number, BLANK, "空白页，已跳过", reading)
    if reading.code is None:
        return ScanPage(
            page.source,
            page.number,
            UNREADABLE,
            "二维码无法识别：请为这一页选择对应的人员（不会自动匹配），或输入表上印的 20 位编码",
            reading,
        )
    try:
        found = forms.resolve(reading.code)
    except ValidationError as exc:
        return ScanPage(page.source, page.number, REFUSED, str(exc), reading)
    key = f"{found.form_id}/{found.page}"
    if key in seen:
        first = seen[key]
        return ScanPage(
            page.source,
            page.number,
            REPEATED,
            f"与 {first[0].name} 第 {first[1]} 页是同一张表，已跳过",
            reading,
            found,
        )
    seen[key] = (page.source, page.number)
    values, unsure = proposed_values(reading.boxes, found.kind)
    if found.entered_ref is not None:
        note = "这张表已经录入过（复印件或重复扫描）：可打开已录入的记录核对，不会重复录入"
        return ScanPage(page.source, page.number, ENTERED, note, reading, found, values, unsure)
    if templates.for_found(session, found).boxes and not reading.boxes:
        note = reading.note or "页面定位失败"
        note += "：勾选项请手工录入"
    elif reading.boxes:
        note = f"已识别 {sum(b.ticked for b in reading.boxes)} 个勾选"
        if unsure:
            note += f"，{len(unsure)} 个需要核对"
        if reading.rotation:
            note += f"（页面倒置/旋转 {reading.rotation}°，已自动转正）"
    else:
        note = f"{found.title}：已找到对应记录，内容请手工录入"
    return ScanPage(page.source, page.number, MATCHED, note, reading, found, values, unsure)


def without_image(page: ScanPage) -> ScanPage:
    """The page as a batch's list keeps it: what was read, but not the page's image (a batch of
    300 pages would hold 300 images); `read_again` reads it back when the page is opened."""
    page.reading.image = None
    return page


def read_again(ws, actor: Actor, page: ScanPage) -> ScanPage:
    """A listed page read once more from its file, with its image, to open it. The reading is
    the same as the first time (the reader is deterministic)."""
    with ws.reader() as session:
        template_for = _template_for(session, actor)
        again = reader.read_page(scan_pages.page_at(page.source, page.number).image, template_for)
    if again.code != page.reading.code:
        raise ValidationError(f"扫描件 {page.source.name} 第 {page.number} 页已被改动，请重新导入")
    values, unsure = proposed_values(again.boxes, page.found.kind if page.found else "")
    return ScanPage(
        page.source, page.number, page.status, page.note, again, page.found, values, unsure
    )


def read_as(ws, actor: Actor, page: ScanPage, text: str) -> ScanPage:
    """A page whose code could not be read, matched by the code the caseworker typed from the
    digits printed beside it (never by a guess): read as that form, every box with ink on it
    asked. Refused with the reason for a code that is not valid, not this office's or not
    printed here."""
    with ws.reader() as session:
        found = paper.resolve(session, actor, text)
        template = templates.for_found(session, found)
    image = scan_pages.page_at(page.source, page.number).image
    reading = reader.read_unknown(image, template, found.code)
    values, unsure = proposed_values(reading.boxes, found.kind)
    status = ENTERED if found.entered_ref else MATCHED
    note = "按输入的编码匹配" + ("：勾选项请全部核对" if reading.boxes else "")
    return ScanPage(page.source, page.number, status, note, reading, found, values, unsure)


def original_bytes(reading: reader.PageReading) -> bytes:
    """The page as kept: grayscale JPEG at the working resolution (about 150 dpi)."""
    assert reading.image is not None, "read the page again (read_again) to keep it"
    buf = io.BytesIO()
    reading.image.convert("L").save(buf, "JPEG", quality=ORIGINAL_QUALITY, optimize=True)
    return buf.getvalue()


def keep_original(
    ws,
    actor: Actor,
    found: paper.Found,
    reading: reader.PageReading,
    entered_ref: str,
) -> str:
    """Keep the page image with the record (workspace scans/ folder) and mark the printed form
    entered; returns where it is kept ("" when it is not). Called after the record itself was
    saved. A child's form is not kept as an image: its notes are confidential and stored only
    encrypted (caseworker.services.children), so a plain picture of them is not left on disk;
    the signed paper stays in the office's archive."""
    from caseworker.outfile import write_bytes

    if found.kind in templates.CHILD_VISIT_KINDS or reading.image is None:
        paper.mark_entered(ws.engine, actor, found.form_id, entered_ref)
        return ""
    rel = f"scans/{found.printed_at:%Y}/{found.form_id}-{found.page}.jpg"
    target = ws.paths.root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(target, original_bytes(reading))
    paper.mark_entered(ws.engine, actor, found.form_id, entered_ref, original=rel)
    return rel
