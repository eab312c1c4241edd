"""The hub's count of the changes waiting for each office (`service.status`, 工作台's column)
against what the next bundle to that office really carries, through ingest, correction,
transfer and acknowledgement; and that the count reads the journal's tail, not all of it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event, text

from caseworker.district import service, transfer
from caseworker.domain.elderly import Category
from caseworker.domain.roles import Role
from caseworker.services.elderly import roster
from caseworker.sync import office
from tests.services._elderly import TODAY, make_id
from tests.sync.helpers import ADMIN, World, account, make_world


def _waiting(w: World) -> dict[str, int]:
    return {s.code: s.pending for s in service.status(w.hub)}


def _resident(w: World, code: str, seq: int) -> tuple[str, str]:
    ws = w.offices[code]
    worker = account(ws, f"worker{seq}", "李专干", Role.CASEWORKER)
    from caseworker.services import accounts

    with ws.reader() as s:
        community = next(c.id for c in accounts.communities(s) if c.name == f"{code}和平社区")
    number = make_id(TODAY.replace(year=1940), seq)
    with ws.writer(worker) as s:
        r = roster.register(
            s,
            worker,
            roster.ResidentDraft(
                "陈奶奶", number, community, categories=frozenset({Category.LIVING_ALONE})
            ),
            today=TODAY,
        ).resident
    return number, r.id


def _export_matches(w: World, code: str) -> int:
    """The figure before the export equals what the export carries; returns it."""
    before = _waiting(w)[code]
    out = w.path(f"{code}-down")
    done = service.export_for(w.hub, code, out)
    assert before == done.changes, (code, before, done.changes)
    return done.changes


def test_the_waiting_count_is_what_the_next_bundle_carries(
    tmp_path: Path, district_db: str | None
) -> None:
    w = make_world(tmp_path, ["A", "B"], db_url=district_db)
    try:
        number, rid = _resident(w, "A", 41)
        _resident(w, "B", 42)
        for code in ("A", "B"):  # each office's first bundle in
            [done] = service.ingest(w.hub, [w.office_to_district(code)])
            assert done.refused == ""
        # a correction by the district: one change waits for A, none for B
        service.correct(w.hub, "elderly_resident", rid, {"phone": "13900001111"})
        assert _waiting(w) == {"A": 1, "B": 0}
        assert _export_matches(w, "A") == 1
        assert _export_matches(w, "B") == 0
        # not imported yet: the change still waits, and the next bundle carries it again
        assert _export_matches(w, "A") == 1
        # each office imports its latest bundle and says so in its next one (acknowledged)
        for code in ("A", "B"):
            latest = sorted((w.root / "stick").glob(f"*-{code}-down.cwbundle"))[-1]
            assert office.import_bundle(w.offices[code], ADMIN, latest).refused == 0
            [done] = service.ingest(w.hub, [w.office_to_district(code)])
            assert done.refused == ""
        assert _waiting(w) == {"A": 0, "B": 0}
        # a correction by the district: one change waits for A
        service.correct(w.hub, "elderly_resident", rid, {"phone": "13900001234"})
        assert _waiting(w)["A"] == 1
        # the resident moves to B: its whole history (older than B's last bundle) waits for B
        transfer.transfer_person(w.hub, number, "B", "B光明社区")
        waiting = _waiting(w)
        assert waiting["B"] >= 2
        assert _export_matches(w, "B") == waiting["B"]
        assert _export_matches(w, "A") == waiting["A"]
        # B acknowledges; a new change of A's to a district-wide record… none: nothing waits
        latest = sorted((w.root / "stick").glob("*-B-down.cwbundle"))[-1]
        assert office.import_bundle(w.offices["B"], ADMIN, latest).refused == 0
        [done] = service.ingest(w.hub, [w.office_to_district("B")])
        assert done.refused == ""
        assert _waiting(w)["B"] == 0
        _export_matches(w, "B")
    finally:
        w.close()


def test_the_waiting_count_reads_only_the_journal_since_the_last_bundle(tmp_path: Path) -> None:
    """On SQLite: after a bundle to each office, no statement of `status` scans the journal
    (the count was one scan of the whole journal per office: 0.5 s each at a district's size)."""
    w = make_world(tmp_path, ["A", "B"])
    try:
        for code in ("A", "B"):
            _resident(w, code, 50 + len(code))
            [done] = service.ingest(w.hub, [w.office_to_district(code)])
            assert done.refused == ""
            w.district_to_office(code)
        sent: list[tuple[str, object]] = []

        def record(_c: object, _cur: object, sql: str, params: object, *_a: object) -> None:
            if "journal" in sql and sql.lstrip().upper().startswith(("SELECT", "WITH")):
                sent.append((sql, params))

        event.listen(w.hub.engine, "before_cursor_execute", record)
        try:
            service.status(w.hub)
        finally:
            event.remove(w.hub.engine, "before_cursor_execute", record)
        assert sent
        with w.hub.engine.connect() as conn:
            for sql, params in sent:
                plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
                scans = [r[-1] for r in plan if str(r[-1]).startswith("SCAN journal")]
                assert not scans, (sql, scans)
        conn.close()
        # the journal itself is counted with a text() so the figure is real: it has rows
        with w.hub.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM journal")).scalar() > 0
    finally:
        w.close()


def test_the_waiting_count_when_an_earlier_bundle_is_acknowledged_but_not_the_last(
    tmp_path: Path, district_db: str | None
) -> None:
    """Two bundles out, the office imports only the first and says so: one change waits (the
    second correction), as the next bundle carries. Before, the count was the unacknowledged
    last bundle's two changes: too high."""
    w = make_world(tmp_path, ["A"], db_url=district_db)
    try:
        _number, rid = _resident(w, "A", 61)
        [done] = service.ingest(w.hub, [w.office_to_district("A")])
        assert done.refused == ""
        service.correct(w.hub, "elderly_resident", rid, {"phone": "13900002221"})
        first = w.district_to_office("A")
        service.correct(w.hub, "elderly_resident", rid, {"phone": "13900002222"})
        assert _export_matches(w, "A") == 2  # the second bundle carries both
        assert office.import_bundle(w.offices["A"], ADMIN, first).refused == 0
        [done] = service.ingest(w.hub, [w.office_to_district("A")])
        assert done.refused == ""
        assert _waiting(w)["A"] == 1
        assert _export_matches(w, "A") == 1
    finally:
        w.close()


def test_the_waiting_count_after_the_office_restores_a_backup(
    tmp_path: Path, district_db: str | None
) -> None:
    """The office restores a backup taken before it imported the district's correction: the
    correction waits for it again as soon as the hub sees the restore, not only after the next
    export. Before, the count stayed 0 (the last bundle was acknowledged)."""
    from caseworker.workspace import Workspace, restore

    w = make_world(tmp_path, ["A"], db_url=district_db)
    try:
        _number, rid = _resident(w, "A", 71)
        [done] = service.ingest(w.hub, [w.office_to_district("A")])
        assert done.refused == ""
        sunday = w.offices["A"].backup("manual")
        service.correct(w.hub, "elderly_resident", rid, {"phone": "13900003331"})
        down = w.district_to_office("A")
        assert office.import_bundle(w.offices["A"], ADMIN, down).refused == 0
        [done] = service.ingest(w.hub, [w.office_to_district("A")])
        assert done.refused == ""
        assert _waiting(w)["A"] == 0
        # Tuesday: Sunday's backup restored, its next bundle tells the hub
        ws = w.offices["A"]
        root = ws.paths.root
        ws.close()
        restore(root, sunday)
        ws = Workspace.open(root)
        ws.now_ms = w.clock
        w.offices["A"] = ws
        [done] = service.ingest(w.hub, [w.office_to_district("A")])
        assert done.refused == ""
        waiting = _waiting(w)["A"]
        assert waiting >= 1
        assert _export_matches(w, "A") == waiting
    finally:
        w.close()
