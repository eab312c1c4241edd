"""Import the office's Excel roster (台账) into the elderly roster: preview, then apply.

`preview` reads the file and tells, without writing anything, how each column was understood,
each row's reading (normalised ID, birth date and sex from it, community matched) and what
would happen to it: new, update (field by field), unchanged, already on the roster (skipped or
marked for checking), duplicate within the file, rejected (with the reason) or skipped (blank,
合计 and note rows). `apply` does the same reading inside one write transaction and writes the
new and changed residents, journaled like any other change; importing the same file again
changes nothing and says so. `apply_file` takes the backup first. `save_report` writes the
row-level report as .xlsx with the rejected rows marked, ready to fix and import again.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.elderly import (
    LIVING_ARRANGEMENTS,
    Category,
    Status,
    decode_categories,
    encode_categories,
    suggest_tier,
    with_derived,
)
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor
from caseworker.domain.roster_columns import ELDERLY, read_categories
from caseworker.domain.tabular import (
    Cell,
    CellRefused,
    cell_date,
    cell_text,
    header_key,
    id_number_text,
    is_blank_row,
    is_total_row,
    match_name,
    phone_text,
    split_words,
)
from caseworker.services.elderly import schedule
from caseworker.services.elderly._common import can_edit
from caseworker.services.elderly.roster import ResidentDraft, _check_fields, parse_roster_id
from caseworker.services.tabular import readers
from caseworker.services.tabular.applying import importer
from caseworker.services.tabular.headers import ColumnReading, Layout, guess, locate
from caseworker.services.tabular.xlsx import Column, XlsxWriter
from db.base import table_of
from db.elderly import ElderlyResident
from db.ids import new_ids
from db.journal import insert_many
from db.models import Community

Progress = Callable[[int, int, str], None]
# Title of the report's sheets that only inform: importing the report reads its 未导入 sheet only.
REPORT_ONLY = "（导入报告，此页不会被导入）"
CHUNK = 2000  # new residents per insert_many (each one executemany)
DERIVED = frozenset({"name_pinyin", "name_letters"})  # follow the name; not a change to show
COMMUNITY_SUFFIXES = (
    "社区居委会",
    "社区居民委员会",
    "村民委员会",
    "居委会",
    "村委会",
    "社区",
    "村",
)
TEXT_FIELDS = (
    "name",
    "phone",
    "address",
    "living_arrangement",
    "health_notes",
    "supporter_name",
    "supporter_relation",
    "supporter_phone",
    "emergency_name",
    "emergency_phone",
    "notes",
)
LIVING_WORDS = {
    "独居": "独自居住",
    "独自居住": "独自居住",
    "与配偶": "与配偶同住",
    "夫妻同住": "与配偶同住",
    "与子女": "与子女同住",
    "与亲属": "与其他亲属同住",
    "保姆": "与保姆/护工同住",
    "护工": "与保姆/护工同住",
}


class ExistingPolicy(StrEnum):
    """What to do with a person already on the roster (the user chooses)."""

    UPDATE = "update"  # write what the file changes (blank cells never erase)
    SKIP = "skip"  # leave them as they are
    MARK = "mark"  # leave them, and list the differences for checking


POLICY_LABELS = {
    ExistingPolicy.UPDATE: "更新为文件中的内容",
    ExistingPolicy.SKIP: "跳过，保持台账原样",
    ExistingPolicy.MARK: "不修改，在报告中标出差异待核对",
}


class RowStatus(StrEnum):
    NEW = "新增"
    UPDATE = "更新"
    SAME = "无变化"
    EXISTING = "已在台账（跳过）"
    MARKED = "已在台账（待核对）"
    DUPLICATE = "文件内重复"
    REJECTED = "未导入"
    SKIPPED = "忽略"


@dataclass(frozen=True)
class ImportOptions:
    policy: ExistingPolicy = ExistingPolicy.UPDATE
    # header label (any spelling; compared by header_key) → field, or "" to leave out
    mapping: dict[str, str] = field(default_factory=dict)
    # a community as the file names it (a sheet's name, a 社区 cell) → the id of one of the
    # office's communities: an old 台账 names them its own way ("一社区", "和平")
    communities: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class RowReading:
    sheet: str
    row: int  # the row number Excel shows (1-based)
    status: RowStatus
    reason: str = ""
    name: str = ""
    id_number: str = ""  # normalised 18 characters ("" when unreadable)
    birth_date: date | None = None
    sex: str = ""
    community_name: str = ""
    changes: tuple[FieldChange, ...] = ()
    warnings: tuple[str, ...] = ()
    cells: tuple[Cell, ...] = ()  # the row as in the file
    resident_id: str | None = None  # the resident on the roster (update/same/existing)
    values: dict[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SheetReading:
    name: str
    header_row: int | None  # 1-based; None when no header was found (sheet not imported)
    columns: tuple[ColumnReading, ...]
    community_from_sheet: str | None  # the community every row of this sheet belongs to
    rows: int
    note: str = ""


@dataclass(frozen=True)
class ImportPreview:
    file_name: str
    kind: str
    encoding: str
    fingerprint: str
    policy: ExistingPolicy
    sheets: tuple[SheetReading, ...]
    rows: tuple[RowReading, ...]
    # Names the file gives a community that none of the office's matched (with how many rows
    # each refused): what the preview offers to map with `ImportOptions.communities`.
    unknown_communities: tuple[tuple[str, int], ...] = ()

    @property
    def counts(self) -> dict[RowStatus, int]:
        c = Counter(r.status for r in self.rows)
        return {s: c.get(s, 0) for s in RowStatus}

    @property
    def to_write(self) -> int:
        c = self.counts
        return c[RowStatus.NEW] + c[RowStatus.UPDATE]

    def summary(self) -> str:
        c = self.counts
        parts = [f"{s.value} {c[s]} 行" for s in RowStatus if c[s]]
        return "；".join(parts) if parts else "文件中没有数据行"


@dataclass(frozen=True)
class ImportResult:
    preview: ImportPreview
    created: int
    updated: int
    backup: Path | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def message(self) -> str:
        if not self.changed:
            return "台账中已有文件里的全部内容，没有写入任何变更。" + _rejected_note(self.preview)
        return f"已导入：新增 {self.created} 人，更新 {self.updated} 人。" + _rejected_note(
            self.preview
        )


def _rejected_note(p: ImportPreview) -> str:
    n = p.counts[RowStatus.REJECTED]
    return f"{n} 行未导入（原因见导入报告）。" if n else ""


# -- reading ---------------------------------------------------------------------------------


def _fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _communities(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(Community.name, Community.id).where(Community.deleted_at.is_(None))
    ).all()
    return {header_key(name): cid for name, cid in rows}


class _Reader:
    """Reads rows against the roster as it stands (one pass, no per-row queries)."""

    def __init__(self, session: Session, options: ImportOptions, today: date) -> None:
        self.session = session
        self.options = options
        self.today = today
        # Held so the rule checks' `session.get(Community, …)` find them in the (weak)
        # identity map instead of querying once per row.
        self._loaded = list(session.scalars(select(Community)))
        self.community_ids = _communities(session)
        self.community_names = {
            cid: name for name, cid in session.execute(select(Community.name, Community.id)).all()
        }
        R = table_of(ElderlyResident).c
        self.on_roster: dict[str, tuple[str, bool]] = {
            idn: (rid, deleted is not None)
            for idn, rid, deleted in session.execute(select(R.id_number, R.id, R.deleted_at))
        }
        self.seen: dict[str, tuple[str, int]] = {}
        self.existing_rows: dict[str, ElderlyResident] = {}
        self.chosen_communities: dict[str, str] = {}
        for text, cid in options.communities.items():
            if cid not in self.community_names:
                raise ValidationError(f"“{text}”对应的社区/村不是本街道的")
            self.chosen_communities[header_key(text)] = cid
        self.unknown: Counter[str] = Counter()  # a community name nothing matched → rows

    def community_of(self, text: str) -> str | None:
        chosen = self.chosen_communities.get(header_key(text))
        return chosen or match_name(text, self.community_ids, COMMUNITY_SUFFIXES)

    def load_existing(self, ids: Sequence[str]) -> None:
        ids = [i for i in ids if i not in self.existing_rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in self.session.scalars(
                select(ElderlyResident).where(ElderlyResident.id.in_(chunk))
            ):
                self.existing_rows[row.id] = row


def community_choices(
    session: Session,
    actor: Actor,
    pairs: dict[str, str],
    *,
    check: Callable[[Actor], None] = can_edit,
) -> dict[str, str]:
    """`ImportOptions.communities` from names: the file's name → the office community's name
    (as the command line takes them: `--community 一社区=和平里社区`). Shared by the three
    programmes' imports: `check` is the importing programme's own permission (a child
    supervisor may map the child register's sheets without the roster's right)."""
    check(actor)
    ids = _communities(session)
    out: dict[str, str] = {}
    for text, name in pairs.items():
        cid = match_name(name, ids, COMMUNITY_SUFFIXES)
        if cid is None:
            known = "、".join(
                sorted(n for n, _ in session.execute(select(Community.name, Community.id)))
            )
            raise ValidationError(f"“{name}”不是本街道的社区/村（现有：{known}）")
        out[text] = cid
    return out


def _sheet_community(reader: _Reader, sheet: readers.Sheet, layout: Layout) -> str | None:
    if layout.column_of("community") is not None:
        return None
    return reader.community_of(sheet.name)


def _value(cells: Sequence[Cell], layout: Layout, name: str) -> Cell:
    i = layout.column_of(name)
    return cells[i] if i is not None and i < len(cells) else None


def _read_row(  # noqa: C901
    reader: _Reader,
    sheet: readers.Sheet,
    layout: Layout,
    sheet_community: str | None,
    index: int,
    cells: list[Cell],
) -> RowReading:
    base = RowReading(sheet.name, index + 1, RowStatus.SKIPPED, cells=tuple(cells))
    mapped = [_value(cells, layout, f) for f in layout.fields]
    if is_blank_row(mapped):
        return replace(base, reason="空行" if is_blank_row(cells) else "没有姓名和身份证号的行")
    if is_total_row(cells):
        return replace(base, reason="合计行")
    name_cell = _value(cells, layout, "name")
    id_cell = _value(cells, layout, "id_number")
    if cell_text(name_cell) == "" and cell_text(id_cell) == "":
        return replace(base, reason="没有姓名和身份证号的行（说明或备注）")
    name = cell_text(name_cell)
    if not any("a" <= ch.lower() <= "z" for ch in name):
        name = name.replace(" ", "")  # "王　英" padded to line up with three-character names
    rejected = replace(base, status=RowStatus.REJECTED, name=name)
    try:
        id_text = id_number_text(id_cell)
    except CellRefused as exc:
        return replace(rejected, reason=str(exc))
    if not id_text:
        return replace(rejected, reason="没有身份证号")
    try:
        parsed = parse_roster_id(id_text, reader.today)
    except ValidationError as exc:
        return replace(rejected, reason=str(exc))
    rejected = replace(
        rejected, id_number=parsed.value, birth_date=parsed.birth_date, sex=parsed.sex
    )
    if not name:
        return replace(rejected, reason="没有姓名")

    # Community: the row's cell, else the sheet's name.
    community_text = cell_text(_value(cells, layout, "community"))
    if community_text:
        community_id = reader.community_of(community_text)
        if community_id is None:
            reader.unknown[community_text] += 1
            known = "、".join(sorted(set(reader.community_names.values())))
            return replace(
                rejected, reason=f"社区“{community_text}”不是本街道的社区/村（现有：{known}）"
            )
    elif sheet_community is not None:
        community_id = sheet_community
    else:
        reader.unknown[sheet.name] += 1
        return replace(
            rejected,
            reason=f"没有社区：表中没有“社区”一栏，工作表名“{sheet.name}”也不是本街道的社区/村",
        )
    community_name = reader.community_names.get(community_id, "")
    rejected = replace(rejected, community_name=community_name)

    warnings: list[str] = []
    values: dict[str, Any] = {}
    for f in TEXT_FIELDS:
        if f in layout.fields:
            cell = _value(cells, layout, f)
            text = phone_text(cell) if f.endswith("phone") else cell_text(cell)
            if f == "living_arrangement" and text and text not in LIVING_ARRANGEMENTS:
                mapped_text = next((v for k, v in LIVING_WORDS.items() if k in text), None)
                if mapped_text is None:
                    warnings.append(f"居住情况“{text}”无法识别，未导入该项")
                text = mapped_text or ""
            values[f] = text
    values["name"] = name
    categories: frozenset[Category] | None = None
    if "categories" in layout.fields:
        words = split_words(_value(cells, layout, "categories"))
        if words:
            categories, unknown = read_categories(words)
            if unknown:
                warnings.append(f"类别中“{'、'.join(unknown)}”无法识别，未导入该项")
    enrolled: date | None = None
    try:
        read = cell_date(_value(cells, layout, "enrolled_on"))
    except CellRefused as exc:
        return replace(rejected, reason=f"登记日期：{exc}")
    if read is not None:
        enrolled = read.value
        if enrolled > reader.today:
            return replace(rejected, reason=f"登记日期 {enrolled:%Y-%m-%d} 在今天之后")
        if enrolled < parsed.birth_date:
            return replace(rejected, reason=f"登记日期 {enrolled:%Y-%m-%d} 早于出生日期")
    try:
        born = cell_date(_value(cells, layout, "birth_date"))
    except CellRefused as exc:
        born = None
        warnings.append(f"出生日期：{exc}（以身份证号为准）")
    if born is not None:
        same = (
            (born.value.year, born.value.month) == (parsed.birth_date.year, parsed.birth_date.month)
            if born.month_only
            else born.value == parsed.birth_date
        )
        if not same:
            warnings.append(
                f"出生日期 {cell_text(_value(cells, layout, 'birth_date'))} 与身份证号"
                f"（{parsed.birth_date:%Y-%m-%d}）不符，以身份证号为准"
            )
    sex_text = cell_text(_value(cells, layout, "sex"))
    if sex_text and sex_text[:1] in "男女" and sex_text[:1] != parsed.sex:
        warnings.append(f"性别“{sex_text}”与身份证号（{parsed.sex}）不符，以身份证号为准")
    if parsed.upgraded_from_15:
        warnings.append(f"15 位旧身份证号已升为 18 位：{parsed.value}")

    draft = ResidentDraft(
        name=values.get("name", name),
        id_number=parsed.value,
        community_id=community_id,
        phone=values.get("phone", ""),
        address=values.get("address", ""),
        categories=categories or frozenset(),
        living_arrangement=values.get("living_arrangement", ""),
        health_notes=values.get("health_notes", ""),
        supporter_name=values.get("supporter_name", ""),
        supporter_relation=values.get("supporter_relation", ""),
        supporter_phone=values.get("supporter_phone", ""),
        emergency_name=values.get("emergency_name", ""),
        emergency_phone=values.get("emergency_phone", ""),
        notes=values.get("notes", ""),
        enrolled_on=enrolled,
    )
    try:
        checked = _check_fields(reader.session, draft)
    except ValidationError as exc:
        return replace(rejected, reason=str(exc))
    # Only what the file gives counts: a blank cell never erases what the roster holds.
    given = {k: v for k, v in checked.items() if k in values and v != ""}
    given["name"] = checked["name"]
    # written with the name (sort order and pinyin search), never shown as a change of its own
    given["name_pinyin"], given["name_letters"] = checked["name_pinyin"], checked["name_letters"]
    given["community_id"] = community_id
    if categories is not None:
        given["categories"] = encode_categories(categories)
    if enrolled is not None:
        given["enrolled_on"] = enrolled
    reading = replace(
        rejected,
        status=RowStatus.NEW,
        reason="",
        name=checked["name"],
        warnings=tuple(warnings),
        values=given,
    )

    first = reader.seen.get(parsed.value)
    if first is not None:
        return replace(
            reading,
            status=RowStatus.DUPLICATE,
            reason=f"与工作表“{first[0]}”第 {first[1]} 行身份证号相同，只导入第一次出现的一行",
            values=None,
        )
    reader.seen[parsed.value] = (sheet.name, index + 1)
    return reading


def _classify(reader: _Reader, rows: list[RowReading]) -> list[RowReading]:
    """Each row read from the file against the roster as it is now: a person already on it
    (SAME, compared next), a deleted record (refused), or new."""
    out: list[RowReading] = []
    for r in rows:
        found = reader.on_roster.get(r.id_number) if r.status is RowStatus.NEW else None
        if found is None:
            out.append(r)
        elif found[1]:
            out.append(
                replace(
                    r,
                    status=RowStatus.REJECTED,
                    reason="该身份证号的台账记录已被删除，请联系管理员处理",
                    values=None,
                )
            )
        else:
            out.append(replace(r, status=RowStatus.SAME, resident_id=found[0]))
    return out


def _label(name: str) -> str:
    return ELDERLY.label_of(name)


def _shown(session_names: dict[str, str], key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "community_id":
        return session_names.get(value, "")
    if key == "categories":
        return "、".join(c.value for c in Category if c in decode_categories(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _compare(reader: _Reader, rows: list[RowReading]) -> list[RowReading]:
    """Field-by-field comparison of the rows already on the roster; status by the policy."""
    reader.load_existing([r.resident_id for r in rows if r.resident_id])
    policy = reader.options.policy
    out: list[RowReading] = []
    for r in rows:
        if r.status is not RowStatus.SAME or r.resident_id is None or r.values is None:
            out.append(r)
            continue
        existing = reader.existing_rows[r.resident_id]
        changes = tuple(
            FieldChange(
                key,
                _label("community" if key == "community_id" else key),
                _shown(reader.community_names, key, getattr(existing, key)),
                _shown(reader.community_names, key, value),
            )
            for key, value in r.values.items()
            if key not in DERIVED and getattr(existing, key) != value
        )
        if not changes:
            out.append(replace(r, status=RowStatus.SAME, reason="与台账一致"))
        elif policy is ExistingPolicy.UPDATE:
            out.append(replace(r, status=RowStatus.UPDATE, changes=changes))
        elif policy is ExistingPolicy.MARK:
            out.append(
                replace(r, status=RowStatus.MARKED, changes=changes, reason="与台账不一致，待核对")
            )
        else:
            out.append(
                replace(
                    r, status=RowStatus.EXISTING, changes=changes, reason="已在台账，按选择跳过"
                )
            )
    return out


# The last file's reading, by everything it depends on (fingerprint, options, day, the office's
# communities): applying right after the preview classifies and compares the rows again in
# its own transaction without reading the cells again (`importing.forget` drops it).
_READ: dict[tuple[Any, ...], tuple[list[SheetReading], list[RowReading], Counter[str]]] = {}


def _read_file(
    session: Session,
    path: Path,
    options: ImportOptions,
    today: date,
    progress: Progress | None,
) -> ImportPreview:
    from caseworker.services.tabular import importing  # it imports this module's types

    book = importing.read(path, progress)
    reader = _Reader(session, options, today)
    key = (
        book.fingerprint,
        repr(sorted(options.mapping.items())),
        repr(sorted(options.communities.items())),
        today,
        tuple(sorted(reader.community_ids.items())),
        tuple(sorted(reader.community_names.items())),
    )
    kept = _READ.get(key)
    if kept is None:
        kept = _read_sheets(reader, book.book, options, progress)
        _READ.clear()
        _READ[key] = kept
    sheets, read_rows, unknown = kept
    rows = _compare(reader, _classify(reader, list(read_rows)))
    return ImportPreview(
        path.name,
        book.book.kind,
        book.book.encoding,
        book.fingerprint,
        options.policy,
        tuple(sheets),
        tuple(rows),
        tuple(sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def forget() -> None:
    _READ.clear()


def _read_sheets(
    reader: _Reader,
    book: readers.Workbook,
    options: ImportOptions,
    progress: Progress | None,
) -> tuple[list[SheetReading], list[RowReading], Counter[str]]:
    """Every sheet's rows read from the file (nothing looked up on the roster yet)."""
    overrides = {header_key(k): v for k, v in options.mapping.items()}
    for v in overrides.values():
        if v and v not in {c.field for c in ELDERLY.columns}:
            raise ValidationError(f"未知的导入项：{v}")
    sheets: list[SheetReading] = []
    rows: list[RowReading] = []
    total = sum(len(s.rows) for s in book.sheets)
    done = 0
    for sheet in book.sheets:
        if (
            sheet.rows
            and sheet.rows[0]
            and cell_text(sheet.rows[0][0]).endswith(cell_text(REPORT_ONLY))
        ):
            sheets.append(SheetReading(sheet.name, None, (), None, 0, "导入报告的说明页，未导入"))
            continue
        layout = locate(sheet.rows, ELDERLY, overrides)
        if layout is None:
            note = "空工作表" if not sheet.rows else "没有找到表头（姓名、身份证号等），未导入"
            guessed = guess(sheet.rows)
            columns = guessed.columns if guessed else ()
            if guessed:
                note += "；请在“列对应”中指定各栏"
            sheets.append(SheetReading(sheet.name, None, columns, None, 0, note))
            done += len(sheet.rows)
            continue
        missing = [ELDERLY.label_of(f) for f in ELDERLY.required if f not in layout.fields]
        if missing:
            sheets.append(
                SheetReading(
                    sheet.name,
                    layout.header_row + 1,
                    layout.columns,
                    None,
                    0,
                    f"缺少“{'、'.join(missing)}”一栏，未导入（可在“列对应”中指定）",
                )
            )
            done += len(sheet.rows)
            continue
        sheet_community = _sheet_community(reader, sheet, layout)
        data = 0
        for i in range(layout.header_row + 1, len(sheet.rows)):
            rows.append(_read_row(reader, sheet, layout, sheet_community, i, sheet.rows[i]))
            data += 1
            done += 1
            if progress is not None and done % 1000 == 0:
                progress(done, total, f"正在核对第 {done} 行（共 {total} 行）")
        note = ""
        if layout.column_of("community") is None:
            note = (
                f"整张表属于“{reader.community_names[sheet_community]}”"
                if sheet_community
                else "没有社区一栏，工作表名也不是社区/村名"
            )
        sheets.append(
            SheetReading(
                sheet.name,
                layout.header_row + 1,
                layout.columns,
                reader.community_names.get(sheet_community or ""),
                data,
                note,
            )
        )
    return sheets, rows, reader.unknown


def _read(
    session: Session,
    actor: Actor,
    path: Path,
    options: ImportOptions,
    today: date,
    progress: Progress | None,
) -> tuple[ImportPreview, None]:
    return _read_file(session, path, options, today, progress), None


def _write(
    session: Session,
    actor: Actor,
    result: ImportPreview,
    _: None,
    day: date,
    progress: Progress | None,
) -> ImportResult:
    """The new and changed residents of `result` written in this transaction."""
    created = updated = 0
    todo = [r for r in result.rows if r.status in (RowStatus.NEW, RowStatus.UPDATE)]
    reader_rows: dict[str, ElderlyResident] = {}
    ids = [r.resident_id for r in todo if r.resident_id]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in session.scalars(select(ElderlyResident).where(ElderlyResident.id.in_(chunk))):
            reader_rows[row.id] = row
    # New residents go in by `insert_many` (one executemany per CHUNK, journaled as a flush
    # would journal them) rather than as 20,000 ORM objects; changed ones through the ORM.
    new: list[dict[str, Any]] = []
    fresh = iter(new_ids(sum(1 for r in todo if r.status is RowStatus.NEW)))
    written: list[str] = []
    for n, r in enumerate(todo, start=1):
        assert r.values is not None
        if r.status is RowStatus.NEW:
            assert r.birth_date is not None
            values = dict(r.values)
            cats = with_derived(decode_categories(values.get("categories")), r.birth_date, day)
            values.setdefault("enrolled_on", day)
            rid = next(fresh)
            new.append(
                {
                    **values,
                    "id": rid,
                    "id_number": r.id_number,
                    "birth_date": r.birth_date,
                    "sex": r.sex,
                    "tier": suggest_tier(cats).tier.value,
                    "tier_reason": "",
                    "status": Status.ACTIVE.value,
                }
            )
            written.append(rid)
            created += 1
        else:
            assert r.resident_id is not None
            row = reader_rows[r.resident_id]
            for key, value in r.values.items():
                if getattr(row, key) != value:
                    setattr(row, key, value)
            if not row.tier_reason:
                cats = with_derived(decode_categories(row.categories), row.birth_date, day)
                suggested = suggest_tier(cats).tier.value
                if row.tier != suggested:
                    row.tier = suggested
            written.append(row.id)
            updated += 1
        if n % CHUNK == 0:
            insert_many(session, ElderlyResident, new)
            new = []
            session.flush()
            if progress is not None:
                progress(n, len(todo), f"正在写入第 {n} 人（共 {len(todo)} 人）")
    if todo:
        insert_many(session, ElderlyResident, new)
        session.flush()
        # the schedule of the residents written (the others' is as it was)
        schedule.recompute(session, written)
    return ImportResult(result, created, updated)


# Preview, back up, apply in one transaction: the face every 台账 import shares.
preview, apply, apply_file = importer(
    __name__, can_edit, _read, _write, "the new and changed residents"
)


# -- the report ------------------------------------------------------------------------------


def _sheet_headers(p: ImportPreview) -> dict[str, tuple[ColumnReading, ...]]:
    return {s.name: s.columns for s in p.sheets}


def save_report(p: ImportPreview, out: Path | str) -> Path:
    """The row-level report as .xlsx: a summary, the rows not imported (as in the file, with
    the reason; marked red) ready to fix and import again, and every row's reading."""
    headers = _sheet_headers(p)
    width = max((len(r.cells) for r in p.rows), default=0)
    labels: list[str] = [""] * width
    for found in headers.values():
        for head in found:
            if head.index < width and not labels[head.index]:
                labels[head.index] = head.label
    community_col = any(s.community_from_sheet for s in p.sheets)
    with XlsxWriter(out) as w:
        c = p.counts
        summary = [
            ("文件", p.file_name),
            ("格式", p.kind + (f"（{p.encoding}）" if p.encoding else "")),
            ("已在台账的人", POLICY_LABELS[p.policy]),
            *((s.value, c[s]) for s in RowStatus),
        ]
        summary += [
            (
                f"工作表“{s.name}”",
                (f"表头在第 {s.header_row} 行，{s.rows} 行数据" if s.header_row else "")
                + (f"；{s.note}" if s.note else ""),
            )
            for s in p.sheets
        ]
        w.add_sheet(
            "汇总",
            [Column("项目"), Column("内容")],
            ([k, str(v)] for k, v in summary),
            title=f"台账导入报告：{p.file_name}{REPORT_ONLY}",
        )
        rejected = [r for r in p.rows if r.status in (RowStatus.REJECTED, RowStatus.DUPLICATE)]
        cols = [Column("工作表"), Column("行号", "int"), Column("未导入原因")]
        cols += [Column(label or f"第{i + 1}列") for i, label in enumerate(labels)]
        if community_col:
            cols.append(Column("社区"))
        sheet_names = {s.name: s.community_from_sheet or "" for s in p.sheets}

        def rejected_rows() -> Iterable[list[Any]]:
            for r in rejected:
                cells = [cell_text(v) for v in r.cells] + [""] * (width - len(r.cells))
                extra = [sheet_names.get(r.sheet, "")] if community_col else []
                yield [r.sheet, r.row, r.reason, *cells, *extra]

        w.add_sheet(
            "未导入",
            cols,
            rejected_rows(),
            title="未导入的行：在本表中改正后，可以直接再次导入本文件",
            mark_column=2,
        )
        w.add_sheet(
            "逐行结果",
            [
                Column("工作表"),
                Column("行号", "int"),
                Column("结果"),
                Column("姓名"),
                Column("身份证号"),
                Column("出生日期", "date"),
                Column("性别"),
                Column("社区/村"),
                Column("原因"),
                Column("变化（原 → 新）"),
                Column("提示"),
            ],
            (
                [
                    r.sheet,
                    r.row,
                    r.status.value,
                    r.name,
                    r.id_number,
                    r.birth_date,
                    r.sex,
                    r.community_name,
                    r.reason,
                    "；".join(f"{ch.label}：{ch.old or '（空）'} → {ch.new}" for ch in r.changes),
                    "；".join(r.warnings),
                ]
                for r in p.rows
                if r.status is not RowStatus.SKIPPED or r.reason not in ("空行",)
            ),
            title=f"逐行结果：{p.file_name}{REPORT_ONLY}",
        )
    return Path(out)
