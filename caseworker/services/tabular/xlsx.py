"""The one .xlsx writer for every list the product exports, the import report and 统计报表.

What an office expects when it opens the file: a title row (what, which office, when), a bold
frozen header, columns wide enough for what they hold, dates as real Excel dates, ID numbers and
phone numbers as text (never 1.10105E+17), numbers as numbers. Rows are streamed (openpyxl's
write-only mode), so 100,000 rows do not sit in memory; widths are measured on the first rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from itertools import chain, islice
from pathlib import Path
from typing import Any

from caseworker.domain.errors import ValidationError
from caseworker.domain.report import Column
from caseworker.outfile import check_out, part_of, writing

WIDTH_SAMPLE = 300  # rows measured for column widths
MAX_WIDTH = 60
# A text starting with one of these is a formula to a spreadsheet (OWASP's CSV/formula
# injection: =, +, -, @, tab, carriage return). Every such text is written as a text cell with
# Excel's quote prefix (the ' a person types), so a name like =HYPERLINK(...) never runs.
FORMULA_START = frozenset("=+-@\t\r")


def _display_width(value: Any) -> float:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = str(value)
    longest = max(text.splitlines() or [""], key=len)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in longest)


def check_out_path(out: Path | str) -> Path:
    """Refuse a path that is not .xlsx or whose folder does not exist or cannot be written
    (Chinese message), before any work is done."""
    return check_out(out, (".xlsx",))


class XlsxWriter:
    """`with XlsxWriter(path) as w: w.add_sheet(...)`: written to a temporary name, renamed on
    success (an error leaves no half-written file behind)."""

    def __init__(self, path: Path | str) -> None:
        from openpyxl import Workbook

        self.path = check_out_path(path)
        self._tmp = part_of(self.path)
        self._wb = Workbook(write_only=True)
        self.rows_written = 0

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:
            self._tmp.unlink(missing_ok=True)
            return
        self.save()

    def save(self) -> Path:
        if not self._wb.worksheets:
            self._wb.create_sheet("空")
        try:
            with writing(self.path) as tmp:
                self._wb.save(tmp)
        except ValidationError as exc:
            if "没有权限" not in str(exc):
                raise
            raise ValidationError(f"{exc}（文件是否正在 Excel 中打开？）") from None
        return self.path

    def add_sheet(
        self,
        name: str,
        columns: Sequence[Column],
        rows: Iterable[Sequence[Any]],
        *,
        title: str | None = None,
        marks: Iterable[int] = (),
        mark_column: int | None = None,
    ) -> int:
        """Add a sheet: optional title row, header row, then `rows`; returns rows written.

        `mark_column`: index of a column whose non-empty value marks the row (filled red):
        the import report marks rejected rows this way."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.styles.cell_style import StyleArray
        from openpyxl.utils import get_column_letter

        ws = self._wb.create_sheet(_sheet_name(name))
        it = iter(rows)
        sample = list(islice(it, WIDTH_SAMPLE))
        for i, col in enumerate(columns, start=1):
            width = col.width
            if width is None:
                measured = max(
                    [_display_width(col.header)]
                    # A one-cell row (a note under a table) runs across: not measured.
                    + [
                        _display_width(r[i - 1])
                        for r in sample
                        if i - 1 < len(r) and (len(r) > 1 or len(columns) == 1)
                    ]
                )
                width = min(MAX_WIDTH, max(6, measured + 2))
            ws.column_dimensions[get_column_letter(i)].width = width
        bold = Font(bold=True)
        header_fill = PatternFill("solid", fgColor="DDE6F0")
        mark_fill = PatternFill("solid", fgColor="F8CBAD")
        header_row = 2 if title else 1
        # Write-only sheets write their view with the first row: freeze before appending.
        ws.freeze_panes = f"A{header_row + 1}"
        if title:
            cell = _text_cell(ws, title)
            cell.font = Font(bold=True, size=13)
            ws.append([cell])
        head = []
        for col in columns:
            cell = _text_cell(ws, col.header)
            cell.font = bold
            cell.fill = header_fill
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            head.append(cell)
        ws.append(head)
        # Text and whole numbers go in as plain values (a str is a text cell: an ID or phone
        # stays text); only dates, times, percentages and decimals need a number format. Each
        # styled cell copies a prepared style rather than looking its format up (2x faster).
        formats = {
            "date": "yyyy-mm-dd",
            "datetime": "yyyy-mm-dd hh:mm",
            "float": "0.00",
            "percent": "0.0%",
        }
        styles = {}
        for kind, fmt in formats.items():
            proto = WriteOnlyCell(ws, value=0)
            proto.number_format = fmt
            styles[kind] = proto._style
        kinds = [c.kind for c in columns]
        written = 0
        for row in chain(sample, it):
            marked = mark_column is not None and bool(row[mark_column])
            out: list[Any] = []
            for kind, value in zip(kinds, row, strict=False):
                v = _convert(value, kind)
                style = styles.get(kind)
                if type(v) is str and v and v[0] in FORMULA_START:
                    cell = _text_cell(ws, v)
                    if marked:
                        cell.fill = mark_fill
                    out.append(cell)
                elif marked:
                    cell = WriteOnlyCell(ws, value=v)
                    cell.fill = mark_fill
                    cell.number_format = formats.get(kind, "@" if kind == "text" else "General")
                    out.append(cell)
                elif style is not None and v is not None:
                    cell = WriteOnlyCell(ws, value=v)
                    cell._style = StyleArray(style)
                    out.append(cell)
                else:
                    out.append(v)
            ws.append(out)
            written += 1
        self.rows_written += written
        return written


def _text_cell(ws: Any, text: str) -> Any:
    """A cell that holds `text` as text whatever it starts with (never a formula)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=text)
    if text and text[0] in FORMULA_START:
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _convert(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    if kind == "text":
        return str(value)
    if kind == "date" and isinstance(value, datetime):
        return value.date()
    return value


def _sheet_name(name: str) -> str:
    bad = "[]:*?/\\"
    cleaned = "".join("_" if ch in bad else ch for ch in name).strip() or "Sheet"
    return cleaned[:31]
