"""The 老年人探访 section of 统计报表: roster, visits and referrals per community.

Each figure comes from one place:

- **Visits** (`visit_counts`): one read of the roster, each person with their completed visits
  as packed day numbers, counted on arrays in slices of people (`_bulk_counts`; the few whose
  figures need a visit's id person by person), gives, for every month asked and community:
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
- **People and visits** (counted in the same pass as the visits): 探访人数 counts each person visited
  in the period once (人); 探访次数 counts the completed visits (人次). A month's 应访/已访 are
  people (人); a quarter's or a year's are the sum of its months (人·月: a person due in three
  months counts three times), which is why the distinct count stands beside them.
- A major change (跌倒, 住院, …) makes a visit due the next day: a person is also 应访 in a
  month when such a change, known by the month's second-last day, was not answered by a visit
  before the month began (as `schedule.visit_rates` counts it). Voided visits count for nothing.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import chain, groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, or_, select
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
from caseworker.domain.statistics import month_label, partial_note, running_month
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
from db.base import table_of
from db.elderly import (
    ElderlyChange,
    ElderlyReferral,
    ElderlyResident,
    ElderlyVisit,
    ElderlyVisitAmendment,
)
from db.no_gc import no_cyclic_gc

R = table_of(ElderlyResident).c
V = table_of(ElderlyVisit).c
F = table_of(ElderlyReferral).c
A = table_of(ElderlyVisitAmendment).c
E = table_of(ElderlyChange).c
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
    vectorised: bool = True,
) -> dict[tuple[date, str], VisitCounts]:
    """应访/已访/按时/逾期未访 per (month's first day, community id); see the module docstring.
    `vectorised=False` counts everyone person by person (the reference the tests compare the
    array count with)."""
    return _stream(session, actor, months, today=today, progress=progress, vectorised=vectorised)[0]


@dataclass
class Seen:
    """探访人数 and 探访次数 of one community in a span (voided visits left out)."""

    people: int = 0
    visits: int = 0


def _ordinals() -> Callable[[Any], int | None]:
    """A date as its day number, whichever form it comes in: a day number already (SQLite,
    `_ORDINAL`), text ('2026-11-18', converted once per distinct day), or a date
    (PostgreSQL)."""
    memo: dict[str, int] = {}

    def ordinal(value: Any) -> int | None:
        if value is None or type(value) is int:  # already a day number (julianday in SQL)
            return value
        if isinstance(value, str):
            found = memo.get(value)
            if found is None:
                found = memo[value] = date.fromisoformat(value[:10]).toordinal()
            return found
        return value.toordinal()

    return ordinal


def _raw_rows(session: Session, stmt: Any, sql: str, params: tuple[Any, ...]) -> Iterator[Any]:
    """The rows of `stmt`; on SQLite and PostgreSQL straight from the driver's cursor in the
    session's own transaction (`sql`, `params`: the same query in SQL, `?` for each parameter,
    dates as day numbers by `_ORDINAL`), without SQLAlchemy's per-row type processing: the
    report reads a million visits, and turning each date into an object and back into a day
    number cost more than reading them (on PostgreSQL, 2.4x SQLite's time for the district's
    report at 20,000 residents, issue 26). PostgreSQL streams them from a server-side cursor."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.arraysize = 20_000
        # dates as the ISO text SQLite stores them
        cursor.execute(sql, tuple(p.isoformat() if isinstance(p, date) else p for p in params))
        # chained in C: no Python frame per row (a million pass here)
        return chain.from_iterable(iter(cursor.fetchmany, []))
    if conn.dialect.name == "postgresql" and sql:
        raw = conn.connection.driver_connection
        assert raw is not None  # an open connection holds its driver's connection
        server = raw.cursor(name=f"report_rows_{next(_CURSORS)}")
        server.execute(sql.replace("?", "%s"), params)
        return chain.from_iterable(iter(lambda: server.fetchmany(20_000), []))
    result = conn.execute(stmt.execution_options(stream_results=True, yield_per=20_000))
    return chain.from_iterable(result.partitions())


_CURSORS = itertools.count()


def _ordinal_sql(session: Session, column: str) -> str:
    """SQL for a date column as its day number (`date.toordinal`), in the session's dialect."""
    if session.connection().dialect.name == "postgresql":
        return f"({column} - DATE '0001-01-01' + 1)"
    return _ORDINAL.format(column)


# Day numbers (date.toordinal) computed by SQLite itself: julianday() of 0001-01-01 is
# 1721425.5 and its ordinal is 1.
_ORDINAL = "CAST(julianday({0}) - 1721424.5 AS INTEGER)"


def _visit_rows(
    session: Session, end: date, only: tuple[str, tuple[Any, ...]] | None = None
) -> Iterator[tuple[str, int, int | None, str]]:
    """(resident id, effective day number, proposed next visit's day number, visit id) of
    every completed visit up to `end`, in person and date order; `only`: an SQL condition and
    its parameters that keep some of them (SQLite and PostgreSQL only)."""
    stmt = (
        select(V.resident_id, V.effective_date, V.next_visit_on, V.id)
        .where(V.status == COMPLETED, V.deleted_at.is_(None), V.effective_date <= end)
        .order_by(V.resident_id, V.effective_date, V.id)
    )
    if session.connection().dialect.name in ("sqlite", "postgresql"):
        sql = (
            f"SELECT resident_id, {_ordinal_sql(session, 'effective_date')}, "
            f"{_ordinal_sql(session, 'next_visit_on')}, id FROM elderly_visit "
            "WHERE status = ? AND deleted_at IS NULL AND effective_date <= ? "
            + (f"AND {only[0]} " if only else "")
            + "ORDER BY resident_id, effective_date, id"
        )
        return _raw_rows(session, stmt, sql, (COMPLETED, end, *(only[1] if only else ())))
    ordinal = _ordinals()
    return (
        (rid, ordinal(eff), ordinal(nxt), vid)  # type: ignore[misc]
        for rid, eff, nxt, vid in _raw_rows(session, stmt, "", ())
    )


# The roster's 100,000 rows, their columns and the per-person tuples are all kept until the
# figures are made: without the pause, the cyclic collector rescanned them (0.3 s of CPU).
@no_cyclic_gc()
def _stream(  # noqa: C901
    session: Session,
    actor: Actor,
    months: Iterable[date],
    *,
    today: date,
    progress: Progress | None = None,
    span: tuple[date, date] | None = None,
    roster: dict[str, dict[str, int]] | None = None,
    vectorised: bool = True,
) -> tuple[dict[tuple[date, str], VisitCounts], dict[str, Seen]]:
    """One pass over the roster and every completed visit (in person order, never all in
    memory): the month figures, and for `span` each community's 探访人数 and 探访次数; when
    `roster` is given, it is filled with the roster's figures for `span` (`roster_counts`'s
    definitions, counted from the same read of the roster)."""
    can_view(actor)
    spans = sorted({rules.month_of(m) for m in months})
    ends = [spans[-1][1]] if spans else []
    if span is not None:
        ends.append(span[1])
    if not ends:
        return {}, {}
    end = max(ends)
    # Each month counts with the intervals in force on its last day (a dated change of
    # migration 0023): last year's months keep last year's intervals, not today's.
    by_day = schedule.intervals_on(session, [last for _first, last in spans])
    month_days = [by_day[last] for _first, last in spans]
    conn = session.connection()
    ordinal = _ordinals()
    scheduled_statuses = frozenset(SCHEDULED_STATUSES)
    # Dates as day numbers (ordinals) from here on: the loop below runs once per resident and
    # month (1.2 million times for a year at 100,000 residents), so it stays arithmetic.
    bulk = vectorised and conn.dialect.name in ("sqlite", "postgresql")
    # For `_bulk_counts`: each person's completed visits as one text of packed integers (day
    # number * 2**22 + the proposed next visit's day number, 0 for none), read with the person
    # through the person-and-date index: 100,000 rows reach Python instead of a million.
    packed = (  # 64-bit: PostgreSQL's day numbers are 32-bit integers
        f"CAST({_ordinal_sql(session, 'v.effective_date')} AS BIGINT) * {_PERSON_STEP} "
        f"+ COALESCE({_ordinal_sql(session, 'v.next_visit_on')}, 0)"
    )
    joined = (
        f"string_agg(CAST({packed} AS TEXT), ',')"
        if conn.dialect.name == "postgresql"
        else f"group_concat({packed})"
    )
    visits_sql = (
        f", (SELECT {joined} FROM elderly_visit v WHERE v.resident_id = elderly_resident.id "
        "AND v.status = ? AND v.deleted_at IS NULL AND v.effective_date <= ?)"
        if bulk
        else ""
    )
    people_rows = list(
        _raw_rows(
            session,
            select(
                R.id,
                R.community_id,
                R.tier,
                R.enrolled_on,
                R.status,
                R.status_date,
                R.categories,
                R.birth_date,
            ).where(R.deleted_at.is_(None), R.enrolled_on <= end),
            f"SELECT id, community_id, tier, {_ordinal_sql(session, 'enrolled_on')}, status, "
            f"{_ordinal_sql(session, 'status_date')}, categories, "
            f"{_ordinal_sql(session, 'birth_date')}{visits_sql} "
            "FROM elderly_resident WHERE deleted_at IS NULL AND enrolled_on <= ?",
            (*((COMPLETED, end) if bulk else ()), end),
        )
    )
    # Column by column (comprehensions and zip, no Python statement per person).
    columns = (
        [list(c) for c in zip(*people_rows, strict=True)] if people_rows else [[] for _ in range(9)]
    )
    del people_rows
    ids, cids, tiers, enrolled_col, statuses, left_col, cats_col, birth_col = columns[:8]
    if conn.dialect.name not in ("sqlite", "postgresql"):  # dates, not day numbers yet
        enrolled_col = [ordinal(x) for x in enrolled_col]
        left_col = [ordinal(x) for x in left_col]
        birth_col = [ordinal(x) for x in birth_col]
    left_col = [x or 0 for x in left_col]
    sched_col = [x in scheduled_statuses for x in statuses]
    people = (ids, cids, tiers, enrolled_col, sched_col, left_col)
    residents: dict[str, tuple[str, str, int, bool, int]] = dict(
        zip(ids, zip(*people[1:], strict=True), strict=True)
    )
    if roster is not None and span is not None:
        roster.update(
            _roster_tally(span, cids, tiers, enrolled_col, statuses, sched_col, left_col,
                          cats_col, birth_col)
        )  # fmt: skip
    amended_next: dict[str, int | None] = {}
    for vid, value in conn.execute(
        select(A.visit_id, A.new_value)
        .where(A.field == "next_visit_on", A.deleted_at.is_(None))
        .order_by(A.amended_at, A.id)
    ):
        amended_next[vid] = date.fromisoformat(value).toordinal() if value else None
    # Major changes, by person: (day known, the visit that reported it). Few: looked at only
    # for the people who have one.
    changes: dict[str, list[tuple[int, str | None]]] = {}
    for rid, known, source in conn.execute(
        select(E.resident_id, E.known_on, E.visit_id).where(
            E.deleted_at.is_(None), E.known_on <= end
        )
    ):
        changes.setdefault(rid, []).append((known.toordinal(), source))
    out: dict[tuple[date, str], VisitCounts] = {}
    seen: dict[str, Seen] = {}
    ords = [(first.toordinal(), last.toordinal(), first) for first, last in spans]
    seen_first, seen_last = (span[0].toordinal(), span[1].toordinal()) if span else (0, -1)
    today_o = today.toordinal()
    total = len(residents)
    step = rules.MAJOR_CHANGE_DUE_DAYS

    # Per community, one VisitCounts per month (in `ords` order): the inner loop below indexes
    # a list instead of building a (month, community) key 1.2 million times.
    by_community: dict[str, list[VisitCounts]] = {}
    months_n = len(ords)
    bisect_left, bisect_right = bisect.bisect_left, bisect.bisect_right

    def count(rid: str, effs: list[int], nexts: list[int | None], vids: list[str]) -> None:  # noqa: C901
        cid, tier, enrolled, scheduled, status_date = residents[rid]
        n = len(effs)
        if span is not None and n:  # visits in the span: the person once, each visit
            k = bisect_right(effs, seen_last) - bisect_left(effs, seen_first)
            if k:
                got = seen.get(cid)
                if got is None:
                    got = seen[cid] = Seen()
                got.people += 1
                got.visits += k
        mine = changes.get(rid)
        counts = by_community.get(cid)
        if counts is None:
            counts = by_community[cid] = [VisitCounts() for _ in range(months_n)]
        for m, (first, last, _key) in enumerate(ords):
            if enrolled > last or not (scheduled or status_date > last):
                continue
            i = bisect_left(effs, first) if n else 0  # visits before `first`: effs[:i]
            if i:  # domain.schedule.next_due, on day numbers
                last_on = effs[i - 1]
                due_at = last_on + month_days[m][tier]
                proposed = nexts[i - 1]
                if proposed is not None and last_on < proposed < due_at:
                    due_at = proposed
            else:
                due_at = enrolled
            if mine:
                for known, source in mine:
                    # a change known by then, not answered by another visit before the month
                    if known + step <= last and not any(
                        vids[j] != source for j in range(bisect_left(effs, known), i)
                    ):
                        due_at = min(due_at, known + step)
            visited = i < n and effs[i] <= last
            if not visited and due_at > last:
                continue
            c = counts[m]
            c.due += 1
            if visited:
                c.visited += 1
                if effs[i] <= due_at:
                    c.on_time += 1
            elif due_at < min(last + 1, today_o):
                c.overdue += 1

    voided = set(
        conn.execute(
            select(A.visit_id).where(A.field == schedule.VOID_FIELD, A.deleted_at.is_(None))
        ).scalars()
    )
    amended = amended_next.keys()
    counted: set[str] = set()
    visit_rows: Iterable[tuple[str, int, int | None, str]]
    if bulk:
        # Everyone but the few whose figures need the visit ids (a major change, a voided or an
        # amended visit) is counted by `_bulk_counts` in arrays; those few below, as before.
        few = set(
            conn.execute(
                select(E.resident_id)
                .where(E.deleted_at.is_(None), E.known_on <= end)
                .union(
                    select(V.resident_id)
                    .join(table_of(ElderlyVisitAmendment), A.visit_id == V.id)
                    .where(
                        A.deleted_at.is_(None),
                        A.field.in_(("next_visit_on", schedule.VOID_FIELD)),
                    )
                )
            ).scalars()
        )
        # In slices of people: the arrays hold one slice's visits at a time, so memory does
        # not grow with the visits table (the figures add up).
        for lo in range(0, len(ids), _CHUNK):
            _bulk_counts(
                tuple(c[lo : lo + _CHUNK] for c in people),  # type: ignore[arg-type]
                columns[8][lo : lo + _CHUNK],
                few,
                ords,
                month_days,
                today_o,
                (seen_first, seen_last) if span is not None else None,
                by_community,
                seen,
            )
        if progress is not None:
            progress(total - len(few), total, f"正在统计探访（{total - len(few)}/{total}）")
        counted = set(residents) - few
        # their visits by their ids, a bounded number per statement (SQLite's variable limit)
        ids = sorted(few)
        visit_rows = chain.from_iterable(
            _visit_rows(
                session,
                end,
                (f"resident_id IN ({', '.join('?' * len(batch))})", tuple(batch)),
            )
            for batch in (ids[i : i + _BATCH] for i in range(0, len(ids), _BATCH))
        )
    else:
        visit_rows = _visit_rows(session, end)
    # Visits in person order, grouped: each person's lists are built by comprehensions, not
    # one append per visit.
    for n_people, (rid, group) in enumerate(groupby(visit_rows, itemgetter(0))):
        g = list(group)
        if voided:  # a visit entered in error counts for nothing
            g = [r for r in g if r[3] not in voided] if any(r[3] in voided for r in g) else g
        vids = [r[3] for r in g]
        effs = [r[1] for r in g]
        if amended and not amended.isdisjoint(vids):
            nexts = [amended_next[r[3]] if r[3] in amended_next else r[2] for r in g]
        else:
            nexts = [r[2] for r in g]
        if rid in residents:
            count(rid, effs, nexts, vids)
            counted.add(rid)
        if progress is not None and n_people % 5_000 == 0:
            progress(len(counted), total, f"正在统计探访（{len(counted)}/{total}）")
    for rid in residents:  # never visited (before the period's end)
        if rid not in counted:
            count(rid, [], [], [])
    for cid, counts in by_community.items():
        for (_first, _last, key), c in zip(ords, counts, strict=True):
            if c.due:
                out[(key, cid)] = c
    return out, seen


_CHUNK = 20_000  # people per `_bulk_counts` call: about 200,000 visits in its arrays
_BATCH = 500  # ids per statement when the few counted person by person are read
# Day numbers are below 2**22 (year 9999 is 3,652,059): a person's index times this, plus a
# day, sorts every visit by person then day in one int64 array.
_PERSON_STEP = 1 << 22
_DAY_SHIFT = 22


def _bulk_counts(
    residents: tuple[list[str], list[str], list[str], list[int], list[bool], list[int]],
    texts: Sequence[str | None],
    few: set[str],
    ords: Sequence[tuple[int, int, date]],
    month_days: Sequence[dict[str, int]],
    today_o: int,
    span: tuple[int, int] | None,
    by_community: dict[str, list[VisitCounts]],
    seen: dict[str, Seen],
) -> None:
    """`_stream`'s month figures and 探访人数/次数 for every resident but `few`, added into
    `by_community` and `seen`: the same rules as `_stream`'s `count`, on arrays.

    `residents`: their ids, community ids, tiers, enrolment and leaving day numbers
    and whether they are scheduled, as columns; `texts`: each one's completed visits as packed
    integers (see `_stream`). numpy parses them in C and each month is a handful of array
    operations over the people, not a Python step per person and month (1.2 million for a
    year's trend at 100,000 residents; that loop was most of the report's time, issue 23)."""
    import numpy as np  # only the reports and the scanner need it: not imported at start

    ids, cids, tiers, enrolled_col, sched_col, left_col = residents
    count = len(ids)
    sizes = [text.count(",") + 1 if text else 0 for text in texts]
    numbers = np.fromstring(",".join(filter(None, texts)), dtype=np.int64, sep=",")
    if len(numbers) != sum(sizes):  # a text that is not a list of integers: never count wrong
        raise RuntimeError("visits could not be read")
    person = np.repeat(np.arange(count, dtype=np.int64), sizes)
    # The order inside a text is not relied on: sorted by person, day, next date (< 2**61).
    ordered = (person << 44) | numbers
    if len(ordered) > 1 and not bool(np.all(ordered[1:] >= ordered[:-1])):
        ordered.sort()
    # Two visits of one person on one day with different next dates: which one is the latest
    # depends on their ids (`ORDER BY ..., id`), which the texts do not carry. Counted person
    # by person with the rest of `few`.
    day_of = ordered >> _DAY_SHIFT
    tied = (day_of[1:] == day_of[:-1]) & (ordered[1:] != ordered[:-1])
    few.update(ids[k] for k in np.unique(ordered[1:][tied] >> 44).tolist())
    eff_all = day_of & (_PERSON_STEP - 1)
    # A sentinel after the last visit: `eff[pos]` is defined for every person's position.
    eff = np.append(eff_all, np.int64(_PERSON_STEP - 1))
    nxt = np.append(ordered & (_PERSON_STEP - 1), np.int64(0))  # 0: no next date proposed
    key = day_of  # person * 2**22 + day: sorted
    offsets = np.cumsum([0, *sizes])
    start, stop = offsets[:-1], offsets[1:]
    person_step = np.arange(count, dtype=np.int64) * _PERSON_STEP

    names, cidx = _codes(cids)
    tier_names, tier_idx = _codes(tiers)
    enrolled = np.asarray(enrolled_col, dtype=np.int64)
    scheduled = np.asarray(sched_col, dtype=bool)
    left = np.asarray(left_col, dtype=np.int64)
    keep = np.fromiter((rid not in few for rid in ids), dtype=bool, count=count)

    def position(day: int, side: str = "left") -> Any:
        """Per person: the index of their first visit on or after `day` (after, `right`)."""
        return np.searchsorted(key, person_step + day, side=side)  # type: ignore[call-overload]

    def by_unit(mask: Any, weights: Any = None) -> Any:
        return np.bincount(cidx[mask], None if weights is None else weights[mask], len(names))

    for m, (first, last, _key) in enumerate(ords):
        pos = position(first)  # visits before `first`: [start, pos)
        has_prev = pos > start
        prev = pos - 1  # -1 (the sentinel) where there is none: not used there
        last_on, proposed = eff[prev], nxt[prev]
        # the month's own intervals (`month_days`), each person's by their tier
        interval = np.asarray([month_days[m][t] for t in tier_names], dtype=np.int64)[tier_idx]
        due_after = last_on + interval
        due_at = np.where(
            has_prev,
            np.where((last_on < proposed) & (proposed < due_after), proposed, due_after),
            enrolled,
        )
        first_in = eff[pos]
        visited = (pos < stop) & (first_in <= last)
        on_roster = keep & (enrolled <= last) & (scheduled | (left > last))
        due = on_roster & (visited | (due_at <= last))
        figures = (
            by_unit(due),
            by_unit(due & visited),
            by_unit(due & visited & (first_in <= due_at)),
            by_unit(due & ~visited & (due_at < min(last + 1, today_o))),
        )
        for i in np.flatnonzero(figures[0]):
            cid = names[i]
            counts = by_community.get(cid)
            if counts is None:
                counts = by_community[cid] = [VisitCounts() for _ in ords]
            counts[m].add(VisitCounts(*(int(f[i]) for f in figures)))
    if span is not None:
        n = position(span[1], "right") - position(span[0])
        people, made = by_unit(keep & (n > 0)), by_unit(keep, n)
        for i in np.flatnonzero(people):
            got = seen.setdefault(names[i], Seen())
            got.people += int(people[i])
            got.visits += int(made[i])


def _codes(values: Sequence[str]) -> tuple[list[str], Any]:
    """The distinct `values` (sorted) and, per value, its index among them, as an array."""
    import numpy as np

    names = sorted(set(values))
    code_of = {v: i for i, v in enumerate(names)}
    return names, np.fromiter(map(code_of.__getitem__, values), dtype=np.int64, count=len(values))


_LEAVING = (Status.MOVED.value, Status.DECEASED.value)


def _roster_tally(
    span: tuple[date, date],
    cids: Sequence[str],
    tiers: Sequence[str],
    enrolled_col: Sequence[int],
    statuses: Sequence[str],
    sched_col: Sequence[bool],
    left_col: Sequence[int],
    cats_col: Sequence[str | None],
    birth_col: Sequence[int],
) -> dict[str, dict[str, int]]:
    """`roster_counts`'s figures for `span`, counted from the roster as `_stream` reads it (the
    report reads the roster once; a test checks both give the same), on arrays: a category
    list is split once per distinct list, not once per person."""
    import numpy as np

    first, last = span[0].toordinal(), span[1].toordinal()
    old = _years_before(span[1], ADVANCED_AGE).toordinal()
    keys = ("在册", *(t.value for t in Tier), *(c.value for c in Category), "新增", "减少")
    names, cidx = _codes(cids)
    n = len(names)
    enrolled = np.asarray(enrolled_col, dtype=np.int64)
    left = np.asarray(left_col, dtype=np.int64)
    on = (enrolled <= last) & (np.asarray(sched_col, dtype=bool) | (left > last))
    leaving = np.isin(np.asarray(statuses, dtype=object), _LEAVING)

    def per(mask: Any) -> Any:
        return np.bincount(cidx[mask], minlength=n)

    figures = {
        "在册": per(on),
        "新增": per((first <= enrolled) & (enrolled <= last)),
        "减少": per(leaving & (first <= left) & (left <= last)),
        Category.ADVANCED_AGE.value: per(on & (np.asarray(birth_col, dtype=np.int64) <= old)),
    }
    tier_names, tier_code = _codes(tiers)
    for k, t in enumerate(tier_names):
        figures[t] = figures.get(t, 0) + per(on & (tier_code == k))
    lists, list_code = _codes([c or "" for c in cats_col])
    by_list = np.bincount(list_code[on] * n + cidx[on], minlength=len(lists) * n)
    for k, text in enumerate(lists):
        row = by_list[k * n : (k + 1) * n]
        for c in text.split(","):
            if c and c in keys and c != Category.ADVANCED_AGE.value:
                figures[c] = figures.get(c, 0) + row
    return {
        cid: {key: int(figures[key][i]) if key in figures else 0 for key in keys}
        for i, cid in enumerate(names)
    }


def roster_counts(session: Session, actor: Actor, period: Period) -> dict[str, dict[str, int]]:
    """Per community: 在册 (at the period's end), by tier, by category, 新增, 减少."""
    can_view(actor)
    last = period.last
    on_roster = and_(
        R.enrolled_on <= last,
        or_(R.status.in_(SCHEDULED_STATUSES), R.status_date > last),
    )

    def n(cond: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(cast(and_(on_roster, cond), Integer))

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
        select(R.community_id, *(expr for _, expr in figures))
        .where(R.deleted_at.is_(None))
        .group_by(R.community_id)
    )
    names = [name for name, _ in figures]
    return {
        cid: {name: int(v or 0) for name, v in zip(names, values, strict=True)}
        for cid, *values in session.execute(q)
    }


# A visit the schedule has not dated (effective_date NULL): after every period, so the referral
# it raised is neither opened in a period nor open at its end, but its visit exists.
_NO_DATE = date(9999, 12, 31)


def referral_counts(session: Session, actor: Actor, period: Period) -> dict[str, dict[str, int]]:
    """Per community: referrals opened (by the raising visit's date), closed, open at the end."""
    can_view(actor)
    # The referral table is the only table in FROM, and its visit's date and its person's
    # community are correlated lookups by primary key: the plan starts from the referrals
    # whatever the statistics say, so the count costs as many rows as there are referrals.
    # A join let SQLite start from the 100,000 residents (in community order, to spare the
    # GROUP BY a sort) and probe each one's referrals, or, after ANALYZE on a workspace
    # without referrals, scan every visit instead.
    # One lookup of each per referral: the visit's date (`_NO_DATE` for a visit the schedule
    # has not dated yet, NULL when the visit is gone) and the person's community. The rows
    # are MATERIALIZED before they are counted: flattened into the outer query, SQLite
    # evaluated each lookup once per use (the date twice, the community three times: in the
    # WHERE, the GROUP BY and the result), 0.67 s of CPU for 78,000 referrals instead of 0.3.
    opened_on = (
        select(func.coalesce(V.effective_date, _NO_DATE))
        .where(V.id == F.visit_id, V.deleted_at.is_(None))
        .scalar_subquery()
    )
    community = (
        select(R.community_id)
        .where(R.id == F.resident_id, R.deleted_at.is_(None))
        .scalar_subquery()
    )
    per_referral = (
        select(
            community.label("community_id"),
            opened_on.label("opened_on"),
            F.closed_on.label("closed_on"),
        )
        .where(F.deleted_at.is_(None))
        .cte("per_referral")
        .prefix_with("MATERIALIZED")
    )
    col = per_referral.c
    q = (
        select(
            col.community_id,
            func.sum(cast(col.opened_on.between(period.first, period.last), Integer)),
            func.sum(cast(col.closed_on.between(period.first, period.last), Integer)),
            func.sum(
                cast(
                    and_(
                        col.opened_on <= period.last,
                        or_(col.closed_on.is_(None), col.closed_on > period.last),
                    ),
                    Integer,
                )
            ),
        )
        # A referral whose visit or person was deleted counts nowhere, as the join did.
        .where(col.community_id.is_not(None), col.opened_on.is_not(None))
        .group_by(col.community_id)
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
    roster: dict[str, dict[str, int]] = {}
    counts, people = _stream(
        session,
        actor,
        set(period.months) | set(trend_months),
        today=today,
        progress=progress,
        span=(period.first, period.last),
        roster=roster,
    )
    target = int(settings.get(session, TARGET_KEY)) / 100
    label = "街道" if any(len(u.community_ids) > 1 for u in units) else "社区/村"
    wanted = {cid for u in units for cid in u.community_ids}
    # A month's 应访/已访 count people; a quarter's or a year's add up its months.
    unit = "人" if period.kind == "month" else "人·月"
    until = period.last

    def visits_of(unit_ids: Iterable[str], months: Iterable[date]) -> VisitCounts:
        c = VisitCounts()
        for m in months:
            for cid in unit_ids:
                if (m, cid) in counts:
                    c.add(counts[(m, cid)])
        return c

    def seen(unit_ids: Iterable[str], key: str) -> int:
        return sum(getattr(people.get(cid, Seen()), key) for cid in unit_ids)

    total = visits_of(wanted, period.months)
    visit_rows: list[tuple[object, ...]] = []
    for u in units:
        c = visits_of(u.community_ids, period.months)
        visit_rows.append(
            (
                u.name,
                c.due,
                c.visited,
                c.on_time,
                c.overdue,
                c.rate,
                seen(u.community_ids, "people"),
                seen(u.community_ids, "visits"),
            )
        )
    n_people, n_visits = seen(wanted, "people"), seen(wanted, "visits")
    visit_rows.append(
        (
            "合计",
            total.due,
            total.visited,
            total.on_time,
            total.overdue,
            total.rate,
            n_people,
            n_visits,
        )
    )

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
    ref_rows: list[tuple[Any, ...]] = [
        (u.name, *(sum(refs.get(cid, {}).get(k, 0) for cid in u.community_ids) for k in ref_keys))
        for u in units
    ]
    ref_rows.append(("合计", *(sum(r[i + 1] for r in ref_rows) for i in range(len(ref_keys)))))

    trend = [(month_label(m, until), visits_of(wanted, [m]).rate) for m in trend_months]
    partial = any(running_month(m, until) for m in [*trend_months, *period.months])

    rate_text = "—" if total.rate is None else f"{total.rate * 100:.1f}%"
    rate_label = "探访率" + (f"（截至{until.month}月{until.day}日）" if partial else "")
    headline = (
        (rate_label, rate_text),
        ("目标", f"{target * 100:.0f}%"),
        ("探访人数", f"{n_people} 人"),
        ("探访次数", f"{n_visits} 人次"),
        (f"应访/已访（{unit}）", f"{total.due} / {total.visited}"),
        ("逾期未访", f"{total.overdue} {unit}"),
        ("在册老人", f"{sums['在册']} 人"),
    )
    community = Column(label)
    footnotes = [
        f"应访：当月在册，且按探访等级的间隔（区里设定）应访日期在当月内，或当月已访，或有重大变化"
        f"（跌倒、住院、失去照料人、家属联系不上）须在获知后 24 小时内探访；月报按人计（{unit}），"
        "季报、年报为各月之和（人·月）。已访：当月有已完成的探访记录，一人一月只计一次。",
        "按时：当月首次探访不晚于应访日期；逾期未访：应访日期已过仍未探访；探访率 = 已访 ÷ 应访。",
        "探访人数：统计期内有已完成探访记录的人数，每人只计一次（人）；探访次数：统计期内已完成的"
        "探访记录条数（人次）。作废的探访记录不计。",
        "在册：期末在册、住院，或期末以后才迁出/去世；一人可属多个类别；高龄按身份证号的出生日期。",
        "转介：新转介按提出转介的探访日期；期末未办结为期末前提出、期末尚未办结的转介。",
    ]
    if partial:
        footnotes.append(partial_note(until))
    return ReportSection(
        "老年人探访关爱",
        headline,
        (
            ReportTable(
                "探访情况",
                "探访情况",
                (
                    community,
                    Column(f"应访（{unit}）", "int"),
                    Column(f"已访（{unit}）", "int"),
                    Column("按时", "int"),
                    Column("逾期未访", "int"),
                    Column("探访率", "percent"),
                    Column("探访人数（人）", "int"),
                    Column("探访次数（人次）", "int"),
                ),
                tuple(visit_rows),
                note=(
                    f"应访、已访、按时、逾期未访按{unit}计；探访率 = 已访 ÷ 应访；"
                    "探访人数每人只计一次，探访次数为探访记录条数（见注 1–3）。"
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
                note="新转介按提出转介的探访日期；办结按办结日期；期末未办结为期末尚未办结的转介。",
            ),
            ReportTable(
                "近12个月",
                "近 12 个月探访率",
                (Column("月份"), Column("探访率", "percent")),
                tuple(trend),
                total=False,
                note=partial_note(until) if partial else "每月探访率 = 当月已访 ÷ 当月应访。",
            ),
        ),
        (
            Chart(
                "bar",
                # a running month says so (工作台 shows it on the 7th: 22 % is not a bad month)
                f"各{label}{rate_label}",
                tuple(str(r[0]) for r in visit_rows[:-1]),
                tuple(r[5] for r in visit_rows[:-1]),  # type: ignore[misc]
                target,
            ),
            Chart(
                "line",
                "近 12 个月探访率" + ("（* 本月未结束）" if partial else ""),
                tuple(label for label, _ in trend),
                tuple(v for _, v in trend),
                target,
            ),
        ),
        tuple(footnotes),
    )


SPEC = SectionSpec("elderly", lambda a: a.can(Permission.ELDERLY_VIEW), build)
