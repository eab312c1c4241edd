"""Reading cells of the office's Excel rosters (台账): header labels, text, dates, ID-number cells.

Pure rules, standard library only. A cell arrives as what the file holds: `None`, text, a number
(int/float) or a date/datetime (an Excel date cell). These functions turn it into the product's
values and refuse what cannot be trusted (an ID number Excel turned into a number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from caseworker.domain.dates import InvalidDate, parse_date

# Full-width ASCII (！ to ～) to ASCII, and the ideographic space to a space.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_TOTAL_WORDS = ("合计", "小计", "总计", "总数", "共计")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (with Excel's 1900 leap-year bug)
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_YEAR_MONTH = re.compile(r"^(\d{4})[.\-/年](\d{1,2})月?$")

Cell = str | int | float | date | datetime | None


class CellRefused(ValueError):
    """The cell cannot be read as asked; `str()` is the Chinese reason for the row report."""


def to_ascii(text: str) -> str:
    """Full-width letters, digits and punctuation to ASCII; the ideographic space to a space."""
    return text.translate(_FULLWIDTH)


def cell_text(value: Cell) -> str:
    """The cell as clean text: full-width to ASCII, whitespace collapsed; numbers without `.0`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date | int):
        return str(value)
    return " ".join(to_ascii(str(value)).split())


def header_key(value: Cell) -> str:
    """A header label reduced for matching: no spaces or line breaks, no bracketed remarks, no
    required-field stars ("身份证号码\n（18位）*" → "身份证号码")."""
    text = to_ascii(cell_text(value) if not isinstance(value, str) else value)
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|<[^>]*>", "", text)
    text = re.sub(r"[\s*:：]+", "", text)
    return text


def is_blank_row(values: list[Cell]) -> bool:
    return all(cell_text(v) == "" for v in values)


def is_total_row(values: list[Cell]) -> bool:
    """A 合计/小计/总计 row (counted, never imported)."""
    for v in values:
        t = cell_text(v).replace(" ", "")
        if t and t.startswith(_TOTAL_WORDS):
            return True
    return False


def id_number_text(value: Cell) -> str:
    """The ID-number cell as text; refuse a number Excel made of it (the last digits are gone).

    An old 15-digit number survives as an Excel number (it is below 2**53), so it is accepted;
    an 18-digit one does not (1.10105E+17 keeps 15-16 significant digits)."""
    if value is None:
        return ""
    if isinstance(value, bool | date | datetime):
        raise CellRefused("身份证号一栏不是号码")
    if isinstance(value, int | float):
        if float(value).is_integer() and 10**14 <= value < 10**15:
            return str(int(value))
        raise CellRefused(
            "身份证号被 Excel 存成了数字（如 1.10105E+17），后几位已丢失；"
            "请把该列设为“文本”并重新填写号码"
        )
    text = cell_text(value).replace(" ", "")
    if _SCIENTIFIC.match(text):
        raise CellRefused(
            f"身份证号显示为 {text}：Excel 把号码当成了数字，后几位已丢失；"
            "请把该列设为“文本”并重新填写号码"
        )
    return text


def phone_text(value: Cell) -> str:
    """A phone cell as text (a number cell keeps its digits: 13812345678.0 → "13812345678")."""
    return cell_text(value).replace(" ", "")


@dataclass(frozen=True)
class CellDate:
    """A date read from a cell; `month_only` when the cell gave only year and month (1947.3)."""

    value: date
    month_only: bool = False


def cell_date(value: Cell) -> CellDate | None:
    """A date from any spelling the rosters use: an Excel date cell, an Excel serial number,
    2026-11-29, 2026/11/29, 2026.11.29, 2026年11月29日, 20261129, or 1947.3 (year and month).

    None for an empty cell; CellRefused (with the reason) for text that is no date."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return CellDate(value.date())
    if isinstance(value, date):
        return CellDate(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer() and 19000101 <= number <= 21001231:
            return _parsed(str(int(number)))
        if number.is_integer() and 1 <= number < 80000:  # an Excel serial in a non-date cell
            return CellDate(_EXCEL_EPOCH + timedelta(days=int(number)))
        if 1880 <= number < 2101:  # 1947.3 typed into a number cell
            text = f"{number:.2f}".rstrip("0")
            return _year_month(text) or _refuse(text)
        raise CellRefused(f"无法识别日期“{cell_text(value)}”")
    text = cell_text(value).replace(" ", "")
    if not text:
        return None
    return _year_month(text) or _parsed(text)


def _parsed(text: str) -> CellDate:
    try:
        return CellDate(parse_date(text))
    except InvalidDate as exc:
        raise CellRefused(str(exc)) from None


def _year_month(text: str) -> CellDate | None:
    m = _YEAR_MONTH.match(text)
    if m is None:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise CellRefused(f"日期 {text} 不存在（没有 {month} 月），请核对")
    return CellDate(date(year, month, 1), month_only=True)


def _refuse(text: str) -> CellDate:
    raise CellRefused(f"无法识别日期“{text}”")


def split_words(value: Cell) -> list[str]:
    """A multi-value cell ("独居、低保 / 失能") split into its words."""
    return [w for w in re.split(r"[、,，;；/|\s]+", cell_text(value)) if w]


def match_name(text: str, names: dict[str, str], suffixes: tuple[str, ...]) -> str | None:
    """The id of the name `text` stands for: the same name, or the same without a suffix
    ("和平里" and "和平里居委会" both find "和平里社区"). `names` maps name → id."""
    key = header_key(text)
    if not key:
        return None
    if key in names:
        return names[key]

    def stem(n: str) -> str:
        for s in suffixes:
            if n.endswith(s) and len(n) > len(s):
                return n[: -len(s)]
        return n

    stems: dict[str, str | None] = {}
    for n, i in names.items():
        s = stem(n)
        stems[s] = None if s in stems and stems[s] != i else i
    return stems.get(stem(key))
