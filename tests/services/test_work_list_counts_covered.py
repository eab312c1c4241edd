"""工作台's elderly counts read indexes only (migration 0026, issue 23: login → roster cold at
100,000 residents): the overdue and due-this-week counts, the open referrals' counts and the
page of them, and the current month's visit rate are answered by covering indexes, with no
resident's or referral's row read; and the counts still equal their lists' lengths, the pages
the whole list, on generated residents (deleted ones, other communities, other visitors) and
referrals (closed, deleted, other owners)."""

from __future__ import annotations

import random
import sqlite3
from datetime import timedelta

import pytest

from caseworker.domain import schedule as rules
from caseworker.domain.roles import Actor
from caseworker.services import accounts
from caseworker.services.elderly import schedule
from caseworker.workspace import Workspace
from tests.services._elderly import TODAY
from tests.services.test_report_counts_bulk import _generate
from tests.services.test_report_referrals import _referrals, _statements


def _work_lists(ws: Workspace, staff_id: str, seed: int) -> list[str]:
    """Due dates (past, this week, later, none), visitors and referral owners at random."""
    _generate(ws, seed, people=300)
    _referrals(ws, seed)
    rng = random.Random(seed)
    con = sqlite3.connect(ws.paths.db)
    with con:
        for (rid,) in con.execute("SELECT id FROM elderly_resident").fetchall():
            due = TODAY + timedelta(days=rng.randint(-60, 30))
            con.execute(
                "UPDATE elderly_resident SET next_due = ?, last_visit_on = ?, "
                "assigned_staff_id = ? WHERE id = ?",
                (
                    None if rng.random() < 0.1 else due.isoformat(),
                    (TODAY - timedelta(days=rng.randint(0, 90))).isoformat(),
                    staff_id if rng.random() < 0.4 else None,
                    rid,
                ),
            )
        con.execute(
            "UPDATE elderly_referral SET owner_staff_id = ? WHERE abs(random()) % 3 = 0",
            (staff_id,),
        )
    communities = [r[0] for r in con.execute("SELECT id FROM community")]
    con.close()
    return communities


@pytest.mark.parametrize("seed", [3, 4])
def test_the_counts_equal_their_lists(office_ws: Workspace, worker: Actor, seed: int) -> None:
    assert worker.staff_id is not None
    communities = _work_lists(office_ws, worker.staff_id, seed)
    week_end = rules.week_of(TODAY)[1]
    with office_ws.reader() as s:
        for cid in (None, *communities):
            for vid in (None, worker.staff_id):
                mine = {"community_id": cid, "visitor_id": vid}
                overdue = schedule.overdue_list(s, worker, **mine, today=TODAY)
                assert schedule.overdue_count(s, worker, **mine, today=TODAY) == len(overdue)
                week = schedule.due_list(s, worker, week_end, **mine, since=TODAY, today=TODAY)
                assert schedule.due_count(s, worker, week_end, **mine, since=TODAY) == len(week)
                refs = schedule.open_referrals(s, worker, community_id=cid, owner_id=vid,
                                               today=TODAY)  # fmt: skip
                total, late = schedule.open_referral_counts(
                    s, worker, community_id=cid, owner_id=vid, today=TODAY
                )
                assert (total, late) == (len(refs), sum(r.due_on < TODAY for r in refs))
                # the pages, one after another, are the whole list in its order
                paged = []
                for offset in range(0, len(refs) + 7, 7):
                    paged += schedule.open_referrals(
                        s, worker, community_id=cid, owner_id=vid, today=TODAY, limit=7,
                        offset=offset,
                    )  # fmt: skip
                assert paged == refs
        assert schedule.overdue_count(s, worker, today=TODAY) > 20
        assert schedule.open_referral_counts(s, worker, today=TODAY)[0] > 20


def _plans(ws: Workspace, call) -> list[str]:  # type: ignore[no-untyped-def]
    """EXPLAIN QUERY PLAN of every statement `call` runs, the table reads only."""
    with ws.reader() as s:
        with _statements(ws) as seen:
            call(s)
        return [
            detail
            for statement, parameters in seen
            if statement.lstrip().upper().startswith("SELECT")
            for _id, _parent, _n, detail in s.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters
            )
            if detail.startswith(("SCAN", "SEARCH"))
        ]


def test_the_counts_read_covering_indexes(office_ws: Workspace, worker: Actor) -> None:
    assert worker.staff_id is not None
    communities = _work_lists(office_ws, worker.staff_id, 5)
    week_end = rules.week_of(TODAY)[1]
    with office_ws.reader() as s:
        system = Actor.system("test")
        assert accounts.communities(s)
    counts = {
        "overdue": lambda s: schedule.overdue_count(s, worker, today=TODAY),
        "overdue, community": lambda s: schedule.overdue_count(
            s, worker, community_id=communities[0], today=TODAY
        ),
        "overdue, visitor": lambda s: schedule.overdue_count(
            s, worker, visitor_id=worker.staff_id, today=TODAY
        ),
        "due this week": lambda s: schedule.due_count(s, worker, week_end, since=TODAY),
        "open referrals": lambda s: schedule.open_referral_counts(s, worker, today=TODAY),
        "open referrals, owner": lambda s: schedule.open_referral_counts(
            s, worker, owner_id=worker.staff_id, today=TODAY
        ),
        "this month's visit rate": lambda s: schedule._rates_current(s, *rules.month_of(TODAY)),
    }
    for name, call in counts.items():
        reads = _plans(office_ws, call)
        assert reads, name
        # every read of the resident or referral table is a covering index's
        for detail in reads:
            if "elderly_resident" in detail or "elderly_referral" in detail:
                assert "COVERING INDEX" in detail, (name, reads)
    # a page of open referrals: its ids chosen on the covering index, then only its rows
    reads = _plans(office_ws, lambda s: schedule.open_referrals(s, system, today=TODAY, limit=20))
    referral_reads = [d for d in reads if "elderly_referral" in d]
    assert any("COVERING INDEX ix_elderly_referral_status_due" in d for d in referral_reads), reads
    assert all("COVERING INDEX" in d or "(id=?)" in d for d in referral_reads), reads
    assert all("(id=?)" in d for d in reads if "elderly_resident" in d), reads
