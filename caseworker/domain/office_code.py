"""A street office's code, as the district assigns it: the township-level division code of
GB/T 10114 (6 digits of the county plus 3 of the street: 110105001), or its 12-digit
statistical form (110105001000). Typed with full-width digits or spaces, it is normalised."""

from __future__ import annotations

import unicodedata

LENGTHS = (9, 12)


class InvalidOfficeCode(ValueError):
    """The message (Chinese) says what is wrong."""


def normalise(text: str) -> str:
    """The code as digits, or InvalidOfficeCode saying why it is not one."""
    value = "".join(unicodedata.normalize("NFKC", text or "").split())
    if not value:
        raise InvalidOfficeCode("请填写街道代码")
    if not value.isascii() or not value.isdigit():
        raise InvalidOfficeCode(
            f"街道代码“{value[:20]}”应全部是数字：区民政局分配的 9 位乡级区划代码，如 110105001"
        )
    if len(value) not in LENGTHS:
        raise InvalidOfficeCode(
            f"街道代码有 {len(value)} 位：应为 9 位（如 110105001）或 12 位统计用区划代码"
        )
    return value
