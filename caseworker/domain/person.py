"""The person a record is about, as the three programmes know them alike: an elderly resident on
the roster, a retrofit case's applicant, a child on the register.

Each programme keeps its own table (a retrofit applicant need not be on the roster; a child's
record is sealed from everyone else), but the facts about the person are the same facts, read
the same way: the name and its pinyin (sort key and search letters), the ID number and its
masked form for lists, the birth date and sex the ID number gave, the age on a day, the phone.
`person_of(row)` builds the record from any programme's row, so a rule about those facts (how an
ID number is masked, how an age is counted) lives here once and a screen, a printed form or an
export of any programme shows the same thing.

Who may see the full ID number is not decided here: each programme's services decide (children:
lists mask, the child's page and file show it to the roles that may open it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, Protocol, TypeVar, cast, overload

from caseworker.domain import idnumber
from caseworker.domain.errors import ValidationError
from caseworker.domain.pinyin import NamePinyin, of_name

T = TypeVar("T")


class BornOn:
    """What has a birth date has an age on a day (records and list rows alike)."""

    __slots__ = ()
    birth_date: date

    def age_on(self, day: date) -> int:
        """Whole years completed on `day`."""
        return idnumber.age_on(self.birth_date, day)


@dataclass(frozen=True, slots=True)  # slots: a month's visit forms build tens of thousands
class Person(BornOn):
    name: str
    id_number: str  # the full, normalised number (18 characters; "" where none is known)
    birth_date: date  # from the ID number
    sex: str  # "男" or "女", from the ID number
    phone: str = ""

    @property
    def id_number_masked(self) -> str:
        """What lists, exports and pre-filled forms show: 110101********123X."""
        return idnumber.mask(self.id_number)

    @property
    def spoken(self) -> NamePinyin:
        """The name's pinyin (surname read as a surname): sort key and search letters."""
        return of_name(self.name)


class PersonRow(Protocol):
    """A programme's row holding a person (elderly resident, retrofit case, child)."""

    @property
    def id_number(self) -> str: ...

    @property
    def birth_date(self) -> date: ...

    @property
    def sex(self) -> str: ...

    @property
    def phone(self) -> str: ...


def person_of(row: PersonRow, name: str | None = None) -> Person:
    """The person of a programme's row; `name` where its column is not `name` (a retrofit
    case's `applicant_name`)."""
    return Person(
        name if name is not None else getattr(row, "name"),  # noqa: B009  (not every row has one)
        row.id_number,
        row.birth_date,
        row.sex,
        row.phone,
    )


def typed_id(
    text: str,
    today: date | None = None,
    *,
    field: str = "id_number",
    min_age: int = 0,
    too_young: str = "",
) -> idnumber.IdNumber:
    """An ID number as a person typed it (any programme's form): valid and normalised, or a
    ValidationError on `field` saying which part is wrong. With `min_age`, also of someone that
    old on `today`, else `too_young` formatted with `masked`, `born`, `age` and `min_age`."""
    try:
        parsed = idnumber.parse(text, today=today)
    except idnumber.InvalidIdNumber as exc:
        raise ValidationError(str(exc), field=field) from None
    if min_age:
        age = parsed.age_on(today or date.today())
        if age < min_age:
            message = too_young.format(
                masked=parsed.masked, born=parsed.birth_date, age=age, min_age=min_age
            )
            raise ValidationError(message, field=field)
    return parsed


def name_columns(name: str, *, sort_key: bool = True) -> dict[str, str]:
    """The pinyin a name is written with: `name_letters` (what search matches: "wxh
    wangxiaohong") and, for a register sorted by name, `name_pinyin` (its sort key)."""
    spoken = of_name(name)
    if not sort_key:
        return {"name_letters": spoken.letters}
    return {"name_pinyin": spoken.sort_key, "name_letters": spoken.letters}


class _Fact(Generic[T]):
    """A record's attribute that is its person's (`record.name` reads `record.person.name`)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, record: None, owner: type) -> _Fact[T]: ...

    @overload
    def __get__(self, record: OfPerson, owner: type) -> T: ...

    def __get__(self, record: OfPerson | None, owner: type) -> T | _Fact[T]:
        if record is None:
            return self
        return cast(T, getattr(record.person, self.name))


class OfPerson:
    """A programme's record of a person (`ResidentInfo`, `CaseInfo`, `ChildInfo`): the person's
    facts are its `person`'s, named as every screen and form has always read them."""

    __slots__ = ()
    person: Person
    name = _Fact[str]()
    id_number = _Fact[str]()
    id_number_masked = _Fact[str]()
    birth_date = _Fact[date]()
    sex = _Fact[str]()
    phone = _Fact[str]()
