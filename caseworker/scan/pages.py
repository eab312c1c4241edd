"""Pages out of a scanner's files, one at a time: multi-page PDF (rendered with pypdfium2),
multi-page TIFF, JPEG and PNG. Each page comes as an 8-bit grayscale image at about 150 dpi
for A4 (its shorter side WORK_SIDE pixels), which is what the reader measures on; a page is
never held longer than it takes to read it, so a 300-page PDF costs one page of memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from caseworker.domain.errors import ValidationError

WORK_SIDE = 1240  # A4's short side at 150 dpi
SUFFIXES = (".pdf", ".tif", ".tiff", ".jpg", ".jpeg", ".png")
# a scanner's page is never larger than this (A3 at 600 dpi is 7,016 x 9,921): refuse a bomb
MAX_PIXELS = 80_000_000
Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, MAX_PIXELS)


@dataclass
class Page:
    source: Path
    number: int  # 1-based within its file
    image: Image.Image  # mode "L", shorter side WORK_SIDE


def _normal(img: Image.Image) -> Image.Image:
    img = ImageOps.exif_transpose(img) if img.format in ("JPEG", "TIFF") else img
    if img.mode != "L":
        img = img.convert("L")
    short = min(img.size)
    if short <= 0:
        raise ValidationError("图像大小为 0")
    if short != WORK_SIDE:
        scale = WORK_SIDE / short
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img = img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return img


def count(path: Path) -> int:
    """How many pages a file holds (to show progress); refused when it cannot be read."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            import pypdfium2 as pdfium

            doc = pdfium.PdfDocument(str(path))
            try:
                return len(doc)
            finally:
                doc.close()
        with Image.open(path) as img:
            return getattr(img, "n_frames", 1)
    except Exception:
        raise ValidationError(
            f"无法读取扫描件 {path.name}：不是有效的 PDF/TIFF/JPEG/PNG 文件"
        ) from None


def pages(path: Path) -> Iterator[Page]:
    """Each page of `path`, in order."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationError(f"不支持的扫描件格式：{path.name}（可用 PDF、TIFF、JPEG、PNG）")
    if not path.is_file():
        raise ValidationError(f"找不到扫描件：{path}")
    if suffix == ".pdf":
        yield from _pdf_pages(path)
        return
    yield from _image_pages(path)


def _image_pages(path: Path, only: int | None = None) -> Iterator[Page]:
    if not path.is_file():
        raise ValidationError(f"找不到扫描件：{path}")
    try:
        img = Image.open(path)
    except Exception:
        raise ValidationError(f"无法读取扫描件 {path.name}：不是有效的图像文件") from None
    with img:
        n = getattr(img, "n_frames", 1)
        numbers = range(n) if only is None else [only - 1]
        for i in numbers:
            if not 0 <= i < n:
                raise ValidationError(f"扫描件 {path.name} 没有第 {i + 1} 页（文件已被改动？）")
            try:
                img.seek(i)
                if img.width * img.height > MAX_PIXELS:
                    raise ValidationError(f"{path.name} 第 {i + 1} 页的图像过大")
                page = _normal(img.copy() if n > 1 else img)
            except ValidationError:
                raise
            except Exception:
                raise ValidationError(f"无法读取扫描件 {path.name} 第 {i + 1} 页") from None
            yield Page(path, i + 1, page)


def page_at(path: Path, number: int) -> Page:
    """Page `number` (1-based) of `path` once more: a listed batch keeps no page images, and
    reads back the one the caseworker opens."""
    one = _pdf_pages(path, number) if path.suffix.lower() == ".pdf" else _image_pages(path, number)
    try:
        return next(one)
    finally:
        one.close()  # the file is let go at once


def _pdf_pages(path: Path, only: int | None = None) -> Iterator[Page]:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
    except Exception:
        raise ValidationError(f"无法读取扫描件 {path.name}：不是有效的 PDF 文件") from None
    try:
        numbers = range(len(doc)) if only is None else [only - 1]
        for i in numbers:
            if not 0 <= i < len(doc):
                raise ValidationError(f"扫描件 {path.name} 没有第 {i + 1} 页（文件已被改动？）")
            page = doc[i]
            try:
                img = _scanned_jpeg(page)
                if img is None:
                    w, h = page.get_size()
                    scale = WORK_SIDE / max(1.0, min(w, h))
                    bitmap = page.render(scale=scale, grayscale=True)
                    img = bitmap.to_pil()
                    bitmap.close()
            except ValidationError:
                raise
            except Exception:
                raise ValidationError(f"无法读取扫描件 {path.name} 第 {i + 1} 页") from None
            finally:
                page.close()
            yield Page(path, i + 1, _normal(img))
    finally:
        doc.close()


def _scanned_jpeg(page) -> Image.Image | None:
    """The page's picture straight from its JPEG when the page is what a scanner's scan-to-USB
    writes: one grey or RGB JPEG image filling the unrotated page. Decoding it with Pillow
    (luma only, at a reduced size when the scan is at 300 dpi or more) costs about a third of
    rendering the page with pdfium, which decodes the whole colour image and resamples it; the
    reader measures the same picture either way. Anything else (vector pages, rotated pages,
    several images, other encodings, colour spaces pdfium would have to convert) is rendered
    (None)."""
    import io

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    if page.get_rotation() % 360:
        return None
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or not isinstance(objects[0], pdfium.PdfImage):
        return None
    image = objects[0]
    if image.get_filters() != ["DCTDecode"]:
        return None
    meta = image.get_metadata()
    if meta.colorspace not in (
        pdfium_c.FPDF_COLORSPACE_DEVICEGRAY,
        pdfium_c.FPDF_COLORSPACE_DEVICERGB,
    ):
        return None
    if meta.width * meta.height > MAX_PIXELS:
        return None  # not decoded whole here: pdfium renders it at the working size
    a, b, c, d, e, f = image.get_matrix().get()
    w, h = page.get_size()
    # placed upright over the whole page (a point of slack: writers round the page size)
    if abs(b) > 1e-6 or abs(c) > 1e-6 or abs(e) > 1 or abs(f) > 1:
        return None
    if abs(a - w) > 1 or abs(d - h) > 1:
        return None
    data = bytes(image.get_data(decode_simple=False))
    try:
        img = Image.open(io.BytesIO(data))
        if img.format != "JPEG" or img.size != (meta.width, meta.height):
            return None
        if img.getexif().get(0x0112, 1) != 1:  # pdfium would not turn it by EXIF: nor here
            return None
        short = min(img.size)
        target = (img.width * WORK_SIDE // short, img.height * WORK_SIDE // short)
        img.draft("L", target)  # DCT scaling: never smaller than the work size
        img.load()
    except Exception:  # a JPEG Pillow will not take (12-bit, cut short…): pdfium renders it
        return None
    return img
