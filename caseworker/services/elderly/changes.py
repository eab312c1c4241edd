"""Major changes (重大变化): a fall, a hospital stay, losing the carer, no reachable family.

DOMAIN.md: a high-risk person is visited "within 24 h of a major change". Recording one (in a
visit, with a referral's outcome, by a change of status to 住院, or by itself) makes a visit due
the day after it became known (`caseworker.domain.elderly.major_change_due`): the resident's
next due date moves there (`schedule.recompute`), so the 工作台, the due lists and the month's
rate all see it; it stays due until a later completed visit answers it. The 高风险 tier is
proposed (`domain.elderly.tier_after_change`), not applied: the caseworker sets the tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseworker.domain.elderly import (
    ChangeSource,
    MajorChange,
    Tier,
    major_change_due,
    tier_after_change,
)
from caseworker.domain.errors import NotFound, ValidationError
from caseworker.domain.roles import Actor
from caseworker.services.elderly import schedule
from caseworker.services.elderly._common import can_edit, can_view, clean, today_or
from db.base import table_of
from db.elderly import ElderlyChange, ElderlyResident
from db.models import Community, Staff

E = table_of(ElderlyChange).c


@dataclass(frozen=True)
class ChangeInfo:
    id: str
    resident_id: str
    kind: str
    known_on: date
    occurred_on: date | None
    source: str
    note: str
    recorded_by: str
    due: date  # a visit is due by this day
    answered: bool  # a later visit answered it


@dataclass(frozen=True)
class ChangeItem:
    """A row of the 工作台's first list: a major change not yet answered by a visit."""

    change_id: str
    resident_id: str
    name: str
    community_name: str
    address: str
    phone: str
    kind: str
    known_on: date
    due: date
    days_overdue: int
    tier: str
    proposal: str  # "建议调为高风险" or ""
    assigned_staff_name: str | None


def record(
    session: Session,
    actor: Actor,
    resident_id: str,
    kind: MajorChange,
    known_on: date,
    *,
    occurred_on: date | None = None,
    note: str = "",
    source: ChangeSource = ChangeSource.DIRECT,
    visit_id: str | None = None,
    referral_id: str | None = None,
    today: date | None = None,
) -> ChangeInfo:
    """Record a major change; the person's next visit is due the day after `known_on`."""
    can_edit(actor)
    day = today_or(today)
    r = session.get(ElderlyResident, resident_id)
    if r is None or r.deleted_at is not None:
        raise NotFound("找不到这位老人（可能已被删除），请刷新列表后再试")
    try:
        what = MajorChange(kind)
    except ValueError:
        raise ValidationError(
            f"重大变化只能选 {'、'.join(k.value for k in MajorChange)}", field="kind"
        ) from None
    if known_on > day:
        raise ValidationError("获知日期不能晚于今天", field="known_on")
    if known_on < r.enrolled_on:
        raise ValidationError(
            f"获知日期不能早于登记日期 {r.enrolled_on:%Y-%m-%d}", field="known_on"
        )
    if occurred_on is not None and occurred_on > known_on:
        raise ValidationError("发生日期不能晚于获知日期", field="occurred_on")
    row = ElderlyChange(
        resident_id=r.id,
        kind=what.value,
        known_on=known_on,
        occurred_on=occurred_on,
        source=ChangeSource(source).value,
        visit_id=visit_id,
        referral_id=referral_id,
        note=clean(note, "说明", "note", 300),
        recorded_by_id=actor.staff_id,
        recorded_by_name=actor.display_name,
    )
    session.add(row)
    session.flush()
    schedule.recompute(session, [r.id])
    return _info(session, row)


def _info(session: Session, c: ElderlyChange) -> ChangeInfo:
    answered = bool(
        session.scalar(
            select(schedule.change_answered()).select_from(ElderlyChange).where(E.id == c.id)
        )
    )
    return ChangeInfo(
        c.id,
        c.resident_id,
        c.kind,
        c.known_on,
        c.occurred_on,
        c.source,
        c.note,
        c.recorded_by_name,
        major_change_due(c.known_on),
        answered,
    )


def changes_of(session: Session, actor: Actor, resident_id: str) -> list[ChangeInfo]:
    """A person's major changes, the latest first (for the resident's page)."""
    can_view(actor)
    rows = session.scalars(
        select(ElderlyChange)
        .where(ElderlyChange.resident_id == resident_id, ElderlyChange.deleted_at.is_(None))
        .order_by(ElderlyChange.known_on.desc(), ElderlyChange.id.desc())
    ).all()
    return [_info(session, c) for c in rows]


def _open_query(community_id: str | None, visitor_id: str | None):  # -> Select
    R = table_of(ElderlyResident).c
    q = (
        select(
            E.id,
            R.id,
            R.name,
            Community.name,
            R.address,
            R.phone,
            E.kind,
            E.known_on,
            R.tier,
            Staff.display_name,
        )
        .select_from(table_of(ElderlyChange))
        .join(table_of(ElderlyResident), R.id == E.resident_id)
        .join(Community, Community.id == R.community_id)
        .outerjoin(Staff, Staff.id == R.assigned_staff_id)
        .where(
            E.deleted_at.is_(None),
            R.deleted_at.is_(None),
            R.next_due.is_not(None),  # scheduled: not moved away, not deceased
            ~schedule.change_answered(),
        )
    )
    if community_id:
        q = q.where(R.community_id == community_id)
    if visitor_id:
        q = q.where(R.assigned_staff_id == visitor_id)
    return q


def open_changes(
    session: Session,
    actor: Actor,
    *,
    community_id: str | None = None,
    visitor_id: str | None = None,
    today: date | None = None,
    offset: int = 0,
    limit: int | None = 200,
) -> list[ChangeItem]:
    """Major changes no visit has answered yet, the earliest due first: the 工作台 lists these
    before anything else (a visit within 24 hours)."""
    can_view(actor)
    day = today_or(today)
    q = _open_query(community_id, visitor_id).order_by(E.known_on, E.id).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    out = []
    for cid, rid, name, community, address, phone, kind, known, tier, staff in session.execute(q):
        due = major_change_due(known)
        proposal = tier_after_change(Tier(tier))
        out.append(
            ChangeItem(
                cid,
                rid,
                name,
                community,
                address,
                phone,
                kind,
                known,
                due,
                max(0, (day - due).days),
                tier,
                f"建议调为{proposal.tier.value}" if proposal else "",
                staff,
            )
        )
    return out


def open_count(
    session: Session,
    actor: Actor,
    *,
    community_id: str | None = None,
    visitor_id: str | None = None,
) -> int:
    can_view(actor)
    q = _open_query(community_id, visitor_id)
    return session.scalar(select(func.count()).select_from(q.subquery())) or 0
