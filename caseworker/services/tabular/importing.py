"""What every programme's 台账 import shares: walking a workbook's sheets and reading who a row
is about (`readers.read`, `headers.locate`), placing rows of people already on file by the
person's policy (`settled`), and the pipeline from a file to its preview (`reader`), with the
preview, row report and all-or-nothing apply of `tabular.preview` and `tabular.applying`.

The three imports (`services/elderly/roster_import.py`, `services/children/register_import.py`,
`services/retrofit/case_import.py`) give this module a spec of their columns, a context of
their records, a function reading one row's programme-specific cells and one placing the rows
against the records; everything else is here, once.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Self, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain import idnumber
from caseworker.domain.errors import ValidationError, os_reason
from caseworker.domain.roster_columns import RosterSpec
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
)
from caseworker.services.tabular import readers
from caseworker.services.tabular.headers import Layout, guess, locate
from caseworker.services.tabular.preview import (
    COMMUNITY_SUFFIXES,
    REPORT_ONLY,
    ExistingPolicy,
    FieldChange,
    ImportOptions,
    ImportPreview,
    ImportResult,
    RowReading,
    RowStatus,
    SheetReading,
    fingerprint,
)
from db.models import Community

if TYPE_CHECKING:
    from caseworker.workspace import Workspace

Progress = Callable[[int, int, str], None]
C = TypeVar("C", bound="Context")


@dataclass
class Context:
    """The office as a row is read against it: its communities, the rows seen so far."""

    session: Session
    options: ImportOptions
    today: date
    community_ids: dict[str, str] = field(default_factory=dict)  # header_key(name) → id
    community_names: dict[str, str] = field(default_factory=dict)  # id → name
    seen: dict[str, tuple[str, int]] = field(default_factory=dict)  # ID → (sheet, row)
    # A community name nothing matched → the rows it refused (what the preview offers to map
    # with `ImportOptions.communities`; the roster's reading counts them)
    unknown: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, session: Session, options: ImportOptions, today: date) -> Self:
        rows = session.execute(
            select(Community.name, Community.id).where(Community.deleted_at.is_(None))
        ).all()
        return cls(
            session,
            options,
            today,
            {header_key(name): cid for name, cid in rows},
            {cid: name for name, cid in rows},
        )

    def community_of(self, text: str) -> str | None:
        """The office community a file's name for it means: the person's own mapping first
        (`ImportOptions.communities`, as the roster's import), else the name itself."""
        for given, cid in self.options.communities.items():
            if header_key(given) == header_key(text) and cid in self.community_names:
                return cid
        return match_name(text, self.community_ids, COMMUNITY_SUFFIXES)


def value(cells: Sequence[Cell], layout: Layout, name: str) -> Cell:
    """The row's cell for `name` (None when the sheet has no such column)."""
    i = layout.column_of(name)
    return cells[i] if i is not None and i < len(cells) else None


def text(cells: Sequence[Cell], layout: Layout, name: str) -> str:
    return cell_text(value(cells, layout, name))


def date_of(cells: Sequence[Cell], layout: Layout, name: str, label: str) -> date | None:
    """A date cell; CellRefused with the label in its reason."""
    try:
        read = cell_date(value(cells, layout, name))
    except CellRefused as exc:
        raise CellRefused(f"{label}：{exc}") from None
    return None if read is None else read.value


ParseId = Callable[[str, date], idnumber.IdNumber]


def identity(  # noqa: C901
    ctx: Context,
    sheet: readers.Sheet,
    layout: Layout,
    sheet_community: str | None,
    index: int,
    cells: list[Cell],
    parse_id: ParseId,
) -> RowReading:
    """Who the row is about, as every programme's import reads it: blank, 合计 and note rows
    skipped; the name (padding removed); the ID number (a number Excel made of it refused;
    checked by `parse_id`, the programme's age rule); the community (the row's cell, else the
    sheet's name; a name nothing matched is counted in `ctx.unknown`). A row that passes is
    NEW with those facts; a second row with the same ID is a DUPLICATE. (One RowReading is made per row, at its end: 20,000 rows are read at once.)"""
    where: dict[str, Any] = {"sheet": sheet.name, "row": index + 1, "cells": tuple(cells)}
    mapped = [value(cells, layout, f) for f in layout.fields]
    if is_blank_row(mapped):
        reason = "空行" if is_blank_row(cells) else "没有姓名和身份证号的行"
        return RowReading(status=RowStatus.SKIPPED, reason=reason, **where)
    if is_total_row(cells):
        return RowReading(status=RowStatus.SKIPPED, reason="合计行", **where)
    name_cell, id_cell = value(cells, layout, "name"), value(cells, layout, "id_number")
    name = cell_text(name_cell)
    if name == "" and cell_text(id_cell) == "":
        return RowReading(
            status=RowStatus.SKIPPED, reason="没有姓名和身份证号的行（说明或备注）", **where
        )
    if not any("a" <= ch.lower() <= "z" for ch in name):
        name = name.replace(" ", "")  # "王　英" padded to line up with three-character names
    who: dict[str, Any] = {"name": name}

    def refused(reason: str) -> RowReading:
        return RowReading(status=RowStatus.REJECTED, reason=reason, **where, **who)

    try:
        id_text = id_number_text(id_cell)
    except CellRefused as exc:
        return refused(str(exc))
    if not id_text:
        return refused("没有身份证号")
    try:
        parsed = parse_id(id_text, ctx.today)
    except ValidationError as exc:
        return refused(str(exc))
    who.update(id_number=parsed.value, birth_date=parsed.birth_date, sex=parsed.sex)
    if not name:
        return refused("没有姓名")
    community_text = text(cells, layout, "community")
    if community_text:
        community_id = ctx.community_of(community_text)
        if community_id is None:
            ctx.unknown[community_text] += 1
            known = "、".join(sorted(set(ctx.community_names.values())))
            return refused(f"社区“{community_text}”不是本街道的社区/村（现有：{known}）")
    elif sheet_community is not None:
        community_id = sheet_community
    else:
        ctx.unknown[sheet.name] += 1
        return refused(f"没有社区：表中没有“社区”一栏，工作表名“{sheet.name}”也不是本街道的社区/村")
    warnings: list[str] = []
    if parsed.upgraded_from_15:
        warnings.append(f"15 位旧身份证号已升为 18 位：{parsed.value}")
    sex_text = text(cells, layout, "sex")
    if sex_text and sex_text[:1] in "男女" and sex_text[:1] != parsed.sex:
        warnings.append(f"性别“{sex_text}”与身份证号（{parsed.sex}）不符，以身份证号为准")
    who.update(community_name=ctx.community_names.get(community_id, ""), warnings=tuple(warnings))
    first = ctx.seen.get(parsed.value)
    if first is not None:
        return RowReading(
            status=RowStatus.DUPLICATE,
            reason=f"与工作表“{first[0]}”第 {first[1]} 行身份证号相同，只导入第一次出现的一行",
            **where,
            **who,
        )
    ctx.seen[parsed.value] = (sheet.name, index + 1)
    return RowReading(status=RowStatus.NEW, values={"community_id": community_id}, **where, **who)


ReadRow = Callable[[readers.Sheet, Layout, "str | None", int, list[Cell]], RowReading]


# What a file says, row by row, for the last file read (`walk`'s `key`): applying right after
# the preview reads it from here. It is what the file says only: a row's place against the
# records (new, already there, changed) is decided again by the importer inside the apply's
# transaction, from the records as they are then.
_WALKED: dict[tuple[Any, ...], tuple[list[SheetReading], list[RowReading], Counter[str]]] = {}


def walk(
    book: readers.Workbook,
    spec: RosterSpec,
    ctx: Context,
    read_row: ReadRow,
    progress: Progress | None,
    key: tuple[Any, ...] | None = None,
) -> tuple[list[SheetReading], list[RowReading]]:
    """Every sheet's header located, its rows read by `read_row`, as the roster's import does:
    the sheets of an earlier import report are left out, a sheet without a header or without
    a required column says so (the person can map the columns), a sheet without a community
    column belongs to the community its name names.

    `key` names everything the reading depends on besides the file (the importer, the
    fingerprint, who reads, the mapping, the day, the office's communities…): the same key
    gives back the same reading without reading the rows again."""
    full_key = None
    if key is not None:
        communities = tuple(sorted(ctx.community_ids.items()))
        full_key = (
            *key,
            repr(sorted(ctx.options.mapping.items())),
            repr(sorted(ctx.options.communities.items())),
            ctx.today,
            communities,
        )
        if full_key in _WALKED:
            sheets, rows, unknown = _WALKED[full_key]
            ctx.unknown = Counter(unknown)
            return list(sheets), list(rows)
    sheets, rows = _walk(book, spec, ctx, read_row, progress)
    if full_key is not None:
        _WALKED.clear()
        _WALKED[full_key] = (list(sheets), list(rows), Counter(ctx.unknown))
    return sheets, rows


def _walk(
    book: readers.Workbook,
    spec: RosterSpec,
    ctx: Context,
    read_row: ReadRow,
    progress: Progress | None,
) -> tuple[list[SheetReading], list[RowReading]]:
    overrides = {header_key(k): v for k, v in ctx.options.mapping.items()}
    for v in overrides.values():
        if v and v not in {c.field for c in spec.columns}:
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
        layout = locate(sheet.rows, spec, overrides)
        if layout is None:
            note = "空工作表" if not sheet.rows else "没有找到表头（姓名、身份证号等），未导入"
            guessed = guess(sheet.rows)
            if guessed:
                note += "；请在“列对应”中指定各栏"
            sheets.append(
                SheetReading(sheet.name, None, guessed.columns if guessed else (), None, 0, note)
            )
            done += len(sheet.rows)
            continue
        missing = [spec.label_of(f) for f in spec.required if f not in layout.fields]
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
        sheet_community = (
            None if layout.column_of("community") is not None else ctx.community_of(sheet.name)
        )
        data = 0
        for i in range(layout.header_row + 1, len(sheet.rows)):
            rows.append(read_row(sheet, layout, sheet_community, i, sheet.rows[i]))
            data += 1
            done += 1
            if progress is not None and done % 1000 == 0:
                progress(done, total, f"正在核对第 {done} 行（共 {total} 行）")
        note = ""
        if layout.column_of("community") is None:
            note = (
                f"整张表属于“{ctx.community_names[sheet_community]}”"
                if sheet_community
                else "没有社区一栏，工作表名也不是社区/村名"
            )
        sheets.append(
            SheetReading(
                sheet.name,
                layout.header_row + 1,
                layout.columns,
                ctx.community_names.get(sheet_community or ""),
                data,
                note,
            )
        )
    return sheets, rows


@dataclass(frozen=True)
class Read:
    """A file as read: the parsed workbook and its fingerprint (sha256 of its bytes)."""

    book: readers.Workbook
    fingerprint: str


# The last workbook parsed, by fingerprint: applying right after its preview reads the same
# bytes again only to hash them, not to parse them (parsing is most of an import's time). One
# file only, so memory holds at most the workbook being imported.
_LAST: dict[str, readers.Workbook] = {}


def read_book(path: Path, progress: Progress | None) -> Read:
    try:
        digest = fingerprint(path)
    except FileNotFoundError:  # the reader's own words (the file is hashed before it is read)
        raise ValidationError(f"找不到文件 {path}") from None
    except OSError as exc:
        raise ValidationError(f"无法打开文件 {path}：{os_reason(exc)}") from None
    book = _LAST.get(digest)
    if book is None:
        book = readers.read(path, progress)
        _LAST.clear()
        _LAST[digest] = book
    return Read(book, digest)


def forget() -> None:
    """Drop the kept workbook and its reading (after an import is applied)."""
    _LAST.clear()
    _WALKED.clear()


def settled(
    row: RowReading, changes: tuple[FieldChange, ...], policy: ExistingPolicy, **more: Any
) -> RowReading:
    """A row of someone already on file, with what the file changes (`changes`): the same, or
    written, marked or skipped as the person chose (`policy`); `more`: the programme's own
    fields of the reading (its values, its warnings)."""
    if not changes:
        return replace(row, status=RowStatus.SAME, reason="与台账一致", **more)
    if policy is ExistingPolicy.UPDATE:
        return replace(row, status=RowStatus.UPDATE, changes=changes, **more)
    if policy is ExistingPolicy.MARK:
        status, reason = RowStatus.MARKED, "与台账不一致，待核对"
    else:
        status, reason = RowStatus.EXISTING, "已在台账，按选择跳过"
    return replace(row, status=status, changes=changes, reason=reason, **more)


class Person(NamedTuple):
    """What `identity` read of a row it found NEW, for the programme's reading of the rest."""

    reading: RowReading  # NEW, with the person's facts and the ID's warnings
    born: date
    community_id: str
    rejected: RowReading  # the same, refused: for the programme's own reasons


def reader(
    spec: RosterSpec,
    load: Callable[[Session, Any, ImportOptions, date], C],
    parse_id: ParseId,
    read_row: Callable[[C, Person, Layout, list[Cell]], RowReading],
    key: Callable[[C, Any], tuple[Any, ...]],
    settle: Callable[[C, list[RowReading]], list[RowReading]],
) -> Callable[..., tuple[ImportPreview, C]]:
    """A programme's reading of a file (`applying.Read`), made from its columns (`spec`), its
    context (`load`: the records as they stand), its ID rule (`parse_id`, see `identity`),
    its reading of the rest of a row whose person was read (`read_row`: the `Person`, the
    layout, the cells), what else its reading depends on (`key`, see
    `walk`) and its placing of the rows against the records (`settle`). The reading gives the
    preview and the context, which the writing reuses."""

    def row_of(
        ctx: C,
        sheet: readers.Sheet,
        layout: Layout,
        community: str | None,
        i: int,
        cells: list[Cell],
    ) -> RowReading:
        reading = identity(ctx, sheet, layout, community, i, cells, parse_id)
        if reading.status is not RowStatus.NEW or reading.values is None:
            return reading
        assert reading.birth_date is not None
        rejected = replace(reading, status=RowStatus.REJECTED, values=None)
        who = Person(reading, reading.birth_date, reading.values["community_id"], rejected)
        return read_row(ctx, who, layout, cells)

    def read(
        session: Session,
        actor: Any,
        path: Path,
        options: ImportOptions,
        today: date,
        progress: Progress | None,
    ) -> tuple[ImportPreview, C]:
        book = read_book(path, progress)
        ctx = load(session, actor, options, today)
        sheets, rows = walk(
            book.book,
            spec,
            ctx,
            functools.partial(row_of, ctx),
            progress,
            key=(book.fingerprint, *key(ctx, actor)),
        )
        preview = ImportPreview(
            path.name,
            book.book.kind,
            book.book.encoding,
            book.fingerprint,
            options.policy,
            tuple(sheets),
            tuple(settle(ctx, rows)),
            tuple(sorted(ctx.unknown.items(), key=lambda kv: (-kv[1], kv[0]))),
        )
        return preview, ctx

    return read


def apply_with_backup(
    ws: Workspace,
    actor: Any,
    path: Path,
    *,
    preview: Callable[[Session], ImportPreview],
    apply: Callable[[Session, ImportPreview], ImportResult],
    expect_fingerprint: str | None,
    previewed: ImportPreview | None,
) -> ImportResult:
    """Preview (or take the preview the person just saw when the file is unchanged); nothing to
    write: no backup, nothing changed, and the result says so; else back up the database and
    apply in one transaction, against the records as they stand at that moment."""
    if previewed is not None and previewed.fingerprint == fingerprint(path):
        first = previewed
    else:
        with ws.reader() as session:
            first = preview(session)
    if expect_fingerprint is not None and first.fingerprint != expect_fingerprint:
        raise ValidationError("文件在预览之后被修改过，请重新预览后再导入")
    if first.to_write == 0:
        return ImportResult(first, 0, 0)
    taken = ws.backup("pre-import")
    try:
        with ws.writer(actor) as session:
            result = apply(session, first)
    finally:
        forget()
    return replace(result, backup=taken)
