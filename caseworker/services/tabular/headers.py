"""Find the header of a roster sheet under merged title and group rows, and what each column is.

A sheet's header is the row (among the first 20) whose labels name the most known columns, and
that names at least one itself (a data row below a header only borrows the header's labels).
A blank header cell borrows the label above it (a header merged over two rows); a label under a
group header (赡养人 over 姓名 | 电话) is read as the two together (赡养人姓名, 赡养人电话).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from caseworker.domain.roster_columns import GROUP_PREFIXES, RosterSpec
from caseworker.domain.tabular import Cell, cell_text, header_key

SCAN_ROWS = 20


@dataclass(frozen=True)
class ColumnReading:
    index: int  # 0-based column
    label: str  # the header as read (group and label joined when under a group)
    field: str | None  # None: not imported
    auto: bool = True  # False when the person chose the field


@dataclass(frozen=True)
class Layout:
    header_row: int  # 0-based index of the (lowest) header row; data starts below
    columns: tuple[ColumnReading, ...]

    def column_of(self, field: str) -> int | None:
        return self._columns.get(field)

    @cached_property
    def _columns(self) -> dict[str, int]:
        return {c.field: c.index for c in reversed(self.columns) if c.field}

    @cached_property
    def fields(self) -> frozenset[str]:
        return frozenset(c.field for c in self.columns if c.field)


def _at(row: list[Cell], i: int) -> str:
    return cell_text(row[i]) if i < len(row) else ""


def _labels(rows: list[list[Cell]], h: int) -> list[tuple[str, bool]]:
    """(label, own) per column of header row `h`: own is False when borrowed from above."""
    row = rows[h]
    above = rows[h - 1] if h > 0 else []
    width = max(len(row), len(above))
    groups: list[str] = []
    current = ""
    for i in range(width):
        a = header_key(_at(above, i))
        if a:
            current = a if a in GROUP_PREFIXES else ""
        groups.append(current)
    out: list[tuple[str, bool]] = []
    for i in range(width):
        own = _at(row, i)
        if own:
            group = groups[i]
            label = group + own if group and not header_key(own).startswith(group) else own
            out.append((label, True))
        else:
            out.append((_at(above, i), False))
    return out


def _read(
    spec: RosterSpec, labels: list[tuple[str, bool]], overrides: dict[str, str]
) -> tuple[list[ColumnReading], int, int]:
    taken: set[str] = set()
    columns: list[ColumnReading] = []
    own_hits = 0
    for i, (label, own) in enumerate(labels):
        key = header_key(label)
        if key in overrides:
            field = overrides[key] or None
            auto = False
        else:
            # A group + label that is unknown ("赡养人住址") stays unknown: the label alone
            # ("住址") would wrongly take the resident's own column.
            field = spec.field_of(label)
            auto = True
        if field is not None and field in taken:
            field = None
        if field is not None:
            taken.add(field)
            own_hits += int(own)
        if label or field:
            columns.append(ColumnReading(i, label, field, auto))
    return columns, len(taken), own_hits


def locate(rows: list[list[Cell]], spec: RosterSpec, overrides: dict[str, str]) -> Layout | None:
    """The sheet's header and column reading, or None when no row looks like its header.

    `overrides` maps a header label (as `header_key`) to the field the person chose ("" to
    leave the column out)."""
    best: tuple[int, int, Layout] | None = None
    for h in range(min(SCAN_ROWS, len(rows))):
        if not rows[h]:
            continue
        columns, hits, own = _read(spec, _labels(rows, h), overrides)
        if own == 0 or hits < 2:
            continue
        fields = {c.field for c in columns}
        if "name" not in fields and "id_number" not in fields:
            continue
        if best is None or hits >= best[0]:
            if best is not None and hits == best[0] and h != best[1] + 1:
                continue  # same score further down (a repeated header): keep the first
            best = (hits, h, Layout(h, tuple(columns)))
    return None if best is None else best[2]


def guess(rows: list[list[Cell]]) -> Layout | None:
    """When no header is recognised: the first row with two or more labels, nothing mapped,
    so the person can say what each column is."""
    for h in range(min(SCAN_ROWS, len(rows))):
        labels = [cell_text(v) for v in rows[h]]
        if sum(1 for t in labels if t) >= 2:
            return Layout(h, tuple(ColumnReading(i, t, None) for i, t in enumerate(labels) if t))
    return None
