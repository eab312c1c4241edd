"""Realistic scans of the product's own printed forms, for the scan tests and the benchmark.

A page is rendered from the real PDF (pypdfium2) at 150, 200 or 300 dpi; ticks are drawn as a
pen would (a ✓ of two strokes with a wobble, ×, a filled box, a faint tick, a tick running over
the box's edge), with the cases a reader must not take for a tick (a tick crossed out with a
scribble, a stray mark beside a box, a signature running over a box); handwriting goes into the
written areas. Then the office's scanner: the page turned up to ±5° (or upside down), skewed,
scaled ±3%, shifted in the scanner's margins, blurred, unevenly lit, with a fold's shadow,
noise, and JPEG compression, in grayscale or colour. Every page comes with its truth.
"""

from __future__ import annotations

import io
import itertools
import math
import random
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter

from caseworker.scan.reader import Template

A4_PT = (595.2755905511812, 841.8897637795277)
# what a box holds on the generated page, and whether it counts as ticked
TICKED_KINDS = ("tick", "cross", "filled", "faint", "edge")
NOT_TICKED_KINDS = ("empty", "crossed_out", "stray", "signature")


@dataclass
class Scan:
    image: Image.Image
    truth: list[bool]  # per tick box of the form's template, in order
    kinds: list[str]
    dpi: int
    upside_down: bool


def render_page(pdf: bytes, index: int, dpi: int) -> Image.Image:
    """One page of `pdf` as an RGB image at `dpi`."""
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[index]
        bitmap = page.render(scale=dpi / 72)
        img = bitmap.to_pil().convert("RGB")
        page.close()
        return img
    finally:
        doc.close()


def _pt(x: float, y: float, dpi: int) -> tuple[float, float]:
    """PDF point (bottom-left origin) to pixel of the rendered page."""
    return x * dpi / 72, (A4_PT[1] - y) * dpi / 72


def _stroke(
    d: ImageDraw.ImageDraw,
    pts: list[tuple[float, float]],
    width: int,
    ink: tuple,
    rnd: random.Random,
) -> None:
    # a pen's line: a little wobble between points
    out = []
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        for k in range(4):
            f = k / 4
            out.append(
                (x0 + (x1 - x0) * f + rnd.gauss(0, 0.35), y0 + (y1 - y0) * f + rnd.gauss(0, 0.35))
            )
    out.append(pts[-1])
    d.line(out, fill=ink, width=width, joint="curve")


def _draw_box(
    d: ImageDraw.ImageDraw, kind: str, rect, dpi: int, rnd: random.Random, ink: tuple
) -> None:
    s = dpi / 72
    x, y = _pt(rect.x, rect.y + rect.h, dpi)  # top-left pixel
    w = rect.w * s
    pen = max(1, round(rnd.uniform(0.35, 0.7) * dpi / 25.4))  # 0.35-0.7 mm
    j = lambda: rnd.uniform(-0.08, 0.08) * w  # noqa: E731
    if kind in ("tick", "faint", "edge", "crossed_out"):
        big = 1.5 if kind == "edge" else 1.0
        a = (x + 0.15 * w + j(), y + 0.5 * w + j())
        b = (x + 0.42 * w + j(), y + 0.85 * w * big + j())
        c = (x + (0.95 * big) * w + j(), y + (0.1 - 0.5 * (big - 1)) * w + j())
        col = ink if kind != "faint" else tuple(min(255, int(v + 0.55 * (255 - v))) for v in ink)
        _stroke(d, [a, b, c], pen if kind != "faint" else max(1, pen - 1), col, rnd)
        if kind == "crossed_out":  # scribbled over to cancel it, spilling past the box
            zig = []
            for k in range(8):
                yy = y + (-0.2 + k * 0.2) * w
                zig += [(x - 0.35 * w + j(), yy + j()), (x + 1.35 * w + j(), yy + 0.1 * w + j())]
            _stroke(d, zig, pen, ink, rnd)
    elif kind == "cross":
        _stroke(
            d,
            [(x + 0.15 * w + j(), y + 0.15 * w + j()), (x + 0.85 * w + j(), y + 0.85 * w + j())],
            pen,
            ink,
            rnd,
        )
        _stroke(
            d,
            [(x + 0.85 * w + j(), y + 0.15 * w + j()), (x + 0.15 * w + j(), y + 0.85 * w + j())],
            pen,
            ink,
            rnd,
        )
    elif kind == "filled":
        d.rectangle((x + 0.05 * w, y + 0.05 * w, x + 0.95 * w, y + 0.95 * w), fill=ink)
    elif kind == "stray":  # a dot or dash beside the box, not in it
        side = rnd.choice((-1, 1))
        cx = x + (w * 1.9 if side > 0 else -w * 0.9)
        _stroke(d, [(cx, y + 0.3 * w), (cx + 0.5 * w, y + 0.6 * w)], pen, ink, rnd)
    elif kind == "signature":  # a long stroke of a signature running through the box
        pts = []
        for k in range(9):
            pts.append((x - 2.5 * w + k * 0.75 * w, y + 0.5 * w + math.sin(k * 1.7) * 0.9 * w))
        _stroke(d, pts, pen, ink, rnd)
    elif kind == "signature_rising":  # (drawn only when asked for) a signature's stroke coming
        # in from the left and rising out over the top of the box, over its label's side
        a = (x - 2.0 * w, y + 0.75 * w + j())
        b = (x + 0.5 * w + j(), y + 0.45 * w + j())
        c = (x + 1.1 * w + j(), y - 0.9 * w + j())
        _stroke(d, [a, b, c], pen, ink, rnd)


def _handwriting(d: ImageDraw.ImageDraw, rect, dpi: int, rnd: random.Random, ink: tuple) -> None:
    s = dpi / 72
    x, y = _pt(rect.x, rect.y + rect.h, dpi)
    w, h = rect.w * s, rect.h * s
    n = rnd.randint(3, 12)
    cx = x + 0.05 * w
    pen = max(1, round(0.4 * dpi / 25.4))
    for _ in range(n):
        if cx > x + 0.9 * w:
            break
        pts = [(cx + rnd.uniform(0, 0.03 * w), y + rnd.uniform(0.25, 0.75) * h) for _ in range(4)]
        _stroke(d, pts, pen, ink, rnd)
        cx += rnd.uniform(0.03, 0.06) * w


def choose_kinds(
    rnd: random.Random, hard: float = 0.3, template: Template | None = None
) -> list[str]:
    """What each box of the form holds, answered as a visitor does: one choice per one-answer
    question (sometimes none), up to three on a many-answer one; `hard` of the answers are
    drawn the hard ways, and some unticked boxes get a stray mark or a signature or a tick
    scribbled out."""
    template = template or _visit_template()
    out = ["empty"] * len(template.boxes)
    fields: dict[str, list[int]] = {}
    for i, b in enumerate(template.boxes):
        fields.setdefault(b.field, []).append(i)
    for name, idx in fields.items():
        if rnd.random() < 0.1:
            chosen = []
        elif name in template.multi:
            chosen = rnd.sample(idx, rnd.randint(1, min(3, len(idx))))
        else:
            chosen = [rnd.choice(idx)]
        for i in chosen:
            out[i] = rnd.choice(TICKED_KINDS[1:]) if rnd.random() < hard else "tick"
        for i in idx:
            if out[i] == "empty" and rnd.random() < hard / 6:
                out[i] = rnd.choice(NOT_TICKED_KINDS[1:])
    return out


def _visit_template() -> Template:
    from caseworker.scan.templates import for_kind

    return for_kind("elderly_visit")


def scan_of(
    pdf: bytes,
    index: int,
    rnd: random.Random,
    *,
    dpi: int | None = None,
    colour: bool | None = None,
    upside_down: bool | None = None,
    kinds: list[str] | None = None,
    blank_ticks: bool = False,
    scanner: Scanner | None = None,
    template: Template | None = None,
) -> Scan:
    """A scan of page `index` of `pdf` (a form of `template`, by default the elderly visit
    form) with ticks, handwriting and a scanner's faults, and which boxes are ticked.
    `scanner` fixes some of the faults (the rest random)."""
    dpi = dpi or rnd.choice((150, 200, 300))
    colour = rnd.random() < 0.4 if colour is None else colour
    upside_down = rnd.random() < 0.1 if upside_down is None else upside_down
    page = render_page(pdf, index, dpi)
    geo = template or _visit_template()
    if kinds is None:
        kinds = ["empty"] * len(geo.boxes) if blank_ticks else choose_kinds(rnd, template=geo)
    d = ImageDraw.Draw(page)
    ink = rnd.choice(((20, 30, 120), (15, 15, 20), (30, 40, 90)))
    for _name, rect in geo.areas:
        if rnd.random() < 0.5:
            _handwriting(d, rect, dpi, rnd, ink)
    for box, kind in zip(geo.boxes, kinds, strict=True):
        if kind != "empty":
            _draw_box(d, kind, box.rect, dpi, rnd, ink)
    truth = [k in TICKED_KINDS for k in kinds]
    img = _scanner(page, dpi, rnd, upside_down, colour, scanner or Scanner())
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=rnd.randint(45, 90))
    buf.seek(0)
    img = Image.open(buf)
    img.load()
    return Scan(img, truth, kinds, dpi, upside_down)


@dataclass(frozen=True)
class Scanner:
    """Faults of the scan fixed by a test (None: drawn at random like the others)."""

    angle: float | None = None  # degrees
    scale: float | None = None
    shift: tuple[float, float] | None = None  # share of the page's width and height
    fold: float | None = None  # where a fold's shadow crosses the page (share of its height)
    fold_depth: float = 0.22
    noise: float | None = None  # standard deviation, grey levels
    blur: float | None = None  # at 150 dpi, pixels


def _scanner(
    page: Image.Image,
    dpi: int,
    rnd: random.Random,
    upside_down: bool,
    colour: bool,
    fixed: Scanner,
) -> Image.Image:
    w, h = page.size
    # the scanner sees a little more than the sheet (its glass, or a skewed sheet's corners)
    W, H = round(w * 1.06), round(h * 1.06)
    drawn = rnd.uniform(-5, 5)
    angle = math.radians((drawn if fixed.angle is None else fixed.angle) + 180 * upside_down)
    scale = rnd.uniform(0.97, 1.03)
    scale = scale if fixed.scale is None else fixed.scale
    shear = math.radians(rnd.uniform(-0.8, 0.8))
    dx, dy = rnd.uniform(-0.012, 0.012) * w, rnd.uniform(-0.012, 0.012) * h
    if fixed.shift is not None:
        dx, dy = fixed.shift[0] * w, fixed.shift[1] * h
    # output pixel -> input pixel (PIL's affine transform takes the inverse map)
    ca, sa = math.cos(angle), math.sin(angle)
    m = np.array([[ca, -sa], [sa, ca]]) @ np.array([[1, math.tan(shear)], [0, 1]]) * scale
    inv = np.linalg.inv(m)
    off = np.array([w / 2, h / 2]) - inv @ np.array([W / 2 + dx, H / 2 + dy])
    img = page.transform(
        (W, H),
        Image.Transform.AFFINE,
        (inv[0, 0], inv[0, 1], off[0], inv[1, 0], inv[1, 1], off[1]),
        Image.Resampling.BILINEAR,
        fillcolor=(255, 255, 255),
    )
    if not colour:
        img = img.convert("L")
    blur = rnd.uniform(0.2, 1.1)
    blur = blur if fixed.blur is None else fixed.blur
    img = img.filter(ImageFilter.GaussianBlur(blur * dpi / 150))
    arr = np.asarray(img, dtype=np.float32)
    w, h = W, H
    # uneven light: a slope across the page, darker towards one side (separable in x and y,
    # so it is built from two lines rather than a page of coordinates)
    gx, gy = rnd.uniform(-0.18, 0.18), rnd.uniform(-0.18, 0.18)
    xs = np.arange(w, dtype=np.float32) / w
    ys = np.arange(h, dtype=np.float32) / h
    light = (1.0 - 0.5 * (abs(gx) + abs(gy)) + gx * xs)[None, :] + (gy * ys)[:, None]
    np.clip(light, 0.72, 1.0, out=light)
    folded = rnd.random() < 0.5
    pos = rnd.uniform(0.3, 0.7) if folded else 0.0
    if fixed.fold is not None:
        folded, pos = True, fixed.fold
    if folded:  # a fold's shadow across the page
        light *= (1 - fixed.fold_depth * np.exp(-(((ys - pos) / 0.008) ** 2)))[:, None]
    rng = np.random.default_rng(rnd.randrange(2**32))
    sigma = rnd.uniform(2, 9)
    sigma = sigma if fixed.noise is None else fixed.noise
    noise = rng.standard_normal((h, w), dtype=np.float32) * sigma
    if colour:
        arr *= light[..., None]
        arr += noise[..., None]
    else:
        arr *= light
        arr += noise
    np.clip(arr, 0, 255, out=arr)
    return Image.fromarray(arr.astype(np.uint8))


def pdf_of_images(images, out) -> None:
    """A multi-page PDF of scanned page images (JPEG each), written one page at a time, as a
    scanner's scan-to-USB does."""
    pdf = pdfium.PdfDocument.new()
    for img in images:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=75)
        buf.seek(0)
        w, h = img.size
        pw, ph = A4_PT if w < h else A4_PT[::-1]
        page = pdf.new_page(pw, ph)
        obj = pdfium.PdfImage.new(pdf)
        obj.load_jpeg(buf, inline=True)
        obj.set_matrix(pdfium.PdfMatrix().scale(pw, ph))
        page.insert_obj(obj)
        page.gen_content()
        page.close()
    pdf.save(str(out))
    pdf.close()
