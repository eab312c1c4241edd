"""Scenarios of the issue: merge-locked records, transfers between offices, enrolling an office
that started on its own, passphrases, clocks, export progress and cancel, keys at rest."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from caseworker.district import service
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Role
from caseworker.services import accounts
from caseworker.sync import office
from caseworker.sync.conflicts import list_conflicts
from caseworker.sync.errors import NotEnrolled, SyncCancelled, SyncRefused
from caseworker.workspace import Workspace
from db.models import Community
from tests.sync import models_for_tests
from tests.sync.helpers import ADMIN, PASSPHRASE, make_world, snapshot, table_rows
from tests.sync.models_for_tests import ProgResident, ProgVisit


def _with_programme_tables(w) -> None:
    models_for_tests.create(w.hub.engine)
    for ws in w.offices.values():
        models_for_tests.create(ws.engine)


def test_completed_visit_is_never_overwritten_by_a_merge(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A"])
    try:
        _with_programme_tables(w)
        a = w.offices["A"]
        with a.writer(ADMIN) as s:
            cid = s.query(Community).filter_by(name="A柳村").one().id
            r = ProgResident(community_id=cid, name="张大爷")
            s.add(r)
            s.flush()
            v = ProgVisit(resident_id=r.id, note="入户探访，身体良好")
            s.add(v)
            s.flush()
            vid = v.id
        service.ingest(w.hub, [w.office_to_district("A")])
        with a.writer(ADMIN) as s:
            s.get(ProgVisit, vid).completed = True
        with w.hub.writer(ADMIN) as s:  # later clock, but the visit is completed at the office
            s.get(ProgVisit, vid).note = "区里改过的内容"
        office.import_bundle(a, ADMIN, w.district_to_office("A"))
        assert table_rows(a.engine, "synctest_visit", columns="note, completed") == [
            ("入户探访，身体良好", 1)
        ]
        with a.reader() as s:
            [c] = list_conflicts(s, ADMIN)
        assert (c.reason, c.lost_value, c.kept_value) == (
            "locked",
            "区里改过的内容",
            "入户探访，身体良好",
        )
        again = office.import_bundle(a, ADMIN, w.district_to_office("A"))
        assert again.refused == 0  # the refused change is remembered, not refused twice
    finally:
        w.close()


def test_transfer_sends_the_resident_and_its_visits_to_the_new_office(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A", "B"])
    try:
        _with_programme_tables(w)
        a = w.offices["A"]
        with a.writer(ADMIN) as s:
            cid = s.query(Community).filter_by(name="A柳村").one().id
            r = ProgResident(community_id=cid, name="李奶奶", phone="13800000000")
            s.add(r)
            s.flush()
            rid = r.id
            visitor_id = accounts.create_staff(
                s, ADMIN, accounts.StaffDraft("zhuangan", "李专干", Role.CASEWORKER), "Staff2026"
            ).id
            for i in range(3):
                s.add(
                    ProgVisit(
                        resident_id=rid,
                        note=f"第{i + 1}次探访",
                        completed=True,
                        visitor_id=visitor_id if i == 0 else None,
                    )
                )
        service.ingest(w.hub, [w.office_to_district("A")])
        items = service.transfer(w.hub, "synctest_resident", rid, "B", community="B光明社区")
        assert len(items) == 4
        office.import_bundle(w.offices["B"], ADMIN, w.district_to_office("B"))
        office.import_bundle(a, ADMIN, w.district_to_office("A"))
        b = w.offices["B"]
        assert table_rows(b.engine, "synctest_resident", columns="name, phone") == [
            ("李奶奶", "13800000000")
        ]
        assert len(table_rows(b.engine, "synctest_visit", columns="id")) == 3
        # A's staff member does not travel to B: the optional link is cleared, journaled
        assert {r[0] for r in table_rows(b.engine, "synctest_visit", columns="visitor_id")} == {
            None
        }
        with w.hub.engine.connect() as conn:
            cleared = conn.execute(
                text(
                    "SELECT old_value, new_value FROM journal "
                    "WHERE table_name='synctest_visit' AND field='visitor_id'"
                )
            ).all()
        assert [tuple(r) for r in cleared] == [(f'"{visitor_id}"', None)]
        b_comm = table_rows(b.engine, "community", "WHERE name='B光明社区'", "id")[0][0]
        for engine in (b.engine, w.hub.engine):
            assert table_rows(engine, "synctest_resident", columns="community_id") == [(b_comm,)]
        # the office it left keeps its copy, told that it moved out
        moved = office.transferred_out(a, ADMIN)
        assert {(m.table_name, m.to_office_code) for m in moved} == {
            ("synctest_resident", "B"),
            ("synctest_visit", "B"),
        }
        assert len(moved) == 4
        # once B acknowledges, the push is done
        service.ingest(w.hub, [w.office_to_district("B")])
        again = w.district_to_office("B")
        assert office.preview_bundle(b, ADMIN, again).new_changes == 0
    finally:
        w.close()


def test_an_office_that_started_on_its_own_is_enrolled_without_losing_anything(
    tmp_path: Path,
) -> None:
    w = make_world(tmp_path / "w", [])
    try:
        ws = Workspace.open(tmp_path / "own")
        ws.now_ms = w.clock
        with ws.writer(ADMIN) as s:
            accounts.initialise_office(
                s,
                ADMIN,
                office_code="110105033",
                office_name="自建街道",
                district_name="测试区",
                community_names=["自建一社区", "自建二村"],
                admin=accounts.StaffDraft("admin", "赵管理", Role.ADMIN),
                admin_password="Admin2026",
            )
        new_file = tmp_path / "new.cwenroll"
        service.add_office(
            w.hub,
            code="C2",
            name="另一个",
            communities=["x社区"],
            out=new_file,
            passphrase=PASSPHRASE,
        )
        with pytest.raises(ValidationError, match="已经有街道数据"):
            office.enroll(ws, new_file, PASSPHRASE)
        f = tmp_path / "existing.cwenroll"
        service.add_office(
            w.hub,
            code="110105033",
            name="自建街道",
            communities=[],
            out=f,
            existing=True,
            passphrase=PASSPHRASE,
        )
        with pytest.raises(SyncRefused, match="口令不对"):
            office.enroll(ws, f, "wrong-passphrase")
        office.enroll(ws, f, PASSPHRASE)
        up = tmp_path / "up.cwbundle"
        office.export_bundle(ws, ADMIN, up)
        service.ingest(w.hub, [up])
        assert sorted(
            r[0]
            for r in table_rows(
                w.hub.engine,
                "community",
                "WHERE office_id=(SELECT id FROM office WHERE code='110105033')",
                "name",
            )
        ) == [
            "自建一社区",
            "自建二村",
        ]
        assert table_rows(w.hub.engine, "staff", columns="username, password_hash") == [
            ("admin", "<已隐去>")
        ]
        down = tmp_path / "down.cwbundle"
        service.export_for(w.hub, "110105033", down)
        office.import_bundle(ws, ADMIN, down)
        assert office.pending(ws, ADMIN).changes == 0
        ws.close()
    finally:
        w.close()


def test_a_clock_far_ahead_is_warned_and_cannot_win(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A"])
    try:
        a = w.offices["A"]
        assert office.clock_status(a).ok
        office.import_bundle(a, ADMIN, w.district_to_office("A"))
        real = w.clock.now
        a.now_ms = lambda: real + 3 * 86_400_000  # this PC thinks it is three days later
        office.import_bundle(a, ADMIN, w.district_to_office("A"))
        status = office.clock_status(a)
        assert not status.ok and "快" in status.message
        with a.writer(ADMIN) as s:
            cid = s.query(Community).filter_by(name="A柳村").one().id
            s.get(Community, cid).code = "future"
        with w.hub.writer(ADMIN) as s:
            s.get(Community, cid).code = "district-now"
        service.ingest(w.hub, [w.office_to_district("A")])
        assert table_rows(w.hub.engine, "community", f"WHERE id='{cid}'", "code") == [
            ("district-now",)
        ]
        with w.hub.reader() as s:
            assert [(c.reason, c.lost_value) for c in list_conflicts(s, ADMIN)] == [
                ("future", "future")
            ]
        # sent again while still in the future: held back once, not listed twice
        assert service.ingest(w.hub, [w.office_to_district("A")])[0].conflicts == 0
        with w.hub.reader() as s:
            assert len(list_conflicts(s, ADMIN, None)) == 1
        # four days later the district's clock has caught up: the change is applied
        w.clock.now += 4 * 86_400_000
        service.ingest(w.hub, [w.office_to_district("A")])
        assert table_rows(w.hub.engine, "community", f"WHERE id='{cid}'", "code") == [("future",)]
        with w.hub.reader() as s:
            # now an ordinary later-clock win: the district's value is the one kept aside
            assert [(c.reason, c.lost_value) for c in list_conflicts(s, ADMIN)] == [
                ("clock", "district-now")
            ]
            assert sorted(c.status for c in list_conflicts(s, ADMIN, None)) == ["open", "released"]
        # the PC's clock set back: a clock behind the last change is warned too
        a.now_ms = lambda: real - 86_400_000
        assert "还早" in office.clock_status(a).message
    finally:
        w.close()


def test_export_reports_progress_and_can_be_cancelled(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A"])
    try:
        a = w.offices["A"]
        with a.writer(ADMIN) as s:
            for i in range(30):
                accounts.add_community(s, ADMIN, f"新社区{i}")
        seen: list[tuple[int, int]] = []
        out = tmp_path / "p.cwbundle"
        r = office.export_bundle(a, ADMIN, out, progress=lambda d, t: seen.append((d, t)))
        assert seen and seen[-1][0] == seen[-1][1] == r.changes
        cancelled = tmp_path / "c.cwbundle"
        with pytest.raises(SyncCancelled):
            office.export_bundle(a, ADMIN, cancelled, cancelled=lambda: True)
        assert not cancelled.exists() and not list(tmp_path.glob("c.cwbundle*"))
        assert [b.direction for b in office.history(a, ADMIN)].count("sent") == 1
        assert office.pending(a, ADMIN).changes == r.changes  # exported is not acknowledged
    finally:
        w.close()


def test_private_keys_are_not_in_the_database_and_need_the_key_file(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A"])
    a = w.offices["A"]
    ident = office.identity(a)
    raw = ident.keys.private_bytes()
    db_bytes = a.paths.db.read_bytes() + Path(str(a.paths.db) + "-wal").read_bytes()
    assert raw[:32] not in db_bytes and raw[32:] not in db_bytes
    root = a.paths.root
    w.close()
    (root / "keys" / "identity.key").unlink()
    ws = Workspace.open(root)
    try:
        with pytest.raises(NotEnrolled, match="密钥文件"):
            office.export_bundle(ws, ADMIN, tmp_path / "x.cwbundle")
    finally:
        ws.close()


def test_a_tombstone_travels_and_reads_back_as_a_datetime(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A"])
    try:
        a = w.offices["A"]
        with a.writer(ADMIN) as s:
            c = s.query(Community).filter_by(name="A柳村").one()
            cid = c.id
            c.deleted_at = datetime(2026, 11, 29, 8, 30, 0)
        service.ingest(w.hub, [w.office_to_district("A")])
        with w.hub.reader() as s:
            assert s.get(Community, cid).deleted_at == datetime(2026, 11, 29, 8, 30, 0)
        assert table_rows(w.hub.engine, "community", f"WHERE id='{cid}'", "deleted_at") == (
            table_rows(a.engine, "community", f"WHERE id='{cid}'", "deleted_at")
        )
    finally:
        w.close()


def test_a_clash_on_a_unique_name_refuses_the_whole_bundle_cleanly(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A"])
    try:
        a = w.offices["A"]
        with a.writer(ADMIN) as s:
            accounts.add_community(s, ADMIN, "同名社区")
        oid = table_rows(w.hub.engine, "office", "WHERE code='A'", "id")[0][0]
        with w.hub.writer(ADMIN) as s:
            s.add(Community(office_id=oid, name="同名社区"))
        before = snapshot(w.hub.engine)
        [r] = service.ingest(w.hub, [w.office_to_district("A")])
        assert "相抵触" in r.refused and r.applied == 0
        assert snapshot(w.hub.engine) == before
        # the way out: the district renames its own record, and the bundle goes through
        district_copy = table_rows(w.hub.engine, "community", "WHERE name='同名社区'", "id")[0][0]
        service.correct(w.hub, "community", district_copy, {"name": "同名社区（区）"})
        [r] = service.ingest(w.hub, [w.office_to_district("A")])
        assert not r.refused and r.applied > 0
        office.import_bundle(a, ADMIN, w.district_to_office("A"))
        names = {n for (n,) in table_rows(a.engine, "community", columns="name")}
        assert {"同名社区", "同名社区（区）"} <= names
    finally:
        w.close()


def test_an_office_cannot_change_another_offices_records(tmp_path: Path) -> None:
    from sqlalchemy import insert

    from db.ids import new_id
    from db.models import JournalEntry

    w = make_world(tmp_path, ["A", "B"])
    try:
        a = w.offices["A"]
        b_comm = table_rows(w.hub.engine, "community", "WHERE name='B柳村'", "id, code")[0]
        # A forges a journal change to one of B's communities (it cannot get one by the screens)
        with a.engine.begin() as conn:
            conn.execute(
                insert(JournalEntry.__table__).values(
                    change_id=new_id(),
                    tx_id=new_id(),
                    hlc=f"{w.clock():015d}-000000",
                    device_id=a.device_id,
                    actor_id=None,
                    actor_name="冒名",
                    table_name="community",
                    record_id=b_comm[0],
                    op="update",
                    field="code",
                    old_value='""',
                    new_value='"hijacked"',
                    recorded_at=datetime(2026, 11, 29),
                    source="local",
                )
            )
        with a.writer(ADMIN) as s:
            accounts.add_community(s, ADMIN, "A正常新增社区")
        service.ingest(w.hub, [w.office_to_district("A")])
        assert table_rows(w.hub.engine, "community", f"WHERE id='{b_comm[0]}'", "code") == [
            (b_comm[1],)
        ]
        assert table_rows(w.hub.engine, "community", "WHERE name='A正常新增社区'", "name")
        with w.hub.reader() as s:
            assert [(c.reason, c.lost_value) for c in list_conflicts(s, ADMIN)] == [
                ("scope", "hijacked")
            ]
        # sent again: not refused twice
        [again] = service.ingest(w.hub, [w.office_to_district("A")])
        assert again.conflicts == 0
    finally:
        w.close()
