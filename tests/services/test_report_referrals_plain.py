"""The report's referral figures (`referral_counts`) equal a plain-Python count of the same rules
over the rows themselves, on generated referrals: open, closed before, in and after the period,
deleted ones, those of deleted visits and people, and visits the schedule has not dated. A
change to the query's shape (its lookups, the materialised rows, the sentinel for a visit
without a date) that counts one referral wrongly fails here."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from caseworker.domain import periods
from caseworker.domain.roles import Actor
from caseworker.services.reports.elderly import referral_counts
from caseworker.workspace import Workspace
from tests.services._elderly import TODAY
from tests.services.test_report_counts_bulk import _generate
from tests.services.test_report_referrals import _referrals


def _plain(db: str, first: date, last: date) -> dict[str, dict[str, int]]:
    """The rules of the module docstring, referral by referral, in Python."""
    con = sqlite3.connect(db)
    try:
        visits = {
            vid: (day, deleted)
            for vid, day, deleted in con.execute(
                "SELECT id, effective_date, deleted_at FROM elderly_visit"
            )
        }
        people = {
            rid: (cid, deleted)
            for rid, cid, deleted in con.execute(
                "SELECT id, community_id, deleted_at FROM elderly_resident"
            )
        }
        referrals = con.execute(
            "SELECT visit_id, resident_id, closed_on, deleted_at FROM elderly_referral"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, dict[str, int]] = {}
    for vid, rid, closed, deleted in referrals:
        visit, person = visits.get(vid), people.get(rid)
        if deleted or visit is None or visit[1] or person is None or person[1]:
            continue  # counts nowhere
        opened = date.fromisoformat(visit[0]) if visit[0] else None
        closed_on = date.fromisoformat(closed) if closed else None
        got = out.setdefault(person[0], {"转介": 0, "办结": 0, "未办结": 0})
        got["转介"] += opened is not None and first <= opened <= last
        got["办结"] += closed_on is not None and first <= closed_on <= last
        got["未办结"] += (
            opened is not None and opened <= last and (closed_on is None or closed_on > last)
        )
    return out


@pytest.mark.parametrize("seed", [11, 12])
def test_the_referral_counts_equal_a_plain_count(
    office_ws: Workspace, worker: Actor, seed: int
) -> None:
    ids = _generate(office_ws, seed, people=300)
    assert _referrals(office_ws, seed) > 50
    con = sqlite3.connect(office_ws.paths.db)
    with con:  # a deleted visit that raised a referral, and a deleted person who has some
        con.execute(
            "UPDATE elderly_visit SET deleted_at = '2026-11-02 09:00:00' WHERE id IN "
            "(SELECT visit_id FROM elderly_referral ORDER BY id DESC LIMIT 2)"
        )
        con.execute(
            "UPDATE elderly_resident SET deleted_at = '2026-11-02 09:00:00' WHERE id IN "
            "(SELECT resident_id FROM elderly_referral ORDER BY visit_id LIMIT 1)"
        )
    con.close()
    assert ids
    for period in (
        periods.month(date(2026, 10, 1)),
        periods.quarter(2026, 3),
        periods.parse("2026"),
        periods.month(TODAY),
    ):
        expected = _plain(str(office_ws.paths.db), period.first, period.last)
        with office_ws.reader() as s:
            got = referral_counts(s, worker, period)
        # communities with no referral counted at all may be left out by either side
        nonzero = {cid: v for cid, v in expected.items() if any(v.values())}
        assert {cid: v for cid, v in got.items() if any(v.values())} == nonzero, period
        assert sum(v["转介"] + v["未办结"] for v in nonzero.values()) > 0
