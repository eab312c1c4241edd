"""Reporting periods: a month, a quarter or a year, with its months and its Chinese label."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from caseworker.domain.schedule import month_of


@dataclass(frozen=True)
class Period:
    kind: str  # "month", "quarter" or "year"
    first: date
    last: date

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.first.year}年{self.first.month}月"
        if self.kind == "quarter":
            return f"{self.first.year}年第{(self.first.month - 1) // 3 + 1}季度"
        return f"{self.first.year}年"

    @property
    def report_name(self) -> str:
        return {"month": "月报", "quarter": "季报", "year": "年报"}[self.kind]

    @property
    def months(self) -> list[date]:
        """First days of the months in the period."""
        out: list[date] = []
        day = self.first
        while day <= self.last:
            out.append(day)
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return out


def month(day: date) -> Period:
    first, last = month_of(day)
    return Period("month", first, last)


def quarter(year: int, q: int) -> Period:
    if not 1 <= q <= 4:
        raise ValueError(f"季度应为 1 到 4，收到 {q}")
    first = date(year, 3 * q - 2, 1)
    return Period("quarter", first, month_of(date(year, 3 * q, 1))[1])


def year(y: int) -> Period:
    return Period("year", date(y, 1, 1), date(y, 12, 31))


def parse(text: str) -> Period:
    """ "2026-11" (month), "2026-Q4" (quarter) or "2026" (year); ValueError (Chinese) otherwise."""
    t = text.strip().upper().replace("Ｑ", "Q")
    try:
        if "Q" in t:
            yq, q = t.split("-Q") if "-Q" in t else t.split("Q")
            return quarter(int(yq), int(q))
        if "-" in t:
            y, m = (int(p) for p in t.split("-"))
            return month(date(y, m, 1))
        if len(t) == 4 and t.isdigit():
            return year(int(t))
    except ValueError:
        pass
    raise ValueError(f"统计期应写成 2026-11（月）、2026-Q4（季度）或 2026（年），收到“{text}”")


def last_months(end: date, n: int) -> list[date]:
    """First days of the `n` months ending with `end`'s month, oldest first."""
    y, m = end.year, end.month
    out: list[date] = []
    for _ in range(n):
        out.append(date(y, m, 1))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]
