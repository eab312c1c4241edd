"""An office restored from an older backup gets its own work back from the district (issue 19).

Monday's work (a new resident, a visit, a phone number changed, a retrofit application) reached
the district; on Tuesday the office restores Sunday's backup. Its next bundle lets the hub see
what it no longer has, the hub sends it back, and until that round trip is done the office says
that a restore waits for the district. A retrofit case number lost with the restore is never
issued again, and one that collides anyway is renumbered at the hub instead of refusing bundles.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from caseworker.cli import main as office_main
from caseworker.district import service
from caseworker.district.cli import main as district_main
from caseworker.domain.elderly import Category
from caseworker.domain.retrofit import HouseholdCategory
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.services.elderly import roster, visits
from caseworker.services.retrofit import cases
from caseworker.sync import conflicts, office
from caseworker.workspace import Workspace, restore
from tests.services._elderly import TODAY, make_id
from tests.sync.helpers import ADMIN, World, account, make_world, table_rows


def _reopen(w: World, code: str, backup: Path, *, via_cli: bool = False) -> Workspace:
    """Close the office's workspace, restore `backup` into it, open it again."""
    ws = w.offices[code]
    root = ws.paths.root
    ws.close()
    if via_cli:
        assert office_main(["--workspace", str(root), "restore", str(backup)]) == 0
    else:
        restore(root, backup)
    ws = Workspace.open(root)
    ws.now_ms = w.clock
    w.offices[code] = ws
    return ws


def _round_trip(w: World, code: str) -> office.ImportResult:
    [done] = service.ingest(w.hub, [w.office_to_district(code)])
    assert done.refused == "", done.refused
    return office.import_bundle(w.offices[code], ADMIN, w.district_to_office(code))


def _community(ws: Workspace) -> str:
    with ws.reader() as s:
        return accounts.communities(s)[0].id


def _apply(ws: Workspace, actor: Actor, name: str, seq: int) -> cases.CaseInfo:
    with ws.writer(actor) as s:
        return cases.apply(
            s,
            actor,
            cases.ApplicationDraft(
                name,
                make_id(date(1944, 3, 1), seq),
                _community(ws),
                address="和平路2号",
                categories=frozenset({HouseholdCategory.MIN_ALLOWANCE}),
            ),
            today=TODAY,
        )


def _sunday(w: World) -> tuple[Actor, str, Path]:
    """Office A with a resident, in sync with the district; Sunday's backup."""
    a = w.offices["A"]
    worker = account(a, "worker", "李专干", Role.CASEWORKER)
    with a.writer(worker) as s:
        first = roster.register(
            s,
            worker,
            roster.ResidentDraft(
                "陈奶奶",
                make_id(date(1940, 1, 9), 31),
                _community(a),
                phone="13800000001",
                categories=frozenset({Category.LIVING_ALONE}),
            ),
            today=TODAY,
        ).resident
    _round_trip(w, "A")
    return worker, first.id, a.backup("manual")


def test_an_office_restored_from_an_older_backup_gets_its_own_work_back(
    tmp_path: Path, district_db: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    w = make_world(tmp_path, ["A"], db_url=district_db)
    try:
        worker, first, sunday = _sunday(w)
        a = w.offices["A"]
        # Monday: a new resident, a visit, a phone number changed, a retrofit application
        with a.writer(worker) as s:
            second = roster.register(
                s,
                worker,
                roster.ResidentDraft("王爷爷", make_id(date(1938, 5, 2), 13), _community(a)),
                today=TODAY,
            ).resident
            visit = visits.complete(
                s,
                worker,
                visits.VisitDraft(first, TODAY, visitors=("李专干",), problems="屋顶漏雨"),
                today=TODAY,
            )
            info = roster.get(s, worker, first)
            roster.update(
                s,
                worker,
                first,
                roster.ResidentDraft(
                    info.name,
                    info.id_number,
                    info.community_id,
                    phone="13900000002",
                    categories=frozenset({Category.LIVING_ALONE}),
                ),
                today=TODAY,
            )
        case = _apply(a, worker, "赵奶奶", 22)
        _round_trip(w, "A")

        # Tuesday: Sunday's backup comes back
        a = _reopen(w, "A", sunday, via_cli=True)
        assert "由区里补回" in capsys.readouterr().out
        assert table_rows(a.engine, "elderly_resident", f"WHERE id='{second.id}'") == []
        waiting = office.pending(a, ADMIN)
        assert waiting.restore_waiting is not None
        assert waiting.restore_waiting.backup == sunday.name
        assert office_main(["--workspace", str(a.paths.root), "sync", "status"]) == 0
        out = capsys.readouterr().out
        assert "已同步，无待发" not in out and "等待区里补回" in out

        # the office's next bundle shows the hub what it lost; the hub sends it back
        back = _round_trip(w, "A")
        assert back.refused == 0
        assert table_rows(a.engine, "elderly_resident", f"WHERE id='{second.id}'", "name") == [
            ("王爷爷",)
        ]
        assert table_rows(a.engine, "elderly_resident", f"WHERE id='{first}'", "phone") == [
            ("13900000002",)
        ]
        assert table_rows(a.engine, "elderly_visit", f"WHERE id='{visit.id}'", "problems") == [
            ("屋顶漏雨",)
        ]
        assert table_rows(a.engine, "retrofit_case", f"WHERE id='{case.id}'", "case_no") == [
            (case.case_no,)
        ]
        assert office.pending(a, ADMIN).restore_waiting is None
        # and both sides agree that nothing waits once the next bundle is acknowledged
        _round_trip(w, "A")
        assert office_main(["--workspace", str(a.paths.root), "sync", "status"]) == 0
        assert "已同步，无待发" in capsys.readouterr().out
        home = ["--home", str(w.hub.home)] + (["--db", district_db] if district_db else [])
        assert district_main([*home, "status"]) == 0
        assert "已同步，无待发" in capsys.readouterr().out
    finally:
        w.close()


def test_work_done_after_the_restore_and_before_the_round_trip_is_kept(
    tmp_path: Path, district_db: str | None
) -> None:
    """Tuesday's own edits win over Monday's lost ones where they are later; Monday's value
    goes to the conflicts list, nothing is lost."""
    w = make_world(tmp_path, ["A"], db_url=district_db)
    try:
        worker, first, sunday = _sunday(w)
        a = w.offices["A"]
        with a.writer(worker) as s:
            info = roster.get(s, worker, first)
            roster.update(
                s,
                worker,
                first,
                roster.ResidentDraft(
                    info.name, info.id_number, info.community_id, phone="13900000002"
                ),
                today=TODAY,
            )
        _round_trip(w, "A")
        a = _reopen(w, "A", sunday)
        with a.writer(worker) as s:
            info = roster.get(s, worker, first)
            roster.update(
                s,
                worker,
                first,
                roster.ResidentDraft(
                    info.name, info.id_number, info.community_id, phone="13700000003"
                ),
                today=TODAY,
            )
        _round_trip(w, "A")
        _round_trip(w, "A")
        for engine in (a.engine, w.hub.engine):
            assert table_rows(engine, "elderly_resident", f"WHERE id='{first}'", "phone") == [
                ("13700000003",)
            ]
        with a.reader() as s:
            lost = {c.lost_value for c in conflicts.list_conflicts(s, ADMIN, None)}
        assert "13900000002" in lost
    finally:
        w.close()


def test_a_case_number_lost_with_a_restore_is_never_issued_again(
    tmp_path: Path, district_db: str | None
) -> None:
    w = make_world(tmp_path, ["A"], db_url=district_db)
    try:
        worker, _first, sunday = _sunday(w)
        lost = _apply(w.offices["A"], worker, "赵奶奶", 22)
        _round_trip(w, "A")
        a = _reopen(w, "A", sunday)
        new = _apply(a, worker, "钱爷爷", 24)
        assert new.case_no != lost.case_no
        for _ in range(2):
            assert _round_trip(w, "A").refused == 0
        numbers = sorted(r[0] for r in table_rows(a.engine, "retrofit_case", columns="case_no"))
        assert numbers == sorted([lost.case_no, new.case_no])
        assert (
            sorted(r[0] for r in table_rows(w.hub.engine, "retrofit_case", columns="case_no"))
            == numbers
        )
    finally:
        w.close()


def test_a_case_number_that_collides_anyway_is_renumbered_at_the_hub(
    tmp_path: Path, district_db: str | None
) -> None:
    """The PC died: Sunday's backup is restored on a new PC, where no trace of Monday's number
    is left. The application typed on Tuesday gets Monday's number; the hub renumbers it (a
    journaled district change), every later bundle still goes through, and the office is told."""
    w = make_world(tmp_path, ["A"], db_url=district_db)
    try:
        worker, _first, sunday = _sunday(w)
        lost = _apply(w.offices["A"], worker, "赵奶奶", 22)
        _round_trip(w, "A")
        a = w.offices["A"]
        root = a.paths.root
        a.close()
        (root / "caseworker.sqlite3").unlink()  # the disk is gone; keys/ was kept apart
        for side in ("-wal", "-shm"):
            Path(f"{root / 'caseworker.sqlite3'}{side}").unlink(missing_ok=True)
        restore(root, sunday)
        a = Workspace.open(root)
        a.now_ms = w.clock
        w.offices["A"] = a
        clash = _apply(a, worker, "钱爷爷", 24)
        assert clash.case_no == lost.case_no  # nothing here could know it was issued
        [done] = service.ingest(w.hub, [w.office_to_district("A")])
        assert done.refused == ""
        hub_numbers = dict(table_rows(w.hub.engine, "retrofit_case", columns="id, case_no"))
        assert hub_numbers[lost.id] == lost.case_no
        assert hub_numbers[clash.id] != lost.case_no
        assert hub_numbers[clash.id].startswith("A-")
        with w.hub.engine.connect() as conn:
            journaled = conn.exec_driver_sql(
                "SELECT count(*) FROM journal WHERE table_name = 'retrofit_case' "
                f"AND field = 'case_no' AND record_id = '{clash.id}'"
            ).scalar()
        assert journaled == 1
        back = office.import_bundle(a, ADMIN, w.district_to_office("A"))
        assert back.refused == 0
        assert dict(table_rows(a.engine, "retrofit_case", columns="id, case_no")) == hub_numbers
        with a.reader() as s:
            told = [c for c in conflicts.list_conflicts(s, ADMIN) if c.reason == "number"]
        assert [(c.lost_value, c.kept_value) for c in told] == [
            (lost.case_no, hub_numbers[clash.id])
        ]
        with a.writer(ADMIN) as s, pytest.raises(Exception, match="不能恢复"):
            conflicts.resolve(s, ADMIN, told[0].id, "reverse")
        # later bundles are not refused
        assert _round_trip(w, "A").refused == 0
        assert service.ingest(w.hub, [w.office_to_district("A")])[0].refused == ""
    finally:
        w.close()


def test_a_restore_changes_the_device_and_remembers_the_old_one(tmp_path: Path) -> None:
    """A restored database is a new writer: the journal device of each replica stays a
    prefix-closed sequence, so per-device high-water marks keep their meaning."""
    w = make_world(tmp_path, ["A"])
    try:
        before = w.offices["A"].device_id
        backup = w.offices["A"].backup("manual")
        a = _reopen(w, "A", backup)
        assert a.device_id != before
        con = sqlite3.connect(a.paths.db)
        try:
            [(retired,)] = con.execute(
                "SELECT value FROM local_meta WHERE key = 'sync.retired_devices'"
            ).fetchall()
        finally:
            con.close()
        assert before in retired
    finally:
        w.close()
