"""Dates as people type them: 2026-11-29, 2026/11/29, 2026.11.29, 2026年11月29日, 20261129,
and the short forms of this year: 11.29, 11-29, 11/29, 1129, 11月29日.

Full-width digits are accepted. An impossible date (2026-02-30) is refused with a message that
says so, distinct from text that is not a date at all.
"""

from __future__ import annotations

import re
from datetime import date

_FULLWIDTH = {0xFF10 + i: ord("0") + i for i in range(10)} | {0xFF0D: ord("-"), 0xFF0F: ord("/")}
_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
# Month and day only: this year (what a caseworker types for a visit made last week).
_SHORT = (
    re.compile(r"^(\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{2})(\d{2})$"),
)


class InvalidDate(ValueError):
    """`str()` is a Chinese message saying what is wrong."""


def parse_date(text: str, today: date | None = None) -> date:
    """Parse one of the accepted spellings; InvalidDate otherwise. A month and day without a
    year (12.10, 12-10, 1210, 12月10日) is in `today`'s year (default: the PC's today)."""
    cleaned = re.sub(r"\s+", "", (text or "").translate(_FULLWIDTH))
    if not cleaned:
        raise InvalidDate("请填写日期")
    year = (today or date.today()).year
    matches = [(p, None) for p in _PATTERNS] + [(p, year) for p in _SHORT]
    for pattern, this_year in matches:
        m = pattern.match(cleaned)
        if m:
            groups = [int(g) for g in m.groups()]
            y, mo, d = (this_year, *groups) if this_year is not None else groups
            try:
                return date(y, mo, d)
            except ValueError:
                raise InvalidDate(
                    f"日期 {text.strip()} 不存在（{y}年没有{mo}月{d}日），请核对"
                ) from None
    raise InvalidDate(
        f"无法识别日期“{text.strip()}”，请写成 2026-11-29、2026年11月29日，今年的日期也可写 11.29"
    )
