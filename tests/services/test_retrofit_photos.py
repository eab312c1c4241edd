"""The photo store and case photos: orientation applied, size capped, EXIF and GPS gone,
content-addressed files outside the database, verification, and the rules of who adds what."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from caseworker.domain.errors import ValidationError
from caseworker.domain.retrofit import Action, PhotoStage
from caseworker.domain.roles import Actor
from caseworker.services.retrofit import cases, photos
from caseworker.workspace import Workspace
from db.photo_store import PhotoStore, sha256_of
from tests.services._retrofit import open_case, step


def phone_photo(path: Path, size: tuple[int, int] = (4000, 3000), orientation: int = 6) -> Path:
    """A phone-like JPEG: landscape pixels, EXIF says 'rotate 90°', with GPS and a date."""
    img = Image.new("RGB", size, (200, 80, 40))
    for x in range(0, size[0] // 4):  # a bright bar on the left edge, to check the rotation
        for y in range(0, size[1], 50):
            img.putpixel((x, y), (255, 255, 255))
    img.paste((255, 255, 255), (0, 0, size[0] // 4, size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "TestPhone"
    gps = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    exif[0x8825] = gps
    exif.get_ifd(0x8769)[0x9003] = "2026:10:12 09:30:15"
    img.save(path, "JPEG", quality=95, exif=exif)
    return path


def test_import_normalises_and_strips(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos")
    src = phone_photo(tmp_path / "IMG_0001.jpg")
    stored = store.import_file(src)
    assert (stored.width, stored.height) == (1200, 1600)  # rotated upright, long edge 1600
    assert stored.taken_at == datetime(2026, 10, 12, 9, 30, 15)
    data = store.read_bytes(stored.sha256)
    assert sha256_of(data) == stored.sha256 and len(data) == stored.size_bytes
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG" and img.size == (1200, 1600)
        assert not img.getexif()  # no orientation, no camera, no GPS
        assert "exif" not in img.info
        top = img.getpixel((600, 100))
        assert min(top) > 200  # the bright left edge is now at the top
    with Image.open(store.path_of(stored.thumb_sha256)) as thumb:
        assert max(thumb.size) == 320
    # Same picture again: same files, stored once.
    again = store.import_file(src)
    assert again.sha256 == stored.sha256
    assert len(list((tmp_path / "photos").rglob("*.jpg"))) == 2


def test_verify_and_receive_by_hash(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos")
    stored = store.import_file(phone_photo(tmp_path / "a.jpg", (800, 600), 1))
    assert store.verify(stored.sha256)
    other = PhotoStore(tmp_path / "elsewhere")
    data = store.read_bytes(stored.sha256)
    with pytest.raises(ValidationError, match="校验值不符"):
        other.put_bytes(data[:-10], stored.sha256)
    assert not other.has(stored.sha256)
    assert other.put_bytes(data, stored.sha256) == stored.sha256 and other.verify(stored.sha256)
    # A damaged file is detected, not served.
    path = store.path_of(stored.sha256)
    path.write_bytes(path.read_bytes()[:-100])
    assert not store.verify(stored.sha256)
    with pytest.raises(ValidationError, match="损坏"):
        store.read_bytes(stored.sha256)
    with pytest.raises(ValidationError, match="缺失"):
        other.read_bytes("0" * 64)


def test_not_an_image_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "notes.jpg"
    bad.write_text("不是图片", encoding="utf-8")
    with pytest.raises(ValidationError, match="不是能识别的图片"):
        PhotoStore(tmp_path / "p").import_file(bad)
    assert not (tmp_path / "p").exists() or not list((tmp_path / "p").rglob("*.jpg"))


def test_png_and_heic_import(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos")
    png = tmp_path / "shot.png"
    Image.new("RGBA", (640, 480), (0, 128, 0, 128)).save(png)
    assert store.import_file(png).width == 640
    pillow_heif = pytest.importorskip("pillow_heif")
    heic = tmp_path / "IMG_2.heic"
    pillow_heif.from_pillow(Image.new("RGB", (2000, 1000), (1, 2, 3))).save(heic)
    assert (store.import_file(heic).width, store.import_file(heic).height) == (1600, 800)


def test_case_photos_by_stage(office_ws: Workspace, worker: Actor, tmp_path: Path) -> None:
    store = PhotoStore(office_ws.paths.photos)
    case = open_case(office_ws, worker)
    before = phone_photo(tmp_path / "before.jpg", (1000, 800), 1)
    after = phone_photo(tmp_path / "after.jpg", (900, 800), 1)
    with office_ws.writer(worker) as s:
        p = photos.add(s, worker, store, case.id, photos.PhotoRequest(before, PhotoStage.BEFORE))
        with pytest.raises(ValidationError, match="已经添加过"):
            photos.add(s, worker, store, case.id, photos.PhotoRequest(before, PhotoStage.BEFORE))
        with pytest.raises(ValidationError, match="不能添加改造后照片"):
            photos.add(s, worker, store, case.id, photos.PhotoRequest(after, PhotoStage.AFTER))
    with office_ws.reader() as s:
        listed = photos.of_case(s, worker, case.id)
        hashes = photos.hashes_of_case(s, case.id)
        walked = list(photos.referenced_hashes(s))
        assert photos.missing_files(s, store) == []
        assert len(cases.detail(s, worker, case.id).photos) == 1
    assert [x.id for x in listed] == [p.id] and hashes == {p.sha256, p.thumb_sha256}
    assert walked == [(p.id, p.sha256, p.thumb_sha256)]
    store.path_of(p.thumb_sha256).unlink()
    with office_ws.reader() as s:
        assert photos.missing_files(s, store) == [p.thumb_sha256]
    step(office_ws, worker, case.id, Action.WITHDRAW, reason="搬走了")
    with office_ws.writer(worker) as s, pytest.raises(ValidationError, match="已结案"):
        photos.remove(s, worker, p.id)
