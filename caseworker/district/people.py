"""转移 at the district console (区级业务员): find a person district-wide by name, pinyin or ID
number, a page at a time; see which office and which programmes hold their records; the target
office's communities; and the move itself, previewed then done, with the clerk's reason.

The move is `caseworker.district.transfer.transfer_person` (what `caseworker-district transfer
--person` runs), called with the logged-in actor: no second logic. The search is the registers'
own typed-search clause (`caseworker.services.person_search.clause`) on each programme's people,
so a name, `wxh` / `wangxiaohong` or the whole or last digits of an ID number mean here what they
mean in an office's lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from caseworker.district import transfer
from caseworker.district.accounts import require
from caseworker.district.hub import Hub
from caseworker.domain import idnumber
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor, DistrictPermission
from caseworker.services import person_search
from caseworker.services.retrofit.search import PERSON as RETROFIT_PERSON
from db.children import Child
from db.elderly import ElderlyResident
from db.models import Community, Office
from db.retrofit import RetrofitCase
from db.sync_models import SyncTransferLog

PAGE = 50  # people shown at a time
CHILD_NAME = "（儿童，姓名保密）"  # what the clerk sees for a child (docs: confidentiality)
REASON_MAX = 200

_E, _C = ElderlyResident, Child


def _person_columns(model: type[ElderlyResident] | type[Child]) -> person_search.PersonColumns:
    """What the hub's search reads of a register's person: name, its letters, address, ID
    number and phone (the offices' own searches also read guardians and further phones)."""
    return person_search.PersonColumns(
        name=model.name,
        name_letters=model.name_letters,
        address=model.address,
        id_number=model.id_number,
        phones=(model.phone,),
    )


_ELDERLY = _person_columns(_E)
_CHILD = _person_columns(_C)
# (table, its model, the search's columns, the name column), in the order programmes are listed
_REGISTERS = (
    ("elderly_resident", ElderlyResident, _ELDERLY, _E.name),
    ("retrofit_case", RetrofitCase, RETROFIT_PERSON, RetrofitCase.applicant_name),
    ("child", Child, _CHILD, _C.name),
)


@dataclass(frozen=True)
class PersonRow:
    """One person found: their ID number (shown masked), name, and where their records are."""

    id_number: str
    name: str
    offices: tuple[str, ...]  # office names holding a record of theirs
    programmes: tuple[str, ...]  # 老年人探访 / 适老化改造 / 儿童关爱

    @property
    def masked(self) -> str:
        return idnumber.mask(self.id_number)


@dataclass(frozen=True)
class PeoplePage:
    text: str
    offset: int
    rows: list[PersonRow]
    more: bool  # another page follows


@dataclass(frozen=True)
class PersonRecord:
    """One record of a person: its programme, office and community."""

    table: str
    record_id: str
    programme: str
    office_code: str
    office_name: str
    community: str
    label: str  # a retrofit case's number; else ""


def find_people(
    hub: Hub, actor: Actor, text: str, *, offset: int = 0, limit: int = PAGE
) -> PeoplePage:
    """People of every programme whose name, pinyin, ID number (whole or its end), phone or
    address matches `text`, one line per ID number, by name; a page of `limit` from `offset`.
    Nothing typed finds nobody (a district of 100,000 people is not a list to scroll)."""
    require(actor, DistrictPermission.RECORDS)
    text = " ".join(text.split())
    if not text:
        return PeoplePage(text, 0, [], False)
    whole = idnumber.value_of(text)
    parts = []
    for tname, model, cols, name in _REGISTERS:
        if tname == "child":
            # Children's records are for child-protection roles only: the clerk finds a child
            # by the whole ID number the office gave (as the command line does), never by a
            # name, and the child's name is not shown.
            if whole is None:
                continue
            parts.append(
                select(
                    model.id_number.label("id_number"),
                    literal(CHILD_NAME).label("name"),
                    literal("").label("sort"),
                ).where(model.id_number == whole, model.deleted_at.is_(None))
            )
            continue
        where = person_search.clause(text, cols)
        parts.append(
            select(
                model.id_number.label("id_number"), name.label("name"), _pinyin(tname).label("sort")
            ).where(where, model.deleted_at.is_(None), model.id_number != "")
        )
    found = union_all(*parts).subquery()
    # by pinyin as the office lists are (万 wan before 王 wang), homophones by the characters
    key, first = func.min(found.c.sort), func.min(found.c.name)
    stmt = (
        select(found.c.id_number, first)
        .group_by(found.c.id_number)
        .order_by(key, first, found.c.id_number)
        .limit(limit + 1)
        .offset(offset or None)
    )
    with hub.reader(actor) as s:
        page = s.execute(stmt).all()
        more = len(page) > limit
        page = page[:limit]
        numbers = [n for n, _name in page]
        held = _held(s, numbers)  # at most `limit` numbers: the statement stays small
    rows = []
    for number, name in page:
        records = held.get(number, [])
        rows.append(
            PersonRow(
                number,
                name,
                tuple(dict.fromkeys(r.office_name for r in records)),
                tuple(dict.fromkeys(r.programme for r in records)),
            )
        )
    return PeoplePage(text, offset, rows, more)


def _pinyin(tname: str) -> Any:
    """The column a register's people sort by: the name's pinyin ("wang xiao hong", kept with
    the name by the register's service). A retrofit case keeps only its search letters
    ("wxh wangxiaohong"): it sorts by the pinyin of the same person's elderly record when there
    is one, else by the spelling after the initials (one initial per character of the name)."""
    if tname == "elderly_resident":
        return _E.name_pinyin
    rc, er = RetrofitCase, _E.__table__.alias("same_person")
    elderly = (
        select(er.c.name_pinyin)
        .where(er.c.id_number == rc.id_number, er.c.deleted_at.is_(None))
        .limit(1)
        .scalar_subquery()
    )
    spelled = func.substr(rc.name_letters, func.length(rc.applicant_name) + 2)
    return func.coalesce(elderly, spelled)


def _held(s: Session, numbers: list[str]) -> dict[str, list[PersonRecord]]:
    """Each ID number's live records, with office and community, in programme order."""
    out: dict[str, list[PersonRecord]] = {}
    if not numbers:
        return out
    for tname, model, _cols, _name in _REGISTERS:
        label = model.case_no if model is RetrofitCase else literal("")
        q = (
            select(
                model.id_number,
                model.id,
                Office.code,
                Office.name,
                Community.name,
                label,
            )
            .join(Community, Community.id == model.community_id)
            .join(Office, Office.id == Community.office_id)
            .where(model.id_number.in_(numbers), model.deleted_at.is_(None))
            .order_by(model.id)
        )
        for number, rid, code, office, community, case_no in s.execute(q):
            out.setdefault(number, []).append(
                PersonRecord(
                    tname, rid, transfer.PROGRAMME[tname], code, office, community, case_no or ""
                )
            )
    return out


def person_records(hub: Hub, actor: Actor, id_number: str) -> list[PersonRecord]:
    """Every live record of one person (by ID number), each with its office and community."""
    require(actor, DistrictPermission.RECORDS)
    with hub.reader(actor) as s:
        return _held(s, [id_number]).get(id_number, [])


def communities(hub: Hub, actor: Actor, code: str) -> list[str]:
    """The communities and villages of office `code`, in its own order."""
    require(actor, DistrictPermission.RECORDS)
    with hub.reader(actor) as s:
        return list(
            s.scalars(
                select(Community.name)
                .join(Office, Office.id == Community.office_id)
                .where(Office.code == code, Community.deleted_at.is_(None))
                .order_by(Community.sort_order, Community.name)
            )
        )


def move(
    hub: Hub,
    actor: Actor,
    id_number: str,
    to_code: str,
    community: str,
    reason: str,
    *,
    dry_run: bool,
) -> transfer.Transferred:
    """Preview (`dry_run`) or do the transfer of everything of one person; a reason is required
    (it is kept in the hub's transfer log with who did it)."""
    require(actor, DistrictPermission.RECORDS)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError("请填写转移原因（例如“迁居到新街道”）。未做任何改动。")
    if len(reason) > REASON_MAX:
        raise ValidationError(f"转移原因最多 {REASON_MAX} 个字。未做任何改动。")
    if not to_code:
        raise ValidationError("请选择转入街道。未做任何改动。")
    if not community:
        raise ValidationError("请选择转入的社区或村。未做任何改动。")
    return transfer.transfer_person(
        hub, id_number, to_code, community, dry_run=dry_run, actor=actor, reason=reason
    )


@dataclass(frozen=True)
class LogRow:
    """One transfer made at the console (or with the command line's --person)."""

    at: datetime
    by: str
    name: str
    masked: str
    from_offices: str
    to: str  # office code and community
    records: int
    reason: str


def transfer_log(
    hub: Hub, actor: Actor, *, offset: int = 0, limit: int = PAGE
) -> tuple[list[LogRow], bool]:
    """The hub's transfers, newest first, a page at a time; and whether another page follows."""
    require(actor, DistrictPermission.RECORDS)
    t = SyncTransferLog
    with hub.reader(actor) as s:
        found = s.scalars(
            select(t)
            .order_by(t.recorded_at.desc(), t.id.desc())
            .limit(limit + 1)
            .offset(offset or None)
        ).all()
        rows = [
            LogRow(
                r.recorded_at,
                r.actor_name,
                r.person_name,
                idnumber.mask(r.id_number),
                r.from_offices,
                f"{r.to_office_code} {r.community}".strip(),
                r.records,
                r.reason,
            )
            for r in found[:limit]
        ]
    return rows, len(found) > limit
