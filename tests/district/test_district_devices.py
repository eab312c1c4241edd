"""街道's devices and re-issued enrollments (caseworker.district.service), headless and through
`caseworker-district`: a device the hub retired has its later bundles refused (a real signed
bundle) and nothing changes; taken back into use it is imported again; a re-issued enrollment
gives new keys and a new passphrase, the office enrolled with the old one is refused, a new PC
enrolled with the new one joins and receives the office's whole history. Only 区级管理员 may do
these, and each is journaled as that person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from caseworker import demo
from caseworker.district import accounts, cli, service
from caseworker.district.hub import office_peer
from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import DistrictRole
from caseworker.sync import office
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident
from db.models import DistrictStaff
from tests.sync.helpers import ADMIN, make_world, snapshot

PASSWORD = "bureau2026"


def _people(hub) -> tuple:
    """The district's administrator and a clerk, logged in."""
    with hub.writer(accounts.SETUP) as s:
        accounts.create_first_admin(
            s, accounts.AccountDraft("admin", "区管理员", DistrictRole.ADMIN), PASSWORD
        )
    with hub.writer(accounts.LOGIN) as s:
        admin = accounts.authenticate(s, "admin", PASSWORD).actor
    with hub.writer(admin) as s:
        info = accounts.create_account(
            s, admin, accounts.AccountDraft("yewu", "李业务", DistrictRole.CLERK), PASSWORD
        )
        s.get(DistrictStaff, info.id).must_change_password = False
    with hub.writer(accounts.LOGIN) as s:
        clerk = accounts.authenticate(s, "yewu", PASSWORD).actor
    return admin, clerk


def _home(w, hub_url: str | None = None) -> list[str]:
    """`caseworker-district`'s options for the world's hub."""
    return ["--home", str(w.hub.home), *(["--db", hub_url] if hub_url else [])]


def _edit(ws: Workspace) -> None:
    """The office's next piece of work: a resident's phone number changed."""
    with ws.writer(ADMIN) as s:
        for resident in s.scalars(select(ElderlyResident).limit(2)):
            resident.phone = "13800000000"


def _hub_journal(hub, table: str) -> list[tuple]:
    """(who, field, new value) of the hub's own journal rows of `table`, oldest first."""
    from db.models import JournalEntry

    j = JournalEntry
    with hub.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(j.actor_name, j.field, j.new_value)
                .where(j.table_name == table, j.device_id == hub.device_id)
                .order_by(j.seq)
            )
        ]


def test_a_retired_device_has_its_later_bundles_refused(tmp_path: Path, hub_url, capsys) -> None:
    w = make_world(tmp_path, ["A"], db_url=hub_url)
    try:
        a = w.offices["A"]
        demo.build(a, residents=4, seed=1)
        [first] = service.ingest(w.hub, [w.office_to_district("A")])
        assert not first.refused
        admin, clerk = _people(w.hub)
        device = a.device_id
        with pytest.raises(PermissionDenied):
            service.retire_device(w.hub, "A", device, actor=clerk)
        with pytest.raises(ValidationError, match="登记身份"):
            with w.hub.engine.connect() as conn:
                me = office_peer(conn, "A").device_id
            service.retire_device(w.hub, "A", me, actor=admin)
        done = service.retire_device(w.hub, "A", device[:8], actor=admin)
        assert done.device_id == device and "停用" in done.state
        assert _hub_journal(w.hub, "sync_peer") == [("区管理员", "role", '"revoked"')]
        with pytest.raises(ValidationError, match="已经停用"):
            service.retire_device(w.hub, "A", device, actor=admin)

        # the office works on and sends: its bundle is refused whole, the hub unchanged
        _edit(a)
        later = w.office_to_district("A")
        before = snapshot(w.hub.engine)
        [r] = service.ingest(w.hub, [later])
        assert "已被区里停用的设备" in r.refused and device[:8] in r.refused
        assert snapshot(w.hub.engine) == before
        # the command line says so in one Chinese line and exits 2
        capsys.readouterr()
        assert cli.main([*_home(w, hub_url), "ingest", str(later)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "未导入" in err[0]

        # taken back into use (the command line, as the system actor): imported again
        args = ["device", "add", "--office", "A", "--device", device, "--json"]
        assert cli.main([*_home(w, hub_url), *args]) == 0
        assert json.loads(capsys.readouterr().out)["state"] == "在用"
        [r] = service.ingest(w.hub, [later])
        assert not r.refused and r.applied > 0
    finally:
        w.close()


def test_adding_a_device_follows_the_bundle_rules(tmp_path: Path, capsys) -> None:
    w = make_world(tmp_path, ["A", "B"])
    try:
        service.ingest(w.hub, [w.office_to_district("A"), w.office_to_district("B")])
        admin, clerk = _people(w.hub)
        b_device = w.offices["B"].device_id
        before = snapshot(w.hub.engine)
        for typed, why in (
            ("not-a-device", "36 位"),
            (b_device, "另一个单位"),
            (w.hub.device_id, "不是街道的设备编号"),
            (w.offices["A"].device_id, "已经登记在本街道"),
        ):
            with pytest.raises(ValidationError, match=why):
                service.add_device(w.hub, "A", typed, actor=admin)
        with pytest.raises(PermissionDenied):
            service.add_device(w.hub, "A", "1b4e28ba-2fa1-11d2-883f-0016d3cca427", actor=clerk)
        assert snapshot(w.hub.engine) == before
        new = "1B4E28BA-2FA1-11D2-883F-0016D3CCA427"
        done = service.add_device(w.hub, "A", new, actor=admin)
        assert done.device_id == new.lower()
        # the office's list shows it; a refusal is one line on stderr with exit 2
        assert cli.main(["--home", str(w.hub.home), "device", "list", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)["offices"]
        assert new.lower() in [d["device_id"] for d in listed[0]["devices"]]
        code = cli.main(
            ["--home", str(w.hub.home), "device", "retire", "--office", "A", "--device", "zz"]
        )
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and "至少前 8 位" in err[0]
    finally:
        w.close()


def test_a_reissued_enrollment_refuses_the_old_one_and_a_new_pc_joins(
    tmp_path: Path, hub_url, capsys
) -> None:
    w = make_world(tmp_path, ["A"], db_url=hub_url)
    try:
        a = w.offices["A"]
        demo.build(a, residents=4, seed=1)
        service.ingest(w.hub, [w.office_to_district("A")])
        with a.reader() as s:
            residents = s.scalar(select(func.count()).select_from(ElderlyResident))
        admin, clerk = _people(w.hub)
        out = tmp_path / "stick" / "A-again.cwenroll"
        with pytest.raises(PermissionDenied):
            service.reissue_enrollment(w.hub, "A", out, actor=clerk)
        assert not out.exists()
        r = service.reissue_enrollment(w.hub, "A", out, actor=admin)
        assert r.passphrase and r.passphrase != "test-pass-2026"
        assert out.exists() and r.passphrase.encode() not in out.read_bytes()
        assert [(who, f) for who, f, _v in _hub_journal(w.hub, "sync_peer")] == [
            ("区管理员", "sign_pub")
        ]

        # the PC enrolled with the old keys: what it writes is refused, changing nothing
        _edit(a)
        old = w.office_to_district("A")
        before = snapshot(w.hub.engine)
        [refused] = service.ingest(w.hub, [old])
        assert refused.refused and snapshot(w.hub.engine) == before
        # and what the hub sends now is for the new keys only
        down = w.district_to_office("A")
        with pytest.raises(Exception, match=r"[\u4e00-\u9fff]"):
            office.import_bundle(a, ADMIN, down)

        # a new, empty PC enrolled with the new file and passphrase joins, and the next bundle
        # carries the office's whole history to it
        ws = Workspace.open(tmp_path / "office-A-new")
        try:
            ws.now_ms = w.clock
            with pytest.raises(Exception, match="口令"):
                office.enroll(ws, out, "test-pass-2026")
            office.enroll(ws, out, r.passphrase)
            up = w.path("A-new-up")
            office.export_bundle(ws, ADMIN, up)
            [taken] = service.ingest(w.hub, [up])
            assert not taken.refused
            office.import_bundle(ws, ADMIN, w.district_to_office("A"))
            with ws.reader() as s:
                assert s.scalar(select(func.count()).select_from(ElderlyResident)) == residents
        finally:
            ws.close()

        # the command line: a code not enrolled is one Chinese line, exit 2, no file
        capsys.readouterr()
        nothing = tmp_path / "stick" / "Z.cwenroll"
        code = cli.main(
            [*_home(w, hub_url), "office", "reissue", "--code", "Z", "--out", str(nothing)]
        )
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and "没有登记代码为 Z" in err[0]
        assert not nothing.exists()
    finally:
        w.close()


def test_a_retired_devices_changes_relayed_by_another_are_taken_only_up_to_its_retirement(
    tmp_path: Path, hub_url
) -> None:
    """A device the hub retired, whose changes reach the hub inside a bundle another device of
    the office writes (here: the office restored a backup, so it writes under a new id and sends
    its old device's unsent work): what the retired device wrote before its retirement is taken
    in, what it wrote after is kept out into the conflicts list (docs/sync.md). Before, only the
    bundle's writer was checked and both were taken in."""
    from db.sync_models import SyncConflict

    w = make_world(tmp_path, ["A"], db_url=hub_url)
    try:
        a = w.offices["A"]
        demo.build(a, residents=2, seed=3)
        [first] = service.ingest(w.hub, [w.office_to_district("A")])
        assert not first.refused
        old_device = a.device_id
        with a.reader() as s:
            rid = s.scalars(select(ElderlyResident.id).order_by(ElderlyResident.id)).first()

        def phone(value: str) -> None:
            with a.writer(ADMIN) as s:
                s.get(ElderlyResident, rid).phone = value

        phone("13800000001")  # before the retirement: legitimate
        admin, _clerk = _people(w.hub)
        service.retire_device(w.hub, "A", old_device, actor=admin)
        phone("13800000002")  # after it (the office's clock and the hub's are one here)
        backup = a.backup("manual")
        root = a.paths.root
        a.close()
        from caseworker.workspace import restore

        restore(root, backup)
        a = Workspace.open(root)
        a.now_ms = w.clock
        w.offices["A"] = a
        assert a.device_id != old_device  # the restored database writes under a new id
        [r] = service.ingest(w.hub, [w.office_to_district("A")])
        assert not r.refused
        with w.hub.reader() as s:
            assert s.get(ElderlyResident, rid).phone == "13800000001"
            kept_out = s.scalars(
                select(SyncConflict).where(
                    SyncConflict.record_id == rid, SyncConflict.reason == "revoked"
                )
            ).all()
        assert [(c.field, c.lost_value, c.lost_device) for c in kept_out] == [
            ("phone", '"13800000002"', old_device)
        ]
        # the same bundle again changes nothing more
        with w.hub.engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(SyncConflict)).scalar()
        service.ingest(w.hub, [w.office_to_district("A")])
        with w.hub.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(SyncConflict)).scalar() == n
    finally:
        w.close()
