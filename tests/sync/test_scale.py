"""A real office's first bundle, under the parameter limit of Python's Windows build.

tests/conftest.py sets SQLite's stock limit of 32,766 parameters on every connection; a
3,000-resident office (about 40,000 visits) was already past it when a statement grew with the
data. The round trip office → district → office must go through whole."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from caseworker import demo
from caseworker.district import service
from caseworker.sync import office
from db.elderly import ElderlyResident, ElderlyVisit
from tests.sync.helpers import ADMIN, make_world


def _counts(replica) -> tuple[int, int]:
    with replica.reader() as s:
        return (
            s.scalar(select(func.count()).select_from(ElderlyResident)) or 0,
            s.scalar(select(func.count()).select_from(ElderlyVisit)) or 0,
        )


def test_a_3000_resident_office_round_trips_under_the_stock_limit(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A"])
    try:
        a = w.offices["A"]
        with a.engine.connect() as conn:
            raw = conn.connection.driver_connection
            import sqlite3

            assert raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) == 32766
        demo.build(a, residents=3000, seed=7)
        residents, visits = _counts(a)
        assert residents == 3000 and visits > 32766
        up = w.office_to_district("A")
        [done] = service.ingest(w.hub, [up])
        assert done.refused == "", done.refused
        assert _counts(w.hub) == (residents, visits)
        with w.hub.reader() as s:
            due = s.scalar(select(func.count()).where(ElderlyResident.next_due.is_not(None)))
        assert due and due > 0.9 * residents  # derived schedule recomputed at the district
        back = office.import_bundle(a, ADMIN, w.district_to_office("A"))
        assert back.refused == 0
        again = service.ingest(w.hub, [w.office_to_district("A")])[0]
        assert again.applied == 0 and again.refused == ""
    finally:
        w.close()
