"""Retrofit photo files through real bundles: office → district, back to a restored office, to
the new office of a transferred case, never to another office; a bundle carries only files the
other side has not acknowledged; a bundle with a damaged, mismatched, truncated or oversized
photo is refused whole, leaving the district's database and photo folder as they were."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from caseworker.district import service
from caseworker.domain.retrofit import PhotoStage
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.services.retrofit import cases, photos
from caseworker.sync import exchange, office
from caseworker.sync import photos as sync_photos
from caseworker.sync.errors import SyncRefused
from caseworker.sync.identity import KEY_FILE, find_identity, peers
from caseworker.workspace import Workspace
from db.photo_store import PhotoStore, sha256_of
from tests.services._elderly import TODAY, make_id
from tests.sync.helpers import ADMIN, World, account, make_world, snapshot, table_rows


def _worker(ws: Workspace) -> Actor:
    """The office's caseworker account (made on first use; writes check the account)."""
    from db.models import Staff

    with ws.reader() as s:
        row = s.query(Staff).filter(Staff.username == "worker").one_or_none()
        if row is not None:
            return accounts.actor_for(row)
    return account(ws, "worker", "李专干", Role.CASEWORKER)


@pytest.fixture
def world(tmp_path: Path):
    w = make_world(tmp_path, ["A", "B"])
    yield w
    w.close()


def _picture(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (900, 700)) -> Path:
    img = Image.new("RGB", size, colour)
    img.paste((255, 255, 255), (0, 0, size[0] // 3, size[1] // 2))
    img.save(path, "JPEG", quality=90)
    return path


def _case_with_photos(w: World, code: str, n: int = 2) -> tuple[str, set[str]]:
    """A case at office `code` with `n` before photos; returns its id and its file hashes."""
    ws = w.offices[code]
    store = PhotoStore(ws.paths.photos)
    worker = _worker(ws)
    with ws.writer(worker) as s:
        community = accounts.communities(s)[0].id
        case = cases.apply(
            s,
            worker,
            cases.ApplicationDraft(
                "陈桂兰", make_id(TODAY.replace(year=1944), 22), community, address="和平里1号"
            ),
            today=TODAY,
        )
        for i in range(n):
            src = _picture(w.root / f"{code}-{i}.jpg", (40 * i + 20, 90, 160))
            photos.add(
                s, worker, store, case.id, photos.PhotoRequest(src, PhotoStage.BEFORE, caption="")
            )
        hashes = photos.hashes_of_case(s, case.id)
    return case.id, hashes


def _files(folder: Path) -> set[str]:
    return {p.stem for p in folder.rglob("*.jpg")} if folder.exists() else set()


def _hub_photos(w: World) -> Path:
    return service.photo_store(w.hub).root


def test_photos_reach_the_district_once_and_never_come_back(world: World) -> None:
    _, hashes = _case_with_photos(world, "A")
    assert len(hashes) == 4  # two photos, two thumbnails
    up = world.path("A-up")
    sent = office.export_bundle(world.offices["A"], ADMIN, up)
    assert (sent.photos, sent.photos_waiting) == (4, 0) and sent.photo_bytes > 0
    [got] = service.ingest(world.hub, [up])
    assert got.refused == "" and got.photos == 4
    assert _files(_hub_photos(world)) == hashes
    store = service.photo_store(world.hub)
    assert all(store.verify(h) for h in hashes)
    assert not (_hub_photos(world) / sync_photos.INCOMING).exists()

    # The district's bundle back carries none of A's own files, and none to B.
    down_a = world.path("A-down")
    assert service.export_for(world.hub, "A", down_a).photos == 0
    assert office.import_bundle(world.offices["A"], ADMIN, down_a).photos == 0
    down_b = world.path("B-down")
    assert service.export_for(world.hub, "B", down_b).photos == 0
    office.import_bundle(world.offices["B"], ADMIN, down_b)
    assert _files(world.offices["B"].paths.photos) == set()

    # Acknowledged: A's next bundle carries no photo again, though the rows are there.
    again = office.export_bundle(world.offices["A"], ADMIN, world.path("A-up2"))
    assert again.photos == 0 and again.photo_bytes == 0


def test_an_unacknowledged_photo_is_sent_again_and_imported_once(world: World) -> None:
    _case_with_photos(world, "A", n=1)
    first = world.office_to_district("A")  # never imported: lost on the way
    second = world.path("A-up2")
    assert office.export_bundle(world.offices["A"], ADMIN, second).photos == 2
    [got] = service.ingest(world.hub, [second])
    assert got.photos == 2
    [late] = service.ingest(world.hub, [first])  # the lost one turns up: harmless
    assert late.refused == "" and len(_files(_hub_photos(world))) == 2


def test_a_restored_office_gets_its_photos_back(world: World) -> None:
    _, hashes = _case_with_photos(world, "A")
    service.ingest(world.hub, [world.office_to_district("A")])
    office.import_bundle(world.offices["A"], ADMIN, world.district_to_office("A"))
    # The PC is reinstalled from a database backup: the photo folder is gone.
    shutil.rmtree(world.offices["A"].paths.photos)
    asking = world.path("A-up-missing")
    office.export_bundle(world.offices["A"], ADMIN, asking)
    assert service.ingest(world.hub, [asking])[0].refused == ""
    back = world.path("A-down-back")
    assert service.export_for(world.hub, "A", back).photos == 4
    result = office.import_bundle(world.offices["A"], ADMIN, back)
    assert result.photos == 4 and not result.nothing_new
    store = PhotoStore(world.offices["A"].paths.photos)
    assert all(store.verify(h) for h in hashes)
    with world.offices["A"].reader() as s:
        assert sync_photos.missing(s.connection(), store) == []
    # Once the office has them, the district sends them no more.
    service.ingest(world.hub, [world.office_to_district("A")])
    assert service.export_for(world.hub, "A", world.path("A-down3")).photos == 0


def test_a_transferred_case_takes_its_photos_to_the_new_office(world: World) -> None:
    case_id, hashes = _case_with_photos(world, "A")
    service.ingest(world.hub, [world.office_to_district("A")])
    office.import_bundle(world.offices["B"], ADMIN, world.district_to_office("B"))
    assert _files(world.offices["B"].paths.photos) == set()
    service.transfer(world.hub, "retrofit_case", case_id, "B", community="B和平社区")
    down = world.path("B-down2")
    assert service.export_for(world.hub, "B", down).photos == 4
    office.import_bundle(world.offices["B"], ADMIN, down)
    assert _files(world.offices["B"].paths.photos) == hashes
    assert len(table_rows(world.offices["B"].engine, "retrofit_photo")) == 2
    # B holds them now (acknowledged by its next bundle): not sent twice, and not sent back.
    up = world.path("B-up")
    assert office.export_bundle(world.offices["B"], ADMIN, up).photos == 0
    service.ingest(world.hub, [up])
    assert service.export_for(world.hub, "B", world.path("B-down3")).photos == 0


def test_the_photo_budget_splits_photos_over_bundles(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _case_with_photos(world, "A", n=3)
    monkeypatch.setattr(sync_photos, "BUDGET", 1)  # one file a bundle
    first = world.path("A-up1")
    r1 = office.export_bundle(world.offices["A"], ADMIN, first)
    assert (r1.photos, r1.photos_waiting) == (1, 5)
    service.ingest(world.hub, [first])
    office.import_bundle(world.offices["A"], ADMIN, world.district_to_office("A"))
    r2 = office.export_bundle(world.offices["A"], ADMIN, world.path("A-up2"))
    assert (r2.photos, r2.photos_waiting) == (1, 4)


# -- faults --------------------------------------------------------------------------------------


class _Frames:
    """A crafted photo part: `frames` written as they are, `count` announced in the manifest."""

    def __init__(self, frames: list[dict[str, Any]], count: int) -> None:
        self.frames, self.count = frames, count

    def write(self, frame: Callable[[dict, bytes], None], bundle_id: str) -> sync_photos.Sent:
        for f in self.frames:
            frame({k: v for k, v in f.items() if k != "data"}, f["data"])
        return sync_photos.Sent(self.count, sum(f["size"] for f in self.frames if not f["at"]))


def _frame(sha: str, data: bytes, size: int | None = None, at: int = 0) -> dict[str, Any]:
    return {
        "photo": sha,
        "size": len(data) if size is None else size,
        "at": at,
        "data": data,
    }


def _craft(world: World, part: _Frames, name: str) -> Path:
    """A bundle signed and sealed with office A's own keys, carrying a photo part."""
    ws = world.offices["A"]
    with ws.engine.connect() as conn:
        me = find_identity(conn, ws.paths.root / KEY_FILE)
        district = next(p for p in peers(conn) if p.role == "district")
    assert me is not None
    out = world.root / "stick" / f"{name}.cwbundle"
    extras = {"have": {}, "imported": [], "devices": [ws.device_id]}
    exchange.write_bundle(
        out,
        me,
        district,
        [],
        extras,
        created_ms=world.clock(),
        kind="office",
        photo_source=part,  # type: ignore[arg-type]
    )
    return out


def _jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    import io

    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 30)).save(buf, "JPEG", quality=70)
    return buf.getvalue()


def _png() -> bytes:
    import io

    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 30)).save(buf, "PNG")
    return buf.getvalue()


def _refused_and_unchanged(world: World, path: Path, expected: str) -> None:
    before = snapshot(world.hub.engine)
    [got] = service.ingest(world.hub, [path])
    assert expected in got.refused, got.refused
    assert "未做任何改动" in got.refused and "\n" not in got.refused
    assert snapshot(world.hub.engine) == before
    root = _hub_photos(world)
    assert not root.exists() or not any(root.rglob("*")), list(root.rglob("*"))


def test_a_photo_whose_bytes_do_not_match_its_hash_refuses_the_bundle(world: World) -> None:
    good, other = _jpeg(), _jpeg((80, 60))
    path = _craft(world, _Frames([_frame(sha256_of(good), other)], 1), "mismatch")
    _refused_and_unchanged(world, path, "校验值不符")


@pytest.mark.parametrize(
    "data",
    [_jpeg((5000, 4000)), _png(), b"\xff\xd8\xff not really a jpeg"],
    ids=["huge", "png", "garbage"],
)
def test_an_oversized_or_undecodable_photo_refuses_the_bundle(world: World, data: bytes) -> None:
    path = _craft(world, _Frames([_frame(sha256_of(data), data)], 1), "bad-image")
    _refused_and_unchanged(world, path, "不是可用的图片或尺寸过大")


def test_a_bomb_header_is_refused_before_decoding(world: World) -> None:
    data = bytearray(_jpeg((64, 48)))
    sof = data.index(b"\xff\xc0")  # baseline frame header: length, precision, height, width
    data[sof + 5 : sof + 9] = (60000).to_bytes(2, "big") + (60000).to_bytes(2, "big")
    raw = bytes(data)
    path = _craft(world, _Frames([_frame(sha256_of(raw), raw)], 1), "bomb")
    _refused_and_unchanged(world, path, "不是可用的图片或尺寸过大")


def test_a_truncated_or_miscounted_photo_part_refuses_the_bundle(world: World) -> None:
    data = _jpeg()
    half = _frame(sha256_of(data), data[:100], size=len(data))
    _refused_and_unchanged(world, _craft(world, _Frames([half], 1), "short"), "照片不完整")
    whole = _frame(sha256_of(data), data)
    _refused_and_unchanged(world, _craft(world, _Frames([whole], 2), "count"), "张数与清单不符")
    jump = _frame(sha256_of(data), data[100:], size=len(data), at=100)
    _refused_and_unchanged(world, _craft(world, _Frames([jump], 1), "jump"), "照片不完整")


def test_a_photo_frame_damaged_on_the_stick_refuses_the_bundle(world: World) -> None:
    _case_with_photos(world, "A", n=1)
    path = world.office_to_district("A")
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x55  # in the middle of the photo frames (they are most of the file)
    path.write_bytes(bytes(raw))
    _refused_and_unchanged(world, path, "校验和不符")


def test_a_file_damaged_at_the_sender_is_not_sent(world: World) -> None:
    """A file whose bytes no longer match its name (a bad disk) is left out, not sent: it would
    refuse the whole bundle at the office."""
    _case_with_photos(world, "A")
    service.ingest(world.hub, [world.office_to_district("A")])
    shutil.rmtree(world.offices["A"].paths.photos)
    service.ingest(world.hub, [world.office_to_district("A")])  # asks for them again
    store = service.photo_store(world.hub)
    victim = next(p for p in store.root.rglob("*.jpg"))
    victim.write_bytes(_jpeg((33, 33)))  # the district's own copy went bad
    down = world.path("A-down")
    result = service.export_for(world.hub, "A", down)
    assert result.photos == 3  # the damaged file is not sent; the others are
    ws: Workspace = world.offices["A"]
    assert office.import_bundle(ws, ADMIN, down).photos == 3
    assert len(_files(ws.paths.photos)) == 3


def test_preview_checks_photos_and_writes_none(world: World) -> None:
    data = _jpeg((5000, 4000))
    _case_with_photos(world, "A")
    service.ingest(world.hub, [world.office_to_district("A")])
    shutil.rmtree(world.offices["A"].paths.photos)
    service.ingest(world.hub, [world.office_to_district("A")])
    down = world.path("A-down")
    service.export_for(world.hub, "A", down)
    preview = office.preview_bundle(world.offices["A"], ADMIN, down)
    assert preview.photos == 4 and not preview.nothing_new
    assert _files(world.offices["A"].paths.photos) == set()
    assert not (world.offices["A"].paths.photos / sync_photos.INCOMING).exists()
    with pytest.raises(SyncRefused):
        sync_photos.check_image(_write(world.root / "huge.jpg", data))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "plain", [b"\x00", b"\x00\x00\x07[1,2,3]data", b"\x00\xff\xff{}", b"\x00\x00\x02{"]
)
def test_a_raw_frame_with_a_bad_header_is_refused(plain: bytes) -> None:
    from caseworker.sync import bundle

    with pytest.raises(SyncRefused, match="格式错误"):
        bundle._inflate(plain)


def test_a_full_disk_while_receiving_photos_refuses_the_bundle(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    _case_with_photos(world, "A", n=1)
    path = world.office_to_district("A")

    def full(self: sync_photos.Receiver, sha: str, size: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sync_photos.Receiver, "_start", full)
    _refused_and_unchanged(world, path, "无法写入收到的照片")
    monkeypatch.undo()
    [got] = service.ingest(world.hub, [path])  # space freed: the same file goes in whole
    assert got.refused == "" and got.photos == 2


def test_a_valid_photo_no_record_names_is_not_stored(world: World) -> None:
    """A signed bundle cannot park files in the district's store: a photo file is kept only
    when one of the sending office's own photo records names it."""
    _, hashes = _case_with_photos(world, "A", n=1)
    service.ingest(world.hub, [world.office_to_district("A")])
    stray = _jpeg((70, 50))
    path = _craft(world, _Frames([_frame(sha256_of(stray), stray)], 1), "stray")
    [got] = service.ingest(world.hub, [path])
    assert not got.refused
    assert _files(_hub_photos(world)) == hashes  # the case's files, not the stray one
    # and an office's own files reach the district only through its own records: B's case
    # photos sent under A's keys are left out too
    _, b_hashes = _case_with_photos(world, "B", n=1)
    b_store = PhotoStore(world.offices["B"].paths.photos)
    frames = [_frame(h, b_store.path_of(h).read_bytes()) for h in sorted(b_hashes)]
    [got] = service.ingest(world.hub, [_craft(world, _Frames(frames, len(frames)), "theft")])
    assert not got.refused and _files(_hub_photos(world)) == hashes
