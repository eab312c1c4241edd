"""Read a spreadsheet file into plain rows of cells, whatever it is: .xlsx (openpyxl, read-only
streaming), legacy .xls (xlrd) or .csv in UTF-8 (with or without BOM) or GBK/GB18030.

The format is detected from the file's first bytes, not trusted from its name (WPS and other
programs save .xls files with an .xlsx name and the other way round). Cells keep their kind:
text stays `str`, numbers `int`/`float`, Excel date cells `datetime`; so a number where text
belongs (an ID number Excel converted) can be told and refused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from caseworker.domain.errors import ValidationError, os_reason
from caseworker.domain.tabular import Cell

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: list[list[Cell]]  # row 0 is the sheet's row 1


@dataclass(frozen=True)
class Workbook:
    path: Path
    kind: str  # "xlsx", "xls" or "csv"
    encoding: str  # for csv: "utf-8", "utf-8-sig" or "gb18030"; "" otherwise
    sheets: list[Sheet]


Progress = Callable[[int, int, str], None]


def detect_kind(head: bytes) -> str:
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_OLE):
        return "xls"
    return "csv"


def read(path: Path | str, progress: Progress | None = None) -> Workbook:
    """Read every sheet; ValidationError (Chinese) when the file is not a spreadsheet we read."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise ValidationError(f"找不到文件 {path}") from None
    except OSError as exc:
        raise ValidationError(f"无法打开文件 {path}：{os_reason(exc)}") from None
    kind = detect_kind(head)
    if kind == "xlsx":
        return Workbook(path, kind, "", _read_xlsx(path, progress))
    if kind == "xls":
        return Workbook(path, kind, "", _read_xls(path))
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".et", ".wps", ".docx", ".pdf"):
        raise ValidationError(f"{path.name} 不是有效的 Excel 文件（可能已损坏或是其他格式）")
    encoding, text = _decode(path.read_bytes(), path.name)
    return Workbook(path, "csv", encoding, [Sheet(path.stem, _read_csv(text))])


def _trim(row: list[Cell]) -> list[Cell]:
    end = len(row)
    while end and (row[end - 1] is None or row[end - 1] == ""):
        end -= 1
    return row[:end]


def _read_xlsx(path: Path, progress: Progress | None) -> list[Sheet]:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationError(f"{path.name} 不是有效的 Excel 文件，无法读取（{exc}）") from None
    sheets: list[Sheet] = []
    try:
        for ws in wb.worksheets:
            rows: list[list[Cell]] = []
            for i, values in enumerate(ws.iter_rows(values_only=True)):
                rows.append(_trim(list(values)))
                if progress is not None and i % 2000 == 0:
                    progress(i, 0, f"正在读取工作表“{ws.title}”第 {i} 行")
                if i >= MAX_ROWS:
                    raise ValidationError(f"工作表“{ws.title}”超过 {MAX_ROWS} 行，请拆分后导入")
            while rows and not rows[-1]:
                rows.pop()
            sheets.append(Sheet(ws.title, rows))
    finally:
        wb.close()
    return sheets


def _read_xls(path: Path) -> list[Sheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except xlrd.XLRDError as exc:
        raise ValidationError(f"{path.name} 不是有效的 .xls 文件，无法读取（{exc}）") from None
    sheets: list[Sheet] = []
    try:
        for index in range(book.nsheets):
            sh = book.sheet_by_index(index)
            rows: list[list[Cell]] = []
            for r in range(sh.nrows):
                row: list[Cell] = []
                for cell in sh.row(r):
                    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        row.append(None)
                    elif cell.ctype == xlrd.XL_CELL_DATE:
                        try:
                            row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                            row.append(cell.value)
                    elif cell.ctype == xlrd.XL_CELL_NUMBER:
                        v = float(cell.value)
                        row.append(int(v) if v.is_integer() and abs(v) < 2**53 else v)
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        row.append(bool(cell.value))
                    elif cell.ctype == xlrd.XL_CELL_ERROR:
                        row.append(None)
                    else:
                        row.append(str(cell.value))
                rows.append(_trim(row))
            while rows and not rows[-1]:
                rows.pop()
            sheets.append(Sheet(sh.name, rows))
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return sheets


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """UTF-8 with or without BOM, else GB18030 (a superset of GBK and GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", data.decode("utf-16")
    try:
        return "utf-8", data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return "gb18030", data.decode("gb18030")
    except UnicodeDecodeError:
        raise ValidationError(
            f"{name} 的文字编码无法识别（不是 UTF-8 也不是 GBK）。请在 Excel 中另存为 .xlsx 后导入"
        ) from None


def _read_csv(text: str) -> list[list[Cell]]:
    sample = text[:20000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[Cell]] = []
    for values in csv.reader(io.StringIO(text), dialect):
        rows.append(_trim([v if v.strip() else None for v in values]))
    while rows and not rows[-1]:
        rows.pop()
    return rows
