"""The photo store: image files in the workspace's `photos/` folder, named by their sha256.

Importing a phone photo applies its EXIF orientation, scales it to at most 1600 px on the long
edge, re-encodes it as JPEG without any EXIF (no GPS, no camera data) and makes a 320 px
thumbnail; both are stored under the sha256 of their bytes (`photos/ab/abcdef….jpg`), so the
same picture is stored once and a file's name proves its content. The database keeps only
metadata rows (db.retrofit.RetrofitPhoto). For sync, the store can read bytes by hash, check a
file against its hash, and accept bytes received from elsewhere only when they match their hash.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from caseworker.domain.errors import ValidationError, os_reason
from caseworker.domain.text import has_controls, strip_controls

log = logging.getLogger(__name__)

LONG_EDGE = 1600
THUMB_EDGE = 320
JPEG_QUALITY = 85
THUMB_QUALITY = 80
MAX_SOURCE_BYTES = 40 * 1024 * 1024  # a phone photo is 3-8 MB; refuse what cannot be one
# Pixels, read from the file's header before any pixel is decoded. A JPEG is decoded at 1/2,
# 1/4 or 1/8 scale (libjpeg's DCT scaling) to just over 1600 px, so even a 108-megapixel phone
# photo takes a few tens of MB; a PNG or HEIC is decoded whole (4 bytes a pixel, and the
# orientation and colour steps copy it twice): 24 megapixels is about 300 MB at the peak.
MAX_JPEG_PIXELS = 120_000_000
MAX_OTHER_PIXELS = 24_000_000
# Only these decoders ever see a picked file (TIFF, BMP, GIF, WEBP… are not photos we store).
FORMATS = ("JPEG", "PNG")
SUFFIX = ".jpg"
_EXIF_DATETIME_ORIGINAL = 0x9003
_EXIF_IFD = 0x8769


def heic_supported() -> bool:
    """Register the HEIC/HEIF reader (iPhone photos) once, where pillow-heif is installed; it
    is loaded on the first import of a photo, not when the program starts."""
    global _HEIC
    if _HEIC is None:
        try:
            from pillow_heif import register_heif_opener

            register_heif_opener()
            _HEIC = True
        except ImportError:  # pragma: no cover - depends on the machine
            _HEIC = False
    return _HEIC


_HEIC: bool | None = None


@dataclass(frozen=True)
class StoredPhoto:
    sha256: str
    thumb_sha256: str
    width: int
    height: int
    size_bytes: int
    taken_at: datetime | None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _valid_hash(sha: str) -> bool:
    return len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)


class PhotoStore:
    """A content-addressed folder of JPEG files."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, sha: str) -> Path:
        if not _valid_hash(sha):
            raise ValueError(f"not a sha256: {sha!r}")
        return self.root / sha[:2] / f"{sha}{SUFFIX}"

    def has(self, sha: str) -> bool:
        return self.path_of(sha).is_file()

    def read_bytes(self, sha: str) -> bytes:
        """The file's bytes, checked against its name; ValidationError when missing or damaged."""
        path = self.path_of(sha)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ValidationError(f"照片文件缺失：{path.name}（可能尚未从区里同步过来）") from None
        if sha256_of(data) != sha:
            raise ValidationError(f"照片文件已损坏：{path.name}")
        return data

    def verify(self, sha: str) -> bool:
        """True when the file exists and its content matches its hash."""
        try:
            return sha256_of(self.path_of(sha).read_bytes()) == sha
        except OSError:
            return False

    def put_bytes(self, data: bytes, expected_sha: str | None = None) -> str:
        """Store bytes (e.g. received in a bundle) under their hash; refuse a mismatch."""
        sha = sha256_of(data)
        if expected_sha is not None and sha != expected_sha:
            raise ValidationError("照片内容与其校验值不符，未保存")
        path = self.path_of(sha)
        if path.is_file() and self.verify(sha):
            return sha
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def import_file(self, source: Path) -> StoredPhoto:
        source = Path(source)
        if "\x00" in str(source) or has_controls(source.name) or "\n" in source.name:
            raise ValidationError("照片的文件名含有控制字符（如换行），请把文件改名后再导入")
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise ValidationError(f"无法读取照片 {source.name}：{os_reason(exc)}") from None
        if size > MAX_SOURCE_BYTES:
            raise ValidationError(
                f"照片 {source.name} 太大（{size // 1_000_000} MB），请选择手机原图"
            )
        return self.import_bytes(source.read_bytes(), source.name)

    def import_bytes(self, data: bytes, name: str = "") -> StoredPhoto:
        """Normalise an image (orientation, size, JPEG, no EXIF) and store it with a thumbnail."""
        from PIL import Image, ImageOps, UnidentifiedImageError

        heic = heic_supported()
        label = strip_controls(name).replace("\n", " ")[:100] or "照片"
        kinds = "JPEG、PNG" + ("、HEIC" if heic else "")
        try:
            with warnings.catch_warnings():
                # Pillow warns above 89 megapixels and refuses above 179; the bounds here are
                # lower for everything but a JPEG (which is decoded scaled down)
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                opened = Image.open(io.BytesIO(data), formats=[*FORMATS, *(["HEIF"] * heic)])
        except Image.DecompressionBombError:
            raise ValidationError(f"{label} 像素太多，不像是照片，未导入") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            log.info("photo %s not readable: %s", label, exc)
            raise ValidationError(f"{label} 不是能识别的图片（支持 {kinds}）") from None
        try:
            with opened as img:
                limit = MAX_JPEG_PIXELS if img.format == "JPEG" else MAX_OTHER_PIXELS
                if not (img.width > 0 and img.height > 0 and img.width * img.height <= limit):
                    raise ValidationError(
                        f"{label} 像素太多（{img.width}×{img.height}），不像是照片，未导入"
                        f"（最多 {limit // 10_000} 万像素）"
                    )
                taken = _taken_at(img)
                if img.format == "JPEG":
                    # Decode at the smallest 1/2, 1/4 or 1/8 scale still at least 1600 px on
                    # the long edge (libjpeg's DCT scaling): several times faster for a phone
                    # photo, and the result is scaled down to 1600 anyway.
                    ratio = LONG_EDGE / max(img.size)
                    img.draft("RGB", (int(img.width * ratio) + 1, int(img.height * ratio) + 1))
                img.load()
                upright = ImageOps.exif_transpose(img)
                rgb = upright.convert("RGB")
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            # the decoder's own words (English, with object addresses) go to the log only
            log.info("photo %s not readable: %s", label, exc)
            raise ValidationError(f"{label} 不是能识别的图片（支持 {kinds}）") from None
        full = _scaled(rgb, LONG_EDGE)
        thumb = _scaled(full, THUMB_EDGE)
        full_bytes = _jpeg(full, JPEG_QUALITY)
        thumb_bytes = _jpeg(thumb, THUMB_QUALITY)
        sha = self.put_bytes(full_bytes)
        thumb_sha = self.put_bytes(thumb_bytes)
        return StoredPhoto(sha, thumb_sha, full.width, full.height, len(full_bytes), taken)


def _scaled(img, edge: int):  # PIL.Image.Image -> PIL.Image.Image
    """`img` with its long edge at most `edge` (bicubic; from a near size it is as sharp as
    Lanczos and half the time); the same object when it is small enough already."""
    from PIL import Image

    if max(img.size) <= edge:
        return img
    ratio = edge / max(img.size)
    size = (max(1, round(img.width * ratio)), max(1, round(img.height * ratio)))
    return img.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def _jpeg(img, quality: int) -> bytes:
    buf = io.BytesIO()
    # No exif= argument: the output carries no EXIF at all (no GPS, no camera serial).
    img.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
    return buf.getvalue()


def _taken_at(img) -> datetime | None:
    """When the photo was taken (EXIF DateTimeOriginal), kept as metadata; None if absent."""
    try:
        exif = img.getexif()
        text = exif.get_ifd(_EXIF_IFD).get(_EXIF_DATETIME_ORIGINAL) or exif.get(0x0132)
        return datetime.strptime(str(text).strip(), "%Y:%m:%d %H:%M:%S") if text else None
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
