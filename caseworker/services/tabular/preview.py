"""What every 台账 import (elderly roster, child register, retrofit households) says about a
file, and the row report it writes: the preview (how each sheet and row was read and what
would happen to it), the result of applying it, the options a person chooses, and
`save_report`, the row-level report as .xlsx with the rejected rows marked, ready to fix and
import again.

The elderly roster's import defined these; the three imports share them from here, a neutral
place, so that no programme's import reads another programme's module for its types.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from caseworker.domain.tabular import Cell, cell_text
from caseworker.services.tabular.headers import ColumnReading
from caseworker.services.tabular.xlsx import Column, XlsxWriter

# Title of the report's sheets that only inform: importing the report reads its 未导入 sheet only.
REPORT_ONLY = "（导入报告，此页不会被导入）"
COMMUNITY_SUFFIXES = (
    "社区居委会",
    "社区居民委员会",
    "村民委员会",
    "居委会",
    "村委会",
    "社区",
    "村",
)


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


def fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
