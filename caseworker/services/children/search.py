"""The child register list: search, filter, sort, count and page in SQL inside the actor's scope.

Rows carry the ID number and address masked; the full values are on the child's page, whose
opening is logged. Search (`caseworker.services.person_search`, as the elderly roster) matches
any part of the name or address, the name's pinyin (`hxx`, `hanxiaoxue`), the ID number (whole,
or its last digits, listed first) and the phone; a parent's or guardian's name, pinyin or phone
(from 4 digits) finds their child. Names sort by pinyin. Every clause sits beside the actor's
scope in one statement: a child director's search never reaches another community.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from caseworker.domain import children as rules
from caseworker.domain import idnumber
from caseworker.domain.children import CaseStep, ChildCategory
from caseworker.domain.roles import Actor
from caseworker.services import person_search
from caseworker.services.children._common import can_view, like_escape, scope, today_or
from db.among import among
from db.base import table_of
from db.children import Child, ChildCase, ChildGuardian
from db.models import Community, Staff

C = table_of(Child).c


@dataclass(frozen=True)
class ChildQuery(person_search.ListQuery):
    community_id: str | None = None
    category: ChildCategory | None = None
    open_case_only: bool = False
    sort: str = "name"  # a key of SORT_COLUMNS
    descending: bool = False
    # "在册": on the register on `day` (not left, under 18); "离册": left or turned 18; "": all
    register: str = rules.ON_REGISTER
    day: date | None = None  # the day `register` is judged on (None: today)


@dataclass(frozen=True)
class ChildRow(person_search.PersonRow):
    """One line of the register (ID number and address masked)."""

    address_masked: str
    categories: str
    school: str
    status: str
    open_cases: int
    urgent: bool
    director_name: str | None


_OPEN = ChildCase.step != CaseStep.CLOSED.value
_open_cases = (
    select(func.count())
    .where(ChildCase.child_id == C.id, _OPEN, ChildCase.deleted_at.is_(None))
    .scalar_subquery()
)
_urgent = (
    select(func.count())
    .where(
        ChildCase.child_id == C.id,
        _OPEN,
        ChildCase.urgent.is_(True),
        ChildCase.deleted_at.is_(None),
    )
    .scalar_subquery()
)
SORT_COLUMNS: dict[str, tuple[str, object]] = {
    "name": ("姓名", C.name_pinyin),  # pinyin order, as Excel sorts Chinese names
    "sex": ("性别", C.sex),
    "age": ("年龄", C.birth_date),
    "id_number": ("身份证号", C.id_number),
    "community": (
        "社区/村",
        select(Community.name).where(Community.id == C.community_id).scalar_subquery(),
    ),
    "address": ("住址", C.address),
    "categories": ("类别", C.categories),
    "school": ("学校", C.school),
    "status": ("状态", C.status),
    "open_cases": ("在办个案", _open_cases),
}


_G = table_of(ChildGuardian).c
_DETAILS_CHUNK = 500  # ids per statement when a page's rows are read (bounded statements)
_COLUMNS = person_search.PersonColumns(
    name=C.name,
    name_letters=C.name_letters,
    address=C.address,
    id_number=C.id_number,
    phones=(C.phone,),
    key=C.id,
    # a parent's or guardian's name, pinyin or phone finds their child
    related=person_search.RelatedPeople(
        owner=_G.child_id,
        name=_G.name,
        name_letters=_G.name_letters,
        phone=_G.phone,
        live=_G.deleted_at.is_(None),
    ),
)


def _filtered(
    session: Session,
    actor: Actor,
    q: ChildQuery,
    stmt: Select,
    found: person_search.Search | None = None,
) -> tuple[Select, person_search.Search]:
    # The scope sits beside the search in the same statement: the index only narrows the rows
    # read, a child director's search never reaches another community.
    stmt = stmt.where(scope(actor), C.deleted_at.is_(None))
    if found is None:
        found = person_search.plan(session, q.text, _COLUMNS)
    if found.where is not None:
        stmt = stmt.where(found.where)
    if q.community_id:
        stmt = stmt.where(C.community_id == q.community_id)
    if q.category:
        cat = ChildCategory(q.category)
        stmt = stmt.where(C.categories.like(f"%,{like_escape(cat.value)},%", escape="\\"))
    if q.open_case_only:
        stmt = stmt.where(_open_cases > 0)
    if q.register:
        on = on_register_clause(today_or(q.day))
        stmt = stmt.where(on if q.register == rules.ON_REGISTER else ~on)
    return stmt, found


def on_register_clause(day: date) -> ColumnElement[bool]:
    """SQL: the child (C) is on the register on `day` (`caseworker.domain.children.on_register`):
    registered by then, not left by then, and under 18 that day."""
    return and_(
        C.registered_on <= day,
        or_(C.status != rules.LEFT_REGISTER, C.status_date.is_(None), C.status_date > day),
        C.birth_date > rules.adult_birth_limit(day),
    )


def count(session: Session, actor: Actor, q: ChildQuery, *, cap: int | None = None) -> int:
    """How many children match, within the actor's scope; with `cap`, counted only up to
    `cap` + 1 (a search typed in the box: "1,000+")."""
    if cap is None:
        stmt, _ = _filtered(session, actor, q, select(func.count()).select_from(Child))
        return session.scalar(stmt) or 0
    found = person_search.plan(session, q.text, _COLUMNS, counting=True)
    stmt, found = _filtered(session, actor, q, select(C.id), found)
    return person_search.capped_count(session, stmt, cap, found)


def page(
    session: Session,
    actor: Actor,
    q: ChildQuery,
    offset: int,
    limit: int,
    *,
    today: date | None = None,
) -> list[ChildRow]:
    """Rows `offset` .. `offset+limit-1` in the chosen order (ties broken by id)."""
    can_view(actor)
    today_or(today)
    found = person_search.plan(session, q.text, _COLUMNS, split=True)
    ordered = _ordering(session, actor, q)
    if found.parts is not None:  # a common digit search: ID endings first, without a sort
        ids = [r[0] for r in person_search.page_in_parts(session, found, ordered, offset, limit)]
    else:
        ids = list(session.scalars(ordered(found).offset(max(0, offset)).limit(max(0, limit))))
    return _rows(session, ids)


def first_page(
    session: Session,
    actor: Actor,
    q: ChildQuery,
    limit: int,
    *,
    cap: int | None = None,
    today: date | None = None,
) -> tuple[int, list[ChildRow]]:
    """`count(..., cap=cap)` and `page(..., 0, limit)` together (what the register shows when
    a search is typed): a search the index narrows to a few children is counted and paged in
    one statement (`person_search.counted_page`), any other paged first and counted only when
    its page is full (`person_search.total_after_page`)."""
    can_view(actor)
    if q.sort not in SORT_COLUMNS:
        raise ValueError(f"unknown sort column {q.sort!r}")
    today_or(today)
    found = person_search.plan(session, q.text, _COLUMNS, split=True)
    if not found.narrowed or limit <= 0:
        return person_search.total_after_page(
            page(session, actor, q, 0, limit),
            limit,
            cap,
            lambda: count(session, actor, q, cap=cap),
        )
    total, ids = person_search.counted_page(
        session, _ordering(session, actor, q)(found), limit, cap
    )
    return total, _rows(session, [r[0] for r in ids])


def _ordering(
    session: Session, actor: Actor, q: ChildQuery
) -> Callable[[person_search.Search], Select]:
    """The statement of the matching children's ids in the list's order, for a planned search."""
    if q.sort not in SORT_COLUMNS:
        raise ValueError(f"unknown sort column {q.sort!r}")

    def ordered(found: person_search.Search) -> Select:
        stmt, found = _filtered(session, actor, q, select(C.id).select_from(Child), found)
        key = SORT_COLUMNS[q.sort][1]
        cols = (C.id, C.name, C.id_number)
        return person_search.in_list_order(stmt, found, q.text, q.sort, q.descending, key, cols)

    return ordered


_DETAILS = select(
    C.id,
    C.name,
    C.sex,
    C.birth_date,
    C.id_number,
    C.community_id,
    C.address,
    C.categories,
    C.school,
    C.status,
    _open_cases,
    _urgent,
    C.director_staff_id,
).select_from(Child)


def _rows(session: Session, ids: list[str]) -> list[ChildRow]:
    """The register's lines of these children, in this order."""
    if not ids:
        return []
    communities = dict(session.execute(select(Community.id, Community.name)).all())
    staff = dict(session.execute(select(Staff.id, Staff.display_name)).all())
    # The page's ids first, then their rows: the open-case counts (two subqueries a row) are
    # read for the page only, not for every match the sort looked at.
    rows_by_id: dict[str, Any] = {}
    for start in range(0, len(ids), _DETAILS_CHUNK):
        chunk = ids[start : start + _DETAILS_CHUNK]
        # the ids as one JSON parameter (`db.among`): 200 bound parameters cost SQLAlchemy
        # more to expand than SQLite spends finding the rows
        rows_by_id.update(
            (r[0], r) for r in session.execute(_DETAILS.where(among(session, C.id, chunk)))
        )
    rows = [rows_by_id[i] for i in ids]
    return [
        ChildRow(
            r[0],
            r[1],
            r[2],
            r[3],
            idnumber.mask(r[4]),
            communities.get(r[5], ""),
            rules.mask_address(r[6]),
            "、".join(p for p in r[7].split(",") if p),
            r[8],
            r[9],
            int(r[10] or 0),
            bool(r[11]),
            staff.get(r[12]) if r[12] else None,
        )
        for r in rows
    ]
