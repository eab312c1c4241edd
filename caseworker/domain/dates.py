"""Dates as people type them: 2026-11-29, 2026/11/29, 2026.11.29, 2026年11月29日, 20261129.

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


class InvalidDate(ValueError):
    """`str()` is a Chinese message saying what is wrong."""


def parse_date(text: str) -> date:
    """Parse one of the accepted spellings; InvalidDate otherwise."""
    cleaned = re.sub(r"\s+", "", (text or "").translate(_FULLWIDTH))
    if not cleaned:
        raise InvalidDate("请填写日期")
    for pattern in _PATTERNS:
        m = pattern.match(cleaned)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return date(y, mo, d)
            except ValueError:
                raise InvalidDate(
                    f"日期 {text.strip()} 不存在（{y}年没有{mo}月{d}日），请核对"
                ) from None
    raise InvalidDate(f"无法识别日期“{text.strip()}”，请写成 2026-11-29 或 2026年11月29日")
