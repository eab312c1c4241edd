"""Faults: damaged, forged, replayed, misdirected and too-new bundles are refused with a clear
message and change nothing; an import killed at any point happened entirely or not at all."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_h
from hypothesis import strategies as st

from caseworker.district import service
from caseworker.district.hub import Hub
from caseworker.services import settings
from caseworker.sync import bundle, crypto, office
from caseworker.sync.errors import SyncRefused
from caseworker.workspace import Workspace
from db.models import Community
from tests.examples import examples
from tests.sync.helpers import ADMIN, journal_count, make_world, snapshot, table_rows


@pytest.fixture
def world(tmp_path: Path):
    w = make_world(tmp_path, ["A", "B"])
    with w.hub.writer(ADMIN) as s:
        settings.set_value(s, ADMIN, "visit.interval_days.general", 60)
    yield w
    w.close()


def _resign(data: bytes, manifest_edit, keys: crypto.KeyPair, path: Path) -> bytes:
    """The same payload under an edited manifest, signed with `keys`."""
    path.write_bytes(data)
    env = bundle.read_envelope(path)
    m = dict(env.manifest)
    manifest_edit(m)
    mbytes = crypto.canonical(m)
    sig = crypto.sign(keys, bundle.MAGIC + mbytes)
    body = data[env.body_start : env.body_start + env.body_size]
    return b"".join(
        [bundle.MAGIC, body, mbytes, struct.pack(">I", len(mbytes)), sig, struct.pack(">H", 64)]
    )


def _district_keys(w) -> crypto.KeyPair:
    from caseworker.sync.identity import load_identity

    with w.hub.engine.connect() as conn:
        return load_identity(conn, w.hub.key_file).keys


def _variants(w, good: Path, scratch: Path) -> dict[str, tuple[bytes, str]]:
    data = good.read_bytes()
    env = bundle.read_envelope(good)
    flipped = bytearray(data)
    flipped[env.body_start + env.body_size // 2] ^= 0x10
    manifest_flip = bytearray(data)
    manifest_flip[env.body_start + env.body_size + 10] ^= 0x01
    stranger = crypto.KeyPair.generate()
    keys = _district_keys(w)
    return {
        "truncated": (data[: len(data) - 100], "不完整"),
        "truncated-head": (data[:40], "不完整"),
        "bit-flip-payload": (bytes(flipped), "校验和不符"),
        "bit-flip-manifest": (bytes(manifest_flip), ""),
        "re-signed": (_resign(data, lambda m: None, stranger, scratch), "签名不对"),
        "newer-format": (
            _resign(data, lambda m: m.update(format=99), keys, scratch),
            "格式版本",
        ),
        "newer-schema": (
            _resign(data, lambda m: m.update(schema="9999"), keys, scratch),
            "版本",
        ),
        "not-a-bundle": (b"PK\x03\x04" + os.urandom(500), "不是工作台的数据包"),
    }


def test_damaged_and_forged_bundles_are_refused_and_change_nothing(world, tmp_path: Path) -> None:
    good = world.district_to_office("A")
    a = world.offices["A"]
    before = snapshot(a.engine)
    backups_before = sorted(a.paths.backups.iterdir())
    for name, (data, expected) in _variants(world, good, tmp_path / "scratch").items():
        bad = tmp_path / f"{name}.cwbundle"
        bad.write_bytes(data)
        with pytest.raises(SyncRefused) as exc:
            office.import_bundle(a, ADMIN, bad)
        assert expected in str(exc.value), (name, str(exc.value))
        assert "未做任何改动" in str(exc.value), name
        with pytest.raises(SyncRefused):
            office.preview_bundle(a, ADMIN, bad)
        assert snapshot(a.engine) == before, name
    assert sorted(a.paths.backups.iterdir()) == backups_before
    # the genuine bundle still imports
    assert office.import_bundle(a, ADMIN, good).new_changes > 0


def test_wrong_recipient_and_unknown_sender_are_refused(world, tmp_path: Path) -> None:
    for_b = world.district_to_office("B")
    a = world.offices["A"]
    before = snapshot(a.engine)
    with pytest.raises(SyncRefused, match="不是发给本机"):
        office.import_bundle(a, ADMIN, for_b)
    # a second, unknown district that somehow knows A's public key
    rogue = Hub.open(tmp_path / "rogue")
    try:
        service.init(rogue, "冒充的区")
        from caseworker.sync.identity import add_peer, load_identity

        ident = office.identity(a)
        with rogue.engine.begin() as conn:
            add_peer(
                conn,
                device_id=ident.device_id,
                role="office",
                name="A",
                office_code="A",
                sign_pub=ident.keys.sign_pub,
                box_pub=ident.keys.box_pub,
            )
            load_identity(conn, rogue.key_file)
        forged = tmp_path / "rogue.cwbundle"
        service.export_for(rogue, "A", forged)
    finally:
        rogue.close()
    with pytest.raises(SyncRefused, match="未登记"):
        office.import_bundle(a, ADMIN, forged)
    assert snapshot(a.engine) == before
    # an office's bundle carried to another office: B does not know A as a sender
    up = world.office_to_district("A")
    b_before = snapshot(world.offices["B"].engine)
    with pytest.raises(SyncRefused, match="未登记"):
        office.import_bundle(world.offices["B"], ADMIN, up)
    assert snapshot(world.offices["B"].engine) == b_before


def test_replayed_bundle_reports_nothing_new_and_changes_nothing(world) -> None:
    good = world.district_to_office("A")
    a = world.offices["A"]
    first = office.import_bundle(a, ADMIN, good)
    assert first.new_changes > 0
    after = snapshot(a.engine)
    again = office.import_bundle(a, ADMIN, good)
    assert again.nothing_new and again.already_imported
    assert snapshot(a.engine) == after
    # the district side: an office bundle ingested twice
    up = world.office_to_district("A")
    service.ingest(world.hub, [up])
    hub_after = snapshot(world.hub.engine)
    [r] = service.ingest(world.hub, [up])
    assert r.already
    assert snapshot(world.hub.engine) == hub_after


def test_refusal_through_the_command_line_is_one_line_exit_2(world, tmp_path: Path) -> None:
    good = world.district_to_office("A")
    bad = tmp_path / "cut.cwbundle"
    bad.write_bytes(good.read_bytes()[:-7])
    world.offices["A"].close()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "caseworker",
            "sync",
            "import",
            str(bad),
            "--workspace",
            str(world.offices["A"].paths.root),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "未做任何改动" in r.stderr


# -- killed mid-import ---------------------------------------------------------------------------


@pytest.mark.slow
def test_import_killed_at_random_points_is_all_or_nothing(tmp_path: Path) -> None:
    w = make_world(tmp_path / "w", ["A"])
    oid = table_rows(w.hub.engine, "office", "WHERE code='A'", "id")[0][0]
    with w.hub.writer(ADMIN) as s:
        for i in range(4000):
            s.add(Community(office_id=oid, name=f"批量社区{i:05d}", code=f"C{i}"))
    big = w.district_to_office("A")
    pristine = tmp_path / "pristine"
    w.close()
    shutil.copytree(w.offices["A"].paths.root, pristine)

    def run(root: Path) -> subprocess.Popen:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "caseworker",
                "sync",
                "import",
                str(big),
                "--workspace",
                str(root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def counts(root: Path) -> tuple[int, int, list[str]]:
        ws = Workspace.open(root)
        try:
            problems = ws.integrity_problems()
            n = len(table_rows(ws.engine, "community", columns="id"))
            return n, journal_count(ws.engine), problems
        finally:
            ws.close()

    before = counts(pristine)
    full_root = tmp_path / "full"
    shutil.copytree(pristine, full_root)
    start = time.monotonic()
    assert run(full_root).wait(timeout=300) == 0
    duration = time.monotonic() - start
    after = counts(full_root)
    assert after[0] == before[0] + 4000 and after[2] == []
    rng = random.Random(4)
    outcomes = set()
    for i in range(8):
        root = tmp_path / f"kill{i}"
        shutil.copytree(pristine, root)
        proc = run(root)
        time.sleep(rng.uniform(0.2, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        state = counts(root)
        assert state[2] == [], state[2]
        assert state[:2] in (before[:2], after[:2]), (state, before, after)
        outcomes.add(state[:2] == after[:2])
        # whatever happened, importing again completes it exactly once
        assert run(root).wait(timeout=300) == 0
        assert counts(root)[:2] == after[:2]
    print("kill outcomes (True = import had completed):", outcomes, f"import took {duration:.1f}s")


def test_a_signed_manifest_that_miscounts_its_changes_is_refused(world, tmp_path: Path) -> None:
    """The count is checked while the frames are read (inside the import's transaction): the
    refusal comes after the pre-import backup, but nothing of the bundle is kept."""
    good = world.district_to_office("A")
    a = world.offices["A"]
    before = snapshot(a.engine)
    for delta in (-1, 1):
        bad = tmp_path / f"miscount{delta}.cwbundle"
        bad.write_bytes(
            _resign(
                good.read_bytes(),
                lambda m, d=delta: m.update(changes=m["changes"] + d),
                _district_keys(world),
                tmp_path / "scratch",
            )
        )
        with pytest.raises(SyncRefused, match="条数"):
            office.import_bundle(a, ADMIN, bad)
        assert snapshot(a.engine) == before


def test_manifest_counts_match_the_payload(world) -> None:
    world.hub.now()
    good = world.district_to_office("A")
    env = bundle.read_envelope(good)
    ident = office.identity(world.offices["A"])
    assert ident is not None
    count = bundle.check_parts(env)
    bound = bundle.binding(env.manifest["bundle_id"], env.manifest["sender"], ident.device_id)
    frames = list(bundle.frames(env, ident.keys, bound, count))
    extras, rows, closing = frames[0], frames[1:-1], frames[-1]
    assert isinstance(extras, dict) and closing is None
    changes = [r for frame in rows for r in frame]
    assert changes and env.manifest["changes"] == len(changes)
    assert sum(env.manifest["counts"].values()) == len(changes)
    assert json.loads(crypto.canonical(env.manifest)) == env.manifest


@pytest.fixture(scope="module")
def bundle_case(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("flip")
    w = make_world(root, ["A"])
    with w.hub.writer(ADMIN) as s:
        settings.set_value(s, ADMIN, "visit.interval_days.general", 45)
    good = w.district_to_office("A")
    yield w, good
    w.close()


@settings_h(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_flipped_bit_or_cut_is_refused(bundle_case, tmp_path_factory, data) -> None:
    w, good = bundle_case
    raw = bytearray(good.read_bytes())
    if data.draw(st.booleans(), label="cut"):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1), label="length")]
    else:
        pos = data.draw(st.integers(0, len(raw) - 1), label="position")
        raw[pos] ^= 1 << data.draw(st.integers(0, 7), label="bit")
    bad = tmp_path_factory.mktemp("bad") / "bad.cwbundle"
    bad.write_bytes(bytes(raw))
    with pytest.raises(SyncRefused):
        office.preview_bundle(w.offices["A"], ADMIN, bad)


def test_a_full_stick_leaves_no_file_and_records_nothing(
    world, tmp_path: Path, monkeypatch
) -> None:
    import errno

    from caseworker.sync import bundle as bundle_module

    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    a = world.offices["A"]
    before = office.history(a, ADMIN)
    monkeypatch.setattr(bundle_module.os, "fsync", full)
    out = tmp_path / "usb" / "up.cwbundle"
    out.parent.mkdir()
    with pytest.raises(SyncRefused, match="U 盘是否已满"):
        office.export_bundle(a, ADMIN, out)
    monkeypatch.setattr(bundle_module.os, "fsync", real_fsync)
    assert list(out.parent.iterdir()) == []
    assert office.history(a, ADMIN) == before
    office.export_bundle(a, ADMIN, out)  # with room on the stick it works
    assert out.exists()


def test_district_ingest_imports_the_good_files_and_names_the_bad(world, tmp_path: Path) -> None:
    good = world.office_to_district("A")
    junk = tmp_path / "junk.cwbundle"
    junk.write_bytes(good.read_bytes()[:-50])
    world.hub.close()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "caseworker.district",
            "--home",
            str(world.hub.home),
            "ingest",
            str(junk),
            str(good),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "junk.cwbundle：未导入" in r.stdout and "新" in r.stdout
    assert r.stderr.strip().count("\n") == 0 and "1 个数据包未导入" in r.stderr
    world.hub = Hub.open(world.hub.home)
    assert service.ingest(world.hub, [good])[0].already
