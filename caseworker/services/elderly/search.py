"""The roster list: filter, search, sort, count and page in SQL, for a table model that pages.

Search text is matched against any part of the name or address (LIKE '%…%', so 1-2 Chinese
characters work), against the whole ID number (any accepted spelling) or its last digits
(those listed first), and against the phone numbers; the search index answers it without
reading every row (`caseworker.services.person_search`, `db/search_index.py`). Latin letters are matched against
the name's pinyin too: `wxh` (initials) or `wangxiaohong` / `xiaohong` (full) find 王小红.
Names sort by pinyin, as Excel sorts Chinese names (the stored `name_pinyin`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from caseworker.domain import idnumber
from caseworker.domain.elderly import ADVANCED_AGE, Category, Status, Tier
from caseworker.domain.roles import Actor
from caseworker.services import person_search
from caseworker.services.checked import rows_checked_first
from caseworker.services.elderly._common import can_view, like_escape, today_or
from db.base import table_of
from db.elderly import ElderlyResident
from db.models import Community, Staff

R = table_of(ElderlyResident).c


@dataclass(frozen=True)
class RosterQuery(person_search.ListQuery):
    community_id: str | None = None
    tier: Tier | None = None
    category: Category | None = None
    status: Status | None = None  # None: everyone; see `scheduled_only`
    scheduled_only: bool = False  # 在册 and 住院 only
    overdue_only: bool = False
    due_by: date | None = None  # due on or before this day (e.g. the month's end)
    assigned_staff_id: str | None = None
    sort: str = "name"  # a key of SORT_COLUMNS
    descending: bool = False


@dataclass(frozen=True)
class RosterRow(person_search.PersonRow):
    """One line of the roster table (ID number masked)."""

    address: str
    phone: str
    categories: str  # "独居、低保"
    tier: str
    status: str
    last_visit_on: date | None
    next_due: date | None
    assigned_staff_name: str | None


# Column key → (Chinese header, SQL expression to sort by).
_TIER_RANK = case({t.value: t.rank for t in Tier}, value=R.tier, else_=9)
SORT_COLUMNS: dict[str, tuple[str, object]] = {
    "name": ("姓名", R.name_pinyin),  # pinyin order; homophones by name (see `page`)
    "sex": ("性别", R.sex),
    "age": ("年龄", R.birth_date),  # ascending age = descending birth date; flipped below
    "id_number": ("身份证号", R.id_number),
    "community": (
        "社区/村",
        select(Community.name).where(Community.id == R.community_id).scalar_subquery(),
    ),
    "address": ("住址", R.address),
    "phone": ("电话", R.phone),
    "categories": ("类别", R.categories),
    "tier": ("探访等级", _TIER_RANK),
    "status": ("状态", R.status),
    "last_visit_on": ("上次探访", R.last_visit_on),
    "next_due": ("下次应访", R.next_due),
    "assigned": (
        "责任人",
        select(Staff.display_name).where(Staff.id == R.assigned_staff_id).scalar_subquery(),
    ),
}


def _years_before(day: date, years: int) -> date:
    """The latest birth date of someone `years` old on `day` (29 Feb falls back to 28 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


_COLUMNS = person_search.PersonColumns(
    name=R.name,
    name_letters=R.name_letters,
    address=R.address,
    id_number=R.id_number,
    phones=(R.phone,),
    more_phones=(R.supporter_phone, R.emergency_phone),
)


def _filtered(
    session: Session,
    q: RosterQuery,
    today: date,
    select_from: Select,
    found: person_search.Search | None = None,
) -> tuple[Select, person_search.Search]:
    stmt = select_from.where(R.deleted_at.is_(None))
    if found is None:
        found = person_search.plan(session, q.text, _COLUMNS)
    if found.where is not None:
        stmt = stmt.where(found.where)
    if q.community_id:
        stmt = stmt.where(R.community_id == q.community_id)
    if q.tier:
        stmt = stmt.where(R.tier == Tier(q.tier).value)
    if q.category:
        cat = Category(q.category)
        if cat is Category.ADVANCED_AGE:
            stmt = stmt.where(R.birth_date <= _years_before(today, ADVANCED_AGE))
        else:
            stmt = stmt.where(R.categories.like(f"%,{like_escape(cat.value)},%", escape="\\"))
    if q.status:
        stmt = stmt.where(R.status == Status(q.status).value)
    elif q.scheduled_only:
        stmt = stmt.where(R.next_due.is_not(None))
    if q.overdue_only:
        stmt = stmt.where(R.next_due < today)
    if q.due_by is not None:
        stmt = stmt.where(R.next_due <= q.due_by)
    if q.assigned_staff_id:
        stmt = stmt.where(R.assigned_staff_id == q.assigned_staff_id)
    return stmt, found


def count(
    session: Session,
    actor: Actor,
    q: RosterQuery,
    *,
    today: date | None = None,
    cap: int | None = None,
) -> int:
    """How many residents match (the table model's row count); with `cap`, counted only up to
    `cap` + 1 (a search typed in the box: "1,000+", never a count of the whole roster)."""
    can_view(actor)
    if cap is None:
        stmt, _ = _filtered(
            session, q, today_or(today), select(func.count()).select_from(ElderlyResident)
        )
        return session.scalar(stmt) or 0
    found = person_search.plan(session, q.text, _COLUMNS, counting=True)
    stmt, found = _filtered(session, q, today_or(today), select(R.id), found)
    return person_search.capped_count(session, stmt, cap, found)


def _ordered(
    session: Session,
    q: RosterQuery,
    day: date,
    found: person_search.Search | None = None,
    names: tuple[dict, dict] | None = None,
) -> tuple[Select, dict, dict]:
    """The filtered, sorted statement of roster rows, and the community and staff names."""
    if q.sort not in SORT_COLUMNS:
        raise ValueError(f"unknown sort column {q.sort!r}")
    base = select(
        R.id,
        R.name,
        R.sex,
        R.birth_date,
        R.id_number,
        R.community_id,
        R.address,
        R.phone,
        R.categories,
        R.tier,
        R.status,
        R.last_visit_on,
        R.next_due,
        R.assigned_staff_id,
    ).select_from(ElderlyResident)
    # Names come from small lookup tables, not joins: a join lets the planner walk the
    # roster community by community, which is slow for a search (measured at 100,000).
    if names is None:
        names = (
            dict(session.execute(select(Community.id, Community.name)).all()),
            dict(session.execute(select(Staff.id, Staff.display_name)).all()),
        )
    communities, staff = names
    stmt, found = _filtered(session, q, day, base, found)
    key, cols = SORT_COLUMNS[q.sort][1], (R.id, R.name, R.id_number)
    stmt = person_search.in_list_order(stmt, found, q.text, q.sort, q.descending, key, cols)
    return stmt, communities, staff


def _row(values: Any, communities: dict, staff: dict) -> RosterRow:
    rid, name, sex, birth, idn, cid, address, phone, cats, tier, status, last, due, sid = values
    return RosterRow(
        rid,
        name,
        sex,
        birth,
        idnumber.mask(idn),
        communities.get(cid, ""),
        address,
        phone,
        "、".join(p for p in cats.split(",") if p),
        tier,
        status,
        last,
        due,
        staff.get(sid) if sid else None,
    )


def page(
    session: Session,
    actor: Actor,
    q: RosterQuery,
    offset: int,
    limit: int,
    *,
    today: date | None = None,
) -> list[RosterRow]:
    """Rows `offset` .. `offset+limit-1` in the chosen order (ties broken by id, so pages are
    stable)."""
    can_view(actor)
    day = today_or(today)
    found = person_search.plan(session, q.text, _COLUMNS, split=True)
    stmt, communities, staff = _ordered(session, q, day, found)
    if found.parts is not None:  # a common digit search: ID endings first, without a sort
        # the names read once for the page, not again for each part (a keystroke's statements)
        names = (communities, staff)
        rows = person_search.page_in_parts(
            session, found, lambda part: _ordered(session, q, day, part, names)[0], offset, limit
        )
        return [_row(v, communities, staff) for v in rows]
    stmt = stmt.offset(max(0, offset)).limit(max(0, limit))
    return [_row(v, communities, staff) for v in session.execute(stmt)]


def first_page(
    session: Session,
    actor: Actor,
    q: RosterQuery,
    limit: int,
    *,
    today: date | None = None,
    cap: int | None = None,
) -> tuple[int, list[RosterRow]]:
    """`count(..., cap=cap)` and `page(..., 0, limit)` together (what a list shows when a search
    is typed): a search the index narrows to a few rows is read in one statement
    (`person_search.counted_page`), any other paged first and counted only when its page is
    full (`person_search.total_after_page`)."""
    can_view(actor)
    day = today_or(today)
    found = person_search.plan(session, q.text, _COLUMNS, split=True)
    if not found.narrowed or limit <= 0:
        return person_search.total_after_page(
            page(session, actor, q, 0, limit, today=day),
            limit,
            cap,
            lambda: count(session, actor, q, today=day, cap=cap),
        )
    stmt, communities, staff = _ordered(session, q, day, found)
    total, rows = person_search.counted_page(session, stmt, limit, cap)
    return total, [_row(v, communities, staff) for v in rows]


@rows_checked_first(can_view)
def stream(
    session: Session, actor: Actor, q: RosterQuery, *, today: date | None = None
) -> Iterator[RosterRow]:
    """Every matching row in order, read as one streamed statement (an export of the whole
    roster: paging with OFFSET would re-read the skipped rows for every page)."""
    stmt, communities, staff = _ordered(session, q, today_or(today))
    # options on the statement: on the connection they would outlive this export
    streamed = stmt.execution_options(stream_results=True, yield_per=2000)
    for part in session.connection().execute(streamed).partitions():
        for v in part:
            yield _row(v, communities, staff)
