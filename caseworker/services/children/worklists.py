"""What waits for child-protection staff, the figures every role may see, and the view log.

Work lists (scoped like every child query): urgent reports first, 待核实, 待评估, 待制定计划,
follow-up visits due or overdue by risk (the interval is a district setting, the due date is
computed in SQL), services overdue, categories to review and children who become eligible on a
known day. Figures are counts only, which is all that other roles may see.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import Session

from caseworker.domain import children as rules
from caseworker.domain.children import (
    TERM_CONDITIONS,
    CaseStep,
    ChildCategory,
    ParentCondition,
    Risk,
    ServiceStatus,
)
from caseworker.domain.roles import Actor, Permission, Role
from caseworker.services.children import cases as case_service
from caseworker.services.children._common import (
    load_child,
    scope,
    supervisor_only,
    today_or,
)
from caseworker.services.children.search import on_register_clause
from db.children import Child, ChildCase, ChildCondition, ChildPlanService, ChildViewLog, ChildVisit
from db.models import Community

_RISK_RANK = case({r.value: r.rank for r in Risk}, value=ChildCase.risk, else_=9)
CHUNK = 400  # ids per IN (...) when loading conditions of review candidates
REVIEW_CANDIDATES = 2000  # at most this many children are re-evaluated per refresh


@dataclass(frozen=True)
class CaseItem:
    case_id: str
    child_id: str
    child_name: str
    community_name: str
    step: str
    urgent: bool
    urgent_reasons: str
    risk: str
    reported_on: date
    due: date | None  # next visit due (visit lists)
    days_overdue: int


@dataclass(frozen=True)
class ServiceItem:
    service_id: str
    case_id: str
    child_id: str
    child_name: str
    kind: str
    owner_name: str
    due_on: date
    days_overdue: int


@dataclass(frozen=True)
class CategoryItem:
    child_id: str
    child_name: str
    community_name: str
    category: str
    kind: str  # 待复核 / 新符合 / 即将符合
    on: date | None
    reason: str


@dataclass(frozen=True)
class WorkLists:
    urgent: tuple[CaseItem, ...]
    to_verify: tuple[CaseItem, ...]
    to_assess: tuple[CaseItem, ...]
    to_plan: tuple[CaseItem, ...]
    visits_due: tuple[CaseItem, ...]  # due within the horizon or overdue, by risk then date
    services_overdue: tuple[ServiceItem, ...]
    categories: tuple[CategoryItem, ...]
    turning_18: tuple[CaseItem, ...] = ()  # open cases of children 18 within 60 days (or already)
    leaving: tuple[LeaveItem, ...] = ()  # children the register proposes to leave (离册)


@dataclass(frozen=True)
class LeaveItem:
    """A child the register proposes should leave it (at 18, or every category ended)."""

    child_id: str
    child_name: str
    community_name: str
    reason: str  # a LeaveReason value
    on: date  # the day the leave would be dated
    text: str


def _due_expr(intervals: dict[str, int]):  # -> SQL date text
    modifier = case(
        *((ChildCase.risk == r, f"+{intervals[r]} days") for r in intervals),
        else_="+30 days",
    )
    base = func.coalesce(ChildCase.last_visit_on, ChildCase.planned_on)
    return func.date(base, modifier)


def _case_rows(session: Session, actor: Actor, where, order, limit: int, due=None, offset=0):
    cols = [
        ChildCase.id,
        ChildCase.child_id,
        Child.name,
        Community.name,
        ChildCase.step,
        ChildCase.urgent,
        ChildCase.urgent_reasons,
        ChildCase.risk,
        ChildCase.reported_on,
        due if due is not None else literal(None),
    ]
    stmt = (
        select(*cols)
        .join(Child, Child.id == ChildCase.child_id)
        .join(Community, Community.id == Child.community_id)
        .where(scope(actor), Child.deleted_at.is_(None), ChildCase.deleted_at.is_(None), *where)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    )
    return session.execute(stmt).all()


def _item(r, today: date) -> CaseItem:
    due = date.fromisoformat(r[9]) if isinstance(r[9], str) else r[9]
    return CaseItem(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        bool(r[5]),
        (r[6] or "").replace(",", "、"),
        r[7] or "",
        r[8],
        due,
        max(0, (today - due).days) if due else 0,
    )


def work_lists(
    session: Session,
    actor: Actor,
    *,
    today: date | None = None,
    horizon_days: int = 7,
    limit: int = 200,
    with_categories: bool = True,
) -> WorkLists:
    """The child-role 工作台: every list scoped to what the actor may see, urgent first.

    `with_categories=False` leaves out the category review list, which evaluates the rules for
    the children whose dates changed something (up to REVIEW_CANDIDATES): the GUI reads it on
    the background runner with `category_items`."""
    day = today_or(today)
    scope(actor)  # refuses other roles
    lists = {
        key: tuple(
            case_list(session, actor, key, today=day, limit=limit, horizon_days=horizon_days)
        )
        for key in CASE_LISTS
    }
    services = tuple(services_overdue(session, actor, today=day, limit=limit))
    leaving = tuple(leave_items(session, actor, today=day, limit=limit)) if with_categories else ()
    return WorkLists(
        lists["urgent"],
        lists["to_verify"],
        lists["to_assess"],
        lists["to_plan"],
        lists["visits_due"],
        services,
        tuple(category_items(session, actor, today=day)) if with_categories else (),
        lists["turning_18"],
        leaving,
    )


# The work lists of cases, by key (the attribute of `WorkLists`), with their titles.
CASE_LISTS: dict[str, str] = {
    "urgent": "紧急",
    "to_verify": "待核实",
    "to_assess": "待评估",
    "to_plan": "待制定计划",
    "visits_due": "回访到期/逾期",
    "turning_18": "将满18岁",
}


def case_list(
    session: Session,
    actor: Actor,
    key: str,
    *,
    today: date | None = None,
    offset: int = 0,
    limit: int = 200,
    horizon_days: int = 7,
    community_id: str | None = None,
) -> list[CaseItem]:
    """One work list of cases (`CASE_LISTS`), a page of it in its order, within the scope."""
    day = today_or(today)
    scope(actor)  # refuses other roles
    urgent_first = (ChildCase.urgent.desc(), ChildCase.reported_on, ChildCase.id)
    where: list = [] if community_id is None else [Child.community_id == community_id]
    # Children on the register today; a child who turned 18 with a case still open is on the
    # 将满18岁 list only (its case is to be closed, the child to leave the register).
    where.append(
        Child.status != rules.LEFT_REGISTER if key == "turning_18" else on_register_clause(day)
    )
    steps = {
        "to_verify": CaseStep.REPORTED,
        "to_assess": CaseStep.VERIFIED,
        "to_plan": CaseStep.ASSESSED,
    }
    if key in steps:
        rows = _case_rows(
            session,
            actor,
            [*where, ChildCase.step == steps[key].value],
            urgent_first,
            limit,
            offset=offset,
        )
        return [_item(r, day) for r in rows]
    if key == "urgent":
        rows = _case_rows(
            session,
            actor,
            [*where, ChildCase.urgent.is_(True), ChildCase.step != CaseStep.CLOSED.value],
            (ChildCase.reported_on, ChildCase.id),
            limit,
            offset=offset,
        )
        return [_item(r, day) for r in rows]
    if key == "visits_due":
        intervals = {r.value: case_service.interval_for(session, r.value) for r in Risk}
        due = _due_expr(intervals)
        horizon = (day + timedelta(days=horizon_days)).isoformat()
        rows = _case_rows(
            session,
            actor,
            [
                *where,
                ChildCase.step.in_([CaseStep.PLANNED.value, CaseStep.FOLLOW_UP.value]),
                ChildCase.risk != "",
                due <= horizon,
            ],
            (_RISK_RANK, due, ChildCase.id),  # by risk: 高 first, then the earliest due
            limit,
            due,
            offset=offset,
        )
        return [_item(r, day) for r in rows]
    if key != "turning_18":
        raise ValueError(f"unknown work list {key!r}")
    # 18 within 60 days, or already: the case is to be closed as 年满18周岁. `due` = the birthday.
    limit_birth = rules.add_months(day + timedelta(days=60), -12 * rules.CHILD_MAX_AGE)
    adult_rows = _case_rows(
        session,
        actor,
        [*where, ChildCase.step != CaseStep.CLOSED.value, Child.birth_date <= limit_birth],
        (Child.birth_date, ChildCase.id),
        limit,
        offset=offset,
    )
    births = dict(  # at most `limit` ids
        session.execute(
            select(Child.id, Child.birth_date).where(Child.id.in_([r[1] for r in adult_rows]))
        ).all()
    )
    turning = []
    for r in adult_rows:
        on = rules.birthday(births[r[1]], rules.CHILD_MAX_AGE)
        item = _item(r, day)
        turning.append(
            CaseItem(**{**item.__dict__, "due": on, "days_overdue": max(0, (day - on).days)})
        )
    return turning


def services_overdue(
    session: Session,
    actor: Actor,
    *,
    today: date | None = None,
    offset: int = 0,
    limit: int = 200,
    community_id: str | None = None,
) -> list[ServiceItem]:
    """Plan services past their due date on open cases, the oldest first, within the scope."""
    day = today_or(today)
    stmt = (
        select(
            ChildPlanService.id,
            ChildPlanService.case_id,
            Child.id,
            Child.name,
            ChildPlanService.kind,
            ChildPlanService.owner_name,
            ChildPlanService.due_on,
        )
        .join(ChildCase, ChildCase.id == ChildPlanService.case_id)
        .join(Child, Child.id == ChildCase.child_id)
        .where(
            scope(actor),
            ChildPlanService.status == ServiceStatus.OPEN.value,
            ChildPlanService.due_on < day,
            ChildCase.step != CaseStep.CLOSED.value,
            on_register_clause(day),
        )
        .order_by(ChildPlanService.due_on, ChildPlanService.id)
        .offset(offset)
        .limit(limit)
    )
    if community_id is not None:
        stmt = stmt.where(Child.community_id == community_id)
    return [ServiceItem(*r, (day - r[6]).days) for r in session.execute(stmt)]


def category_items(
    session: Session, actor: Actor, *, today: date | None = None, ahead_days: int = 60
) -> list[CategoryItem]:
    """Categories to review (a condition lapsed, or a category an import recorded from the
    台账 without its evidence), newly holding, or holding soon (within `ahead_days`): the
    children whose conditions have a date that can change a category are found in SQL, then
    the rules decide."""
    day = today_or(today)
    from caseworker.services.children import register

    # A category can change without anything being typed only when a date passes: a condition
    # ended or its term ran out (review), or a 6-month day comes (new / soon).
    six_ago = rules.add_months(day, -rules.SIX_MONTHS)
    pending = ChildCondition.kind.in_([ParentCondition.UNREACHABLE.value, *TERM_CONDITIONS])
    dated = or_(
        ChildCondition.ended_on <= day,
        ChildCondition.end_on < day,
        pending
        & ChildCondition.end_on.is_(None)
        & ChildCondition.ended_on.is_(None)
        & (ChildCondition.start_on > six_ago - timedelta(days=ahead_days))
        & (ChildCondition.start_on <= six_ago + timedelta(days=ahead_days)),
    )
    ids = list(
        session.scalars(
            select(Child.id)
            .where(
                scope(actor),
                Child.deleted_at.is_(None),
                on_register_clause(day),
                or_(
                    Child.id.in_(
                        select(ChildCondition.child_id).where(
                            dated, ChildCondition.deleted_at.is_(None)
                        )
                    ),
                    # categories an import recorded as the 台账 had them, not yet proved
                    Child.categories_note.like(f"%{rules.IMPORTED_UNPROVED}%"),
                ),
            )
            .order_by(Child.name, Child.id)
            .limit(REVIEW_CANDIDATES)
        )
    )
    communities = dict(session.execute(select(Community.id, Community.name)).all())
    out: list[CategoryItem] = []
    for i in range(0, len(ids), CHUNK):
        chunk = list(session.scalars(select(Child).where(Child.id.in_(ids[i : i + CHUNK]))))
        all_facts = register._facts_of_many(session, chunk)
        for child in chunk:
            findings = rules.evaluate(all_facts[child.id], day)
            rev = rules.review(rules.decode_categories(child.categories), findings, day)
            where = communities.get(child.community_id, "")

            soon = day + timedelta(days=ahead_days)
            picked = [
                *((f, "待复核", None) for f in rev.to_review),
                *((f, "新符合", f.eligible_from) for f in rev.to_add),
                *(
                    (f, "即将符合", f.eligible_from)
                    for f in rev.upcoming
                    if f.eligible_from and f.eligible_from <= soon
                ),
            ]
            out.extend(
                CategoryItem(child.id, child.name, where, f.category.value, kind, on, f.reason)
                for f, kind, on in picked
            )
    order = {"待复核": 0, "新符合": 1, "即将符合": 2}
    out.sort(key=lambda x: (order[x.kind], x.on or day, x.child_name))
    return out


def leave_items(
    session: Session, actor: Actor, *, today: date | None = None, limit: int = 200
) -> list[LeaveItem]:
    """Children still 在册 whom the register proposes to leave it (`rules.leave_proposal`): those
    who turned 18 (found in SQL by birth date), then those whose every category ended (children
    with a lapsed condition, at most REVIEW_CANDIDATES re-evaluated), each with the reason."""
    day = today_or(today)
    from caseworker.services.children import register

    communities = dict(session.execute(select(Community.id, Community.name)).all())
    registered = [scope(actor), Child.deleted_at.is_(None), Child.status != rules.LEFT_REGISTER]
    adults = list(
        session.scalars(
            select(Child)
            .where(*registered, Child.birth_date <= rules.adult_birth_limit(day))
            .order_by(Child.birth_date, Child.id)
            .limit(limit)
        )
    )
    lapsed = or_(ChildCondition.ended_on <= day, ChildCondition.end_on < day)
    ended_ids = list(
        session.scalars(
            select(Child.id)
            .where(
                *registered,
                on_register_clause(day),
                Child.id.in_(
                    select(ChildCondition.child_id).where(
                        lapsed, ChildCondition.deleted_at.is_(None)
                    )
                ),
                ~Child.id.in_(
                    select(ChildCase.child_id).where(
                        ChildCase.step != CaseStep.CLOSED.value, ChildCase.deleted_at.is_(None)
                    )
                ),
            )
            .order_by(Child.name_pinyin, Child.id)
            .limit(REVIEW_CANDIDATES)
        )
    )
    out: list[LeaveItem] = []
    for child in adults:
        facts = rules.ChildFacts(child.birth_date)
        open_n = session.scalar(
            select(func.count())
            .select_from(ChildCase)
            .where(
                ChildCase.child_id == child.id,
                ChildCase.step != CaseStep.CLOSED.value,
                ChildCase.deleted_at.is_(None),
            )
        )
        p = rules.leave_proposal(child.birth_date, (), (), facts, open_n or 0, day)
        if p is not None:
            name = communities.get(child.community_id, "")
            out.append(LeaveItem(child.id, child.name, name, p.reason.value, p.on, p.text))
    for i in range(0, len(ended_ids), CHUNK):
        if len(out) >= limit:
            break
        chunk = list(session.scalars(select(Child).where(Child.id.in_(ended_ids[i : i + CHUNK]))))
        all_facts = register._facts_of_many(session, chunk)
        for child in sorted(chunk, key=lambda c: (c.name_pinyin, c.id)):
            facts = all_facts[child.id]
            p = rules.leave_proposal(
                child.birth_date,
                rules.evaluate(facts, day),
                rules.decode_categories(child.categories),
                facts,
                0,  # children with an open case were left out in SQL
                day,
            )
            if p is not None:
                name = communities.get(child.community_id, "")
                out.append(LeaveItem(child.id, child.name, name, p.reason.value, p.on, p.text))
    return out[:limit]


# -- figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Counts only: what any logged-in role may see (child roles: within their scope)."""

    children: int
    by_category: dict[str, int]
    by_community: dict[str, int]
    open_cases_by_step: dict[str, int]
    open_cases_by_risk: dict[str, int]
    urgent_open: int
    visits_done_in_month: int
    visits_due_in_month: int
    scoped_to: str  # "全街道" or the community's name


def figures(session: Session, actor: Actor, *, today: date | None = None) -> Figures:
    """Children by category and community, cases by step and risk, the month's visits done and
    due. Other roles get the whole office's counts, never a record."""
    day = today_or(today)
    child_roles = actor.can(Permission.CHILD_VIEW)
    where = [Child.deleted_at.is_(None), on_register_clause(day)]
    label = "全街道"
    if child_roles:
        where.append(scope(actor))
        if actor.role is Role.CHILD_DIRECTOR:
            label = (
                session.scalar(select(Community.name).where(Community.id == actor.community_id))
                or ""
            )
    total = session.scalar(select(func.count()).select_from(Child).where(*where)) or 0
    by_category: Counter[str] = Counter({cat.value: 0 for cat in ChildCategory})
    for stored, n in session.execute(
        select(Child.categories, func.count()).where(*where).group_by(Child.categories)
    ):
        for cat in rules.decode_categories(stored):
            by_category[cat.value] += n
    by_community = dict(
        session.execute(
            select(Community.name, func.count())
            .select_from(Child)
            .join(Community, Community.id == Child.community_id)
            .where(*where)
            .group_by(Community.name)
            .order_by(Community.name)
        ).all()
    )
    open_where = [*where, ChildCase.step != CaseStep.CLOSED.value, ChildCase.deleted_at.is_(None)]
    by_step = dict(
        session.execute(
            select(ChildCase.step, func.count())
            .join(Child, Child.id == ChildCase.child_id)
            .where(*open_where)
            .group_by(ChildCase.step)
        ).all()
    )
    by_risk = dict(
        session.execute(
            select(ChildCase.risk, func.count())
            .join(Child, Child.id == ChildCase.child_id)
            .where(*open_where, ChildCase.risk != "")
            .group_by(ChildCase.risk)
        ).all()
    )
    urgent = (
        session.scalar(
            select(func.count())
            .select_from(ChildCase)
            .join(Child, Child.id == ChildCase.child_id)
            .where(*open_where, ChildCase.urgent.is_(True))
        )
        or 0
    )
    first = day.replace(day=1)
    nxt = rules.add_months(first, 1)
    done = (
        session.scalar(
            select(func.count(func.distinct(ChildVisit.case_id)))
            .join(Child, Child.id == ChildVisit.child_id)
            .where(
                *where,
                ChildVisit.case_id.is_not(None),
                ChildVisit.visit_date >= first,
                ChildVisit.visit_date < nxt,
            )
        )
        or 0
    )
    intervals = {r.value: case_service.interval_for(session, r.value) for r in Risk}
    due_expr = _due_expr(intervals)
    due_count = (
        session.scalar(
            select(func.count())
            .select_from(ChildCase)
            .join(Child, Child.id == ChildCase.child_id)
            .where(
                *where,
                ChildCase.step.in_([CaseStep.PLANNED.value, CaseStep.FOLLOW_UP.value]),
                ChildCase.risk != "",
                or_(
                    due_expr < nxt.isoformat(),
                    ChildCase.last_visit_on >= first,
                ),
            )
        )
        or 0
    )
    return Figures(
        total,
        dict(by_category),
        by_community,
        {s.value: by_step.get(s.value, 0) for s in CaseStep if s is not CaseStep.CLOSED},
        {r.value: by_risk.get(r.value, 0) for r in Risk},
        urgent,
        done,
        due_count,
        label,
    )


# -- the view log --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewRow:
    child_id: str
    child_name: str
    staff_name: str
    role: str
    action: str
    viewed_at: datetime


def view_log(
    session: Session,
    actor: Actor,
    *,
    child_id: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[ViewRow]:
    """Who opened or printed which child's record, newest first (child supervisor only)."""
    supervisor_only(actor, "查看档案查阅记录")
    stmt = (
        select(
            ChildViewLog.child_id,
            Child.name,
            ChildViewLog.staff_name,
            ChildViewLog.role,
            ChildViewLog.action,
            ChildViewLog.viewed_at,
        )
        .join(Child, Child.id == ChildViewLog.child_id)
        .where(scope(actor))
    )
    if child_id:
        load_child(session, actor, child_id)
        stmt = stmt.where(ChildViewLog.child_id == child_id)
    stmt = stmt.order_by(ChildViewLog.viewed_at.desc(), ChildViewLog.id.desc())
    return [ViewRow(*r) for r in session.execute(stmt.offset(offset).limit(limit))]


# -- per office (the district) -------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeFigures:
    """One office's counts, for the district's roll-up: never a name, never a record."""

    office_code: str
    office_name: str
    children: int
    by_category: dict[str, int]
    open_cases: int
    urgent_open: int
    open_by_risk: dict[str, int]


def office_figures(session: Session, *, today: date | None = None) -> list[OfficeFigures]:
    """Counts per office, as the district holds them (every office's rows reach it by sync):
    children on the register today."""
    from db.models import Office

    day = today_or(today)

    offices = session.execute(
        select(Office.id, Office.code, Office.name).where(Office.deleted_at.is_(None))
    ).all()
    out = []
    for office_id, code, name in sorted(offices, key=lambda o: o[1]):
        mine = [
            Child.deleted_at.is_(None),
            on_register_clause(day),
            Child.community_id.in_(select(Community.id).where(Community.office_id == office_id)),
        ]
        total = session.scalar(select(func.count()).select_from(Child).where(*mine)) or 0
        cats: Counter[str] = Counter({c.value: 0 for c in ChildCategory})
        for stored, n in session.execute(
            select(Child.categories, func.count()).where(*mine).group_by(Child.categories)
        ):
            for cat in rules.decode_categories(stored):
                cats[cat.value] += n
        open_rows = session.execute(
            select(ChildCase.risk, ChildCase.urgent, func.count())
            .join(Child, Child.id == ChildCase.child_id)
            .where(*mine, ChildCase.step != CaseStep.CLOSED.value, ChildCase.deleted_at.is_(None))
            .group_by(ChildCase.risk, ChildCase.urgent)
        ).all()
        by_risk = {r.value: 0 for r in Risk}
        for risk, _urgent, n in open_rows:
            if risk:
                by_risk[risk] = by_risk.get(risk, 0) + n
        out.append(
            OfficeFigures(
                code,
                name,
                total,
                dict(cats),
                sum(n for _r, _u, n in open_rows),
                sum(n for _r, u, n in open_rows if u),
                by_risk,
            )
        )
    return out
