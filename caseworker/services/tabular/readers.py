"""Read a spreadsheet file into plain rows of cells, whatever it is: .xlsx (openpyxl, read-only
streaming), legacy .xls (xlrd) or .csv in UTF-8 (with or without BOM) or GBK/GB18030.

The format is detected from the file's first bytes, not trusted from its name (WPS and other
programs save .xls files with an .xlsx name and the other way round). Cells keep their kind:
text stays `str`, numbers `int`/`float`, Excel date cells `datetime`; so a number where text
belongs (an ID number Excel converted) can be told and refused.

Every file is untrusted, and every importer reads through here, so the bounds live here: the
file's size, an .xlsx's inflated size (from its directory, before anything is inflated), then
its rows and the length of its longest text (one pass over the inflated XML, before openpyxl
parses a cell), the columns read per row, and each cell's length (Excel's own 32,767
characters). Each refusal is one Chinese line (`ValidationError`) and comes in seconds;
whatever a parser raises on a damaged file becomes one too. Control characters are taken out
of every text cell (caseworker/domain/text.py).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from caseworker.domain.errors import ValidationError, os_reason
from caseworker.domain.tabular import Cell
from caseworker.domain.text import CONTROLS, strip_controls

log = logging.getLogger(__name__)

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An office roster is tens of thousands of rows: a 20,000-row .xlsx is about 1.5 MB on disk
# and 25 MB inflated; these bounds are several times that.
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_INFLATED_BYTES = 256 * 1024 * 1024  # an .xlsx's parts, all together, once inflated
MAX_ROWS = 100_000  # in the whole file
MAX_CELLS = 3_000_000  # cell elements in an .xlsx: openpyxl parses about 50,000 a second
MAX_COLUMNS = 104  # read per row (column CZ); cells further right are not read
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
# In the XML of an .xlsx, a cell's text sits between two tags; a character takes at most 4
# bytes in UTF-8, or 6 as an entity (&amp;), so a longer run of bytes without "<" cannot be a
# cell Excel wrote.
_MAX_TEXT_RUN = MAX_CELL_CHARS * 6 + 64
_TOO_LONG = f"单元格的内容超过 {MAX_CELL_CHARS} 个字（Excel 单元格的上限），不像是台账，未导入"


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
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            f"{path.name} 太大（{size / 1048576:.0f} MB，最多 {MAX_FILE_BYTES // 1048576} MB），"
            "不像是台账；请拆分后导入"
        )
    kind = detect_kind(head)
    if kind == "xlsx":
        return Workbook(path, kind, "", _read_xlsx(path, progress))
    if kind == "xls":
        return Workbook(path, kind, "", _read_xls(path))
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".et", ".wps", ".docx", ".pdf"):
        raise ValidationError(f"{path.name} 不是有效的 Excel 文件（可能已损坏或是其他格式）")
    encoding, text = _decode(path.read_bytes(), path.name)
    return Workbook(path, "csv", encoding, [Sheet(path.stem, _read_csv(text, path.name))])


def _trim(row: list[Cell]) -> list[Cell]:
    end = len(row)
    while end and (row[end - 1] is None or row[end - 1] == ""):
        end -= 1
    return row[:end]


def _cells(values: Sequence[Cell]) -> list[Cell]:
    """A row as read, trimmed, each text cell checked for length and cleaned of control
    characters."""
    row = _trim(list(values))
    texts = [v for v in row if type(v) is str]
    if texts:
        # per row, not per cell: the lengths and one search over the joined texts, in C
        if max(map(len, texts)) > MAX_CELL_CHARS:
            raise ValidationError(_TOO_LONG)
        if CONTROLS.search("".join(texts)) is not None:
            row = [strip_controls(v) if type(v) is str else v for v in row]
    return row


def _too_many_rows() -> ValidationError:
    return ValidationError(f"文件超过 {MAX_ROWS:,} 行，不像是一个街道的台账；请拆分后导入")


@dataclass
class _Scan:
    rows: int = 0
    cells: int = 0
    wide: bool = False  # a cell addressed past MAX_COLUMNS


def _check_package(path: Path) -> _Scan:
    """Bound an .xlsx before openpyxl parses it: the inflated size from the zip's directory
    (zipfile never inflates past a member's declared size; a lie fails its CRC), then one pass
    over the inflated XML counting rows and cells and measuring the longest text between two
    tags."""
    import zipfile

    scan = _Scan()
    with zipfile.ZipFile(path) as z:
        members = z.infolist()
        if sum(m.file_size for m in members) > MAX_INFLATED_BYTES:
            raise ValidationError(
                f"{path.name} 解压后超过 {MAX_INFLATED_BYTES // 1048576} MB，不像是台账，未导入"
            )
        for m in members:
            if not m.is_dir():
                with z.open(m) as f:
                    _scan_xml(f, scan)
    return scan


_LONG_TEXT = re.compile(rb"<[^<]{%d}" % _MAX_TEXT_RUN)
_WIDE_REF = re.compile(rb'\sr="(?:[D-Z][A-Z]|[A-Z]{3})\d')  # column DA (105) or further


def _scan_xml(f: IO[bytes], scan: _Scan) -> None:
    """Add one part's rows and cells to `scan`, refusing a text run longer than a cell can be
    and more rows or cells than a roster has; a part that is not XML (an image) is passed
    over."""
    first = f.read(1 << 20)
    if not first.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return
    carry = b""
    chunk = first
    while True:
        buf = carry + chunk
        cut = buf.rfind(b"<") if chunk else len(buf)
        if cut < 0:
            head, carry = b"", buf
        else:
            head, carry = buf[:cut], buf[cut:]
        if len(carry) > _MAX_TEXT_RUN or _LONG_TEXT.search(head) is not None:
            raise ValidationError(_TOO_LONG)
        # counted in C (bytes.count), prefixed tags (<x:row …>) too
        scan.rows += head.count(b"<row ") + head.count(b"<row>") + head.count(b":row ")
        scan.cells += head.count(b"<c ") + head.count(b"<c>") + head.count(b":c ")
        scan.wide = scan.wide or _WIDE_REF.search(head) is not None
        if scan.rows > MAX_ROWS:
            raise _too_many_rows()
        if scan.cells > MAX_CELLS:
            raise ValidationError(
                f"文件超过 {MAX_CELLS:,} 个单元格，不像是一个街道的台账；请拆分后导入"
            )
        if not chunk:
            return
        chunk = f.read(1 << 20)


def _read_xlsx(path: Path, progress: Progress | None) -> list[Sheet]:
    from openpyxl import load_workbook

    try:
        scan = _check_package(path)
        wb = load_workbook(path, read_only=True, data_only=True)
    except ValidationError:
        raise
    except Exception as exc:  # any parser error on a damaged file (zip, XML, openpyxl's own)
        log.info("xlsx %s not readable: %s", path.name, exc)
        raise ValidationError(f"{path.name} 不是有效的 Excel 文件，无法读取") from None
    sheets: list[Sheet] = []
    total = 0
    try:
        for ws in wb.worksheets:
            rows: list[list[Cell]] = []
            # openpyxl pads each row to the sheet's declared width, or without one to the row's
            # last cell: a crafted cell at column XFD would pad every row to 16,384 cells. A
            # sheet that addresses a cell past the bound is read up to it (padding costs).
            width = min(ws.max_column or MAX_COLUMNS, MAX_COLUMNS)
            for i, values in enumerate(
                ws.iter_rows(
                    max_col=width if scan.wide or ws.max_column else None, values_only=True
                )
            ):
                rows.append(_cells(values))
                if progress is not None and i % 2000 == 0:
                    progress(i, 0, f"正在读取工作表“{ws.title}”第 {i} 行")
                total += 1
                if total > MAX_ROWS:  # rows missing from the file are still yielded
                    raise _too_many_rows()
            while rows and not rows[-1]:
                rows.pop()
            sheets.append(Sheet(ws.title, rows))
    except ValidationError:
        raise
    except Exception as exc:
        log.info("xlsx %s not readable: %s", path.name, exc)
        raise ValidationError(f"{path.name} 已损坏，无法读取其中的工作表") from None
    finally:
        wb.close()
    return sheets


def _read_xls(path: Path) -> list[Sheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:  # xlrd raises many kinds on a damaged file (CompDocError, struct…)
        log.info("xls %s not readable: %s", path.name, exc)
        raise ValidationError(f"{path.name} 不是有效的 .xls 文件，无法读取") from None
    try:
        return _xls_sheets(book)
    except ValidationError:
        raise
    except Exception as exc:
        log.info("xls %s not readable: %s", path.name, exc)
        raise ValidationError(f"{path.name} 不是有效的 .xls 文件，无法读取") from None
    finally:
        book.release_resources()


def _xls_sheets(book: Any) -> list[Sheet]:
    import xlrd

    sheets: list[Sheet] = []
    total = 0
    # the sheets one at a time (on demand), each unloaded once read
    for index in range(book.nsheets):
        sh = book.sheet_by_index(index)
        rows: list[list[Cell]] = []
        total += sh.nrows
        if total > MAX_ROWS:
            raise _too_many_rows()
        for r in range(sh.nrows):
            row: list[Cell] = []
            for cell in sh.row(r)[:MAX_COLUMNS]:
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
            rows.append(_cells(row))
        while rows and not rows[-1]:
            rows.pop()
        sheets.append(Sheet(sh.name, rows))
        book.unload_sheet(index)
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


def _read_csv(text: str, name: str = "") -> list[list[Cell]]:
    sample = text[:20000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[Cell]] = []
    try:
        for values in csv.reader(io.StringIO(text), dialect):
            rows.append(_cells([v if v.strip() else None for v in values[:MAX_COLUMNS]]))
            if len(rows) > MAX_ROWS:
                raise _too_many_rows()
    except csv.Error as exc:
        # Python's own limit (131,072 characters a field) is past Excel's: the same refusal
        if "field larger" in str(exc):
            raise ValidationError(_TOO_LONG) from None
        raise ValidationError(f"{name} 的内容无法按 CSV 读取（{len(rows) + 1} 行附近）") from None
    while rows and not rows[-1]:
        rows.pop()
    return rows
