"""统计报表: the monthly (quarterly, yearly) report the office sends the district.

A report is a list of sections, one per programme the person may see (`SECTIONS`; retrofit and
children add theirs), each made of tables and charts as plain values. The screen, the PDF and
the .xlsx are drawn from the same `Report`, so the three always show the same figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.periods import Period
from caseworker.domain.roles import Actor
from caseworker.services import accounts
from caseworker.services.elderly._common import today_or
from caseworker.services.tabular.xlsx import Column

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ReportTable:
    key: str  # the .xlsx sheet's name
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]  # the last row is the total when `total` is set
    total: bool = True
    note: str = ""  # how the figures are defined (printed under the table)


@dataclass(frozen=True)
class Chart:
    kind: str  # "bar" (one bar per label) or "line" (points over time)
    title: str
    labels: tuple[str, ...]
    values: tuple[float | None, ...]  # rates 0..1 (None: nobody was due)
    target: float | None = None  # a horizontal target line


@dataclass(frozen=True)
class ReportSection:
    title: str
    headline: tuple[tuple[str, str], ...]  # the few figures that matter, in words
    tables: tuple[ReportTable, ...]
    charts: tuple[Chart, ...]


@dataclass(frozen=True)
class Report:
    office_name: str
    district_name: str
    period: Period
    generated_on: date
    sections: tuple[ReportSection, ...]

    @property
    def until(self) -> date:
        """The last day counted: the period's end, or today while the period is running."""
        return min(self.period.last, self.generated_on)

    @property
    def title(self) -> str:
        return f"{self.office_name}民政工作统计{self.period.report_name}（{self.period.label}）"


@dataclass(frozen=True)
class SectionSpec:
    key: str
    may_see: Callable[[Actor], bool]
    build: Callable[[Session, Actor, Period, date, Progress | None], ReportSection]


def _sections() -> list[SectionSpec]:
    from caseworker.services.reports import elderly

    return [elderly.SPEC]


def build(
    session: Session,
    actor: Actor,
    period: Period,
    *,
    today: date | None = None,
    progress: Progress | None = None,
) -> Report:
    """The report for `period`, with the sections `actor` may see."""
    day = today_or(today)
    specs = [s for s in _sections() if s.may_see(actor)]
    if not specs:
        raise PermissionDenied("您的账号没有可查看的统计报表")
    if period.first > day:
        raise ValidationError(f"{period.label}还没有开始，无法统计")
    office = accounts.office(session)
    return Report(
        office.name if office else "",
        office.district_name if office else "",
        period,
        day,
        tuple(s.build(session, actor, period, day, progress) for s in specs),
    )
