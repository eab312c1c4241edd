"""统计报表: the monthly (quarterly, yearly) report the office sends the district.

A report is a list of sections, one per programme the person may see (`SECTIONS`; retrofit and
children add theirs), each made of tables and charts as plain values. The screen, the PDF and
the .xlsx are drawn from the same `Report`, so the three always show the same figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.periods import Period

# the report's types live in the domain (the PDF renderer reads them); named here too, as the
# sections build them
from caseworker.domain.report import Chart as Chart
from caseworker.domain.report import Report as Report
from caseworker.domain.report import ReportSection as ReportSection
from caseworker.domain.report import ReportTable as ReportTable
from caseworker.domain.roles import COMMUNITY_SCOPED, Actor
from caseworker.services import accounts
from caseworker.services.elderly._common import today_or
from db.models import Community, Office

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Unit:
    """A row of the report: one community (an office's report) or one office (the district's,
    every office side by side)."""

    name: str
    community_ids: tuple[str, ...]
    is_office: bool = False  # a whole office's row (the district's report), not a community's


@dataclass(frozen=True)
class SectionSpec:
    key: str
    may_see: Callable[[Actor], bool]
    build: Callable[[Session, Actor, Period, date, Sequence[Unit], Progress | None], ReportSection]


def units(
    session: Session, *, by_office: bool = False, office_code: str | None = None
) -> list[Unit]:
    """The report's rows: each community (of one office), or each office with its communities."""
    q = (
        select(Office.code, Office.name, Community.id, Community.name)
        .join(Community, Community.office_id == Office.id)
        .where(Office.deleted_at.is_(None), Community.deleted_at.is_(None))
        .order_by(Office.code, Community.sort_order, Community.name)
    )
    if office_code is not None:
        q = q.where(Office.code == office_code)
    rows = session.execute(q).all()
    if office_code is not None and not rows:
        codes = "、".join(session.scalars(select(Office.code).order_by(Office.code)))
        raise ValidationError(f"没有代码为 {office_code} 的街道。已登记：{codes or '无'}")
    if not by_office:
        return [Unit(cname, (cid,)) for _code, _oname, cid, cname in rows]
    offices: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for code, oname, cid, _cname in rows:
        offices.setdefault(code, []).append(cid)
        names[code] = oname
    return [Unit(names[code], tuple(ids), True) for code, ids in offices.items()]


def _sections() -> list[SectionSpec]:
    from caseworker.services.reports import children, elderly, retrofit

    return [elderly.SPEC, retrofit.SPEC, children.SPEC]


def build(
    session: Session,
    actor: Actor,
    period: Period,
    *,
    today: date | None = None,
    progress: Progress | None = None,
    by_office: bool = False,
    office_code: str | None = None,
) -> Report:
    """The report for `period`, with the sections `actor` may see: per community of the
    office, or (`by_office`, at the district) per office with the district total."""
    day = today_or(today)
    specs = [s for s in _sections() if s.may_see(actor)]
    if not specs:
        raise PermissionDenied("您的账号没有可查看的统计报表")
    if period.first > day:
        raise ValidationError(f"{period.label}还没有开始，无法统计")
    rows = units(session, by_office=by_office, office_code=office_code)
    office = accounts.office(session)
    if office_code is not None:
        found = session.scalar(select(Office).where(Office.code == office_code))
        name = found.name if found else ""
    elif by_office:
        name = office.district_name.removesuffix("民政局") if office else ""
    else:
        name = office.name if office else ""
        if actor.role in COMMUNITY_SCOPED and actor.community_id:
            # a community child director's report covers their community only: so says its title
            name += (
                session.scalar(select(Community.name).where(Community.id == actor.community_id))
                or ""
            )
    return Report(
        name,
        office.district_name if office else "",
        period,
        day,
        tuple(s.build(session, actor, period, day, rows, progress) for s in specs),
    )
