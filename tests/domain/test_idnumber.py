"""ID number rules of GB 11643-1999, with property tests."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseworker.domain import idnumber
from caseworker.domain.idnumber import InvalidIdNumber

# A published worked example of the check character computation.
KNOWN = "11010519491231002X"

births = st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 11, 29))
areas = st.from_regex(r"[1-6][0-9]{5}", fullmatch=True)
seqs = st.integers(min_value=0, max_value=999)


def test_known_number_parses_with_derived_facts() -> None:
    parsed = idnumber.parse(KNOWN)
    assert parsed.value == KNOWN
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex == "女"  # sequence 002 is even
    assert parsed.age_on(date(2026, 11, 29)) == 76


def test_check_character_by_hand() -> None:
    first17 = "11010519491231002"
    total = sum(int(d) * w for d, w in zip(first17, idnumber.WEIGHTS, strict=True))
    assert total % 11 == 2
    assert idnumber.check_char(first17) == "X"


def test_lowercase_x_and_fullwidth_digits_are_normalised() -> None:
    assert idnumber.parse(KNOWN.lower()).value == KNOWN
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in KNOWN)
    assert idnumber.parse(fullwidth).value == KNOWN
    assert idnumber.parse(f"  {KNOWN[:6]} {KNOWN[6:]}\u3000").value == KNOWN


def test_wrong_checksum_says_which_character_is_expected() -> None:
    with pytest.raises(InvalidIdNumber, match=r"校验位错误.*应为 X"):
        idnumber.parse("110105194912310021")


def test_impossible_date_is_named() -> None:
    first17 = "11010519490230002"  # 30 February
    with pytest.raises(InvalidIdNumber, match="1949-02-30 不存在"):
        idnumber.parse(first17 + idnumber.check_char(first17))


def test_future_birth_refused_when_today_given() -> None:
    number = idnumber.make("110105", date(2027, 1, 1), 1)
    with pytest.raises(InvalidIdNumber, match="在今天之后"):
        idnumber.parse(number, today=date(2026, 11, 29))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "不能为空"),
        ("1101051949", "应为 18 位"),
        ("11010519491231002Y", "最后一位"),
        ("1101A519491231002X", "前 17 位"),
    ],
)
def test_malformed_numbers_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(InvalidIdNumber, match=fragment):
        idnumber.parse(text)


def test_fifteen_digit_number_is_upgraded() -> None:
    parsed = idnumber.parse("110105491231002")
    assert parsed.upgraded_from_15
    assert parsed.value == KNOWN
    assert parsed.birth_date == date(1949, 12, 31)


@given(areas, births, seqs)
def test_made_numbers_round_trip(area: str, birth: date, seq: int) -> None:
    number = idnumber.make(area, birth, seq)
    parsed = idnumber.parse(number)
    assert parsed.value == number
    assert parsed.birth_date == birth
    assert parsed.sex == ("男" if seq % 2 else "女")


@given(areas, births, seqs, st.integers(min_value=0, max_value=16), st.integers(1, 9))
def test_any_single_digit_change_is_caught(
    area: str, birth: date, seq: int, pos: int, delta: int
) -> None:
    number = idnumber.make(area, birth, seq)
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1 :]
    with pytest.raises(InvalidIdNumber):
        idnumber.parse(changed)


@given(areas, st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), seqs)
def test_fifteen_digit_upgrade_equals_eighteen_digit_form(area: str, birth: date, seq: int) -> None:
    old = f"{area}{birth:%y%m%d}{seq:03d}"
    assert idnumber.parse(old).value == idnumber.make(area, birth, seq)


def test_mask_keeps_ends() -> None:
    assert idnumber.mask(KNOWN) == "110105********002X"


@given(births, births)
def test_age_is_whole_years(birth: date, day: date) -> None:
    if day < birth:
        return
    age = idnumber.age_on(birth, day)
    assert age >= 0
    # On the birthday of year (birth.year + age) the person had had `age` birthdays.
    assert (day.year - birth.year) - age in (0, 1)


def test_value_of_a_typed_number_or_none() -> None:
    assert idnumber.value_of(KNOWN.lower()) == KNOWN
    assert idnumber.value_of("１１０１０５１９４９１２３１００２ｘ") == KNOWN  # full-width
    assert idnumber.value_of("110105194912310021") is None  # wrong check character
    assert idnumber.value_of("") is None
