"""Who must be visited when: the stored next due date, work lists, and the month's visit rate.

`next_due` and `last_visit_on` on the resident and `effective_date` on the visit are derived,
local columns (not journaled). Every service that changes a fact they depend on calls
`recompute(session, [resident_id])`; sync must call it for the residents an import touched.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    cast,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from caseworker.domain import schedule as rules
from caseworker.domain.elderly import SCHEDULED_STATUSES, Status, Tier
from caseworker.domain.errors import NotFound
from caseworker.domain.roles import Actor
from caseworker.domain.visit_form import ReferralStatus, VisitStatus
from caseworker.services import dated, settings
from caseworker.services.elderly._common import can_view, today_or
from db.among import among
from db.base import table_of
from db.elderly import (
    ElderlyChange,
    ElderlyReferral,
    ElderlyResident,
    ElderlyVisit,
    ElderlyVisitAmendment,
)
from db.models import Community, LocalMeta, Staff

log = logging.getLogger(__name__)

R = table_of(ElderlyResident).c
V = table_of(ElderlyVisit).c
COMPLETED = VisitStatus.COMPLETED.value
# The amendment "field" that voids a completed visit entered in error (see visits.void).
VOID_FIELD = "voided"


def not_voided() -> ColumnElement[bool]:
    """SQL: the visit (V, correlated) has not been voided. A voided visit stays in the history
    but counts for nothing: not as the last visit, not in any visit rate."""
    A = table_of(ElderlyVisitAmendment).c
    return ~exists().where(A.visit_id == V.id, A.field == VOID_FIELD, A.deleted_at.is_(None))


def change_answered() -> ColumnElement[bool]:
    """SQL: the major change (ElderlyChange, correlated) is answered: a completed, not voided
    visit of the same person other than the one that reported it, dated on or after the day
    the change became known (`caseworker.domain.elderly.answers_change`)."""
    E = table_of(ElderlyChange).c
    return exists().where(
        V.resident_id == E.resident_id,
        V.status == COMPLETED,
        V.deleted_at.is_(None),
        not_voided(),
        V.effective_date >= E.known_on,
        or_(E.visit_id.is_(None), V.id != E.visit_id),
    )


def _open_changes(conn: Connection, ids: Sequence[str]) -> dict[str, date]:
    """Per resident: the earliest day a major change no visit has answered became known."""
    E = table_of(ElderlyChange).c
    return dict(
        conn.execute(
            select(E.resident_id, func.min(E.known_on))
            .where(E.resident_id.in_(ids), E.deleted_at.is_(None), ~change_answered())
            .group_by(E.resident_id)
        ).all()
    )


def changes_due_in(conn: Connection, first: date, last: date) -> set[str]:
    """Residents a major change makes due in the month [first, last]: a change known by the day
    before `last` that no visit before `first` answered (one answered within the month means
    the person was visited in the month, which counts them anyway)."""
    E = table_of(ElderlyChange).c
    answered_before = exists().where(
        V.resident_id == E.resident_id,
        V.status == COMPLETED,
        V.deleted_at.is_(None),
        not_voided(),
        V.effective_date >= E.known_on,
        V.effective_date < first,
        or_(E.visit_id.is_(None), V.id != E.visit_id),
    )
    latest = last - timedelta(days=rules.MAJOR_CHANGE_DUE_DAYS)
    return set(
        conn.execute(
            select(E.resident_id)
            .where(E.deleted_at.is_(None), E.known_on <= latest, ~answered_before)
            .distinct()
        ).scalars()
    )


def intervals(session: Session, on: date | None = None) -> dict[str, int]:
    """Visit interval in days per tier (district settings) in force on `on` (today)."""
    return {t.value: int(settings.get(session, t.setting_key, on)) for t in Tier}


def intervals_on(session: Session, days: list[date]) -> dict[date, dict[str, int]]:
    """`intervals` in force on each of `days` (today or earlier), read once for all of them:
    a past month's figures count with the interval of that month (a dated change, migration
    0023), not today's."""
    today = dated.today()
    keys = [t.setting_key for t in Tier]
    wanted = sorted({min(d, today) for d in days})
    found = settings.on_days(session, keys, wanted)
    return {d: {t.value: int(found[min(d, today)][t.setting_key]) for t in Tier} for d in days}


# local_meta: the intervals the stored due dates were last computed with (JSON, per tier).
INTERVALS_APPLIED = "schedule.intervals_applied"


def follow_intervals(session: Session, on: date | None = None, *, force: bool = False) -> int:
    """Recompute every due date when the intervals in force on `on` (today) are not those the
    stored due dates follow: a dated interval change whose day has come (checked when the
    workspace or hub opens and at the end of every import). Once: the intervals applied are
    kept in local_meta, so a second call changes nothing. Returns how many due dates changed.

    A replica without the mark (opened for the first time since migration 0021) only takes
    it: until then every change of an interval recomputed the due dates at once (`force`,
    used by an interval changed today, recomputes whatever the mark says)."""
    day = on or dated.today()
    now = json.dumps(intervals(session, day), sort_keys=True)
    mark = session.get(LocalMeta, INTERVALS_APPLIED)
    if mark is not None and mark.value == now and not force:
        return 0
    changed = 0
    if mark is not None or force:
        changed = recompute(session, on=day)
        log.info(
            "visit intervals in force on %s are %s: %d due dates recomputed", day, now, changed
        )
    if mark is None:
        session.add(LocalMeta(key=INTERVALS_APPLIED, value=now))
    else:
        mark.value = now
    session.flush()
    return changed


def propose_next_visit(session: Session, actor: Actor, resident_id: str, visit_on: date) -> date:
    """The next visit date to propose on a visit of `visit_on`: the resident's tier interval."""
    can_view(actor)
    tier = session.scalar(select(ElderlyResident.tier).where(ElderlyResident.id == resident_id))
    if tier is None:
        raise NotFound("找不到这位老人，可能已被删除")
    return rules.propose_next_visit(visit_on, intervals(session)[tier])


def _amended(session: Session, visit_ids: Sequence[str], field: str) -> dict[str, str]:
    """The newest amended value of `field` per visit (only visits that have one)."""
    if not visit_ids:
        return {}
    out: dict[str, str] = {}
    A = ElderlyVisitAmendment
    for chunk_start in range(0, len(visit_ids), 500):
        chunk = visit_ids[chunk_start : chunk_start + 500]
        rows = session.execute(
            select(A.visit_id, A.new_value)
            .where(among(session, A.visit_id, chunk), A.field == field, A.deleted_at.is_(None))
            .order_by(A.amended_at, A.id)
        )
        for visit_id, value in rows:
            out[visit_id] = value
    return out


def _as_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _visit_facts(session: Session, visit_ids: list[str]) -> dict[str, tuple[date, date | None]]:
    """Each visit's effective date and proposed next visit, amendments applied."""
    conn = session.connection()
    facts: dict[str, tuple[date, date | None]] = {}
    for start in range(0, len(visit_ids), 900):  # SQLite's bound-parameter limit
        chunk = visit_ids[start : start + 900]
        for vid, eff, nxt in conn.execute(
            select(V.id, V.effective_date, V.next_visit_on).where(among(conn, V.id, chunk))
        ):
            facts[vid] = (eff, nxt)
    for vid, value in _amended(session, visit_ids, "next_visit_on").items():
        facts[vid] = (facts[vid][0], _as_date(value))
    return facts


PAGE = 2000  # residents per statement: far below SQLite's stock 32,766-parameter limit


def recompute(
    session: Session, resident_ids: Iterable[str] | None = None, *, on: date | None = None
) -> int:
    """Bring the derived schedule columns up to date; all residents when `resident_ids` is None.

    Returns how many residents' next due date changed. Writes only local, non-journaled columns,
    through Core statements (no ORM objects are touched, so nothing is journaled twice).
    """
    session.flush()
    conn = session.connection()
    if resident_ids is None:  # everyone, a page at a time (memory stays flat at 100,000)
        total, after = 0, ""
        while page := list(
            conn.execute(select(R.id).where(R.id > after).order_by(R.id).limit(PAGE)).scalars()
        ):
            total += _recompute(session, page, on)
            after = page[-1]
        return total
    ids = list(dict.fromkeys(resident_ids))
    return sum(_recompute(session, ids[i : i + PAGE], on) for i in range(0, len(ids), PAGE))


def _recompute(session: Session, ids: list[str], on: date | None = None) -> int:
    """`recompute` for at most PAGE residents (every statement's size stays bounded)."""
    conn = session.connection()
    visit_scope = [among(conn, V.resident_id, ids)]
    conn.execute(
        update(table_of(ElderlyVisit))
        .where(V.effective_date.is_(None), *visit_scope)
        .values(effective_date=V.visit_date)
    )
    amended_visits = list(
        session.scalars(
            select(ElderlyVisitAmendment.visit_id)
            .join(ElderlyVisit, ElderlyVisit.id == ElderlyVisitAmendment.visit_id)
            .where(ElderlyVisitAmendment.field == "visit_date", *visit_scope)
            .distinct()
        )
    )
    for visit_id, value in _amended(session, amended_visits, "visit_date").items():
        conn.execute(
            update(table_of(ElderlyVisit))
            .where(V.id == visit_id)
            .values(effective_date=date.fromisoformat(value))
        )

    last_visit = (
        select(V.id)
        .where(
            V.resident_id == R.id,
            V.status == COMPLETED,
            V.deleted_at.is_(None),
            not_voided(),
        )
        .order_by(V.effective_date.desc(), V.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    q = select(R.id, R.tier, R.status, R.enrolled_on, R.next_due, R.last_visit_on, last_visit)
    q = q.where(R.id.in_(ids))
    residents = conn.execute(q).all()
    visit_facts = _visit_facts(session, [row[6] for row in residents if row[6] is not None])

    days = intervals(session, on)
    open_changes = _open_changes(conn, ids)
    changes: list[dict[str, object]] = []
    for rid, tier, status, enrolled, old_due, old_last, last_id in residents:
        last_on, proposed = visit_facts.get(last_id, (None, None)) if last_id else (None, None)
        due = rules.next_due(
            scheduled=Status(status).schedules,
            enrolled_on=enrolled,
            last_visit_on=last_on,
            interval_days=days[tier],
            proposed_next=proposed,
            change_known_on=open_changes.get(rid),
        )
        if due != old_due or last_on != old_last:
            changes.append({"rid": rid, "due": due, "last": last_on})
    if changes:
        conn.execute(
            update(table_of(ElderlyResident))
            .where(R.id == bindparam("rid"))
            .values(next_due=bindparam("due"), last_visit_on=bindparam("last")),
            changes,
        )
    return len(changes)


def follow_intervals_at_open(engine: Engine) -> int:
    """`follow_intervals` as a workspace or hub opens, in a transaction of its own. A failure
    is logged and leaves everything as it was (the next open or import tries again): opening
    must not fail for it."""
    try:
        with Session(engine) as session:
            changed = follow_intervals(session)
            session.commit()
            return changed
    except Exception:
        log.exception("could not check the visit intervals in force at open")
        return 0


# -- work lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueRow:
    resident_id: str
    name: str
    community_name: str
    address: str
    phone: str
    tier: str
    status: str
    last_visit_on: date | None
    next_due: date
    days_overdue: int
    assigned_staff_name: str | None


def _due_conditions(
    until: date | None,
    before: date | None,
    community_id: str | None,
    visitor_id: str | None,
    since: date | None = None,
) -> list[ColumnElement[bool]]:
    """The work lists' filter on the resident alone (the lists and their counts share it)."""
    conds: list[ColumnElement[bool]] = [R.next_due.is_not(None), R.deleted_at.is_(None)]
    if until is not None:
        conds.append(R.next_due <= until)
    if before is not None:
        conds.append(R.next_due < before)
    if since is not None:
        conds.append(R.next_due >= since)
    if community_id:
        conds.append(R.community_id == community_id)
    if visitor_id:
        conds.append(R.assigned_staff_id == visitor_id)
    return conds


def _due_query(
    until: date | None,
    before: date | None,
    community_id: str | None,
    visitor_id: str | None,
    since: date | None = None,
) -> Select:
    return (
        select(
            R.id,
            R.name,
            Community.name,
            R.address,
            R.phone,
            R.tier,
            R.status,
            R.last_visit_on,
            R.next_due,
            Staff.display_name,
        )
        .select_from(table_of(ElderlyResident))
        .join(Community, Community.id == R.community_id)
        .outerjoin(Staff, Staff.id == R.assigned_staff_id)
        .where(*_due_conditions(until, before, community_id, visitor_id, since))
    )


def _due_total(session: Session, conditions: list[ColumnElement[bool]]) -> int:
    """How many residents a work list holds, on the resident's indexes alone. A resident always
    has a community (a foreign key, NOT NULL) and at most one assigned staff (by primary key),
    so the list's joins add nothing to the count; without them the count is a search of a
    covering index (next_due, deleted_at; with the community or the visitor in front, migration
    0026). With them SQLite read every counted resident's row: 44 and 51 MB of a
    100,000-resident file cold for 工作台's two numbers."""
    q = select(func.count()).select_from(table_of(ElderlyResident)).where(*conditions)
    return session.scalar(q) or 0


def _rows(session: Session, q: Select, today: date) -> list[DueRow]:
    return [
        DueRow(
            rid,
            name,
            cname,
            address,
            phone,
            tier,
            status,
            last,
            due,
            rules.days_overdue(due, today),
            staff,
        )
        for rid, name, cname, address, phone, tier, status, last, due, staff in session.execute(q)
    ]


def due_list(
    session: Session,
    actor: Actor,
    until: date,
    *,
    community_id: str | None = None,
    visitor_id: str | None = None,
    since: date | None = None,
    offset: int = 0,
    limit: int | None = None,
    today: date | None = None,
) -> list[DueRow]:
    """Residents whose visit is due on or before `until` (and on or after `since` when given;
    without it overdue ones are included), most overdue first. The 工作台's "本周应访" (not
    yet overdue): `until=week_of(today)[1], since=today, visitor_id=my staff id`."""
    can_view(actor)
    q = _due_query(until, None, community_id, visitor_id, since)
    q = q.order_by(R.next_due, R.name, R.id)
    return _rows(session, q.offset(offset).limit(limit), today_or(today))


def due_count(
    session: Session,
    actor: Actor,
    until: date,
    *,
    community_id: str | None = None,
    visitor_id: str | None = None,
    since: date | None = None,
) -> int:
    can_view(actor)
    return _due_total(session, _due_conditions(until, None, community_id, visitor_id, since))


def overdue_list(
    session: Session,
    actor: Actor,
    *,
    community_id: str | None = None,
    visitor_id: str | None = None,
    offset: int = 0,
    limit: int | None = None,
    today: date | None = None,
) -> list[DueRow]:
    """Residents whose due date has passed (due before today), most overdue first."""
    can_view(actor)
    day = today_or(today)
    q = _due_query(None, day, community_id, visitor_id).order_by(R.next_due, R.name, R.id)
    return _rows(session, q.offset(offset).limit(limit), day)


def overdue_count(
    session: Session,
    actor: Actor,
    *,
    community_id: str | None = None,
    visitor_id: str | None = None,
    today: date | None = None,
) -> int:
    can_view(actor)
    return _due_total(session, _due_conditions(None, today_or(today), community_id, visitor_id))


@dataclass(frozen=True)
class ReferralRow:
    referral_id: str
    resident_id: str
    resident_name: str
    community_name: str
    target: str
    description: str
    due_on: date
    owner_name: str
    status: str
    days_overdue: int


# A fixed list (two values), so the status index is searched instead of the table scanned.
OPEN_STATUSES = tuple(s.value for s in ReferralStatus if s.is_open)


def _open_referral_filter(q: Select, community_id: str | None, owner_id: str | None) -> Select:
    """The open referrals (of a community, of an owner) in `q`, which has the referral table
    and no resident yet: joined only when a community is asked."""
    F = ElderlyReferral
    q = q.where(F.status.in_(OPEN_STATUSES), F.deleted_at.is_(None))
    if community_id:
        q = q.join(ElderlyResident, ElderlyResident.id == F.resident_id).where(
            ElderlyResident.community_id == community_id
        )
    if owner_id:
        q = q.where(F.owner_staff_id == owner_id)
    return q


def _open_referrals_rows() -> Select:
    F = ElderlyReferral
    return (
        select(
            F.id,
            F.resident_id,
            ElderlyResident.name,
            Community.name,
            F.target,
            F.description,
            F.due_on,
            F.owner_name,
            F.status,
        )
        .select_from(F)
        .join(ElderlyResident, ElderlyResident.id == F.resident_id)
        .join(Community, Community.id == ElderlyResident.community_id)
    )


def open_referrals(
    session: Session,
    actor: Actor,
    *,
    community_id: str | None = None,
    owner_id: str | None = None,
    today: date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ReferralRow]:
    """Referrals not yet closed, the earliest due first (follow-ups to chase); a page of
    `limit` from `offset` (None: all, for an export that streams them)."""
    can_view(actor)
    day = today_or(today)
    F = ElderlyReferral
    if limit is None:
        q = _open_referral_filter(_open_referrals_rows(), None, owner_id)
        if community_id:
            q = q.where(ElderlyResident.community_id == community_id)
    else:
        # The page's ids first, on the (status, due_on, id, deleted_at, owner, resident) index
        # alone (migration 0026), then only its rows joined: sorting every open referral with
        # its resident and community read 31-45 MB of a 100,000-resident file cold for
        # 工作台's first page.
        page = (
            _open_referral_filter(select(F.id), community_id, owner_id)
            .order_by(F.due_on, F.id)
            .limit(limit)
            .offset(offset or None)
            .correlate(None)
        )
        q = _open_referrals_rows().where(F.id.in_(page))
    q = q.order_by(F.due_on, F.id)
    return [
        ReferralRow(
            referral_id=rid,
            resident_id=resident_id,
            resident_name=resident_name,
            community_name=community_name,
            target=target,
            description=description,
            due_on=due_on,
            owner_name=owner_name,
            status=status,
            days_overdue=rules.days_overdue(due_on, day),
        )
        for (
            rid,
            resident_id,
            resident_name,
            community_name,
            target,
            description,
            due_on,
            owner_name,
            status,
        ) in session.execute(q)
    ]


def open_referral_counts(
    session: Session,
    actor: Actor,
    *,
    community_id: str | None = None,
    owner_id: str | None = None,
    today: date | None = None,
) -> tuple[int, int]:
    """How many referrals are open, and how many of them are past their due date."""
    can_view(actor)
    day = today_or(today)
    F = ElderlyReferral
    # On the referrals' status index alone, which holds every column asked (deleted_at and
    # the owner too since migration 0026: before it, each open referral's row was read, 22 MB
    # cold at 100,000 residents); joining every open referral's resident read 300 MB. A
    # referral's resident always exists and has a community (foreign keys), so the joins of
    # the list add nothing to the count.
    q = _open_referral_filter(
        select(func.count(), func.count().filter(F.due_on < day)).select_from(F),
        community_id,
        owner_id,
    )
    total, late = session.execute(q).one()
    return total or 0, late or 0


# -- the month's visit rate ------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityRate:
    community_id: str | None  # None for the office total
    community_name: str
    due: int
    visited: int

    @property
    def rate(self) -> float | None:
        """visited / due, or None when nobody was due."""
        return None if self.due == 0 else self.visited / self.due

    @property
    def rate_text(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


def visit_rates(
    session: Session, actor: Actor, month: date, *, today: date | None = None
) -> list[CommunityRate]:
    """The month's visit rate (月探访率) per community, and the office total as the last row.

    Definition (the figure reported to the district), for calendar month M:

    - A resident is *due in M* when they are on the roster for M (enrolled on or before M's
      last day, not deleted, and scheduled — 在册 or 住院 — or left the roster (迁出/去世)
      only after M ended) **and** either (a) their due date as it stood at the start of M
      fell on or before M's last day, or (b) they had a completed visit dated in M (an early
      visit counts them in: they were visited in M).
    - A resident is *visited in M* when they have at least one completed visit dated in M
      (with amendments applied). Several visits in M count once; method does not matter.
    - Rate = visited ÷ due. 100% means everyone who needed a visit in M got one.

    The current month is computed from the stored `last_visit_on`/`next_due` (one pass over
    the roster); any other month from the visit history (slower). Both give the same figure
    for the current month (a test checks it).
    """
    can_view(actor)
    first, last = rules.month_of(month)
    day = today_or(today)
    if rules.month_of(day)[0] == first:
        rows = _rates_current(session, first, last)
    else:
        rows = _rates_history(session, first, last)
    names = dict(
        session.execute(
            select(Community.id, Community.name)
            .where(Community.deleted_at.is_(None))
            .order_by(Community.sort_order, Community.name)
        ).all()
    )
    per = {cid: (0, 0) for cid in names}
    for cid, due, visited in rows:
        per[cid] = (int(due or 0), int(visited or 0))
    out = [CommunityRate(cid, names[cid], *per[cid]) for cid in names]
    out.append(CommunityRate(None, "合计", sum(r.due for r in out), sum(r.visited for r in out)))
    return out


def _on_roster_in(first: date, last: date) -> list:
    return [
        R.deleted_at.is_(None),
        R.enrolled_on <= last,
        or_(R.status.in_(SCHEDULED_STATUSES), R.status_date > last),
    ]


def _rates_current(session: Session, first: date, last: date) -> list[tuple[str, int, int]]:
    # No visit yet in M: the stored next_due is the due date as it stood at the start of M.
    # Visited in M: last_visit_on is in M (visits dated after M cannot exist in the current
    # month, future dates are refused).
    visited = R.last_visit_on >= first
    due = or_(visited, R.next_due <= last)
    q = (
        select(
            R.community_id,
            func.sum(cast(due, Integer)),
            func.sum(cast(and_(visited, R.last_visit_on <= last), Integer)),
        )
        .where(*_on_roster_in(first, last))
        .group_by(R.community_id)
    )
    return [tuple(r) for r in session.execute(q)]


def _rates_history(session: Session, first: date, last: date) -> list[tuple[str, int, int]]:
    conn = session.connection()
    days = intervals(session)
    visited_ids = set(
        conn.execute(
            select(V.resident_id)
            .where(
                V.status == COMPLETED,
                V.deleted_at.is_(None),
                not_voided(),
                V.effective_date >= first,
                V.effective_date <= last,
            )
            .distinct()
        ).scalars()
    )
    last_before = (
        select(V.id)
        .where(
            V.resident_id == R.id,
            V.status == COMPLETED,
            V.deleted_at.is_(None),
            not_voided(),
            V.effective_date < first,
        )
        .order_by(V.effective_date.desc(), V.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    residents = conn.execute(
        select(R.id, R.community_id, R.tier, R.enrolled_on, last_before).where(
            *_on_roster_in(first, last)
        )
    ).all()
    facts = _visit_facts(session, [r[4] for r in residents if r[4] is not None])
    changed = changes_due_in(conn, first, last)
    per: dict[str, list[int]] = {}
    for rid, cid, tier, enrolled, last_id in residents:
        last_on, proposed = facts.get(last_id, (None, None)) if last_id else (None, None)
        due_at_start = rules.next_due(
            scheduled=True,
            enrolled_on=enrolled,
            last_visit_on=last_on,
            interval_days=days[tier],
            proposed_next=proposed,
        )
        was_visited = rid in visited_ids
        is_due = (
            was_visited or rid in changed or (due_at_start is not None and due_at_start <= last)
        )
        counts = per.setdefault(cid, [0, 0])
        counts[0] += int(is_due)
        counts[1] += int(was_visited)
    return [(cid, d, v) for cid, (d, v) in per.items()]
