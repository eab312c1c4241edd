"""Chinese phone numbers as typed on rosters: is this a plausible mobile or landline number?

Mobile: 11 digits starting 13-19 (optionally +86 / 86 in front). Landline: 0 + area code
(2-3 more digits) + a 7-8 digit number, with or without "-", optionally "-" and an extension;
or a bare 7-8 digit local number. Anything else is *odd*, not forbidden: the caller warns and
the person may keep it (a number abroad, an old 6-digit village line).
"""

from __future__ import annotations

import re

_FULLWIDTH = {0xFF10 + i: ord("0") + i for i in range(10)} | {0xFF0D: ord("-"), 0xFF0B: ord("+")}
_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")
_LOCAL = re.compile(r"^[2-9]\d{6,7}$")


def oddity(text: str) -> str | None:
    """None for an empty or plausible number; else a Chinese sentence saying what looks wrong."""
    value = "".join((text or "").translate(_FULLWIDTH).split())
    if not value:
        return None
    digits = value.replace("-", "").replace("+", "")
    compact = value.replace(" ", "")
    if _MOBILE.match(digits) or _LANDLINE.match(compact) or _LOCAL.match(compact):
        return None
    if digits.startswith("1") and 9 <= len(digits) <= 13:
        return f"“{text.strip()}”有 {len(digits)} 位：手机号应为 11 位（1 开头）"
    if digits.startswith("0"):
        return f"“{text.strip()}”不像固定电话：应为区号加 7-8 位号码，如 010-12345678"
    return f"“{text.strip()}”不像手机号（11 位）或固定电话（区号加 7-8 位）"
