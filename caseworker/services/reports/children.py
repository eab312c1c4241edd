"""The 儿童关爱 section of 统计报表: counts only, never a name, for every role.

Child-protection roles count within their scope (a child director: their own community only,
in SQL); other roles (the administrator, caseworkers, the section chief) see the office's
counts and nothing else, as `children.worklists.figures` already allows them. In a community's
row a count of 1 or 2 is shown as "<3" except to the child-protection roles
(`caseworker.domain.statistics`); the section's pages are marked 保密.

Definitions:

- **在册儿童** (`register_counts`): on the register on the period's last day
  (`domain.children.on_register`: registered by then, not left by then, under 18 that day);
  by category (a child may hold several; the categories recorded today); 困境儿童 counts the
  children holding any of its three subtypes once each; 新登记: registered in the period;
  离册: left the register in the period.
- **个案** (`case_counts`): 新报告 (reported in the period), of which urgent; 结案 (closed in the
  period); 期末在办 (reported by the period's end, not closed by then, of a child on the register
  then), by step and by risk as recorded today.
- **回访** (`visit_counts`): for each month, a case with a help plan (帮扶计划) by the month's
  end is 应访 when it was visited in the month, or when it was still on its plan at the month's
  end (not closed by then; a case reopened since is back before its plan and not counted) and
  its next visit fell due by the month's end (last visit before the month, else the plan date,
  plus the risk level's interval, a district setting); 已访 when a follow-up visit was recorded
  in the month, so 已访 never exceeds 应访. A child off the register at the month's start is not
  counted. A quarter or a year adds its months (case-months).
- **帮扶服务** (`service_counts`): plan services done (已完成) in the period, by kind.
- **儿童主任/儿童督导员** (`director_counts`): active accounts of the role, per community (the
  督导员 of the office), as they stand when the report is made.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from caseworker.domain import periods
from caseworker.domain import schedule as month_rules
from caseworker.domain.children import (
    CHILD_MAX_AGE,
    DIFFICULTY_CATEGORIES,
    LEFT_REGISTER,
    CaseStep,
    ChildCategory,
    Risk,
    ServiceKind,
    ServiceStatus,
    birthday,
)
from caseworker.domain.periods import Period
from caseworker.domain.roles import Actor, Permission, Role
from caseworker.domain.statistics import (
    SMALL_CELL,
    SMALL_CELL_TEXT,
    exact_small_cells,
    month_label,
    partial_note,
    running_month,
    suppress,
)
from caseworker.services.children._common import like_escape, scope
from caseworker.services.children.cases import interval_for
from caseworker.services.children.search import on_register_clause
from caseworker.services.reports import (
    Chart,
    Progress,
    ReportSection,
    ReportTable,
    SectionSpec,
    Unit,
)
from caseworker.services.tabular.xlsx import Column
from db.children import Child, ChildCase, ChildPlanService, ChildVisit
from db.join_order import driven_join
from db.models import Community, Staff

TREND_MONTHS = 12
OPEN_STEPS: tuple[CaseStep, ...] = tuple(s for s in CaseStep if s is not CaseStep.CLOSED)
Figures = dict[str, dict[str, int]]


def _visible(actor: Actor) -> list[ColumnElement[bool]]:
    """Child roles: their scope (in SQL). Any other role: every child, counted only."""
    where: list[ColumnElement[bool]] = [Child.deleted_at.is_(None)]
    if actor.can(Permission.CHILD_VIEW):
        where.append(scope(actor))
    return where


def _by_community(rows: Iterable[Sequence[Any]], names: Sequence[str]) -> Figures:
    """Per community (each row's first value), its figures named in `names` order (NULL as 0)."""
    return {row[0]: {n: int(v or 0) for n, v in zip(names, row[1:], strict=True)} for row in rows}


def _sum(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(cast(cond, Integer))


def _has(category: ChildCategory) -> ColumnElement[bool]:
    return Child.categories.like(f"%,{like_escape(category.value)},%", escape="\\")


def register_counts(session: Session, actor: Actor, first: date, last: date) -> Figures:
    """Per community: 在册 at `last`, by category, 困境儿童 (children, not categories), 新登记 and
    离册 in [first, last]."""
    on = on_register_clause(last)
    cols: list[tuple[str, object]] = [("在册", _sum(on))]
    cols += [(c.value, _sum(and_(on, _has(c)))) for c in ChildCategory]
    cols.append(
        ("困境儿童", _sum(and_(on, or_(*(_has(c) for c in sorted(DIFFICULTY_CATEGORIES))))))
    )
    cols.append(("新登记", _sum(Child.registered_on.between(first, last))))
    cols.append(
        (
            "离册",
            _sum(and_(Child.status == LEFT_REGISTER, Child.status_date.between(first, last))),
        )
    )
    q = (
        select(Child.community_id, *(e for _, e in cols))
        .where(*_visible(actor))
        .group_by(Child.community_id)
    )
    names = [n for n, _ in cols]
    return _by_community(session.execute(q), names)


def case_counts(session: Session, actor: Actor, first: date, last: date) -> Figures:
    """Per community: reported, urgent, closed in the period; open at its end by step, risk."""
    K = ChildCase
    open_at_end = and_(
        K.reported_on <= last,
        or_(K.closed_on.is_(None), K.closed_on > last),
        on_register_clause(last),
    )
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
        select(Child.community_id, *(e for _, e in cols))
        # From the cases (4,000 at a district's largest office), not the 20,000 children
        .select_from(driven_join(K, Child, Child.id == K.child_id))
        .where(*_visible(actor), K.deleted_at.is_(None))
        .group_by(Child.community_id)
    )
    names = [n for n, _ in cols]
    return _by_community(session.execute(q), names)


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
    off_from: dict[str, date] = {}  # case → the first day its child is off the register
    for cid, community, risk, planned, closed, step, birth, status, left_on in session.execute(
        select(
            K.id,
            Child.community_id,
            K.risk,
            K.planned_on,
            K.closed_on,
            K.step,
            Child.birth_date,
            Child.status,
            Child.status_date,
        )
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
        assert planned is not None  # the statement reads planned cases only
        cases[cid] = (community, intervals.get(risk, 30), planned, closed)
        off = birthday(birth, CHILD_MAX_AGE)
        if status == LEFT_REGISTER and left_on is not None:
            off = min(off, left_on)
        off_from[cid] = off
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
            if planned > last or off_from[case_id] <= first:
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


def service_counts(session: Session, actor: Actor, first: date, last: date) -> Figures:
    """Per community: plan services done in [first, last], by kind (救助帮扶, 心理介入…)."""
    S = ChildPlanService
    q = (
        select(Child.community_id, S.kind, func.count())
        .select_from(S)
        .join(ChildCase, ChildCase.id == S.case_id)
        .join(Child, Child.id == ChildCase.child_id)
        .where(
            *_visible(actor),
            S.deleted_at.is_(None),
            ChildCase.deleted_at.is_(None),
            S.status == ServiceStatus.DONE.value,
            S.done_on.between(first, last),
        )
        .group_by(Child.community_id, S.kind)
    )
    out: Figures = {}
    for cid, kind, n in session.execute(q):
        out.setdefault(cid, {})[kind] = int(n)
    return out


def director_counts(session: Session, actor: Actor) -> tuple[Figures, dict[str, int]]:
    """儿童主任 in post per community, and 儿童督导员 per office (active accounts, as they stand
    now: an account's history of roles is not kept apart from the journal)."""
    q = (
        select(Staff.role, Staff.community_id, Staff.office_id, func.count())
        .where(
            Staff.deleted_at.is_(None),
            Staff.disabled.is_(False),
            Staff.role.in_([Role.CHILD_DIRECTOR.value, Role.CHILD_SUPERVISOR.value]),
        )
        .group_by(Staff.role, Staff.community_id, Staff.office_id)
    )
    directors: Figures = {}
    supervisors: dict[str, int] = {}
    for role, community_id, office_id, n in session.execute(q):
        if role == Role.CHILD_DIRECTOR.value and community_id:
            directors.setdefault(community_id, {})["儿童主任"] = int(n)
        elif role == Role.CHILD_SUPERVISOR.value:
            supervisors[office_id] = supervisors.get(office_id, 0) + int(n)
    return directors, supervisors


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
    offices = any(u.is_office for u in units)
    label = "街道" if offices else "社区/村"
    community = Column(label)
    exact = exact_small_cells(actor.role, not offices)

    def per_unit(figures: Figures, keys: Sequence[str]) -> list[tuple[object, ...]]:
        rows = [
            [sum(figures.get(cid, {}).get(k, 0) for cid in u.community_ids) for k in keys]
            for u in units
        ]
        total = [sum(r[i] for r in rows) for i in range(len(keys))]
        return [(n, *r) for n, r in zip([*names, "合计"], [*rows, total], strict=True)]

    def hide(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        """Community rows' counts of 1-2 as "<3" unless the reader may see them exactly; the
        total row (the whole office) stays exact."""
        if exact:
            return rows
        return [(r[0], *(suppress(v) for v in r[1:])) for r in rows[:-1]] + rows[-1:]

    reg_keys = ["在册", *(c.value for c in ChildCategory), "困境儿童", "新登记", "离册"]
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
    service_keys = [k.value for k in ServiceKind]
    service_rows = [
        (*r, sum(r[1:]))  # type: ignore[arg-type]
        for r in per_unit(service_counts(session, actor, first, last), service_keys)
    ]

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
        if not exact and 0 < c.due < SMALL_CELL:  # a rate of 1 or 2 cases tells their count
            visit_rows.append((u.name, suppress(c.due), suppress(c.done), None))
        elif not exact:
            visit_rows.append((u.name, c.due, suppress(c.done), c.rate))
        else:
            visit_rows.append((u.name, c.due, c.done, c.rate))
    total = visits_of([cid for u in units for cid in u.community_ids], period.months)
    visit_rows.append(("合计", total.due, total.done, total.rate))
    all_ids = [cid for u in units for cid in u.community_ids]
    trend = [(month_label(m, last), visits_of(all_ids, [m]).rate) for m in trend_months]
    partial = any(running_month(m, last) for m in trend_months)

    directors, supervisors = director_counts(session, actor)
    office_of = dict(session.execute(select(Community.id, Community.office_id)).all())
    staff_rows: list[tuple[str, int, int]] = []
    for u in units:
        n_dir = sum(directors.get(cid, {}).get("儿童主任", 0) for cid in u.community_ids)
        without = sum(1 for cid in u.community_ids if not directors.get(cid))
        staff_rows.append((u.name, n_dir, without))
    mine = {office_of.get(cid) for u in units for cid in u.community_ids}
    n_supervisors = sum(n for office_id, n in supervisors.items() if office_id in mine)
    staff_rows.append(
        ("合计", sum(int(r[1]) for r in staff_rows), sum(int(r[2]) for r in staff_rows))
    )

    in_difficulty = reg_rows[-1][reg_keys.index("困境儿童") + 1]
    headline = (
        ("在册儿童", f"{reg_rows[-1][1]} 名"),
        ("困境儿童", f"{in_difficulty} 名"),
        ("本期新报告", f"{case_rows[-1][1]} 件"),
        ("期末在办个案", f"{case_rows[-1][4]} 件"),
        ("回访 已访/应访", f"{total.done} / {total.due}"),
        ("回访率", "—" if total.rate is None else f"{total.rate * 100:.1f}%"),
        ("儿童主任/督导员", f"{staff_rows[-1][1]} / {n_supervisors} 人"),
    )
    risk_cols = [Column(f"风险{r.value}", "int") for r in Risk]
    service_label = {ServiceKind.PSYCHOLOGICAL.value: "心理介入（心理疏导）"}
    footnotes = [
        f"在册儿童：截至{last:%Y年%m月%d日}在册（登记日期不晚于期末、期末前未离册、期末未满 18 周岁）"
        "的儿童；类别按目前记录，一名儿童可属多个类别；困境儿童（经济、自身、安全）按人计，"
        "属多个子类的儿童只计一次。",
        "新登记、离册：登记日期、离册日期在统计期内（离册：年满18周岁、迁出、被收养、死亡、"
        "不再符合保障条件等，离册时在办个案一并结案）。",
        "个案：新报告、结案按本期日期；期末在办为期末前报告、期末未结案且儿童期末在册的个案，"
        "阶段和风险按目前记录。",
        "回访：已制定帮扶计划、月末在办（或当月已访）且当月已访或回访期限（上次回访或计划日期 + "
        "风险等级的回访间隔，区里设定）不晚于月末的个案为应访；季报、年报为各月件次之和。",
        "帮扶服务：统计期内完成（已完成）的帮扶计划服务件数，按服务类别。",
        "儿童主任：各社区/村在岗（账号启用）的儿童主任人数；儿童督导员为街道在岗人数；按制表时的"
        "账号状态。",
    ]
    if not exact:
        footnotes.append(
            f"为保护儿童隐私，社区/村一行中 1 至 {SMALL_CELL - 1} 的数字显示为“{SMALL_CELL_TEXT}”"
            "（儿童督导员、儿童主任看到确数）；合计为确数。"
        )
    if partial:
        footnotes.append(partial_note(last))
    return ReportSection(
        "儿童关爱保护（仅统计数）",
        headline,
        (
            ReportTable(
                "儿童类别",
                f"在册儿童（截至{last:%Y年%m月%d日}）",
                (
                    community,
                    *(Column(k if k != "困境儿童" else "困境儿童（人）", "int") for k in reg_keys),
                ),
                tuple(hide(reg_rows)),
                note="在册：期末在册且未满 18 周岁；类别一名儿童可属多个；困境儿童（人）每人只计一次。",
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
                tuple(hide(case_rows)),
                note="新报告、结案按本期日期；期末在办：期末前报告、期末未结案且儿童期末在册，"
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
            ReportTable(
                "帮扶服务",
                "帮扶服务（本期完成，件）",
                (
                    community,
                    *(Column(service_label.get(k, k), "int") for k in service_keys),
                    Column("合计", "int"),
                ),
                tuple(hide(service_rows)),
                note="统计期内完成的帮扶计划服务，按类别；心理介入含心理疏导。",
            ),
            ReportTable(
                "儿童工作队伍",
                "儿童主任在岗情况",
                (community, Column("儿童主任（人）", "int"), Column("未配备的社区/村", "int")),
                tuple(staff_rows),
                note=f"在岗：账号启用；街道儿童督导员 {n_supervisors} 人。按制表时的账号状态。",
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
                "近 12 个月儿童回访率" + ("（* 本月未结束）" if partial else ""),
                tuple(t for t, _ in trend),
                tuple(v for _, v in trend),
            ),
        ),
        tuple(footnotes),
        confidential=True,
    )


# Counts only, for every logged-in role: child roles within their scope, the others the office.
SPEC = SectionSpec("children", lambda a: True, build)
