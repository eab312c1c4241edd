"""Bundles both ways between offices and the district, through the services on real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from caseworker.district import service
from caseworker.domain.errors import PermissionDenied
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts, settings
from caseworker.sync import office
from caseworker.sync.conflicts import list_conflicts, resolve
from caseworker.workspace import Workspace
from db.models import Community
from tests.sync.helpers import ADMIN, journal_count, make_world, supervisor, table_rows


def test_enrolled_office_has_its_office_and_communities(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A"])
    try:
        with w.offices["A"].reader() as s:
            assert accounts.office(s).code == "A"
            assert sorted(c.name for c in accounts.communities(s)) == [
                "A光明社区",
                "A和平社区",
                "A柳村",
            ]
    finally:
        w.close()


def test_changes_travel_both_ways_and_reimport_is_nothing_new(
    tmp_path: Path, district_db: str | None
) -> None:
    w = make_world(tmp_path, ["A", "B"], db_url=district_db)
    try:
        a = w.offices["A"]
        with a.writer(ADMIN) as s:
            accounts.add_community(s, ADMIN, "A新建社区")
        up = w.office_to_district("A")
        [r] = service.ingest(w.hub, [up])
        assert r.applied >= 1 and not r.already
        [again] = service.ingest(w.hub, [up])
        assert again.already
        # district changes a setting: both offices get it
        with w.hub.writer(ADMIN) as s:
            settings.set_value(s, ADMIN, "visit.interval_days.key", 20)
        for code in ("A", "B"):
            down = w.district_to_office(code)
            preview = office.preview_bundle(w.offices[code], ADMIN, down)
            assert preview.new_changes >= 1
            before = journal_count(w.offices[code].engine)
            result = office.import_bundle(w.offices[code], ADMIN, down)
            assert result.backup is not None and result.backup.exists()
            with w.offices[code].reader() as s:
                assert settings.get(s, "visit.interval_days.key") == 20
            n = journal_count(w.offices[code].engine)
            assert n > before
            second = office.import_bundle(w.offices[code], ADMIN, down)
            assert second.nothing_new and second.already_imported
            assert journal_count(w.offices[code].engine) == n
        # B never sees A's communities
        names = [r[0] for r in table_rows(w.offices["B"].engine, "community", columns="name")]
        assert all(not n.startswith("A") for n in names)
        # after A imports the district bundle, its earlier change is acknowledged
        assert office.pending(a, ADMIN).changes == 0
    finally:
        w.close()


def test_same_field_edited_on_both_sides_converges_and_keeps_the_loser(
    tmp_path: Path, district_db: str | None
) -> None:
    w = make_world(tmp_path, ["A"], db_url=district_db)
    try:
        a = w.offices["A"]
        with a.writer(ADMIN) as s:
            c = s.query(Community).filter_by(name="A柳村").one()
            cid = c.id
            c.code = "from-office"
        with w.hub.writer(ADMIN) as s:
            s.get(Community, cid).code = "from-district"  # later clock: wins
        service.ingest(w.hub, [w.office_to_district("A")])
        office.import_bundle(a, ADMIN, w.district_to_office("A"))
        for engine in (a.engine, w.hub.engine):
            assert table_rows(engine, "community", f"WHERE id='{cid}'", "code") == [
                ("from-district",)
            ]
        with a.reader() as s:
            [conf] = list_conflicts(s, ADMIN)
        assert conf.lost_value == "from-office" and conf.kept_value == "from-district"
        with w.hub.reader() as s:
            assert [c.lost_value for c in list_conflicts(s, ADMIN)] == ["from-office"]
        # the supervisor reverses it at the office: a journaled change that travels
        chief = supervisor(a)
        with a.writer(chief) as s:
            resolve(s, chief, conf.id, "reverse")
        service.ingest(w.hub, [w.office_to_district("A")])
        assert table_rows(w.hub.engine, "community", f"WHERE id='{cid}'", "code") == [
            ("from-office",)
        ]
    finally:
        w.close()


def test_reverse_needs_the_supervisor_permission(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A"])
    caseworker = Actor("x", "worker", "李专干", Role.CASEWORKER)
    try:
        with w.offices["A"].writer(ADMIN) as s, pytest.raises(PermissionDenied):
            resolve(s, caseworker, 1, "keep")
    finally:
        w.close()


def test_district_conflict_reversal_travels_to_the_office(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A"])
    try:
        a = w.offices["A"]
        with w.hub.writer(ADMIN) as s:
            cid = s.query(Community).filter_by(name="A柳村").one().id
            s.get(Community, cid).code = "district-first"
        with a.writer(ADMIN) as s:
            s.get(Community, cid).code = "office-later"  # later clock: wins at the district
        service.ingest(w.hub, [w.office_to_district("A")])
        [c] = service.conflicts(w.hub)
        assert (c.lost_value, c.kept_value) == ("district-first", "office-later")
        service.resolve_conflict(w.hub, c.id, "reverse")
        assert service.conflicts(w.hub) == []
        office.import_bundle(a, ADMIN, w.district_to_office("A"))
        assert table_rows(a.engine, "community", f"WHERE id='{cid}'", "code") == [
            ("district-first",)
        ]
        with a.reader() as s:
            assert list_conflicts(s, ADMIN) == []  # nothing was lost at the office in the end
    finally:
        w.close()


def test_the_stick_listing_tells_which_bundles_can_be_imported(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A", "B"])
    try:
        for_a = w.district_to_office("A")
        w.district_to_office("B")
        (w.root / "stick" / "junk.cwbundle").write_bytes(b"junk")
        listing = office.bundles_in(w.offices["A"], w.root / "stick")
        by_path = {b.path: b for b in listing}
        assert by_path[for_a].for_us and not by_path[for_a].already_imported
        assert [b.for_us for b in listing].count(True) == 1
        assert "不是工作台的数据包" in by_path[w.root / "stick" / "junk.cwbundle"].problem
        office.import_bundle(w.offices["A"], ADMIN, for_a)
        assert {b.path: b for b in office.bundles_in(w.offices["A"], w.root / "stick")}[
            for_a
        ].already_imported
        assert not list((w.root / "stick").glob("*.partial"))
    finally:
        w.close()


def test_office_conflicts_by_command_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    w = make_world(tmp_path, ["A"])
    a = w.offices["A"]
    with a.writer(ADMIN) as s:
        cid = s.query(Community).filter_by(name="A柳村").one().id
        s.get(Community, cid).code = "office-value"
    with w.hub.writer(ADMIN) as s:
        s.get(Community, cid).code = "district-value"
    service.ingest(w.hub, [w.office_to_district("A")])
    down = w.district_to_office("A")
    root = a.paths.root
    supervisor(a)  # the conflicts list is a supervisor's (issue 20)
    w.close()

    def cw(*args: str) -> subprocess.CompletedProcess[str]:
        user = ["--user", "kezhang"] if args[0] == "conflicts" else []
        return subprocess.run(
            [sys.executable, "-m", "caseworker", "sync", *args, *user, "--workspace", str(root)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "CASEWORKER_PASSWORD": "test-pass-2026"},  # helpers.account
        )

    r = cw("import", str(down), "--dry-run")
    assert r.returncode == 0 and "预览" in r.stdout and "冲突" in r.stdout
    assert "冲突：0 条" in cw("conflicts").stdout  # the dry run changed nothing
    assert cw("import", str(down)).returncode == 0
    listing = cw("conflicts").stdout
    assert "冲突：1 条" in listing and "office-value" in listing
    conflict_id = listing.split("#", 1)[1].split()[0]
    r = cw("conflicts", "--reverse", conflict_id)
    assert r.returncode == 0, r.stderr
    assert "冲突：0 条" in cw("conflicts").stdout
    with Workspace.open(root) as again:
        assert table_rows(again.engine, "community", f"WHERE id='{cid}'", "code") == [
            ("office-value",)
        ]
    r = cw("conflicts", "--reverse", conflict_id)
    assert r.returncode == 2 and "已经处理过" in r.stderr


def test_an_enrolled_office_takes_settings_from_the_district_only(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A"])
    try:
        a = w.offices["A"]
        with pytest.raises(PermissionDenied, match="由区民政局统一设置"), a.writer(ADMIN) as s:
            settings.set_value(s, ADMIN, "security.idle_lock_minutes", 3)
        with a.reader() as s:
            assert settings.managed_by_district(s)
            assert settings.get(s, "security.idle_lock_minutes") == 10
        with w.hub.reader() as s:
            assert not settings.managed_by_district(s)
    finally:
        w.close()
