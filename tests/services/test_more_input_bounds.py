"""Bounds on files and lists that arrive, which no other test proved directly (issue 20's list
of every input, tests/test_untrusted_inputs.py): a backup that inflates past the disk, an
enrollment or recovery file past its size, a bundle declaring too many devices or origins, a
photo request list past its length. Each is refused (or cut) with nothing changed."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from caseworker.district import service
from caseworker.domain.errors import CaseworkerError
from caseworker.domain.roles import Actor
from caseworker.sync import exchange, office, photos
from caseworker.workspace import Workspace, restore
from db import backup
from db.sync_models import SyncPhoto
from tests.sync.helpers import ADMIN, PASSPHRASE, make_world, snapshot
from tests.sync.test_crafted import _craft
from tests.sync.test_crafted_values import _craft_down


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.parts[-2] not in ("logs", "locks")
    }


def test_a_backup_that_inflates_past_the_free_disk_is_refused(
    office_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """64 MB of zeros gzip to 64 KB: the unpacking stops at the disk's free room."""
    bomb = tmp_path / "bomb.sqlite3.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as f:
        for _ in range(64):
            f.write(bytes(1 << 20))
    assert bomb.stat().st_size < 200_000
    root = office_ws.paths.root
    office_ws.close()
    before = _files(root)
    monkeypatch.setattr(backup, "free_bytes", lambda folder: backup.MARGIN_BYTES + (8 << 20))
    with pytest.raises(CaseworkerError, match="磁盘空间不足"):
        restore(root, bomb)
    assert _files(root) == before


def test_an_enrollment_file_past_its_size_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.cwenroll"
    with big.open("wb") as f:  # sparse: 65 MB on the file system, nothing on the disk
        f.truncate(65 * 1024 * 1024)
    ws = Workspace.open(tmp_path / "ws")
    try:
        before = snapshot(ws.engine)
        with pytest.raises(CaseworkerError, match="损坏"):
            office.enroll(ws, big, PASSPHRASE)
        assert snapshot(ws.engine) == before
    finally:
        ws.close()


def test_a_recovery_file_past_its_size_is_refused_unread(
    office_ws: Workspace, tmp_path: Path
) -> None:
    from caseworker.services.children.recovery import MAX_BYTES, take_recovery_file

    big = tmp_path / "big.cwchildkey"
    big.write_bytes(b"{" + b" " * MAX_BYTES + b"}")
    system = Actor.system("test")
    with pytest.raises(CaseworkerError), office_ws.writer(system) as s:
        take_recovery_file(s, system, None, big)  # type: ignore[arg-type]


@pytest.fixture
def world(tmp_path: Path):
    w = make_world(tmp_path, ["A"])
    yield w
    w.close()


def test_a_bundle_declaring_more_devices_than_an_office_has_is_refused(world) -> None:
    ws = world.offices["A"]
    path = _craft(world, "A", [], "devices")
    # the same bundle, with 17 declared devices (its own first)
    from caseworker.sync.identity import KEY_FILE, find_identity, peers

    with ws.engine.connect() as conn:
        me = find_identity(conn, ws.paths.root / KEY_FILE)
        district = next(p for p in peers(conn) if p.role == "district")
    devices = [ws.device_id, *(f"{i:08d}-0000-7000-8000-000000000000" for i in range(16))]
    crafted = world.root / "stick" / "many.cwbundle"
    exchange.write_bundle(
        crafted,
        me,
        district,
        [],
        {"have": {}, "imported": [], "devices": devices},
        created_ms=world.clock(),
        kind="office",
    )
    before = snapshot(world.hub.engine)
    [result] = service.ingest(world.hub, [crafted])
    assert "设备编号" in result.refused
    assert snapshot(world.hub.engine) == before
    assert service.ingest(world.hub, [path])[0].refused == ""


def test_acknowledgements_for_more_origins_than_a_district_has_are_refused(world) -> None:
    a = world.offices["A"]
    path = _craft_down(world, "A", [], "acks")
    assert office.import_bundle(a, ADMIN, path).refused == 0
    with world.hub.engine.connect() as conn:
        from caseworker.sync.identity import load_identity, peers

        me = load_identity(conn, world.hub.key_file)
        to = next(p for p in peers(conn, "office") if p.office_code == "A")
    acks = {f"{i:08d}-0000-7000-8000-000000000000": "001790000000100-000000" for i in range(5001)}
    crafted = world.root / "stick" / "acks.cwbundle"
    exchange.write_bundle(
        crafted, me, to, [], {"acks": acks}, created_ms=world.clock(), kind="district"
    )
    before = snapshot(a.engine)
    with pytest.raises(CaseworkerError, match="设备过多"):
        office.import_bundle(a, ADMIN, crafted)
    assert snapshot(a.engine) == before


def test_a_photo_request_list_is_read_up_to_its_bound(world) -> None:
    hashes = [os.urandom(32).hex() for _ in range(1500)]
    with world.hub.engine.begin() as conn:
        conn.execute(
            insert(SyncPhoto.__table__),
            [{"peer": "p", "sha256": h, "bundle_id": "b", "acked_at": None} for h in hashes],
        )
        assert photos.forget(conn, "p", hashes) == photos.MAX_MISSING
        left = conn.execute(select(SyncPhoto.__table__.c.sha256)).scalars().all()
    assert len(left) == 1500 - photos.MAX_MISSING
