"""Ordinary sequences of work that once broke sync (issue 7): each is walked through the real
services on real files, and each failed before its fix."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from caseworker.district import duplicates, service
from caseworker.district.hub import Hub
from caseworker.domain import idnumber
from caseworker.domain.elderly import Category
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Role
from caseworker.services import accounts, settings
from caseworker.services.elderly import roster, visits
from caseworker.sync import office
from db.elderly import ElderlyResident, ElderlyVisit
from tests.sync.helpers import ADMIN, make_world, table_rows

TODAY = date.today()


def _resident(ws, name: str, serial: int, community_index: int = 0) -> str:
    with ws.writer(ADMIN) as s:
        community = accounts.communities(s)[community_index]
        draft = roster.ResidentDraft(
            name,
            idnumber.make("110105", date(1941, 5, 1 + serial % 27), serial),
            community.id,
            categories=frozenset({Category.LIVING_ALONE}),
        )
        return roster.register(s, ADMIN, draft, today=TODAY).resident.id


def _visit_row(engine, visit_id: str) -> tuple:
    return table_rows(
        engine,
        "elderly_visit",
        f"WHERE id='{visit_id}'",
        "status, completed_by, health_mental, problems, visitor_staff_id",
    )[0]


@pytest.fixture
def world(tmp_path: Path):
    w = make_world(tmp_path, ["A", "B"])
    yield w
    w.close()


def test_a_draft_completed_after_it_reached_the_district_arrives_whole(world) -> None:
    a = world.offices["A"]
    rid = _resident(a, "王奶奶", 11)
    with a.writer(ADMIN) as s:
        vid = visits.save_draft(s, ADMIN, visits.VisitDraft(rid, TODAY), today=TODAY).id
    service.ingest(world.hub, [world.office_to_district("A")])
    with a.writer(ADMIN) as s:
        visits.complete(
            s,
            ADMIN,
            visits.VisitDraft(
                rid, TODAY, visitors=("李专干",), health_mental="良好", problems="屋顶漏水"
            ),
            visit_id=vid,
            today=TODAY,
        )
    done = service.ingest(world.hub, [world.office_to_district("A")])[0]
    assert done.refused == "" and done.refused_changes == 0
    at_office = _visit_row(a.engine, vid)
    assert at_office[0] == "已完成" and at_office[2] == "良好"
    assert _visit_row(world.hub.engine, vid) == at_office
    assert service.conflicts(world.hub) == []


def test_a_visit_typed_at_the_old_office_after_a_transfer_does_not_block_the_new_one(
    world,
) -> None:
    a, b = world.offices["A"], world.offices["B"]
    rid = _resident(a, "赵爷爷", 13)
    with a.writer(ADMIN) as s:
        visitor = accounts.create_staff(
            s, ADMIN, accounts.StaffDraft("zg", "钱专干", Role.CASEWORKER), "Staff2026"
        ).id
    service.ingest(world.hub, [world.office_to_district("A")])
    service.transfer(world.hub, "elderly_resident", rid, "B", community="B光明社区")
    office.import_bundle(b, ADMIN, world.district_to_office("B"))
    # A, not yet told, completes a visit with its own caseworker as the visitor
    with a.writer(ADMIN) as s:
        vid = visits.complete(
            s,
            ADMIN,
            visits.VisitDraft(rid, TODAY, visitors=("钱专干",), visitor_staff_id=visitor),
            today=TODAY,
        ).id
    service.ingest(world.hub, [world.office_to_district("A")])
    # B takes the visit (its link to A's staff cleared on the way), and every later bundle too
    office.import_bundle(b, ADMIN, world.district_to_office("B"))
    assert _visit_row(b.engine, vid)[0] == "已完成"
    assert _visit_row(b.engine, vid)[4] is None
    assert _visit_row(world.hub.engine, vid)[4] is None
    with world.hub.writer(ADMIN) as s:
        settings.set_value(s, ADMIN, "visit.interval_days.general", 70)
    office.import_bundle(b, ADMIN, world.district_to_office("B"))
    with b.reader() as s:
        assert settings.get(s, "visit.interval_days.general") == 70


def test_the_district_cannot_edit_a_completed_visit_but_clears_nothing_else_silently(
    world,
) -> None:
    a = world.offices["A"]
    rid = _resident(a, "孙奶奶", 15)
    with a.writer(ADMIN) as s:
        vid = visits.complete(
            s,
            ADMIN,
            visits.VisitDraft(rid, TODAY, visitors=("李专干",), problems="无"),
            today=TODAY,
        ).id
    service.ingest(world.hub, [world.office_to_district("A")])
    before = _visit_row(world.hub.engine, vid)
    with pytest.raises(ValidationError, match="锁定"):
        service.correct(world.hub, "elderly_visit", vid, {"problems": "改过"})
    assert _visit_row(world.hub.engine, vid) == before
    # a draft or a resident is corrected as before, and the office takes it
    service.correct(world.hub, "elderly_resident", rid, {"phone": "13912345678"})
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    assert table_rows(a.engine, "elderly_resident", f"WHERE id='{rid}'", "phone") == [
        ("13912345678",)
    ]


def test_correct_reads_values_by_the_columns_type(world) -> None:
    a = world.offices["A"]
    rid = _resident(a, "周爷爷", 17)
    service.ingest(world.hub, [world.office_to_district("A")])
    stored = service.correct(
        world.hub, "elderly_resident", rid, {"phone": "13912345678", "notes": "1.50"}
    )
    assert stored == {"phone": "13912345678", "notes": "1.50"}
    stored = service.correct(world.hub, "elderly_resident", rid, {"status_date": ""})
    assert stored == {"status_date": None}
    with pytest.raises(ValidationError, match="日期"):
        service.correct(world.hub, "elderly_resident", rid, {"status_date": "明天"})
    with pytest.raises(ValidationError, match="最多"):
        service.correct(world.hub, "elderly_resident", rid, {"phone": "1" * 41})


def test_a_transferred_out_notice_is_withdrawn_when_the_record_comes_back(world) -> None:
    a, b = world.offices["A"], world.offices["B"]
    rid = _resident(a, "吴奶奶", 19)
    service.ingest(world.hub, [world.office_to_district("A")])
    service.transfer(world.hub, "elderly_resident", rid, "B", community="B光明社区")
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    assert [m.record_id for m in office.transferred_out(a, ADMIN)] == [rid]
    service.transfer(world.hub, "elderly_resident", rid, "A", community="A和平社区")
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    office.import_bundle(b, ADMIN, world.district_to_office("B"))
    assert office.transferred_out(a, ADMIN) == []
    assert [m.record_id for m in office.transferred_out(b, ADMIN)] == [rid]


def test_district_interval_setting_moves_due_dates_at_the_district(world) -> None:
    a = world.offices["A"]
    rid = _resident(a, "郑爷爷", 21)
    with a.writer(ADMIN) as s:
        visits.complete(s, ADMIN, visits.VisitDraft(rid, TODAY, visitors=("李专干",)), today=TODAY)
    service.ingest(world.hub, [world.office_to_district("A")])
    with world.hub.reader() as s:
        before = s.scalar(select(ElderlyResident.next_due).where(ElderlyResident.id == rid))
        current = settings.get(s, "visit.interval_days.key")
    with world.hub.writer(ADMIN) as s:
        settings.set_value(s, ADMIN, "visit.interval_days.key", current + 10)
    with world.hub.reader() as s:
        after = s.scalar(select(ElderlyResident.next_due).where(ElderlyResident.id == rid))
    assert after == before + timedelta(days=10)


def test_one_person_on_two_rosters_is_held_not_refused(world) -> None:
    a, b = world.offices["A"], world.offices["B"]
    same = idnumber.make("110105", date(1939, 2, 2), 23)
    ids = {}
    for code, ws in (("A", a), ("B", b)):
        with ws.writer(ADMIN) as s:
            community = accounts.communities(s)[0]
            draft = roster.ResidentDraft(
                "冯奶奶", same, community.id, categories=frozenset({Category.LIVING_ALONE})
            )
            ids[code] = roster.register(s, ADMIN, draft, today=TODAY).resident.id
        with ws.writer(ADMIN) as s:
            visits.complete(
                s, ADMIN, visits.VisitDraft(ids[code], TODAY, visitors=("李专干",)), today=TODAY
            )
    service.ingest(world.hub, [world.office_to_district("A")])
    done = service.ingest(world.hub, [world.office_to_district("B")])[0]
    assert done.refused == ""
    with world.hub.reader() as s:
        assert s.scalar(select(ElderlyVisit.id).where(ElderlyVisit.resident_id == ids["B"]))
    cases = duplicates.list_cases(world.hub)
    assert [(c.earlier_id, c.later_id) for c in cases] == [(ids["A"], ids["B"])]
    assert cases[0].earlier_office.startswith("第1街道") and "****" in cases[0].id_number_masked
    # both offices are told
    for code, ws in (("A", a), ("B", b)):
        office.import_bundle(ws, ADMIN, world.district_to_office(code))
        notices = office.duplicate_notices(ws, ADMIN)
        assert [n.record_id for n in notices] == [ids[code]]
    # the district keeps the earlier record; B's record is tombstoned there, notices withdrawn
    duplicates.resolve(world.hub, cases[0].id, "earlier")
    assert duplicates.list_cases(world.hub) == []
    for code, ws in (("A", a), ("B", b)):
        office.import_bundle(ws, ADMIN, world.district_to_office(code))
        assert office.duplicate_notices(ws, ADMIN) == []
    gone = table_rows(b.engine, "elderly_resident", f"WHERE id='{ids['B']}'", "deleted_at")
    assert gone[0][0] is not None


def test_a_sqlite_hub_at_any_path_has_pragmas_and_backups(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere" / "hub.db"
    db.parent.mkdir()
    home = tmp_path / "home"
    with Hub.open(home, f"sqlite:///{db}") as hub:
        service.init(hub, "测试区民政局")
        with hub.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        taken = hub.backup("pre-import")
        assert taken is not None and taken.exists()
    assert not (home / "district.sqlite3").exists()


def _district(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "caseworker.district", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_quiet_exchange_is_visible_and_machine_readable(world) -> None:
    a = world.offices["A"]
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    service.ingest(world.hub, [world.office_to_district("A")])
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    assert (
        office.pending(a, ADMIN).changes == 0
        and office.pending(a, ADMIN).unacknowledged_bundles == 0
    )
    home = world.hub.home
    world.hub.close()
    out = _district(home, "status", "--json")
    assert out.returncode == 0, out.stderr
    state = {o["code"]: o for o in json.loads(out.stdout)["offices"]}
    assert state["A"]["in_sync"] is True and state["A"]["pending"] == 0
    assert state["B"]["in_sync"] is False
    text_out = _district(home, "status")
    assert "已同步，无待发" in text_out.stdout


def _office_cli(ws_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "caseworker", *args, "--workspace", str(ws_root)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_office_sync_commands_answer_in_json(world, tmp_path: Path) -> None:
    a = world.offices["A"]
    rid = _resident(a, "何奶奶", 25)
    with a.writer(ADMIN) as s:
        vid = visits.complete(
            s, ADMIN, visits.VisitDraft(rid, TODAY, visitors=("李专干",)), today=TODAY
        ).id
    service.ingest(world.hub, [world.office_to_district("A")])
    # the district tries to edit the completed visit through a raw write: refused at the office
    with world.hub.writer(ADMIN) as s:
        s.get(ElderlyVisit, vid).problems = "区里直接改的"
    down = world.district_to_office("A")
    root = a.paths.root
    a.close()
    preview = _office_cli(root, "sync", "import", str(down), "--dry-run", "--json")
    assert preview.returncode == 0, preview.stderr
    seen = json.loads(preview.stdout)
    assert seen["dry_run"] is True and seen["refused"] == 1
    assert seen["refused_reasons"] == {"elderly_visit:locked": 1}
    assert seen["new_changes"] == seen["changes"] - 1  # the refused change is not "new"
    done = json.loads(_office_cli(root, "sync", "import", str(down), "--json").stdout)
    assert done["refused"] == 1 and done["bundle_id"] == seen["bundle_id"]
    again = json.loads(_office_cli(root, "sync", "import", str(down), "--json").stdout)
    assert again["already_imported"] is True and again["nothing_new"] is True
    status = _office_cli(root, "sync", "status", "--json")
    state = json.loads(status.stdout)
    assert state["pending"] == 0 and state["in_sync"] is True
    assert "已同步，无待发" in _office_cli(root, "sync", "status").stdout
    bad = _office_cli(root, "sync", "import", str(tmp_path / "nope.cwbundle"), "--json")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_a_bundle_with_no_change_takes_no_backup(world) -> None:
    a = world.offices["A"]
    office.import_bundle(a, ADMIN, world.district_to_office("A"))  # settings: a real change
    service.ingest(world.hub, [world.office_to_district("A")])
    taken = sorted(a.paths.backups.glob("*pre-import*"))
    quiet = world.district_to_office("A")  # acknowledgements only
    done = office.import_bundle(a, ADMIN, quiet)
    assert done.changes == 0 and done.backup is None
    assert sorted(a.paths.backups.glob("*pre-import*")) == taken


def test_the_conflicts_list_shows_each_person_only_the_programmes_they_may_read(world) -> None:
    """A conflict on an elderly visit is listed to a caseworker, not to a child director."""
    from caseworker.domain.roles import Actor
    from caseworker.sync.conflicts import list_conflicts

    a = world.offices["A"]
    rid = _resident(a, "邓奶奶", 27)
    with a.writer(ADMIN) as s:
        vid = visits.complete(
            s, ADMIN, visits.VisitDraft(rid, TODAY, visitors=("李专干",)), today=TODAY
        ).id
    service.ingest(world.hub, [world.office_to_district("A")])
    with world.hub.writer(ADMIN) as s:
        s.get(ElderlyVisit, vid).health_notes = "有高血压（保密）"
    office.import_bundle(a, ADMIN, world.district_to_office("A"))  # refused: locked
    caseworker = Actor("c", "zg", "张专干", Role.CASEWORKER)
    child_supervisor = Actor("s", "dd", "王督导", Role.CHILD_SUPERVISOR)
    director = Actor("d", "er", "刘主任", Role.CHILD_DIRECTOR)
    with a.reader() as s:
        everything = list_conflicts(s, ADMIN)
        for_caseworker = list_conflicts(s, caseworker)
        for_child_supervisor = list_conflicts(s, child_supervisor)
        for_director = list_conflicts(s, director)  # their community's children's only
    assert [c.table_name for c in everything] == ["elderly_visit"]
    assert for_caseworker == everything
    assert for_child_supervisor == [] and for_director == []


def test_the_district_conflicts_list_comes_a_page_at_a_time(world) -> None:
    """`caseworker-district conflicts` lists 200 by default (the list had no limit)."""
    from db.base import utcnow
    from db.sync_models import SyncConflict

    with world.hub.writer(ADMIN) as s:
        for n in range(5):
            s.add(
                SyncConflict(
                    table_name="community",
                    record_id=f"r{n}",
                    field="name",
                    reason="scope",
                    kept_value=None,
                    lost_value=f'"值{n}"',
                    lost_hlc=f"{n:015d}-000000",
                    lost_device="dev",
                    lost_actor="某人",
                    detected_at=utcnow(),
                )
            )
    assert [c.lost_value for c in service.conflicts(world.hub, limit=2, offset=1)] == [
        "值3",
        "值2",
    ]
    home = world.hub.home
    world.hub.close()
    out = _district(home, "conflicts", "--limit", "2")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "冲突：5 条（显示第 1–2 条，最新的在前）"
    assert len(out.stdout.splitlines()) == 3
    listed = json.loads(_district(home, "conflicts", "--limit", "0", "--json").stdout)
    assert listed["total"] == 5 and len(listed["conflicts"]) == 5
