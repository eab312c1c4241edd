"""The 老年人探访 section of 统计报表: roster, visits and referrals per community.

Each figure comes from one place:

- **Visits** (`visit_counts`): one pass over the roster and the completed visits (streamed in
  resident order, never all in memory) gives, for every month asked and every community:
  应访 / 已访 exactly as `schedule.visit_rates` defines them (a test checks they agree), and
  - 按时: visited, and the first visit in the month was on or before the due date as it
    stood at the month's start;
  - 逾期未访: due, not visited, and the due date passed before the month ended (for the
    current month: before today).
  A quarter or a year adds its months' figures (person-months), so its rate is the share of
  the visits due in its months that were made.
- **Roster** (`roster_counts`, one SQL query): on the roster at the period's end (as for the
  visit rate), by tier and by category (高龄 from the birth date), enrolled and left in the
  period.
- **Referrals** (`referral_counts`, one SQL query): opened in the period (the date of the
  visit that raised them), closed in the period, still open at its end.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Integer, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from caseworker.domain import periods
from caseworker.domain import schedule as rules
from caseworker.domain.elderly import (
    ADVANCED_AGE,
    SCHEDULED_STATUSES,
    Category,
    Status,
    Tier,
)
from caseworker.domain.periods import Period
from caseworker.domain.roles import Actor, Permission
from caseworker.domain.visit_form import VisitStatus
from caseworker.services import settings
from caseworker.services.elderly import schedule
from caseworker.services.elderly._common import can_view, like_escape
from caseworker.services.elderly.search import _years_before
from caseworker.services.reports import (
    Chart,
    Progress,
    ReportSection,
    ReportTable,
    SectionSpec,
    Unit,
)
from caseworker.services.tabular.xlsx import Column
from db.elderly import ElderlyReferral, ElderlyResident, ElderlyVisit, ElderlyVisitAmendment

R = ElderlyResident.__table__.c
V = ElderlyVisit.__table__.c
F = ElderlyReferral.__table__.c
COMPLETED = VisitStatus.COMPLETED.value
TREND_MONTHS = 12
TARGET_KEY = "report.visit_rate_target"


@dataclass
class VisitCounts:
    due: int = 0
    visited: int = 0
    on_time: int = 0
    overdue: int = 0

    def add(self, other: VisitCounts) -> None:
        self.due += other.due
        self.visited += other.visited
        self.on_time += other.on_time
        self.overdue += other.overdue

    @property
    def rate(self) -> float | None:
        return None if self.due == 0 else self.visited / self.due


def visit_counts(
    session: Session,
    actor: Actor,
    months: Iterable[date],
    *,
    today: date,
    progress: Progress | None = None,
) -> dict[tuple[date, str], VisitCounts]:
    """应访/已访/按时/逾期未访 per (month's first day, community id); see the module docstring."""
    can_view(actor)
    spans = sorted({rules.month_of(m) for m in months})
    if not spans:
        return {}
    end = spans[-1][1]
    days = schedule.intervals(session)
    conn = session.connection()
    # Dates as day numbers (ordinals) from here on: the loop below runs once per resident and
    # month (1.2 million times for a year at 100,000 residents), so it stays arithmetic.
    residents: dict[str, tuple[str, int, int, bool, int]] = {}
    for rid, cid, tier, enrolled, status, status_date in conn.execute(
        select(R.id, R.community_id, R.tier, R.enrolled_on, R.status, R.status_date).where(
            R.deleted_at.is_(None), R.enrolled_on <= end
        )
    ):
        residents[rid] = (
            cid,
            days[tier],
            enrolled.toordinal(),
            status in SCHEDULED_STATUSES,
            status_date.toordinal() if status_date else 0,
        )
    amended_next: dict[str, int | None] = {}
    A = ElderlyVisitAmendment.__table__.c
    for vid, value in conn.execute(
        select(A.visit_id, A.new_value)
        .where(A.field == "next_visit_on", A.deleted_at.is_(None))
        .order_by(A.amended_at, A.id)
    ):
        amended_next[vid] = date.fromisoformat(value).toordinal() if value else None
    out: dict[tuple[date, str], VisitCounts] = {}
    ords = [(first.toordinal(), last.toordinal(), first) for first, last in spans]
    today_o = today.toordinal()
    total = len(residents)

    def count(rid: str, effs: list[int], nexts: list[int | None]) -> None:
        cid, interval, enrolled, scheduled, status_date = residents[rid]
        n = len(effs)
        for first, last, key in ords:
            if enrolled > last or not (scheduled or status_date > last):
                continue
            i = bisect.bisect_left(effs, first)  # visits before `first` are effs[:i]
            if i:  # domain.schedule.next_due, on day numbers
                last_on = effs[i - 1]
                due_at = last_on + interval
                proposed = nexts[i - 1]
                if proposed is not None and last_on < proposed < due_at:
                    due_at = proposed
            else:
                due_at = enrolled
            visited = i < n and effs[i] <= last
            if not visited and due_at > last:
                continue
            c = out.get((key, cid))
            if c is None:
                c = out[(key, cid)] = VisitCounts()
            c.due += 1
            if visited:
                c.visited += 1
                if effs[i] <= due_at:
                    c.on_time += 1
            elif due_at < min(last + 1, today_o):
                c.overdue += 1

    visits = conn.execute(  # streamed: options on the statement, not the shared connection
        select(V.resident_id, V.effective_date, V.next_visit_on, V.id)
        .where(V.status == COMPLETED, V.deleted_at.is_(None), V.effective_date <= end)
        .order_by(V.resident_id, V.effective_date, V.id)
        .execution_options(stream_results=True, yield_per=20_000)
    )
    current: str | None = None
    effs: list[int] = []
    nexts: list[int | None] = []
    counted: set[str] = set()
    for rows in visits.partitions():
        for rid, eff, nxt, vid in rows:
            if rid != current:
                if current in residents:
                    count(current, effs, nexts)  # type: ignore[arg-type]
                    counted.add(current)  # type: ignore[arg-type]
                current, effs, nexts = rid, [], []
            effs.append(eff.toordinal())
            if vid in amended_next:
                nexts.append(amended_next[vid])
            else:
                nexts.append(nxt.toordinal() if nxt else None)
        if progress is not None:
            progress(len(counted), total, f"正在统计探访（{len(counted)}/{total}）")
    if current in residents:
        count(current, effs, nexts)  # type: ignore[arg-type]
        counted.add(current)  # type: ignore[arg-type]
    for rid in residents:  # never visited (before the period's end)
        if rid not in counted:
            count(rid, [], [])
    return out


def roster_counts(session: Session, actor: Actor, period: Period) -> dict[str, dict[str, int]]:
    """Per community: 在册 (at the period's end), by tier, by category, 新增, 减少."""
    can_view(actor)
    last = period.last
    on_roster = and_(
        R.enrolled_on <= last,
        or_(R.status.in_(SCHEDULED_STATUSES), R.status_date > last),
    )

    def n(cond: object) -> object:
        return func.sum(cast(and_(on_roster, cond), Integer))  # type: ignore[arg-type]

    figures: list[tuple[str, object]] = [("在册", func.sum(cast(on_roster, Integer)))]
    figures += [(t.value, n(R.tier == t.value)) for t in Tier]
    for c in Category:
        if c is Category.ADVANCED_AGE:
            figures.append((c.value, n(R.birth_date <= _years_before(last, ADVANCED_AGE))))
        else:
            cond = R.categories.like(f"%,{like_escape(c.value)},%", escape="\\")
            figures.append((c.value, n(cond)))
    figures.append(
        ("新增", func.sum(case((R.enrolled_on.between(period.first, last), 1), else_=0)))
    )
    left = and_(
        R.status.in_([Status.MOVED.value, Status.DECEASED.value]),
        R.status_date.between(period.first, last),
    )
    figures.append(("减少", func.sum(cast(left, Integer))))
    q = (
        select(R.community_id, *(expr for _, expr in figures))  # type: ignore[arg-type]
        .where(R.deleted_at.is_(None))
        .group_by(R.community_id)
    )
    names = [name for name, _ in figures]
    return {
        cid: {name: int(v or 0) for name, v in zip(names, values, strict=True)}
        for cid, *values in session.execute(q)
    }


def referral_counts(session: Session, actor: Actor, period: Period) -> dict[str, dict[str, int]]:
    """Per community: referrals opened (by the raising visit's date), closed, open at the end."""
    can_view(actor)
    opened_on = V.effective_date
    q = (
        select(
            R.community_id,
            func.sum(cast(opened_on.between(period.first, period.last), Integer)),
            func.sum(cast(F.closed_on.between(period.first, period.last), Integer)),
            func.sum(
                cast(
                    and_(
                        opened_on <= period.last,
                        or_(F.closed_on.is_(None), F.closed_on > period.last),
                    ),
                    Integer,
                )
            ),
        )
        .select_from(ElderlyReferral.__table__)
        .join(ElderlyVisit.__table__, V.id == F.visit_id)
        .join(ElderlyResident.__table__, R.id == F.resident_id)
        .where(F.deleted_at.is_(None), V.deleted_at.is_(None), R.deleted_at.is_(None))
        .group_by(R.community_id)
    )
    return {
        cid: {"转介": int(a or 0), "办结": int(b or 0), "未办结": int(c or 0)}
        for cid, a, b, c in session.execute(q)
    }


def build(
    session: Session,
    actor: Actor,
    period: Period,
    today: date,
    units: Sequence[Unit],
    progress: Progress | None,
) -> ReportSection:
    can_view(actor)
    # A period still running is counted up to today: its months yet to come are left out.
    period = replace(period, last=min(period.last, today))
    trend_months = periods.last_months(period.last, TREND_MONTHS)
    counts = visit_counts(
        session, actor, set(period.months) | set(trend_months), today=today, progress=progress
    )
    target = int(settings.get(session, TARGET_KEY)) / 100
    label = "街道" if any(len(u.community_ids) > 1 for u in units) else "社区/村"
    wanted = {cid for u in units for cid in u.community_ids}

    def visits_of(unit_ids: Iterable[str], months: Iterable[date]) -> VisitCounts:
        c = VisitCounts()
        for m in months:
            for cid in unit_ids:
                if (m, cid) in counts:
                    c.add(counts[(m, cid)])
        return c

    total = visits_of(wanted, period.months)
    visit_rows: list[tuple[object, ...]] = []
    for u in units:
        c = visits_of(u.community_ids, period.months)
        visit_rows.append((u.name, c.due, c.visited, c.on_time, c.overdue, c.rate))
    visit_rows.append(("合计", total.due, total.visited, total.on_time, total.overdue, total.rate))

    roster = roster_counts(session, actor, period)
    keys = ["在册", *(t.value for t in Tier), *(c.value for c in Category), "新增", "减少"]
    roster_rows = []
    sums = dict.fromkeys(keys, 0)
    for u in units:
        figures = [sum(roster.get(cid, {}).get(k, 0) for cid in u.community_ids) for k in keys]
        roster_rows.append((u.name, *figures))
        for k, v in zip(keys, figures, strict=True):
            sums[k] += v
    roster_rows.append(("合计", *(sums[k] for k in keys)))

    refs = referral_counts(session, actor, period)
    ref_keys = ["转介", "办结", "未办结"]
    ref_rows = [
        (u.name, *(sum(refs.get(cid, {}).get(k, 0) for cid in u.community_ids) for k in ref_keys))
        for u in units
    ]
    ref_rows.append(("合计", *(sum(r[i + 1] for r in ref_rows) for i in range(len(ref_keys)))))

    trend = [
        (f"{m.year % 100:02d}年{m.month}月", visits_of(wanted, [m]).rate) for m in trend_months
    ]

    rate_text = "—" if total.rate is None else f"{total.rate * 100:.1f}%"
    headline = (
        ("探访率", rate_text),
        ("目标", f"{target * 100:.0f}%"),
        ("应访", f"{total.due} 人次"),
        ("已访", f"{total.visited} 人次"),
        ("逾期未访", f"{total.overdue} 人次"),
        ("在册老人", f"{sums['在册']} 人"),
    )
    community = Column(label)
    return ReportSection(
        "老年人探访关爱",
        headline,
        (
            ReportTable(
                "探访情况",
                "探访情况",
                (
                    community,
                    Column("应访", "int"),
                    Column("已访", "int"),
                    Column("按时", "int"),
                    Column("逾期未访", "int"),
                    Column("探访率", "percent"),
                ),
                tuple(visit_rows),
                note=(
                    "应访：当月在册且应访期限在当月内（或当月已访）的老人，季报、年报为各月人次之和；"
                    "已访：当月有已完成的探访记录；按时：首次探访不晚于应访日期；"
                    "逾期未访：应访日期已过仍未探访；探访率 = 已访 ÷ 应访。"
                ),
            ),
            ReportTable(
                "在册人数",
                f"在册人数（截至{period.last:%Y年%m月%d日}）",
                (community, *(Column(k, "int") for k in keys)),
                tuple(roster_rows),
                note="按期末在册（在册、住院，或期末以后才迁出/去世）统计；一人可属多个类别。",
            ),
            ReportTable(
                "转介",
                "转介情况",
                (community, *(Column(k, "int") for k in ("新转介", "办结", "期末未办结"))),
                tuple(ref_rows),
            ),
            ReportTable(
                "近12个月",
                "近 12 个月探访率",
                (Column("月份"), Column("探访率", "percent")),
                tuple(trend),
                total=False,
            ),
        ),
        (
            Chart(
                "bar",
                f"各{label}探访率",
                tuple(name for name, *_ in visit_rows[:-1]),
                tuple(r[5] for r in visit_rows[:-1]),
                target,
            ),
            Chart(
                "line",
                "近 12 个月探访率",
                tuple(label for label, _ in trend),
                tuple(v for _, v in trend),
                target,
            ),
        ),
    )


SPEC = SectionSpec("elderly", lambda a: a.can(Permission.ELDERLY_VIEW), build)
