"""Programme 3's lists to .xlsx: the register, the cases and the 工作台 work lists.

Each row source reads through the programme's own scoped queries (`_common.scope`: only
child-protection roles, a child director only their own community, in SQL), in pages, with
ID numbers and addresses masked as the register masks them and no narrative (sealed) field.
An export is a view: every child it writes is logged in the view log (`导出Excel：<list>`,
once per child per export), in the same transaction, so `exports.export` needs a writer
session for these lists.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from caseworker.domain import idnumber
from caseworker.domain.children import CaseStep
from caseworker.domain.roles import Actor
from caseworker.services.checked import paged, rows_checked_first
from caseworker.services.children import search, worklists
from caseworker.services.children._common import can_view, scope, view_row
from caseworker.services.tabular.xlsx import Column
from db.children import Child, ChildCase
from db.models import Community

PAGE = 2000


class ViewLogger:
    """Logs each child once per export, flushing a page of log rows at a time."""

    def __init__(self, session: Session, actor: Actor, title: str) -> None:
        self.session = session
        self.actor = actor
        self.action = f"导出Excel：{title}"[:20]
        self.seen: set[str] = set()
        self.pending = 0

    def saw(self, child_id: str) -> None:
        if child_id in self.seen:
            return
        self.seen.add(child_id)
        self.session.add(view_row(self.actor, child_id, self.action))
        self.pending += 1
        if self.pending >= PAGE:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.session.flush()
            self.pending = 0


# -- the register --------------------------------------------------------------------------------

REGISTER_COLUMNS = (
    Column("姓名"),
    Column("性别"),
    Column("年龄", "int"),
    Column("身份证号"),
    Column("社区/村"),
    Column("住址"),
    Column("类别"),
    Column("学校"),
    Column("状态"),
    Column("在办个案", "int"),
    Column("紧急"),
    Column("儿童主任"),
)


@rows_checked_first(can_view)
def register_rows(
    session: Session,
    actor: Actor,
    query: search.ChildQuery,
    day: date,
    log: ViewLogger,
) -> Iterator[Sequence[Any]]:
    """The register as the screen lists it (same query, same masking), every page."""
    for r in paged(lambda o, n: search.page(session, actor, query, o, n, today=day)):
        log.saw(r.id)
        yield (
            r.name,
            r.sex,
            r.age_on(day),
            r.id_number_masked,
            r.community_name,
            r.address_masked,
            r.categories,
            r.school,
            r.status,
            r.open_cases or None,
            "紧急" if r.urgent else "",
            r.director_name or "",
        )
    log.flush()


# -- every case ----------------------------------------------------------------------------------

CASE_COLUMNS = (
    Column("儿童"),
    Column("身份证号"),
    Column("社区/村"),
    Column("阶段"),
    Column("紧急"),
    Column("风险"),
    Column("来源"),
    Column("报告日期", "date"),
    Column("核实日期", "date"),
    Column("评估日期", "date"),
    Column("计划日期", "date"),
    Column("上次回访", "date"),
    Column("结案日期", "date"),
    Column("结案原因"),
)


@rows_checked_first(can_view)
def case_rows(
    session: Session,
    actor: Actor,
    community_id: str | None,
    open_only: bool,
    log: ViewLogger,
) -> Iterator[Sequence[Any]]:
    """Every case in the scope: open ones first (by report date), then the closed ones."""
    K = ChildCase
    q = (
        select(
            Child.id,
            Child.name,
            Child.id_number,
            Community.name,
            K.step,
            K.urgent,
            K.urgent_reasons,
            K.risk,
            K.source,
            K.reported_on,
            K.verified_on,
            K.assessed_on,
            K.planned_on,
            K.last_visit_on,
            K.closed_on,
            K.close_reason,
        )
        .join(Child, Child.id == K.child_id)
        .join(Community, Community.id == Child.community_id)
        .where(scope(actor), Child.deleted_at.is_(None), K.deleted_at.is_(None))
    )
    if community_id:
        q = q.where(Child.community_id == community_id)
    if open_only:
        q = q.where(K.step != CaseStep.CLOSED.value)
    closed_last = case((K.step == CaseStep.CLOSED.value, 1), else_=0)
    q = q.order_by(closed_last, K.reported_on, K.id)
    for r in paged(lambda o, n: session.execute(q.offset(o).limit(n)).all()):
        log.saw(r[0])
        yield (
            r[1],
            idnumber.mask(r[2]),
            r[3],
            r[4],
            (r[6] or "紧急").replace(",", "、") if r[5] else "",
            r[7],
            r[8],
            r[9],
            r[10],
            r[11],
            r[12],
            r[13],
            r[14],
            r[15],
        )
    log.flush()


# -- the work lists ------------------------------------------------------------------------------

WORK_CASE_COLUMNS = (
    Column("儿童"),
    Column("社区/村"),
    Column("紧急"),
    Column("阶段"),
    Column("风险"),
    Column("报告日期", "date"),
    Column("应访日期", "date"),
    Column("逾期天数", "int"),
)
TURNING_COLUMNS = (
    Column("儿童"),
    Column("社区/村"),
    Column("阶段"),
    Column("风险"),
    Column("满18岁日期", "date"),
    Column("已满天数", "int"),
)
SERVICE_COLUMNS = (
    Column("儿童"),
    Column("服务"),
    Column("责任人"),
    Column("期限", "date"),
    Column("逾期天数", "int"),
)
CATEGORY_COLUMNS = (
    Column("儿童"),
    Column("社区/村"),
    Column("类别"),
    Column("事项"),
    Column("日期", "date"),
    Column("依据"),
)


@rows_checked_first(can_view)
def work_case_rows(
    session: Session,
    actor: Actor,
    key: str,
    community_id: str | None,
    day: date,
    log: ViewLogger,
) -> Iterator[Sequence[Any]]:
    """One work list of cases (`worklists.CASE_LISTS`), whole, in the screen's order."""

    def fetch(o: int, n: int) -> list[worklists.CaseItem]:
        return worklists.case_list(
            session, actor, key, today=day, offset=o, limit=n, community_id=community_id
        )

    for i in paged(fetch):
        log.saw(i.child_id)
        if key == "turning_18":
            yield (i.child_name, i.community_name, i.step, i.risk, i.due, i.days_overdue or None)
        else:
            yield (
                i.child_name,
                i.community_name,
                i.urgent_reasons or ("紧急" if i.urgent else ""),
                i.step,
                i.risk,
                i.reported_on,
                i.due,
                i.days_overdue or None,
            )
    log.flush()


@rows_checked_first(can_view)
def service_rows(
    session: Session, actor: Actor, community_id: str | None, day: date, log: ViewLogger
) -> Iterator[Sequence[Any]]:
    def fetch(o: int, n: int) -> list[worklists.ServiceItem]:
        return worklists.services_overdue(
            session, actor, today=day, offset=o, limit=n, community_id=community_id
        )

    for i in paged(fetch):
        log.saw(i.child_id)
        yield (i.child_name, i.kind, i.owner_name, i.due_on, i.days_overdue)
    log.flush()


@rows_checked_first(can_view)
def category_rows(
    session: Session, actor: Actor, community_id: str | None, day: date, log: ViewLogger
) -> Iterator[Sequence[Any]]:
    """Categories to review: at most `worklists.REVIEW_CANDIDATES` children are evaluated."""
    names = None
    if community_id:
        names = session.scalar(select(Community.name).where(Community.id == community_id))
    for i in worklists.category_items(session, actor, today=day):
        if names is not None and i.community_name != names:
            continue
        log.saw(i.child_id)
        yield (i.child_name, i.community_name, i.category, i.kind, i.on, i.reason)
    log.flush()
