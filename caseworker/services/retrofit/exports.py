"""Programme 2's lists to .xlsx: the case list (with its filters), the 工作台 work lists, the
contractor register and the catalogue, read through the programme's own services (so the
person's rights and the ID masking are the screen's)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from caseworker.domain.roles import Actor
from caseworker.services.checked import paged, rows_checked_first
from caseworker.services.retrofit import catalogue, contractors, search
from caseworker.services.retrofit._common import can_view
from caseworker.services.tabular.xlsx import Column

CASE_COLUMNS = (
    Column("档案号"),
    Column("姓名"),
    Column("身份证号"),
    Column("社区/村"),
    Column("住址"),
    Column("联系电话"),
    Column("类别"),
    Column("补贴资格"),
    Column("环节"),
    Column("申请日期", "date"),
    Column("计划完工", "date"),
    Column("施工单位"),
    Column("政府补贴（元）", "float"),
    Column("逾期天数", "int"),
)
CONTRACTOR_COLUMNS = (
    Column("施工单位"),
    Column("联系人"),
    Column("联系电话"),
    Column("资质/执照编号"),
    Column("状态"),
)
CATALOGUE_COLUMNS = (
    Column("编号"),
    Column("部位"),
    Column("项目"),
    Column("单位"),
    Column("类型"),
    Column("标准价（元）", "float"),
    Column("补贴上限（元）", "float"),
    Column("状态"),
)


def yuan(fen: int | None) -> float | None:
    return None if fen is None else fen / 100


@rows_checked_first(can_view)
def case_rows(
    session: Session, actor: Actor, query: search.CaseQuery, day: date
) -> Iterator[Sequence[Any]]:
    """The case list as the screen shows it (same query, ID numbers masked), every page."""
    for r in paged(lambda o, n: search.page(session, actor, query, o, n, today=day)):
        yield (
            r.case_no,
            r.name,
            r.id_number_masked,
            r.community_name,
            r.address,
            r.phone,
            r.categories,
            "符合" if r.eligible else "自费",
            r.step,
            r.applied_on,
            r.planned_end,
            r.contractor_name,
            yuan(r.subsidy_fen),
            r.days_overdue or None,
        )


@rows_checked_first(can_view)
def contractor_rows(session: Session, actor: Actor) -> Iterator[Sequence[Any]]:
    for c in contractors.listing(session, actor, include_inactive=True):
        yield (c.name, c.contact_name, c.phone, c.licence_no, "在用" if c.active else "停用")


@rows_checked_first(can_view)
def catalogue_rows(session: Session, actor: Actor) -> Iterator[Sequence[Any]]:
    for i in catalogue.listing(session, actor, include_retired=True):
        yield (
            i.code,
            i.part.value,
            i.name,
            i.unit,
            "基础项目（政府补贴）" if i.basic else "可选项目",
            yuan(i.price_fen),
            yuan(i.cap_fen) if i.basic else None,
            "已停用" if i.retired else "在用",
        )
