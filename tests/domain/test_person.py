"""The person record the three programmes share: built from any programme's row, the same facts
read the same way (masked ID, age on a day, pinyin)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date
from types import SimpleNamespace

import pytest

from caseworker.domain import idnumber
from caseworker.domain.person import BornOn, OfPerson, Person, name_columns, person_of
from caseworker.domain.pinyin import of_name

KNOWN = "11010519491231002X"


def _row(**extra: object) -> SimpleNamespace:
    return SimpleNamespace(
        id_number=KNOWN, birth_date=date(1949, 12, 31), sex="女", phone="13800000000", **extra
    )


def test_a_person_from_each_programmes_row_reads_alike() -> None:
    resident = person_of(_row(name="单小红"))  # an elderly resident or a child: `name`
    applicant = person_of(_row(applicant_name="单小红"), "单小红")  # a retrofit case
    assert resident == applicant
    assert resident.id_number_masked == "110105********002X" == idnumber.mask(KNOWN)
    assert resident.age_on(date(2026, 12, 30)) == 76
    assert resident.age_on(date(2026, 12, 31)) == 77
    assert resident.spoken == of_name("单小红")
    assert resident.spoken.initials == "sxh"  # 单 read as a surname (shan), not dan
    with pytest.raises(FrozenInstanceError):
        resident.name = "x"  # type: ignore[misc]


def test_a_person_with_no_id_number_shows_nothing_of_one() -> None:
    assert Person("王五", "", date(2000, 1, 1), "男").id_number_masked == ""


def test_name_columns_are_what_search_and_sort_read() -> None:
    spoken = of_name("欧阳娜娜")
    assert name_columns("欧阳娜娜") == {
        "name_pinyin": spoken.sort_key,
        "name_letters": spoken.letters,
    }
    assert name_columns("欧阳娜娜", sort_key=False) == {"name_letters": "oynn ouyangnana"}


def test_a_programmes_record_reads_its_persons_facts() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Record(OfPerson):
        person: Person
        age: int

    p = person_of(_row(name="李四"))
    r = Record(p, p.age_on(date(2026, 1, 1)))
    assert (r.name, r.id_number, r.id_number_masked, r.birth_date, r.sex, r.phone) == (
        "李四",
        KNOWN,
        "110105********002X",
        date(1949, 12, 31),
        "女",
        "13800000000",
    )


def test_a_list_row_with_a_birth_date_has_an_age() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Row(BornOn):
        birth_date: date

    assert Row(date(2014, 6, 2)).age_on(date(2026, 6, 1)) == 11


def test_a_typed_id_number_is_refused_in_words_on_its_field() -> None:
    from caseworker.domain.errors import ValidationError
    from caseworker.domain.person import typed_id

    assert typed_id(KNOWN.lower()).value == KNOWN
    with pytest.raises(ValidationError) as bad:
        typed_id("110105194912310021", field="guardian_id_number")
    assert bad.value.field == "guardian_id_number" and "身份证号" in str(bad.value)
    with pytest.raises(ValidationError, match=r"110105\*{8}002X 今年 59 岁，未满 60") as young:
        typed_id(
            KNOWN,
            date(2009, 12, 30),
            min_age=60,
            too_young="{masked} 今年 {age} 岁，未满 {min_age}",
        )
    assert young.value.field == "id_number"
    assert typed_id(KNOWN, date(2009, 12, 31), min_age=60).birth_date == date(1949, 12, 31)
