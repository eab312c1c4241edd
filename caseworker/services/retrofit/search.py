"""The case list and the work lists: filter, search, sort, count and page in SQL.

Search means what it means on the roster and the child register (`person_search.clause`: any
part of the name or address, 1-2 Chinese characters too; pinyin initials or spelling; the whole
ID number or its last digits; the phones), and also any part of the case number.
The work lists on 工作台 are the same query with one of `WORK_LISTS`' filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from caseworker.domain import idnumber
from caseworker.domain.retrofit import HouseholdCategory, Step, days_overdue
from caseworker.domain.roles import Actor
from caseworker.services import person_search
from caseworker.services.elderly._common import today_or
from caseworker.services.person_search import like_escape
from caseworker.services.retrofit._common import can_view
from db.base import table_of
from db.models import Community
from db.retrofit import RetrofitCase, RetrofitContractor

C = table_of(RetrofitCase).c

# Work list key → (Chinese title, the step it shows).
WORK_LISTS: dict[str, tuple[str, Step]] = {
    "assess": ("待评估", Step.ELIGIBLE),
    "approve": ("待审批", Step.ASSESSED),
    "overdue": ("施工逾期", Step.CONSTRUCTION),
    "inspect": ("待验收", Step.INSPECTION),
}


@dataclass(frozen=True)
class CaseQuery(person_search.ListQuery):
    step: Step | None = None
    open_only: bool = False  # every step but the closed ones
    community_id: str | None = None
    year: int | None = None  # year of application
    category: HouseholdCategory | None = None
    work_list: str | None = None  # a key of WORK_LISTS
    sort: str = "applied_on"
    descending: bool = True


@dataclass(frozen=True)
class CaseRow:
    id: str
    case_no: str
    name: str
    id_number_masked: str
    community_name: str
    address: str
    phone: str
    categories: str
    eligible: bool
    step: str
    applied_on: date
    planned_end: date | None
    contractor_name: str
    subsidy_fen: int
    days_overdue: int


SORT_COLUMNS: dict[str, tuple[str, object]] = {
    "case_no": ("档案号", C.case_no),
    # Pinyin order, as the roster sorts names (not by character code: 丁 before 阿): the full
    # spelling kept for the search, "wangxiaohong" of "wxh wangxiaohong" (`pinyin.letters`);
    # homophones by name (see `_ordered`). Syllables run together there, so 王 (wang) can
    # sort before 万 (wan) when the next letters decide it.
    "name": ("姓名", func.substr(C.name_letters, func.instr(C.name_letters, " ") + 1)),
    "community": (
        "社区/村",
        select(Community.name).where(Community.id == C.community_id).scalar_subquery(),
    ),
    "address": ("住址", C.address),
    "step": ("环节", C.step),
    "applied_on": ("申请日期", C.applied_on),
    "planned_end": ("计划完工", C.planned_end),
    "subsidy": ("政府补贴", C.subsidy_fen),
}


PERSON = person_search.PersonColumns(
    name=C.applicant_name,
    name_letters=C.name_letters,
    address=C.address,
    id_number=C.id_number,
    phones=(C.phone,),
    more_phones=(C.contact_phone,),
    extra=(C.case_no,),  # any part of the case number, whatever is typed
)


def _filtered(
    session: Session, q: CaseQuery, today: date, stmt: Select, *, counting: bool = False
) -> tuple[Select, person_search.Search]:
    stmt = stmt.where(C.deleted_at.is_(None))
    found = person_search.plan(session, q.text, PERSON, counting=counting)
    if found.where is not None:
        stmt = stmt.where(found.where)
    if q.step is not None:
        stmt = stmt.where(C.step == Step(q.step).value)
    elif q.open_only:
        stmt = stmt.where(C.step.not_in([s.value for s in Step if s.closed]))
    if q.community_id:
        stmt = stmt.where(C.community_id == q.community_id)
    if q.year:
        stmt = stmt.where(C.applied_on >= date(q.year, 1, 1), C.applied_on <= date(q.year, 12, 31))
    if q.category:
        cat = HouseholdCategory(q.category)
        stmt = stmt.where(C.categories.like(f"%,{like_escape(cat.value)},%", escape="\\"))
    if q.work_list:
        _title, step = WORK_LISTS[q.work_list]
        stmt = stmt.where(C.step == step.value)
        if q.work_list == "overdue":
            stmt = stmt.where(C.planned_end < today)
    return stmt, found


def count(
    session: Session,
    actor: Actor,
    q: CaseQuery,
    *,
    today: date | None = None,
    cap: int | None = None,
) -> int:
    """How many cases match; with `cap`, counted only up to `cap` + 1 ("1,000+")."""
    can_view(actor)
    if cap is None:
        stmt, _ = _filtered(
            session, q, today_or(today), select(func.count()).select_from(RetrofitCase)
        )
        return session.scalar(stmt) or 0
    stmt, found = _filtered(session, q, today_or(today), select(C.id), counting=True)
    return person_search.capped_count(session, stmt, cap, found)


def page(
    session: Session,
    actor: Actor,
    q: CaseQuery,
    offset: int,
    limit: int,
    *,
    today: date | None = None,
) -> list[CaseRow]:
    """Rows `offset` .. `offset+limit-1` in the chosen order (ties by id: stable pages)."""
    can_view(actor)
    day = today_or(today)
    stmt, _found, names = _ordered(session, q, day)
    stmt = stmt.offset(max(0, offset)).limit(max(0, limit))
    return [_row(v, names, day) for v in session.execute(stmt)]


def first_page(
    session: Session,
    actor: Actor,
    q: CaseQuery,
    limit: int,
    *,
    today: date | None = None,
    cap: int | None = None,
) -> tuple[int, list[CaseRow]]:
    """`count(..., cap=cap)` and `page(..., 0, limit)` together (what the list shows when a
    search is typed): a search the index narrows to a few cases is counted and paged in one
    statement (`person_search.counted_page`), any other paged first and counted only when its
    page is full (`person_search.total_after_page`)."""
    can_view(actor)
    day = today_or(today)
    if not person_search.plan(session, q.text, PERSON).narrowed or limit <= 0:
        return person_search.total_after_page(
            page(session, actor, q, 0, limit, today=day),
            limit,
            cap,
            lambda: count(session, actor, q, today=day, cap=cap),
        )
    stmt, _found, names = _ordered(session, q, day)
    total, rows = person_search.counted_page(session, stmt, limit, cap)
    return total, [_row(v, names, day) for v in rows]


def _ordered(
    session: Session, q: CaseQuery, day: date
) -> tuple[Select, person_search.Search, tuple[dict, dict]]:
    """The matching cases in the list's order, the search as planned, and the community and
    contractor names."""
    if q.sort not in SORT_COLUMNS:
        raise ValueError(f"unknown sort column {q.sort!r}")
    communities = dict(session.execute(select(Community.id, Community.name)).all())
    contractors = dict(
        session.execute(select(RetrofitContractor.id, RetrofitContractor.name)).all()
    )
    base = select(
        C.id,
        C.case_no,
        C.applicant_name,
        C.id_number,
        C.community_id,
        C.address,
        C.phone,
        C.categories,
        C.eligible,
        C.step,
        C.applied_on,
        C.planned_end,
        C.contractor_id,
        C.subsidy_fen,
    ).select_from(RetrofitCase)
    stmt, found = _filtered(session, q, day, base)
    key = SORT_COLUMNS[q.sort][1]
    if found.narrowed:  # sort the index's few candidates rather than walk another index
        key = key.op("||")("")  # type: ignore[attr-defined]
    if q.work_list == "overdue" and q.sort == "applied_on":
        key, descending = C.planned_end, False  # the longest overdue first
    else:
        descending = q.descending
    order = key.desc() if descending else key.asc()  # type: ignore[attr-defined]
    tie = C.id.desc() if descending else C.id.asc()
    if q.sort == "name":  # the same pinyin: by the name itself, then as entered
        name = C.applicant_name.desc() if descending else C.applicant_name.asc()
        return stmt.order_by(order, name, tie), found, (communities, contractors)
    return stmt.order_by(order, tie), found, (communities, contractors)


def _row(values: Any, names: tuple[dict, dict], day: date) -> CaseRow:
    communities, contractors = names
    (
        rid,
        no,
        name,
        idn,
        cid,
        address,
        phone,
        cats,
        eligible,
        step,
        applied,
        planned,
        kid,
        subsidy,
    ) = values
    return CaseRow(
        rid,
        no,
        name,
        idnumber.mask(idn),
        communities.get(cid, ""),
        address,
        phone,
        "、".join(p for p in cats.split(",") if p),
        bool(eligible),
        step,
        applied,
        planned,
        contractors.get(kid, "") if kid else "",
        subsidy,
        days_overdue(planned, day) if step == Step.CONSTRUCTION.value else 0,
    )


def work_list_counts(
    session: Session, actor: Actor, *, today: date | None = None
) -> dict[str, int]:
    """How many cases wait on each work list (one small query each, indexed by step)."""
    day = today_or(today)
    return {k: count(session, actor, CaseQuery(work_list=k), today=day) for k in WORK_LISTS}


def years(session: Session, actor: Actor) -> list[int]:
    """The application years present, newest first (for the year filter)."""
    can_view(actor)
    first = session.scalar(select(func.min(C.applied_on)).where(C.deleted_at.is_(None)))
    last = session.scalar(select(func.max(C.applied_on)).where(C.deleted_at.is_(None)))
    if first is None or last is None:
        return [date.today().year]
    return list(range(max(last.year, date.today().year), first.year - 1, -1))
