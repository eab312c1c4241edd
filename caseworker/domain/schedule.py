"""Visit scheduling rules: when a resident is next due, how overdue, the week and month windows.

Pure functions; the services feed them the tier's interval (a district setting) and the dates.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

# A visit is due within 24 hours of a major change becoming known: visits are dated by day, so
# on the next day (caseworker.domain.elderly re-exports it with the change vocabulary).
MAJOR_CHANGE_DUE_DAYS = 1


def next_due(
    *,
    scheduled: bool,
    enrolled_on: date,
    last_visit_on: date | None,
    interval_days: int,
    proposed_next: date | None = None,
    change_known_on: date | None = None,
) -> date | None:
    """The date the next visit is due, or None when the resident is not scheduled.

    - Not scheduled (moved or deceased): None.
    - Never visited: due at once, i.e. on the day the resident was enrolled.
    - Otherwise the tier's interval after the last completed visit, or the visitor's proposed
      next visit date from that visit when it is earlier (a proposal never postpones beyond
      the tier's standard).
    - A major change no visit has answered yet (`change_known_on`: the earliest day such a
      change became known) makes a visit due the next day when that is earlier: within 24 h
      (`caseworker.domain.elderly.major_change_due`).
    """
    if interval_days < 1:
        raise ValueError("interval_days must be at least 1")
    if not scheduled:
        return None
    if last_visit_on is None:
        due = enrolled_on
    else:
        due = last_visit_on + timedelta(days=interval_days)
        if proposed_next is not None and last_visit_on < proposed_next < due:
            due = proposed_next
    if change_known_on is not None:
        due = min(due, change_known_on + timedelta(days=MAJOR_CHANGE_DUE_DAYS))
    return due


def propose_next_visit(visit_on: date, interval_days: int) -> date:
    """The next visit date printed/proposed on a visit form: the tier's interval after it."""
    if interval_days < 1:
        raise ValueError("interval_days must be at least 1")
    return visit_on + timedelta(days=interval_days)


def days_overdue(due: date | None, today: date) -> int:
    """Whole days past the due date (0 when due today, in the future, or not scheduled)."""
    if due is None or due >= today:
        return 0
    return (today - due).days


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week containing `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def month_of(day: date) -> tuple[date, date]:
    """First and last day of the month containing `day`."""
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def parse_month(text: str) -> date:
    """ "2026-11" → date(2026, 11, 1); ValueError with a Chinese reason otherwise."""
    try:
        year, month = (int(p) for p in text.strip().split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ValueError(f"月份应写成 YYYY-MM（例如 2026-11），收到“{text}”") from None
