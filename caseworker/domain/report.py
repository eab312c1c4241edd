"""What a report and an exported sheet are made of, as plain values: columns, tables, charts,
sections, the report. The services fill them (`caseworker.services.reports`, the exports); the
screen, the PDF (`caseworker.printing.report_pdf`) and the .xlsx writer draw them, so the three
show the same figures. Here, below both, so that printing reads them without importing a
service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from caseworker.domain.periods import Period


@dataclass(frozen=True)
class Column:
    """kind: "text" (kept as text: IDs, phones), "date", "datetime", "int", "float", "percent"."""

    header: str
    kind: str = "text"
    width: float | None = None  # None: measured


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
    # The section's definitions, printed under it as numbered footnotes (注：1. … 2. …), as a
    # bureau's statistical tables state how each figure is counted.
    footnotes: tuple[str, ...] = ()
    confidential: bool = False  # its pages are marked 保密 (the children's figures)


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

    @property
    def partial(self) -> bool:
        """The period is still running: its figures are counted up to `until` only."""
        return self.generated_on < self.period.last
