"""工作台's and the queues' counts at a district's size (issue 24): the open conflicts are
counted from an index, not by reading every row; the cross-office duplicates are counted in
SQL and listed a page at a time, with real offices' bundles making the cases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import event

from caseworker.district import console, duplicates, service
from caseworker.domain import idnumber
from caseworker.domain.elderly import Category
from caseworker.services import accounts
from caseworker.services.elderly import roster
from tests.services._elderly import TODAY
from tests.sync.helpers import ADMIN, World, make_world


def _statements(w: World, call: object) -> list[tuple[str, object]]:
    sent: list[tuple[str, object]] = []

    def record(_c: object, _cur: object, sql: str, params: object, *_a: object) -> None:
        sent.append((sql, params))

    event.listen(w.hub.engine, "before_cursor_execute", record)
    try:
        call()  # type: ignore[operator]
    finally:
        event.remove(w.hub.engine, "before_cursor_execute", record)
    return sent


def _plan(w: World, sql: str, params: object) -> list[str]:
    with w.hub.engine.connect() as conn:
        return [str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]


def test_the_open_conflicts_count_searches_an_index(tmp_path: Path) -> None:
    """service.status's open conflicts per device pair: a covering search of the open rows
    (ix_sync_conflict_status_devices, migration 0021), not a scan of sync_conflict."""
    w = make_world(tmp_path, ["A"])
    try:
        sent = _statements(w, lambda: service.status(w.hub))
        counted = [(q, p) for q, p in sent if "sync_conflict" in q and "count" in q.lower()]
        assert counted, "status reads the open conflicts"
        for sql, params in counted:
            plan = _plan(w, sql, params)
            assert not any(step.startswith("SCAN sync_conflict") for step in plan), plan
            assert any("ix_sync_conflict_status_devices" in step for step in plan), plan
        # the conflicts page's total (status = 'open') is a search of the same index
        sent = _statements(w, lambda: console.conflict_page(w.hub, ADMIN))
        totals = [(q, p) for q, p in sent if "sync_conflict" in q and "count" in q.lower()]
        assert totals
        for sql, params in totals:
            assert not any(s.startswith("SCAN sync_conflict") for s in _plan(w, sql, params))
        # and the page itself walks the open rows in id order: no sort of all of them (with
        # only the device-pair index, SQLite searched it and sorted: 6.6 s at offset 50,000)
        pages = [(q, p) for q, p in sent if "sync_conflict" in q and "ORDER BY" in q]
        assert pages
        for sql, params in pages:
            plan = _plan(w, sql, params)
            assert not any("TEMP B-TREE" in step for step in plan), plan
    finally:
        w.close()


def _same_person_on_both(w: World, n: int) -> None:
    """n people registered at A and at B with the same ID numbers: B's are held duplicates."""
    for code in ("A", "B"):
        ws = w.offices[code]
        with ws.writer(ADMIN) as s:
            community = accounts.communities(s)[0]
            for i in range(n):
                number = idnumber.make("110105", date(1939, 2, 2), 100 + i)
                draft = roster.ResidentDraft(
                    f"冯奶奶{i}",
                    number,
                    community.id,
                    categories=frozenset({Category.LIVING_ALONE}),
                )
                roster.register(s, ADMIN, draft, today=TODAY)
        [done] = service.ingest(w.hub, [w.office_to_district(code)])
        assert done.refused == ""


def test_duplicates_are_counted_in_sql_and_listed_a_page_at_a_time(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A", "B", "C"])
    try:
        _same_person_on_both(w, 5)
        assert duplicates.count_cases(w.hub) == 5
        # the count reads no case row: one statement, a search of the status index
        sent = _statements(w, lambda: duplicates.count_cases(w.hub))
        dup_sql = [(q, p) for q, p in sent if "sync_duplicate" in q]
        assert len(dup_sql) == 1
        plan = _plan(w, *dup_sql[0])
        assert any("ix_sync_duplicate_status" in s for s in plan), plan
        # pages: 2 + 2 + 1, in the order found, nothing repeated or missed
        pages = [duplicates.list_cases(w.hub, offset=o, limit=2) for o in (0, 2, 4)]
        assert [len(p) for p in pages] == [2, 2, 1]
        ids = [c.id for p in pages for c in p]
        assert ids == sorted(ids) == [c.id for c in duplicates.list_cases(w.hub)]
        # 工作台's column: each office with one of the two records, grouped in SQL
        rows = {r.code: r.duplicates for r in console.dashboard(w.hub, ADMIN)}
        assert rows == {"A": 5, "B": 5, "C": 0}
        # settled cases leave the count, the pages and the column
        duplicates.resolve(w.hub, ids[0], "earlier")
        assert duplicates.count_cases(w.hub) == 4
        assert duplicates.count_cases(w.hub, open_only=False) == 5
        assert [c.id for c in duplicates.list_cases(w.hub, limit=10)] == ids[1:]
        assert {r.code: r.duplicates for r in console.dashboard(w.hub, ADMIN)}["A"] == 4
    finally:
        w.close()
