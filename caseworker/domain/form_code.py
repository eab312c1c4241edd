"""The code printed on every paper form (QR and digits): which printed form, which page.

Twenty digits, nothing personal: `7` (the format), a three-digit tag of the office that printed
it, a twelve-digit random printed-form id, the page (two digits) and an ISO 7064 mod 97-10 check
(two digits, as on an IBAN: every single wrong digit and every swap of two neighbours is caught).
Digits only, because a keyboard-wedge barcode scanner types the code as key presses and a
Chinese input method would swallow letters; twenty digits never look like an ID number (18) or a
phone number (11).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

VERSION = "7"
LENGTH = 20
_SHAPE = re.compile(r"^7\d{19}$")


@dataclass(frozen=True)
class FormCode:
    office_tag: str  # 3 digits
    form_id: str  # 12 digits
    page: int  # 1..99

    @property
    def text(self) -> str:
        body = f"{VERSION}{self.office_tag}{self.form_id}{self.page:02d}"
        return body + _check(body)


def _check(body: str) -> str:
    return f"{98 - (int(body) * 100) % 97:02d}"


def office_tag(office_id: str | None) -> str:
    """Three digits derived from the office's id (000 before the office is set up)."""
    if not office_id:
        return "000"
    return f"{int(hashlib.sha256(office_id.encode()).hexdigest(), 16) % 999 + 1:03d}"


def new_form_id() -> str:
    return f"{secrets.randbelow(10**12):012d}"


def encode(office: str, form_id: str, page: int) -> str:
    if not (1 <= page <= 99):
        raise ValueError("page must be 1..99")
    return FormCode(office, form_id, page).text


def parse(text: str) -> FormCode | None:
    """The code in `text` (spaces and dashes ignored), or None when it is not a valid code."""
    digits = re.sub(r"[\s-]", "", text or "")
    if not _SHAPE.match(digits) or digits[-2:] != _check(digits[:-2]):
        return None
    page = int(digits[16:18])
    if page < 1:
        return None
    return FormCode(digits[1:4], digits[4:16], page)


def spaced(code: str) -> str:
    """The digits in groups of four, as printed under the QR for typing by hand."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
