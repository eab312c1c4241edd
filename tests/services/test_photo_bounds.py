"""Photos a caseworker picks are untrusted files (issue 20, item 4): pixels and memory are bounded
before any pixel is decoded, only the supported formats are read (JPEG, PNG, HEIC), a file name
with a control character is refused, and every refusal is one Chinese line with nothing stored.

The numbers are what an office PC can take: a 1 KiB file declaring 30000×30000 px used to raise
Pillow's DecompressionBombError out of `import_bytes`, and a 225 KiB PNG of 8900×8900 was
accepted after 5.8 s at about 1.1 GiB."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

from caseworker.domain.errors import ValidationError
from db.photo_store import PhotoStore


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_of(width: int, height: int, *, rows: int | None = None) -> bytes:
    """An RGB PNG of black pixels, compressed as it goes (never held whole in memory);
    `rows` cuts the image data short (a 1 KiB file can declare any size)."""
    z = zlib.compressobj(9)
    count = height if rows is None else rows
    line = b"\x00" + bytes(width * 3) if count else b""
    data = b"".join(z.compress(line) for _ in range(count)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header is rewritten to declare `width`×`height`."""
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (9, 9, 9)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def _stored(store: PhotoStore) -> list[Path]:
    return list(store.root.rglob("*")) if store.root.exists() else []


@pytest.mark.parametrize(
    ("what", "data"),
    [
        ("png 30000x30000", png_of(30000, 30000, rows=1)),
        ("jpeg 30000x30000", jpeg_declaring(30000, 30000)),
        ("jpeg 20000x20000", jpeg_declaring(20000, 20000)),  # under Pillow's own bomb limit
        ("png 100000000x1", png_of(100_000_000, 1, rows=0)),
        ("png 24001x1001", png_of(24001, 1001, rows=0)),
    ],
)
def test_a_small_file_declaring_huge_pixels_is_one_clean_refusal(
    tmp_path: Path, what: str, data: bytes
) -> None:
    store = PhotoStore(tmp_path / "photos")
    assert len(data) < 2048, what
    started = time.process_time()  # CPU: the wall clock stretches under load
    with pytest.raises(ValidationError) as refused:
        store.import_bytes(data, "bomb.png")
    assert time.process_time() - started < 2
    message = str(refused.value)
    assert len(message.splitlines()) == 1 and "bomb.png" in message and "像素" in message
    assert _stored(store) == []


def test_a_png_of_8900_square_is_refused_in_a_second_without_the_memory(tmp_path: Path) -> None:
    """In a process of its own, to measure the peak memory of the refusal."""
    src = tmp_path / "big.png"
    src.write_bytes(png_of(8900, 8900))
    assert src.stat().st_size < 400_000
    code = (
        "import resource, sys, time\n"
        "from pathlib import Path\n"
        "from caseworker.domain.errors import ValidationError\n"
        "from db.photo_store import PhotoStore\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "t = time.monotonic()\n"
        "try:\n"
        f"    PhotoStore(Path({str(tmp_path / 'store')!r})).import_file(Path({str(src)!r}))\n"
        "    print('accepted')\n"
        "except ValidationError as exc:\n"
        "    print('refused', exc)\n"
        "grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
        "print(round(time.monotonic() - t, 2), grown // 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()
    assert out[0].startswith("refused") and "像素" in out[0], out
    seconds, grown_mb = out[1].split()
    assert float(seconds) < 1.5 and int(grown_mb) < 100, out


def test_a_photo_sized_png_is_still_taken(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos")
    stored = store.import_bytes(png_of(4000, 3000), "scan.png")
    assert (stored.width, stored.height) == (1600, 1200)


@pytest.mark.parametrize("fmt", ["TIFF", "BMP", "GIF", "WEBP"])
def test_only_the_supported_formats_are_read(tmp_path: Path, fmt: str) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (1, 2, 3)).save(buf, fmt)
    store = PhotoStore(tmp_path / "photos")
    with pytest.raises(ValidationError, match="支持 JPEG、PNG"):
        store.import_bytes(buf.getvalue(), f"x.{fmt.lower()}")
    assert _stored(store) == []


@pytest.mark.parametrize(
    "name", ["照片\n第二行.jpg", "a\x00b.jpg", "a\x1b[2Jb.jpg", "\u202egpj.exe"]
)
def test_a_file_name_with_a_control_character_is_refused(tmp_path: Path, name: str) -> None:
    store = PhotoStore(tmp_path / "photos")
    path = tmp_path / name.replace("\x00", "")
    Image.new("RGB", (64, 48)).save(path, "JPEG")
    with pytest.raises(ValidationError, match="文件名"):
        store.import_file(tmp_path / name)
    assert _stored(store) == []


def test_a_file_larger_than_a_phone_photo_is_refused_unread(tmp_path: Path, monkeypatch) -> None:
    from db import photo_store

    monkeypatch.setattr(photo_store, "MAX_SOURCE_BYTES", 10_000)
    src = tmp_path / "big.png"
    src.write_bytes(png_of(4000, 3000))
    assert src.stat().st_size > 10_000
    store = PhotoStore(tmp_path / "photos")
    with pytest.raises(ValidationError, match="太大"):
        store.import_file(src)
    assert _stored(store) == []
