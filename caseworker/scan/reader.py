"""Reading one scanned page: its code, its frame, its tick boxes, its handwritten areas.

1. The QR code is looked for in the page's corners first (where the product prints it, whichever
   way up the page went through the scanner), then on the whole page, with zxing-cpp. The
   code's own orientation says which way up the page is; the image is turned upright.
2. The four corner marks are found near the corners (a solid square with light all round:
   text, rules and the QR code's finder patterns are not), each centre to a fraction of a
   pixel, and an affine map from the form's points to the image's pixels is fitted to them
   (rotation, skew, scale and the scanner's margins). With four marks the fit's residual and
   the QR code's predicted position check it; a page that does not fit is read as unsure.
3. Each tick box is located on its printed outline (a search of a few pixels around where the
   map puts it), then its inside is measured against the paper around it: the share of inked
   pixels inside, and the ink just outside (a stroke that crosses the box, a stray mark, a
   signature). Clear cases are read; everything between is marked unsure for the caseworker,
   never guessed: the thresholds are in `Thresholds`, measured on the generated benchmark
   (`python -m benchmarks --only scan`).
4. Handwritten areas are cut out through the same map, upright and square to the page.

Only numpy, Pillow and zxing-cpp: no OpenCV (a 100 MB dependency for a frozen build).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from caseworker.domain import form_code
from caseworker.printing.paper_marks import INSET, MARK, Rect

A4 = (595.2755905511812, 841.8897637795277)


@dataclass(frozen=True)
class TemplateBox:
    field: str
    choice: str
    rect: Rect  # points, bottom-left origin


@dataclass(frozen=True)
class Template:
    """What a form's page looks like to the reader: its size, tick boxes, handwritten areas."""

    name: str
    size: tuple[float, float]  # points
    boxes: tuple[TemplateBox, ...] = ()
    areas: tuple[tuple[str, Rect], ...] = ()
    # the blank form's own print at PRINT_DPI (grayscale): what is ink on paper before anyone
    # writes, so the ring around a box does not count its printed label as a stray mark
    printed: np.ndarray | None = field(default=None, compare=False, hash=False, repr=False)


PRINT_DPI = 150.0


@dataclass(frozen=True)
class Thresholds:
    empty: float = 0.035  # ink share inside at or below which a box is empty
    ticked: float = 0.10  # at or above which it is ticked (between: unsure)
    crossed: float = 0.72  # above: heavily inked (a filled box, or a scribble), asked...
    filled: float = 0.86  # ...unless filled this solidly within the box (a filled box is a tick)
    outside: float = 0.04  # ink just outside the box that makes any reading unsure
    faint: float = 0.05  # share of faintly inked pixels that is more than paper
    faint_tick: float = 0.10  # ...and that is taken (unsure) for a faint tick
    residual: float = 2.5  # points: a frame that fits worse than this is not trusted


THRESHOLDS = Thresholds()


@dataclass
class BoxReading:
    field: str
    choice: str
    ink: float
    outside: float
    ticked: bool
    unsure: bool


@dataclass
class PageReading:
    """What was read from one page. `image` is the page turned upright (working resolution)."""

    image: Image.Image
    code: str | None = None
    rotation: int = 0  # degrees the scan was turned to make it upright (0, 90, 180, 270)
    blank: bool = False
    registered: bool = False
    residual: float = 0.0  # points
    marks: int = 0
    transform: np.ndarray | None = None  # 2x3: points (top-left origin) -> pixels
    boxes: list[BoxReading] = field(default_factory=list)
    note: str = ""

    @property
    def parsed(self) -> form_code.FormCode | None:
        return form_code.parse(self.code) if self.code else None

    @property
    def unsure_count(self) -> int:
        return sum(b.unsure for b in self.boxes)

    def crop(self, rect: Rect, page_height: float, dpi: float = 150.0) -> Image.Image | None:
        """The area `rect` (points, bottom-left origin) cut out upright, at `dpi`."""
        if self.transform is None:
            return None
        t = self.transform
        k = 72.0 / dpi
        x0, y0 = rect.x, page_height - rect.y - rect.h
        size = (max(1, round(rect.w / k)), max(1, round(rect.h / k)))
        # output pixel (u, v) -> page point (x0 + u*k, y0 + v*k) -> image pixel
        a, b, c = t[0, 0] * k, t[0, 1] * k, t[0, 0] * x0 + t[0, 1] * y0 + t[0, 2]
        d, e, f = t[1, 0] * k, t[1, 1] * k, t[1, 0] * x0 + t[1, 1] * y0 + t[1, 2]
        return self.image.transform(
            size,
            Image.Transform.AFFINE,
            (a, b, c, d, e, f),
            Image.Resampling.BILINEAR,
            fillcolor=255,
        )


# -- the code --------------------------------------------------------------------------------


def _decode(arr: np.ndarray) -> tuple[str, float] | None:
    """(code text, angle of the symbol's x axis in degrees) of the first valid form code."""
    import zxingcpp

    h, w = arr.shape
    cw, ch = int(w * 0.36), int(h * 0.26)
    if w > h:
        cw, ch = int(w * 0.26), int(h * 0.36)
    windows = [
        (w - cw, 0, w, ch),  # top right: the page upright
        (0, h - ch, cw, h),  # bottom left: upside down
        (0, 0, cw, ch),
        (w - cw, h - ch, w, h),
    ]
    for x0, y0, x1, y1 in windows:
        found = _decode_in(zxingcpp, arr[y0:y1, x0:x1])
        if found is not None:
            return found
    for scale in (1, 2):
        part = arr if scale == 1 else np.asarray(Image.fromarray(arr).resize((w * 2, h * 2)))
        found = _decode_in(zxingcpp, part)
        if found is not None:
            return found
    return None


def _decode_in(zxingcpp: object, arr: np.ndarray) -> tuple[str, float] | None:
    for attempt in (1, 2):
        img = arr
        if attempt == 2:  # a blurred or low-resolution code reads better enlarged
            img = np.asarray(
                Image.fromarray(arr).resize(
                    (arr.shape[1] * 2, arr.shape[0] * 2), Image.Resampling.BICUBIC
                )
            )
        for code in zxingcpp.read_barcodes(  # type: ignore[attr-defined]
            np.ascontiguousarray(img),
            formats=zxingcpp.BarcodeFormat.QRCode,  # type: ignore[attr-defined]
            try_downscale=attempt == 1,
        ):
            if form_code.parse(code.text) is None:
                continue
            p = code.position
            angle = math.degrees(
                math.atan2(p.top_right.y - p.top_left.y, p.top_right.x - p.top_left.x)
            )
            return form_code.parse(code.text).text, angle  # type: ignore[union-attr]
    return None


# -- the frame -------------------------------------------------------------------------------


def _box_sum(ii: np.ndarray, size: int) -> np.ndarray:
    """Sums over every size x size window of the image whose integral image is `ii`."""
    return ii[size:, size:] - ii[:-size, size:] - ii[size:, :-size] + ii[:-size, :-size]


def _find_mark(
    arr: np.ndarray, cx: float, cy: float, scale: float, reach: float
) -> tuple[float, float] | None:
    """The centre of the solid corner mark nearest (cx, cy), searched within `reach` pixels."""
    h, w = arr.shape
    x0, x1 = max(0, int(cx - reach)), min(w, int(cx + reach))
    y0, y1 = max(0, int(cy - reach)), min(h, int(cy + reach))
    win = arr[y0:y1, x0:x1].astype(np.float32)
    if win.size == 0:
        return None
    lo, hi = np.percentile(win, 0.5), np.percentile(win, 90)
    if hi - lo < 40:
        return None
    dark = (win < (lo + hi) / 2).astype(np.float32)
    m = MARK * scale
    inner = max(3, round(m * 0.7))
    outer = round(m * 1.9)
    mid = round(m * 1.3)
    ii = np.zeros((dark.shape[0] + 1, dark.shape[1] + 1), np.float32)
    ii[1:, 1:] = dark.cumsum(0).cumsum(1)
    if min(dark.shape) <= outer + 2:
        return None
    s_in = _box_sum(ii, inner)
    s_out = _box_sum(ii, outer)
    s_mid = _box_sum(ii, mid)
    # align the three window grids on a common centre
    n = s_out.shape
    oi = (outer - inner) // 2
    om = (outer - mid) // 2
    a_in = s_in[oi : oi + n[0], oi : oi + n[1]] / (inner * inner)
    ring = (s_out - s_mid[om : om + n[0], om : om + n[1]]) / (outer * outer - mid * mid)
    score = a_in - ring
    j = int(np.argmax(score))
    r, c = divmod(j, n[1])
    if a_in[r, c] < 0.7 or ring[r, c] > 0.25:
        return None
    # centroid of the dark pixels around the found square
    half = round(m * 0.75)
    rc, cc = r + outer // 2, c + outer // 2
    ys, ye = max(0, rc - half), min(dark.shape[0], rc + half + 1)
    xs, xe = max(0, cc - half), min(dark.shape[1], cc + half + 1)
    weight = np.clip((hi - win[ys:ye, xs:xe]) / max(1.0, hi - lo), 0, 1) ** 2
    total = weight.sum()
    if total <= 0:
        return None
    gy, gx = np.mgrid[ys:ye, xs:xe]
    return x0 + float((weight * gx).sum() / total), y0 + float((weight * gy).sum() / total)


def _fit(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares affine map src (points) -> dst (pixels); its worst residual in pixels."""
    a = np.hstack([src, np.ones((len(src), 1))])
    sol, *_ = np.linalg.lstsq(a, dst, rcond=None)
    t = sol.T  # 2x3
    res = np.abs(a @ sol - dst).max() if len(src) > 3 else 0.0
    return t, float(res)


def register(arr: np.ndarray, size: tuple[float, float]) -> tuple[np.ndarray | None, float, int]:
    """(transform points -> pixels, residual in points, marks found) for an upright page."""
    h, w = arr.shape
    scale = min(h, w) / min(size)
    centres = _mark_centres(size)
    reach = 70 * scale
    found_src, found_dst = [], []
    for px, py in centres:
        hit = _find_mark(arr, px * scale, py * scale, scale, reach)
        if hit is not None:
            found_src.append((px, py))
            found_dst.append(hit)
    if len(found_src) < 3:
        return None, 0.0, len(found_src)
    t, res = _fit(np.array(found_src), np.array(found_dst))
    return t, res / scale, len(found_src)


def _mark_centres(size: tuple[float, float]) -> list[tuple[float, float]]:
    w, h = size
    lo = INSET + MARK / 2
    return [(lo, lo), (w - lo, lo), (w - lo, h - lo), (lo, h - lo)]


# -- tick boxes ------------------------------------------------------------------------------


def _apply(t: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ t[:, :2].T + t[:, 2]


def _sample(arr: np.ndarray, pts: np.ndarray) -> np.ndarray:
    h, w = arr.shape
    x = np.clip(np.rint(pts[..., 0]).astype(np.intp), 0, w - 1)
    y = np.clip(np.rint(pts[..., 1]).astype(np.intp), 0, h - 1)
    return arr[y, x]


def read_boxes(
    arr: np.ndarray, t: np.ndarray, template: Template, black: float, th: Thresholds = THRESHOLDS
) -> list[BoxReading]:
    """Every tick box of `template` on the upright page `arr` through transform `t`."""
    if not template.boxes:
        return []
    page_h = template.size[1]
    n = len(template.boxes)
    rects = np.array(
        [(b.rect.x, page_h - b.rect.y - b.rect.h, b.rect.w, b.rect.h) for b in template.boxes]
    )
    px_per_pt = math.sqrt(abs(np.linalg.det(t[:, :2])))
    # 1. snap each box onto its printed outline: search a few pixels around the mapped place
    u = np.linspace(0.0, 1.0, 9)
    ox = np.concatenate([u, u, np.zeros(9), np.ones(9)])
    oy = np.concatenate([np.zeros(9), np.ones(9), u, u])
    outline = np.stack(
        [rects[:, None, 0] + ox * rects[:, None, 2], rects[:, None, 1] + oy * rects[:, None, 3]],
        -1,
    )  # (n, 36, 2) points
    base = _apply(t, outline.reshape(-1, 2)).reshape(n, -1, 2)
    reach = max(2, round(1.2 * px_per_pt))
    shifts = [(dx, dy) for dy in range(-reach, reach + 1) for dx in range(-reach, reach + 1)]
    arrf = arr
    scores = np.stack(
        [(255 - _sample(arrf, base + np.array(s))).mean(axis=1) for s in shifts], 0
    )  # (shifts, n)
    best = np.array([shifts[i] for i in scores.argmax(0)], dtype=np.float64)  # (n, 2)
    # 2. the inside (clear of the printed outline) and a ring just outside it
    k = 9
    g = (np.arange(k) + 0.5) / k
    gx, gy = np.meshgrid(g, g)
    inset = 1.6
    ix = rects[:, None, 0] + inset + gx.ravel() * (rects[:, None, 2] - 2 * inset)
    iy = rects[:, None, 1] + inset + gy.ravel() * (rects[:, None, 3] - 2 * inset)
    inside = _apply(t, np.stack([ix, iy], -1).reshape(-1, 2)).reshape(n, -1, 2) + best[:, None]
    ring_pts = []
    rx, ry = rects[:, None, 0], rects[:, None, 1]
    rw, rh = rects[:, None, 2], rects[:, None, 3]
    v = np.linspace(0.0, 1.0, 20)
    for d in (2.4, 3.6):
        along_x = rx - d + v * (rw + 2 * d)
        along_y = ry - d + v * (rh + 2 * d)
        ring_pts += [
            np.stack([along_x, ry - d + 0 * v], -1),
            np.stack([along_x, ry + rh + d + 0 * v], -1),
            np.stack([rx - d + 0 * v, along_y], -1),
            np.stack([rx + rw + d + 0 * v, along_y], -1),
        ]
    ring = np.concatenate(ring_pts, 1)  # (n, 96, 2)
    ring_px = _apply(t, ring.reshape(-1, 2)).reshape(n, -1, 2) + best[:, None]
    vin = _sample(arr, inside).astype(np.float32)
    vring = _sample(arr, ring_px).astype(np.float32)
    if template.printed is not None:  # ring samples on printed ink are not a stray mark
        # (3 x 3 pixels around each sample: the print and the scan are not aligned to a pixel)
        rp = ring * (PRINT_DPI / 72)
        on_print = np.zeros(vring.shape, bool)
        for ddx in (-1, 0, 1):
            for ddy in (-1, 0, 1):
                on_print |= _sample(template.printed, rp + np.array([ddx, ddy])) < 200
    else:
        on_print = np.zeros(vring.shape, bool)
    # the paper's own white around each box (uneven light, a fold's shadow)
    white = np.percentile(vring, 75, axis=1)
    white = np.maximum(white, np.median(vin, axis=1))
    span = np.maximum(white - black, 30.0)
    dark_in = (white[:, None] - vin) / span[:, None]
    dark_ring = (white[:, None] - vring) / span[:, None]
    ink = (dark_in > 0.35).mean(axis=1)
    faint = (dark_in > 0.14).mean(axis=1)
    stray = (dark_ring > 0.35) & ~on_print
    outside = stray.mean(axis=1)
    # ring samples come as 2 distances x 4 sides (top, bottom, left, right) x 20
    per_side = stray.reshape(n, 2, 4, 20).any(axis=(1, 3))  # (n, 4)
    through = per_side[:, 2] & per_side[:, 3]  # ink both left and right of the box
    out: list[BoxReading] = []
    for i, b in enumerate(template.boxes):
        a, o, f = float(ink[i]), float(outside[i]), float(faint[i])
        if a <= th.empty and f < th.faint:
            ticked, unsure = False, o > th.outside
        elif a < th.ticked:
            # a faint tick, or a little ink: taken for a tick when it is there, always asked
            ticked, unsure = f >= th.faint_tick, True
        elif through[i] or (a > th.crossed and o > th.outside):
            # a stroke running through the box (a signature), or ink spilling past a heavily
            # inked box (a tick scribbled out): not a tick, and always asked
            ticked, unsure = False, True
        else:
            # a tick, a cross, or a box filled in (solidly enough, and within the box)
            ticked, unsure = True, o > th.outside or th.crossed < a < th.filled
        out.append(BoxReading(b.field, b.choice, a, o, ticked, unsure))
    _single_choice_conflicts(out)
    return out


def _single_choice_conflicts(boxes: list[BoxReading]) -> None:
    """Two ticks on a one-answer question: neither is trusted, both are shown."""
    from caseworker.domain.visit_form import FIELDS_BY_NAME

    by_field: dict[str, list[BoxReading]] = {}
    for b in boxes:
        by_field.setdefault(b.field, []).append(b)
    for name, group in by_field.items():
        multi = name == "referral" or (name in FIELDS_BY_NAME and FIELDS_BY_NAME[name].multi)
        if not multi and sum(b.ticked for b in group) > 1:
            for b in group:
                if b.ticked:
                    b.unsure = True


# -- one page ----------------------------------------------------------------------------------


def _black(arr: np.ndarray, t: np.ndarray, size: tuple[float, float]) -> float:
    """How dark this scan's ink is: the middle of the corner marks."""
    pts = np.array(_mark_centres(size))
    vals = _sample(arr, _apply(t, pts))
    return float(np.median(vals))


def is_blank(arr: np.ndarray) -> bool:
    """A page with (almost) no ink: no marks, no code, no print."""
    small = arr[::4, ::4]
    white = np.percentile(small, 90)
    return float((small < white - 80).mean()) < 0.0015


def read_page(image: Image.Image, template_for) -> PageReading:
    """Read one page. `template_for(code or None)` gives the form's Template (None: unknown)."""
    arr = np.asarray(image)
    if is_blank(arr):
        return PageReading(image, blank=True, note="空白页")
    decoded = _decode(arr)
    if decoded is None:
        return PageReading(image, note="未能读出二维码")
    code, angle = decoded
    turns = round(angle / 90.0) % 4
    upright = np.ascontiguousarray(np.rot90(arr, turns)) if turns else arr
    rot_img = Image.fromarray(upright) if turns else image
    reading = PageReading(rot_img, code=code, rotation=turns * 90)
    template = template_for(code)
    if template is None:
        return reading
    measure(reading, template)
    return reading


def measure(reading: PageReading, template: Template, th: Thresholds = THRESHOLDS) -> None:
    """Register an upright page on its corner marks and read its tick boxes."""
    arr = np.asarray(reading.image)
    t, res, marks = register(arr, template.size)
    reading.marks = marks
    reading.residual = res
    if t is None:
        reading.note = "找不到页面四角的定位标记"
        return
    reading.transform = t
    reading.registered = res <= th.residual
    if not reading.registered or marks < 4:  # three marks fit exactly: nothing checks them
        reading.note = "页面定位不可靠（可能折叠或变形）"
    black = _black(arr, t, template.size)
    reading.boxes = read_boxes(arr, t, template, black, th)
    if not reading.registered or marks < 4:  # three marks fit exactly: nothing checks them
        for b in reading.boxes:
            b.unsure = True


def read_unknown(image: Image.Image, template: Template) -> PageReading:
    """A page whose code could not be read, once the caseworker said what form it is: try the
    four ways up and keep the one whose tick boxes sit on printed outlines."""
    arr = np.asarray(image)
    best: tuple[float, PageReading] | None = None
    for turns in range(4):
        upright = np.ascontiguousarray(np.rot90(arr, turns))
        t, res, _marks = register(upright, template.size)
        if t is None:
            continue
        pts = []
        page_h = template.size[1]
        for b in template.boxes[:12]:
            r = b.rect
            pts += [(r.x + r.w * f, page_h - r.y - r.h) for f in (0.25, 0.5, 0.75)]
        score = float((255 - _sample(upright, _apply(t, np.array(pts)))).mean()) if pts else -res
        if best is None or score > best[0]:
            reading = PageReading(Image.fromarray(upright), rotation=turns * 90)
            best = (score, reading)
    if best is None:
        return PageReading(image, note="找不到页面四角的定位标记")
    reading = best[1]
    measure(reading, template)
    for b in reading.boxes:  # matched by hand: every box is shown for a look
        b.unsure = b.unsure or b.ink > THRESHOLDS.empty
    return reading
