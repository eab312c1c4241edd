"""The 儿童关爱 section of 统计报表: counts only, never a name, for every role.

Child-protection roles count within their scope (a child director: their own community only,
in SQL); other roles (the administrator, caseworkers, the section chief) see the office's
counts and nothing else, as `children.worklists.figures` already allows them.

Definitions:

- **在册儿童** (`register_counts`): registered on or before the period's last day; by category
  (a child may hold several; the categories recorded today); 新登记: registered in the period.
- **个案** (`case_counts`): 新报告 (reported in the period), of which urgent; 结案 (closed in the
  period); 期末在办 (reported by the period's end and not closed by then), by step and by risk
  as recorded today.
- **回访** (`visit_counts`): for each month, a case with a help plan (帮扶计划) by the month's
  end is 应访 when it was visited in the month, or when it was still on its plan at the month's
  end (not closed by then; a case reopened since is back before its plan and not counted) and
  its next visit fell due by the month's end (last visit before the month, else the plan date,
  plus the risk level's interval, a district setting); 已访 when a follow-up visit was recorded
  in the month, so 已访 never exceeds 应访. A quarter or a year adds its months (case-months).
  The current month's 已访 is the 工作台's 本月回访; its 应访 also counts a case visited this
  month and closed since (the 工作台 counts only cases still on a plan).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Integer, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from caseworker.domain import periods
from caseworker.domain import schedule as month_rules
from caseworker.domain.children import CaseStep, ChildCategory, Risk
from caseworker.domain.periods import Period
from caseworker.domain.roles import Actor, Permission, Role
from caseworker.services.children._common import like_escape, scope
from caseworker.services.children.cases import interval_for
from caseworker.services.reports import (
    Chart,
    Progress,
    ReportSection,
    ReportTable,
    SectionSpec,
    Unit,
)
from caseworker.services.tabular.xlsx import Column
from db.children import Child, ChildCase, ChildVisit

TREND_MONTHS = 12
OPEN_STEPS: tuple[CaseStep, ...] = tuple(s for s in CaseStep if s is not CaseStep.CLOSED)
Figures = dict[str, dict[str, int]]


def _visible(actor: Actor) -> list[ColumnElement[bool]]:
    """Child roles: their scope (in SQL). Any other role: every child, counted only."""
    where: list[ColumnElement[bool]] = [Child.deleted_at.is_(None)]
    if actor.can(Permission.CHILD_VIEW):
        where.append(scope(actor))
    return where


def _sum(cond: object) -> object:
    return func.sum(cast(cond, Integer))  # type: ignore[arg-type]


def register_counts(session: Session, actor: Actor, first: date, last: date) -> Figures:
    """Per community: 在册 at `last`, by category, 新登记 in [first, last]."""
    on = Child.registered_on <= last
    cols: list[tuple[str, object]] = [("在册", _sum(on))]
    cols += [
        (c.value, _sum(and_(on, Child.categories.like(f"%,{like_escape(c.value)},%", escape="\\"))))
        for c in ChildCategory
    ]
    cols.append(("新登记", _sum(Child.registered_on.between(first, last))))
    q = (
        select(Child.community_id, *(e for _, e in cols))  # type: ignore[arg-type]
        .where(*_visible(actor))
        .group_by(Child.community_id)
    )
    names = [n for n, _ in cols]
    return {
        cid: {n: int(v or 0) for n, v in zip(names, values, strict=True)}
        for cid, *values in session.execute(q)
    }


def case_counts(session: Session, actor: Actor, first: date, last: date) -> Figures:
    """Per community: reported, urgent, closed in the period; open at its end by step, risk."""
    K = ChildCase
    open_at_end = and_(K.reported_on <= last, or_(K.closed_on.is_(None), K.closed_on > last))
    cols: list[tuple[str, object]] = [
        ("新报告", _sum(K.reported_on.between(first, last))),
        ("紧急", _sum(and_(K.reported_on.between(first, last), K.urgent.is_(True)))),
        ("结案", _sum(K.closed_on.between(first, last))),
        ("在办", _sum(open_at_end)),
    ]
    cols += [(s.value, _sum(and_(open_at_end, K.step == s.value))) for s in OPEN_STEPS]
    cols += [(f"风险{r.value}", _sum(and_(open_at_end, K.risk == r.value))) for r in Risk]
    cols.append(("未评估", _sum(and_(open_at_end, K.risk == ""))))
    q = (
        select(Child.community_id, *(e for _, e in cols))  # type: ignore[arg-type]
        .select_from(K)
        .join(Child, Child.id == K.child_id)
        .where(*_visible(actor), K.deleted_at.is_(None))
        .group_by(Child.community_id)
    )
    names = [n for n, _ in cols]
    return {
        cid: {n: int(v or 0) for n, v in zip(names, values, strict=True)}
        for cid, *values in session.execute(q)
    }


@dataclass
class VisitCounts:
    due: int = 0
    done: int = 0

    @property
    def rate(self) -> float | None:
        return None if self.due == 0 else self.done / self.due


def visit_counts(
    session: Session, actor: Actor, months: Iterable[date]
) -> dict[tuple[date, str], VisitCounts]:
    """应访/已访 per (month's first day, community id); see the module docstring."""
    spans = sorted({month_rules.month_of(m) for m in months})
    if not spans:
        return {}
    end = spans[-1][1]
    intervals = {r.value: interval_for(session, r.value) for r in Risk}
    K = ChildCase
    on_plan = {CaseStep.PLANNED.value, CaseStep.FOLLOW_UP.value}
    cases: dict[str, tuple[str, int, date, date | None]] = {}
    for cid, community, risk, planned, closed, step in session.execute(
        select(K.id, Child.community_id, K.risk, K.planned_on, K.closed_on, K.step)
        .join(Child, Child.id == K.child_id)
        .where(
            *_visible(actor),
            K.deleted_at.is_(None),
            K.planned_on.is_not(None),
            K.planned_on <= end,
            K.risk != "",
        )
    ):
        if closed is None and step not in on_plan:
            closed = date.min  # reopened and back before its plan: no follow-up is due
        cases[cid] = (community, intervals.get(risk, 30), planned, closed)
    visits: dict[str, list[date]] = {}
    for case_id, on in session.execute(
        select(ChildVisit.case_id, ChildVisit.visit_date)
        .join(Child, Child.id == ChildVisit.child_id)
        .where(
            *_visible(actor),
            ChildVisit.deleted_at.is_(None),
            ChildVisit.case_id.is_not(None),
            ChildVisit.visit_date <= end,
        )
        .order_by(ChildVisit.case_id, ChildVisit.visit_date)
    ):
        if case_id in cases:
            visits.setdefault(case_id, []).append(on)
    out: dict[tuple[date, str], VisitCounts] = {}
    for case_id, (community, interval, planned, closed) in cases.items():
        days = visits.get(case_id, [])
        for first, last in spans:
            if planned > last:
                continue
            i = bisect.bisect_left(days, first)
            visited = i < len(days) and days[i] <= last
            open_at_end = closed is None or closed > last
            if not (open_at_end or visited):
                continue
            due_at = (days[i - 1] if i else planned) + timedelta(days=interval)
            if not (visited or due_at <= last):
                continue
            c = out.setdefault((first, community), VisitCounts())
            c.due += 1
            c.done += visited
    return out


def _units_for(actor: Actor, units: Sequence[Unit]) -> list[Unit]:
    """A child director's report has their own community only."""
    if actor.role is Role.CHILD_DIRECTOR:
        return [u for u in units if actor.community_id in u.community_ids]
    return list(units)


def build(
    session: Session,
    actor: Actor,
    period: Period,
    today: date,
    units: Sequence[Unit],
    progress: Progress | None,
) -> ReportSection:
    period = replace(period, last=min(period.last, today))
    first, last = period.first, period.last
    units = _units_for(actor, units)
    names = [u.name for u in units]
    label = "街道" if any(len(u.community_ids) > 1 for u in units) else "社区/村"
    community = Column(label)

    def per_unit(figures: Figures, keys: Sequence[str]) -> list[tuple[object, ...]]:
        rows = [
            [sum(figures.get(cid, {}).get(k, 0) for cid in u.community_ids) for k in keys]
            for u in units
        ]
        total = [sum(r[i] for r in rows) for i in range(len(keys))]
        return [(n, *r) for n, r in zip([*names, "合计"], [*rows, total], strict=True)]

    reg_keys = ["在册", *(c.value for c in ChildCategory), "新登记"]
    reg_rows = per_unit(register_counts(session, actor, first, last), reg_keys)
    case_keys = [
        "新报告",
        "紧急",
        "结案",
        "在办",
        *(s.value for s in OPEN_STEPS),
        *(f"风险{r.value}" for r in Risk),
        "未评估",
    ]
    case_rows = per_unit(case_counts(session, actor, first, last), case_keys)

    trend_months = periods.last_months(last, TREND_MONTHS)
    counts = visit_counts(session, actor, set(period.months) | set(trend_months))

    def visits_of(ids: Iterable[str], months: Iterable[date]) -> VisitCounts:
        c = VisitCounts()
        for m in months:
            for cid in ids:
                found = counts.get((m, cid))
                if found is not None:
                    c.due += found.due
                    c.done += found.done
        return c

    visit_rows: list[tuple[object, ...]] = []
    for u in units:
        c = visits_of(u.community_ids, period.months)
        visit_rows.append((u.name, c.due, c.done, c.rate))
    total = visits_of([cid for u in units for cid in u.community_ids], period.months)
    visit_rows.append(("合计", total.due, total.done, total.rate))
    all_ids = [cid for u in units for cid in u.community_ids]
    trend = [
        (f"{m.year % 100:02d}年{m.month}月", visits_of(all_ids, [m]).rate) for m in trend_months
    ]
    headline = (
        ("在册儿童", f"{reg_rows[-1][1]} 名"),
        ("本期新报告", f"{case_rows[-1][1]} 件"),
        ("期末在办个案", f"{case_rows[-1][4]} 件"),
        ("回访 已访/应访", f"{total.done} / {total.due}"),
        ("回访率", "—" if total.rate is None else f"{total.rate * 100:.1f}%"),
    )
    risk_cols = [Column(f"风险{r.value}", "int") for r in Risk]
    return ReportSection(
        "儿童关爱保护（仅统计数）",
        headline,
        (
            ReportTable(
                "儿童类别",
                f"在册儿童（截至{last:%Y年%m月%d日}）",
                (community, *(Column(k, "int") for k in reg_keys)),
                tuple(reg_rows),
                note="在册：登记日期不晚于期末；类别按目前记录，一名儿童可属多个类别。",
            ),
            ReportTable(
                "儿童个案",
                "个案（按阶段和风险）",
                (
                    community,
                    Column("新报告", "int"),
                    Column("其中紧急", "int"),
                    Column("结案", "int"),
                    Column("期末在办", "int"),
                    *(Column(s.value, "int") for s in OPEN_STEPS),
                    *risk_cols,
                    Column("未评估", "int"),
                ),
                tuple(case_rows),
                note="新报告、结案按本期日期；期末在办：期末前报告且期末未结案，"
                "阶段和风险按目前记录。",
            ),
            ReportTable(
                "儿童回访",
                "回访情况",
                (
                    community,
                    Column("应访", "int"),
                    Column("已访", "int"),
                    Column("回访率", "percent"),
                ),
                tuple(visit_rows),
                note="应访：已制定帮扶计划、月末在办（或当月已访），且当月已访或下次回访期限"
                "（上次回访或计划日期 + 风险等级的回访间隔）不晚于月末；季报、年报为各月件次之和。",
            ),
        ),
        (
            Chart(
                "bar",
                f"各{label}儿童回访率",
                tuple(names),
                tuple(r[3] for r in visit_rows[:-1]),  # type: ignore[misc]
            ),
            Chart(
                "line",
                "近 12 个月儿童回访率",
                tuple(t for t, _ in trend),
                tuple(v for _, v in trend),
            ),
        ),
    )


# Counts only, for every logged-in role: child roles within their scope, the others the office.
SPEC = SectionSpec("children", lambda a: True, build)
