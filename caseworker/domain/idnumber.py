"""Resident ID numbers (居民身份证号码, GB 11643-1999): validation, normalisation, derived facts.

18 characters: 6-digit address code, birth date YYYYMMDD, 3-digit sequence (odd = male), check
character. Old 15-digit numbers (YYMMDD birth date, no check character) are upgraded by inserting
"19" and computing the check character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Full-width digits and letters (and the ideographic space) map to their ASCII forms.
_FULLWIDTH = {0xFF10 + i: ord("0") + i for i in range(10)} | {0xFF38: ord("X"), 0xFF58: ord("X")}
_EARLIEST_BIRTH = date(1880, 1, 1)


class InvalidIdNumber(ValueError):
    """The text is not a valid ID number; `str()` is a Chinese message saying which part is wrong."""


@dataclass(frozen=True)
class IdNumber:
    """A validated, normalised 18-character ID number and what it tells."""

    value: str
    birth_date: date
    sex: str  # "男" or "女"
    area_code: str
    upgraded_from_15: bool = False

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)

    @property
    def masked(self) -> str:
        return mask(self.value)


def check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("check_char needs 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise(text: str) -> str:
    """Full-width to ASCII, strip spaces, upper-case the X, drop a leading apostrophe (Excel's
    mark for "text", kept by files exported from other systems: '320102194803154734). No
    validation."""
    cleaned = text.translate(_FULLWIDTH)
    cleaned = re.sub(r"[\s\u3000]+", "", cleaned)
    if cleaned.startswith(_TEXT_MARKS):
        cleaned = cleaned[1:]
    return cleaned.upper()


_TEXT_MARKS = ("'", "＇", "‘", "’", "`")


def age_on(birth: date, day: date) -> int:
    """Whole years completed on `day` (a person born on 29 Feb turns a year older on 1 Mar)."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def _parse_birth(digits: str, raw: str, today: date | None) -> date:
    try:
        born = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidIdNumber(
            f"身份证号 {raw} 中的出生日期 {digits[0:4]}-{digits[4:6]}-{digits[6:8]} 不存在"
        ) from None
    if born < _EARLIEST_BIRTH:
        raise InvalidIdNumber(f"身份证号 {raw} 中的出生日期 {born.isoformat()} 过早，不可能")
    if today is not None and born > today:
        raise InvalidIdNumber(f"身份证号 {raw} 中的出生日期 {born.isoformat()} 在今天之后")
    return born


def parse(text: str, today: date | None = None) -> IdNumber:
    """Validate and normalise an ID number; raise InvalidIdNumber with a message saying why.

    `today`, when given, also refuses birth dates in the future.
    """
    if text is None:
        raise InvalidIdNumber("身份证号不能为空")
    raw = text.strip().lstrip("'＇‘’`")
    value = normalise(text)
    if not value:
        raise InvalidIdNumber("身份证号不能为空")
    upgraded = False
    if len(value) == 15:
        if not value.isdigit():
            raise InvalidIdNumber(f"15 位身份证号 {raw} 只能由数字组成")
        born = _parse_birth("19" + value[6:12], raw, today)
        first17 = value[:6] + "19" + value[6:]
        value = first17 + check_char(first17)
        upgraded = True
    elif len(value) == 18:
        if not value[:17].isdigit():
            raise InvalidIdNumber(f"身份证号 {raw} 的前 17 位必须是数字")
        if not (value[17].isdigit() or value[17] == "X"):
            raise InvalidIdNumber(f"身份证号 {raw} 的最后一位只能是数字或 X")
        born = _parse_birth(value[6:14], raw, today)
        expected = check_char(value[:17])
        if value[17] != expected:
            raise InvalidIdNumber(
                f"身份证号 {raw} 校验位错误：最后一位应为 {expected}，请核对是否有输错的数字"
            )
    else:
        raise InvalidIdNumber(f"身份证号应为 18 位（旧证 15 位），{raw} 为 {len(value)} 位")
    if value[:6] == "000000":
        raise InvalidIdNumber(f"身份证号 {raw} 的地址码 000000 不存在")
    sex = "男" if int(value[16]) % 2 == 1 else "女"
    return IdNumber(value, born, sex, value[:6], upgraded)


def value_of(text: str) -> str | None:
    """The normalised number a search or a lookup was typed with; None when it is not one."""
    try:
        return parse(text).value
    except InvalidIdNumber:
        return None


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except InvalidIdNumber:
        return False
    return True


def make(area_code: str, birth: date, sequence: int) -> str:
    """Build a valid 18-character number (for synthetic demo and test data only)."""
    if not (len(area_code) == 6 and area_code.isdigit()) or not 0 <= sequence <= 999:
        raise ValueError("area code must be 6 digits and sequence 0..999")
    first17 = f"{area_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


def mask(value: str) -> str:
    """Mask for lists: keep the first 6 and last 4 characters (e.g. 110101********123X)."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
