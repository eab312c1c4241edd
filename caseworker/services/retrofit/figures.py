"""Retrofit figures for a period, per office: households by step, completed households, subsidy
spent, household share, items installed by kind, average days from application to completion.

"Completed in the period" means accepted (验收通过) on a day in it; money and items count the
completed households (what was actually spent). Households by step counts the cases applied in
the period by their step today. All aggregation is in SQL (grouped per office through
community → office), so it runs the same on an office PC and at the district.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseworker.domain.retrofit import Step
from caseworker.domain.roles import Actor
from caseworker.services.retrofit._common import can_view
from db.models import Community, Office
from db.retrofit import RetrofitAssessmentItem, RetrofitCase

C = RetrofitCase


@dataclass(frozen=True)
class ItemFigure:
    code: str
    name: str
    unit: str
    households: int
    quantity_centi: int
    cost_fen: int


@dataclass(frozen=True)
class OfficeFigures:
    office_code: str
    office_name: str
    by_step: dict[str, int] = field(default_factory=dict)
    applied: int = 0
    completed: int = 0
    cost_fen: int = 0
    subsidy_fen: int = 0
    household_fen: int = 0
    average_days: float | None = None  # application → completion, completed households
    items: tuple[ItemFigure, ...] = ()


def _offices(session: Session) -> dict[str, tuple[str, str]]:
    return {
        oid: (code, name)
        for oid, code, name in session.execute(select(Office.id, Office.code, Office.name))
    }


def figures(session: Session, actor: Actor, first: date, last: date) -> list[OfficeFigures]:
    """One entry per office with retrofit cases (an office PC has one; the district has all)."""
    can_view(actor)
    office_of = Community.office_id
    base = (
        select()
        .select_from(C)
        .join(Community, Community.id == C.community_id)
        .where(C.deleted_at.is_(None))
    )
    applied_in = (C.applied_on >= first) & (C.applied_on <= last)
    done_in = (C.step == Step.COMPLETED.value) & (C.accepted_on >= first) & (C.accepted_on <= last)

    by_step: dict[str, dict[str, int]] = {}
    for oid, step, n in session.execute(
        base.add_columns(office_of, C.step, func.count())
        .where(applied_in)
        .group_by(office_of, C.step)
    ):
        by_step.setdefault(oid, {})[step] = n
    money: dict[str, tuple[int, int, int, int, float | None]] = {}
    days = func.julianday(C.accepted_on) - func.julianday(C.applied_on)
    if session.get_bind().dialect.name != "sqlite":  # PostgreSQL hub: date difference in days
        days = C.accepted_on - C.applied_on
    for oid, n, cost, subsidy, household, avg in session.execute(
        base.add_columns(
            office_of,
            func.count(),
            func.coalesce(func.sum(C.cost_fen), 0),
            func.coalesce(func.sum(C.subsidy_fen), 0),
            func.coalesce(func.sum(C.household_fen), 0),
            func.avg(days),
        )
        .where(done_in)
        .group_by(office_of)
    ):
        money[oid] = (
            n,
            int(cost),
            int(subsidy),
            int(household),
            None if avg is None else float(avg),
        )
    It = RetrofitAssessmentItem
    items: dict[str, list[ItemFigure]] = {}
    for oid, code, name, unit, households, quantity, cost in session.execute(
        base.add_columns(
            office_of,
            It.item_code,
            func.min(It.name),
            func.min(It.unit),
            func.count(func.distinct(C.id)),
            func.sum(It.quantity_centi),
            func.sum((It.quantity_centi * It.unit_price_fen + 50) // 100),  # line_cost, exact
        )
        .join(It, It.case_id == C.id)
        .where(done_in, It.deleted_at.is_(None))
        .group_by(office_of, It.item_code)
        .order_by(office_of, It.item_code)
    ):
        items.setdefault(oid, []).append(
            ItemFigure(code, name, unit, households, int(quantity), int(cost or 0))
        )
    offices = _offices(session)
    out = []
    for oid in sorted(set(by_step) | set(money), key=lambda o: offices.get(o, ("", ""))[0]):
        code, name = offices.get(oid, ("", ""))
        n, cost, subsidy, household, avg = money.get(oid, (0, 0, 0, 0, None))
        steps = by_step.get(oid, {})
        out.append(
            OfficeFigures(
                code,
                name,
                {s.value: steps.get(s.value, 0) for s in Step},
                sum(steps.values()),
                n,
                cost,
                subsidy,
                household,
                avg,
                tuple(items.get(oid, [])),
            )
        )
    return out
