"""The 适老化改造 section of 统计报表: households by step and category, money, items, overdue
construction and acceptance, per community (or per office at the district).

Definitions (each figure is one grouped SQL query):

- **申请** (`applied_counts`): cases applied for in the period, by their step today (as
  `retrofit.figures` counts them) and by household category (a household may have several).
- **完工** (`money_counts`): cases accepted (验收通过) on a day in the period: households, the
  standard cost, the government subsidy and the household's share, as recorded at acceptance.
  The subsidy share is subsidy ÷ cost. By month for the last 12 months, with the same rule.
- **改造项目** (`item_counts`): the items of the households completed in the period, by kind.
- **施工逾期** (`construction_counts`): cases under construction today whose planned end date is
  before the period's last day (today while the period runs).
- **验收** (`acceptance_counts`): acceptance inspections held in the period (验收通过 and
  验收不通过 events); 合格率 = passed ÷ held.
- **累计完成** (`running_totals`): households accepted since the programme began, up to the
  period's last day (the "适老化改造 X 户" of the bureau's report), with their subsidy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, cast, func, select
from sqlalchemy.orm import Session

from caseworker.domain import periods
from caseworker.domain.periods import Period
from caseworker.domain.retrofit import Action, HouseholdCategory, Step
from caseworker.domain.roles import Actor, Permission
from caseworker.domain.statistics import month_label, partial_note, running_month
from caseworker.services.elderly._common import like_escape
from caseworker.services.reports import (
    Chart,
    Progress,
    ReportSection,
    ReportTable,
    SectionSpec,
    Unit,
)
from caseworker.services.retrofit._common import can_view
from caseworker.services.tabular.xlsx import Column
from db.base import table_of
from db.retrofit import RetrofitAssessmentItem, RetrofitCase, RetrofitCaseEvent

C = table_of(RetrofitCase).c
E = table_of(RetrofitCaseEvent).c
It = table_of(RetrofitAssessmentItem).c
TREND_MONTHS = 12
STEPS: tuple[Step, ...] = tuple(Step)
CATEGORIES: tuple[HouseholdCategory, ...] = tuple(HouseholdCategory)
MONEY = ("完工", "cost", "subsidy", "household")

Figures = dict[str, dict[str, int]]  # community id → figure → value


def _sum(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(cast(cond, Integer))


def applied_counts(session: Session, actor: Actor, first: date, last: date) -> Figures:
    """Per community: applied in [first, last], by step today and by category."""
    can_view(actor)
    cols: list[tuple[str, object]] = [("申请", func.count())]
    cols += [(s.value, _sum(C.step == s.value)) for s in STEPS]
    cols += [
        (
            f"类别:{c.value}",
            _sum(C.categories.like(f"%,{like_escape(c.value)},%", escape="\\")),
        )
        for c in CATEGORIES
    ]
    q = (
        select(C.community_id, *(e for _, e in cols))
        .where(C.deleted_at.is_(None), C.applied_on.between(first, last))
        .group_by(C.community_id)
    )
    names = [n for n, _ in cols]
    return {
        cid: {n: int(v or 0) for n, v in zip(names, values, strict=True)}
        for cid, *values in session.execute(q)
    }


def _done_in(first: date, last: date) -> ColumnElement[bool]:
    return and_(C.step == Step.COMPLETED.value, C.accepted_on.between(first, last))


def money_counts(session: Session, actor: Actor, first: date, last: date) -> Figures:
    """Per community: households completed in [first, last] and their money (fen)."""
    can_view(actor)
    q = (
        select(
            C.community_id,
            func.count(),
            func.coalesce(func.sum(C.cost_fen), 0),
            func.coalesce(func.sum(C.subsidy_fen), 0),
            func.coalesce(func.sum(C.household_fen), 0),
        )
        .where(C.deleted_at.is_(None), _done_in(first, last))
        .group_by(C.community_id)
    )
    return {
        cid: dict(zip(MONEY, (int(n), int(c), int(s), int(h)), strict=True))
        for cid, n, c, s, h in session.execute(q)
    }


def money_by_month(
    session: Session, actor: Actor, months: Sequence[date], community_ids: Iterable[str]
) -> dict[date, dict[str, int]]:
    """Completed households and their money per month (first day), within the communities."""
    can_view(actor)
    if not months:
        return {}
    first, last = months[0], periods.month(months[-1]).last
    wanted = set(community_ids)
    out = {m: dict.fromkeys(MONEY, 0) for m in months}
    q = (
        select(  # grouped by day (portable SQL), bucketed into months here
            C.accepted_on,
            C.community_id,
            func.count(),
            func.coalesce(func.sum(C.cost_fen), 0),
            func.coalesce(func.sum(C.subsidy_fen), 0),
            func.coalesce(func.sum(C.household_fen), 0),
        )
        .where(C.deleted_at.is_(None), _done_in(first, last))
        .group_by(C.accepted_on, C.community_id)
    )
    for day, cid, n, cost, subsidy, household in session.execute(q):
        if cid not in wanted:
            continue
        m = day.replace(day=1)
        for name, v in zip(MONEY, (n, cost, subsidy, household), strict=True):
            out[m][name] += int(v)
    return out


def item_counts(
    session: Session, actor: Actor, first: date, last: date, community_ids: Iterable[str]
) -> list[tuple[str, str, str, int, int, int]]:
    """(code, name, unit, households, quantity in hundredths, cost in fen) per item kind."""
    can_view(actor)
    wanted = set(community_ids)
    rows: dict[str, list] = {}
    q = (
        select(
            It.item_code,
            C.community_id,
            func.min(It.name),
            func.min(It.unit),
            func.count(func.distinct(C.id)),
            func.sum(It.quantity_centi),
            func.sum((It.quantity_centi * It.unit_price_fen + 50) // 100),
        )
        .select_from(table_of(RetrofitCase))
        .join(table_of(RetrofitAssessmentItem), It.case_id == C.id)
        .where(C.deleted_at.is_(None), It.deleted_at.is_(None), _done_in(first, last))
        .group_by(It.item_code, C.community_id)
        .order_by(It.item_code)
    )
    for code, cid, name, unit, households, quantity, cost in session.execute(q):
        if cid not in wanted:
            continue
        r = rows.setdefault(code, [code, name, unit, 0, 0, 0])
        r[3] += int(households)
        r[4] += int(quantity or 0)
        r[5] += int(cost or 0)
    return [tuple(r) for r in rows.values()]


def running_totals(session: Session, actor: Actor, until: date) -> Figures:
    """Per community: households accepted (completed) on or before `until`, since the programme
    began, and their subsidy (fen)."""
    can_view(actor)
    q = (
        select(C.community_id, func.count(), func.coalesce(func.sum(C.subsidy_fen), 0))
        .where(
            C.deleted_at.is_(None),
            C.step == Step.COMPLETED.value,
            C.accepted_on <= until,
        )
        .group_by(C.community_id)
    )
    return {cid: {"累计完成": int(n), "累计补贴": int(sub)} for cid, n, sub in session.execute(q)}


def construction_counts(session: Session, actor: Actor, until: date) -> Figures:
    """Per community: under construction today, and of those past their planned end."""
    can_view(actor)
    building = C.step == Step.CONSTRUCTION.value
    q = (
        select(C.community_id, func.count(), _sum(C.planned_end < until))
        .where(C.deleted_at.is_(None), building)
        .group_by(C.community_id)
    )
    return {
        cid: {"施工中": int(n), "施工逾期": int(late or 0)} for cid, n, late in session.execute(q)
    }


def acceptance_counts(session: Session, actor: Actor, first: date, last: date) -> Figures:
    """Per community: acceptance inspections held in [first, last] and how many passed."""
    can_view(actor)
    held = E.action.in_([Action.ACCEPT.value, Action.FAIL.value])
    q = (
        select(C.community_id, func.count(), _sum(E.action == Action.ACCEPT.value))
        .select_from(table_of(RetrofitCaseEvent))
        .join(table_of(RetrofitCase), C.id == E.case_id)
        .where(C.deleted_at.is_(None), E.deleted_at.is_(None), held, E.on.between(first, last))
        .group_by(C.community_id)
    )
    return {cid: {"验收": int(n), "通过": int(ok or 0)} for cid, n, ok in session.execute(q)}


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _per_unit(figures: Figures, units: Sequence[Unit], keys: Sequence[str]) -> list[list[int]]:
    return [
        [sum(figures.get(cid, {}).get(k, 0) for cid in u.community_ids) for k in keys]
        for u in units
    ]


def _with_total(names: Sequence[str], rows: list[list[int]]) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = [(n, *r) for n, r in zip(names, rows, strict=True)]
    width = len(rows[0]) if rows else 0
    out.append(("合计", *(sum(r[i] for r in rows) for i in range(width))))
    return out


def build(
    session: Session,
    actor: Actor,
    period: Period,
    today: date,
    units: Sequence[Unit],
    progress: Progress | None,
) -> ReportSection:
    can_view(actor)
    period = replace(period, last=min(period.last, today))
    first, last = period.first, period.last
    names = [u.name for u in units]
    label = "街道" if any(len(u.community_ids) > 1 for u in units) else "社区/村"
    wanted = [cid for u in units for cid in u.community_ids]
    community = Column(label)

    applied = applied_counts(session, actor, first, last)
    step_keys = ["申请", *(s.value for s in STEPS)]
    step_rows = _with_total(names, _per_unit(applied, units, step_keys))
    cat_keys = [f"类别:{c.value}" for c in CATEGORIES]
    cat_rows = _with_total(names, _per_unit(applied, units, ["申请", *cat_keys]))

    money = money_counts(session, actor, first, last)
    money_raw = _per_unit(money, units, MONEY)
    money_total = [sum(r[i] for r in money_raw) for i in range(4)]
    so_far = _per_unit(running_totals(session, actor, last), units, ["累计完成", "累计补贴"])
    so_far_total = [sum(r[i] for r in so_far) for i in range(2)]
    money_rows: list[tuple[object, ...]] = [
        (name, n, _yuan(cost), _yuan(sub), _yuan(own), _share(sub, cost), done, _yuan(done_sub))
        for name, (n, cost, sub, own), (done, done_sub) in zip(
            [*names, "合计"], [*money_raw, money_total], [*so_far, so_far_total], strict=True
        )
    ]

    items = item_counts(session, actor, first, last, wanted)
    item_rows: list[tuple[object, ...]] = [
        (code, name, unit, hh, q / 100, _yuan(cost)) for code, name, unit, hh, q, cost in items
    ]
    item_rows.append(
        ("合计", "", "", sum(i[3] for i in items), None, _yuan(sum(i[5] for i in items)))
    )

    building = construction_counts(session, actor, last)
    accepted = acceptance_counts(session, actor, first, last)
    b_raw = _per_unit(building, units, ["施工中", "施工逾期"])
    a_raw = _per_unit(accepted, units, ["验收", "通过"])
    check_rows: list[tuple[object, ...]] = []
    totals = [0, 0, 0, 0]
    for name, b, a in zip(names, b_raw, a_raw, strict=True):
        check_rows.append((name, b[0], b[1], a[0], a[1], _share(a[1], a[0])))
        totals = [t + v for t, v in zip(totals, [*b, *a], strict=True)]
    check_rows.append(("合计", *totals, _share(totals[3], totals[2])))

    trend_months = periods.last_months(last, TREND_MONTHS)
    by_month = money_by_month(session, actor, trend_months, wanted)
    partial = any(running_month(m, last) for m in trend_months)
    trend_rows = [
        (
            f"{m.year}年{m.month}月" + ("*" if running_month(m, last) else ""),
            v["完工"],
            _yuan(v["cost"]),
            _yuan(v["subsidy"]),
            _yuan(v["household"]),
            _share(v["subsidy"], v["cost"]),
        )
        for m, v in by_month.items()
    ]

    n_applied = step_rows[-1][1]
    done, _cost, subsidy, household = money_total
    rate = _share(totals[3], totals[2])
    headline = (
        ("本期申请", f"{n_applied} 户"),
        ("完工（验收通过）", f"{done} 户"),
        (f"累计完成（至{last.year}年{last.month}月）", f"{so_far_total[0]} 户"),
        ("政府补贴", f"{_yuan(subsidy):,.2f} 元"),
        ("个人承担", f"{_yuan(household):,.2f} 元"),
        ("施工逾期", f"{totals[1]} 户"),
        ("验收合格率", "—" if rate is None else f"{rate * 100:.1f}%"),
    )
    money_cols = (
        Column("完工户数", "int"),
        Column("改造总额（元）", "float"),
        Column("政府补贴（元）", "float"),
        Column("个人承担（元）", "float"),
        Column("补贴占比", "percent"),
    )
    return ReportSection(
        "居家适老化改造",
        headline,
        (
            ReportTable(
                "改造环节",
                "本期申请户数（按目前环节）",
                (community, *(Column(k, "int") for k in step_keys)),
                tuple(step_rows),
                note="本期申请：申请日期在本期内；按各户目前所处环节统计。",
            ),
            ReportTable(
                "改造类别",
                "本期申请户数（按类别）",
                (community, Column("申请", "int"), *(Column(c.value, "int") for c in CATEGORIES)),
                tuple(cat_rows),
                note="一户可属多个类别。",
            ),
            ReportTable(
                "改造资金",
                "本期完工户数与资金",
                (
                    community,
                    *money_cols,
                    Column("累计完成户数", "int"),
                    Column("累计政府补贴（元）", "float"),
                ),
                tuple(money_rows),
                note="完工：验收通过日期在本期内；金额为审批时核定的标准造价、政府补贴和个人承担；"
                "补贴占比 = 政府补贴 ÷ 改造总额；累计：项目开始以来至期末验收通过的户数和补贴。",
            ),
            ReportTable(
                "改造项目",
                "本期完工户的改造项目",
                (
                    Column("编号"),
                    Column("项目"),
                    Column("单位"),
                    Column("户数", "int"),
                    Column("数量", "float"),
                    Column("金额（元）", "float"),
                ),
                tuple(item_rows),
                note="本期验收通过各户的改造项目：户数为有该项目的户数，数量和金额为审批时核定的数。",
            ),
            ReportTable(
                "施工与验收",
                "施工逾期与验收",
                (
                    community,
                    Column("施工中", "int"),
                    Column("施工逾期", "int"),
                    Column("验收次数", "int"),
                    Column("验收通过", "int"),
                    Column("验收合格率", "percent"),
                ),
                tuple(check_rows),
                note="施工中、施工逾期为目前在施工的户（逾期：计划完工日期早于期末）；"
                "验收次数为本期内的验收（通过与不通过），合格率 = 验收通过 ÷ 验收次数。",
            ),
            ReportTable(
                "改造按月",
                "近 12 个月完工与资金",
                (Column("月份"), *money_cols),
                tuple(trend_rows),
                total=False,
                note=partial_note(last) if partial else "每月按验收通过日期统计。",
            ),
        ),
        (
            Chart(
                "bar",
                f"各{label}验收合格率",
                tuple(names),
                tuple(r[5] for r in check_rows[:-1]),  # type: ignore[misc]
            ),
            Chart(
                "line",
                "近 12 个月政府补贴占改造总额" + ("（* 本月未结束）" if partial else ""),
                tuple(month_label(m, last) for m in by_month),
                tuple(r[5] for r in trend_rows),
            ),
        ),
        tuple(
            [
                "申请：申请日期在统计期内的户，按各户目前所处环节和申请时登记的类别统计，一户可属多个类别。",
                "完工：验收通过日期在统计期内的户；标准造价、政府补贴、个人承担为审批时核定的金额"
                "（单位：元），政府补贴受每户补贴上限限制。",
                "累计完成：自项目开始至统计期末验收通过的户数（含以前年度），即“已完成适老化改造 X 户”。",
                "施工逾期：统计时仍在施工、计划完工日期早于期末的户；验收合格率 = 验收通过 ÷ 验收次数。",
                *([partial_note(last)] if partial else []),
            ]
        ),
    )


SPEC = SectionSpec("retrofit", lambda a: a.can(Permission.RETROFIT_VIEW), build)
