"""The report's referral counts (`referral_counts`) read as many rows as there are referrals:
the plan starts from the referral table whether or not the workspace was ANALYZEd, and the
figures equal the plain join's (the query the report ran before) on generated referrals,
including deleted ones, those of deleted visits and people, and visits without a date."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, join, select
from sqlalchemy.dialects import postgresql, sqlite

from caseworker.domain import periods
from caseworker.domain.roles import Actor
from caseworker.services.reports.elderly import referral_counts
from caseworker.workspace import Workspace
from db.elderly import ElderlyReferral
from db.ids import new_id
from db.join_order import driven_join
from tests.services._elderly import TODAY
from tests.services.test_report_counts_bulk import _generate

# The query `referral_counts` ran before: the same rules as one join, the reference here.
JOINED = """
SELECT r.community_id,
       sum(v.effective_date BETWEEN :first AND :last),
       sum(f.closed_on BETWEEN :first AND :last),
       sum(v.effective_date <= :last AND (f.closed_on IS NULL OR f.closed_on > :last))
FROM elderly_referral f
JOIN elderly_visit v ON v.id = f.visit_id
JOIN elderly_resident r ON r.id = f.resident_id
WHERE f.deleted_at IS NULL AND v.deleted_at IS NULL AND r.deleted_at IS NULL
GROUP BY r.community_id
"""


def _referrals(ws: Workspace, seed: int) -> int:
    """Referrals raised at about one visit in five: open, closed before, in or after the
    period; a few deleted; a few visits' dates emptied (a date the schedule has not set)."""
    rng = random.Random(seed)
    now = datetime(2026, 11, 1, 9).isoformat(sep=" ")
    cols = [c.name for c in ElderlyReferral.__table__.columns]
    con = sqlite3.connect(ws.paths.db)
    visits = con.execute("SELECT id, resident_id, effective_date FROM elderly_visit").fetchall()
    rows = []
    for vid, rid, day in visits:
        if rng.random() > 0.2:
            continue
        opened = date.fromisoformat(day) if day else TODAY
        closed = opened + timedelta(days=rng.randint(1, 90)) if rng.random() < 0.6 else None
        row = dict.fromkeys(cols, "")
        row.update(
            id=new_id(),
            visit_id=vid,
            resident_id=rid,
            target="医疗机构",
            due_on=(opened + timedelta(days=14)).isoformat(),
            owner_staff_id=None,
            status="已办结" if closed else "待办",
            closed_on=closed.isoformat() if closed else None,
            created_at=now,
            updated_at=now,
            deleted_at=now if rng.random() < 0.05 else None,
        )
        rows.append(tuple(row[c] for c in cols))
    with con:
        marks = ",".join("?" * len(cols))
        con.executemany(f"INSERT INTO elderly_referral ({','.join(cols)}) VALUES ({marks})", rows)
        con.execute(
            "UPDATE elderly_visit SET effective_date = NULL WHERE id IN "
            "(SELECT visit_id FROM elderly_referral ORDER BY id LIMIT 3)"
        )
    con.close()
    return len(rows)


@contextmanager
def _statements(ws: Workspace) -> Iterator[list[tuple[str, object]]]:
    """The SQL the workspace's engine runs inside the block, with its parameters."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append((statement, parameters))

    event.listen(ws.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(ws.engine, "before_cursor_execute", record)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_referral_counts_equal_the_join(office_ws: Workspace, worker: Actor, seed: int) -> None:
    _generate(office_ws, seed, people=300)
    assert _referrals(office_ws, seed) > 50
    con = sqlite3.connect(office_ws.paths.db)
    try:
        for period in (
            periods.month(date(2026, 10, 1)),
            periods.parse("2026"),
            periods.month(TODAY),
        ):
            bounds = {"first": period.first.isoformat(), "last": period.last.isoformat()}
            expected = {
                cid: {"转介": a or 0, "办结": b or 0, "未办结": c or 0}
                for cid, a, b, c in con.execute(JOINED, bounds)
            }
            with office_ws.reader() as s:
                assert referral_counts(s, worker, period) == expected, period
            assert sum(v["转介"] for v in expected.values()) > 0
    finally:
        con.close()


@pytest.mark.parametrize("analyzed", [False, True])
def test_the_referral_counts_start_from_the_referrals(
    office_ws: Workspace, worker: Actor, analyzed: bool
) -> None:
    # Many people and visits, no referral: the case where a join walked every resident (or,
    # after ANALYZE, every visit) to find none.
    _generate(office_ws, 5, people=400)
    if analyzed:
        con = sqlite3.connect(office_ws.paths.db)
        con.execute("ANALYZE")
        con.close()
    with office_ws.reader() as s, _statements(office_ws) as seen:
        assert referral_counts(s, worker, periods.month(date(2026, 10, 1))) == {}
        statement, parameters = seen[-1]
        plan = list(s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
    # The per-referral rows are materialised first (each lookup made once per referral), then
    # counted. The rows of that step that read a table: the first is the referrals', and the
    # other tables are only looked up by primary key from them, once each.
    (step,) = [i for i, parent, _n, d in plan if parent == 0 and d == "MATERIALIZE per_referral"]
    top = [detail for _id, parent, _n, detail in plan if parent == step]
    reads = [d for d in top if d.startswith(("SCAN", "SEARCH"))]
    assert reads and "elderly_referral" in reads[0], plan
    assert all("elderly_referral" in d for d in reads), plan
    inner = [detail for _id, parent, _n, detail in plan if parent not in (0, step)]
    assert all(d.startswith("SEARCH") and "(id=?)" in d for d in inner), plan
    assert sum("elderly_visit" in d for d in inner) == 1, plan
    assert sum("elderly_resident" in d for d in inner) == 1, plan
    # the count reads the materialised rows only
    assert [d for _i, parent, _n, d in plan if parent == 0 and d.startswith("SCAN")] == [
        "SCAN per_referral"
    ], plan


# -- the children's cases: the same pattern (`db.join_order.driven_join`) ----------------------


@pytest.mark.parametrize("analyzed", [False, True])
def test_the_case_counts_start_from_the_cases(
    office_ws: Workspace, analyzed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import bench_children
    from caseworker.services.reports import children

    bench_children.fill(office_ws, children=300, cases=30)
    if analyzed:
        con = sqlite3.connect(office_ws.paths.db)
        con.execute("ANALYZE")
        con.close()
    system = Actor.system("test")
    period = periods.parse("2026")
    with office_ws.reader() as s, _statements(office_ws) as seen:
        counts = children.case_counts(s, system, period.first, period.last)
        statement, parameters = seen[-1]
        plan = list(s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
    reads = [d for _id, parent, _n, d in plan if parent == 0 and d.startswith(("SCAN", "SEARCH"))]
    assert reads[0] == "SCAN child_case", plan
    assert reads[1].startswith("SEARCH child USING") and "(id=?)" in reads[1], plan
    assert sum(c["新报告"] for c in counts.values()) > 0
    # the same figures as the plain join the planner orders itself
    monkeypatch.setattr(children, "driven_join", join)
    with office_ws.reader() as s:
        assert children.case_counts(s, system, period.first, period.last) == counts


def test_a_driven_join_is_a_plain_join_on_postgresql() -> None:
    from db.children import Child, ChildCase

    q = select(Child.community_id).select_from(
        driven_join(ChildCase, Child, Child.id == ChildCase.child_id)
    )
    assert "FROM child_case CROSS JOIN child ON" in str(q.compile(dialect=sqlite.dialect()))
    pg = str(q.compile(dialect=postgresql.dialect()))
    assert "FROM child_case JOIN child ON child.id = child_case.child_id" in pg
    assert "CROSS" not in pg
