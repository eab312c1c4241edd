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
from caseworker.printing.paper_marks import INSET, MARK, QR_QUIET, Rect

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
    qr: Rect | None = None  # where the QR code is printed (with its quiet zone)
    multi: frozenset[str] = frozenset()  # fields that take several ticks (others take one)
    # the blank form's own print at PRINT_DPI (grayscale): what is ink on paper before anyone
    # writes, so the ring around a box does not count its printed label as a stray mark
    printed: np.ndarray | None = field(default=None, compare=False, hash=False, repr=False)


PRINT_DPI = 150.0


@dataclass(frozen=True)
class Thresholds:
    """Where a box's reading turns, as shares of the ink's depth (paper 0, the corner marks'
    black 1). Measured on generated scans (`python -m benchmarks --only scan`): a faint tick
    at 150 dpi and the noise in an empty box overlap a little, so the band between `empty`
    and `sure` is always asked."""

    ink: float = 0.15  # a sample this much darker than the box's own paper is ink
    empty: float = 0.10  # a box whose darkest spot is lighter than this is empty...
    # ...when it is also no darker than the page's own empty boxes: a faint tick on a blurred
    # clean scan comes under `empty` (0.086 seen) while empty boxes there stay near 0.05, so a
    # spot this far above the page's floor (the lower quarter of its boxes' darkest spots) is
    # asked (benchmarks/scan_ticks.py measured the trade-off)
    above_floor: float = 0.03
    doubt: float = 0.15  # ...between empty and this: not ticked, asked; above: ticked, asked
    sure: float = 0.50  # a tick sure enough to need no look: its darkest spot this dark...
    share: float = 0.15  # ...and this share of the inside inked
    heavy: float = 0.30  # the whole inside darkened this much: filled in, or scribbled over
    filled: float = 0.70  # ...filled this solidly (and within the box): a tick without a doubt
    outside: float = 0.04  # share of the ring around the box inked (not the form's print)
    residual: float = 2.5  # points: a frame from the marks alone that fits worse is not trusted


THRESHOLDS = Thresholds()


@dataclass
class BoxReading:
    field: str
    choice: str
    ink: float  # the darkest spot inside (share of the ink's depth)
    outside: float  # share of the ring just outside inked
    ticked: bool
    unsure: bool


@dataclass
class PageReading:
    """What was read from one page. `image` is the page turned upright (working resolution);
    None once a batch's list let it go (caseworker.services.scans.without_image)."""

    image: Image.Image | None
    code: str | None = None
    rotation: int = 0  # degrees the scan was turned to make it upright (0, 90, 180, 270)
    blank: bool = False
    registered: bool = False
    residual: float = 0.0  # points
    marks: int = 0
    transform: np.ndarray | None = None  # 2x3: points (top-left origin) -> pixels
    boxes: list[BoxReading] = field(default_factory=list)
    note: str = ""
    qr: np.ndarray | None = None  # the code's corners on the upright page (4 x 2 pixels)

    @property
    def parsed(self) -> form_code.FormCode | None:
        return form_code.parse(self.code) if self.code else None

    @property
    def unsure_count(self) -> int:
        return sum(b.unsure for b in self.boxes)

    def crop(self, rect: Rect, page_height: float, dpi: float = 150.0) -> Image.Image | None:
        """The area `rect` (points, bottom-left origin) cut out upright, at `dpi`."""
        if self.transform is None or self.image is None:
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


def _decode(arr: np.ndarray) -> tuple[str, np.ndarray] | None:
    """(code text, the symbol's corners) of the first valid form code on the page: the corners
    (4 x 2 pixels of `arr`: the symbol's own top left, top right, bottom right, bottom left)
    say which way up the page is and where the code sits on it."""
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
            return found[0], found[1] + (x0, y0)
    for scale in (1, 2):
        part = arr if scale == 1 else np.asarray(Image.fromarray(arr).resize((w * 2, h * 2)))
        found = _decode_in(zxingcpp, part)
        if found is not None:
            return found[0], found[1] / scale
    return None


def _decode_in(zxingcpp: object, arr: np.ndarray) -> tuple[str, np.ndarray] | None:
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
            parsed = form_code.parse(code.text)
            if parsed is None:
                continue
            p = code.position
            corners = np.array(
                [(q.x, q.y) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)],
                dtype=np.float64,
            )
            return parsed.text, corners / attempt
    return None


def _turn_points(pts: np.ndarray, shape: tuple[int, ...], turns: int) -> np.ndarray:
    """Where points of an image of `shape` land once it is turned by np.rot90(_, turns)."""
    h, w = shape[:2]
    out = pts.astype(np.float64).copy()
    for _ in range(turns % 4):  # a quarter turn anticlockwise: (x, y) -> (y, w - 1 - x)
        out = np.stack([out[:, 1], w - 1 - out[:, 0]], 1)
        h, w = w, h
    return out


# -- the frame -------------------------------------------------------------------------------


def _box_sum(ii: np.ndarray, size: int) -> np.ndarray:
    """Sums over every size x size window of the image whose integral image is `ii`."""
    return ii[size:, size:] - ii[:-size, size:] - ii[size:, :-size] + ii[:-size, :-size]


def _mark_candidates(
    arr: np.ndarray, box: tuple[int, int, int, int], scale: float, keep: int = 3
) -> list[tuple[float, float, float]]:
    """Up to `keep` places in `box` (x0, y0, x1, y1 of `arr`) that look like a corner mark (a
    solid square about MARK points wide with light all round), best first: (x, y, score), the
    centre to a fraction of a pixel."""
    x0, y0, x1, y1 = box
    win = arr[y0:y1, x0:x1].astype(np.float32)
    if win.size == 0:
        return []
    lo, hi = np.percentile(win[::2, ::2], (0.5, 90))
    if hi - lo < 40:
        return []
    m = MARK * scale
    inner = max(3, round(m * 0.7))
    outer = round(m * 1.9)
    mid = round(m * 1.3)
    # beyond the scan's edge is paper: a mark close to the edge is still found whole
    pad = outer // 2 + 1
    win = np.pad(win, pad, constant_values=hi)
    x0, y0 = x0 - pad, y0 - pad
    dark = (win < (lo + hi) / 2).astype(np.float32)
    if min(dark.shape) <= outer + 2:
        return []
    ii = np.zeros((dark.shape[0] + 1, dark.shape[1] + 1), np.float32)
    ii[1:, 1:] = dark.cumsum(0).cumsum(1)
    s_in = _box_sum(ii, inner)
    s_out = _box_sum(ii, outer)
    s_mid = _box_sum(ii, mid)
    # align the three window grids on a common centre
    n = s_out.shape
    oi = (outer - inner) // 2
    om = (outer - mid) // 2
    a_in = s_in[oi : oi + n[0], oi : oi + n[1]] / (inner * inner)
    ring = (s_out - s_mid[om : om + n[0], om : om + n[1]]) / (outer * outer - mid * mid)
    score = np.where((a_in >= 0.7) & (ring <= 0.25), a_in - ring, -1.0)
    out: list[tuple[float, float, float]] = []
    half = round(m * 0.75)
    edge = 0.6 * m
    for _ in range(keep):
        j = int(np.argmax(score))
        r, c = divmod(j, n[1])
        best = float(score[r, c])
        if best <= 0:
            break
        # the next candidate is somewhere else: clear this one's neighbourhood
        score[max(0, r - outer) : r + outer + 1, max(0, c - outer) : c + outer + 1] = -1.0
        # centroid of the dark pixels around the found square
        rc, cc = r + outer // 2, c + outer // 2
        ys, ye = max(0, rc - half), min(dark.shape[0], rc + half + 1)
        xs, xe = max(0, cc - half), min(dark.shape[1], cc + half + 1)
        weight = np.clip((hi - win[ys:ye, xs:xe]) / max(1.0, hi - lo), 0, 1) ** 2
        total = float(weight.sum())
        if total <= 0:
            continue
        gy, gx = np.mgrid[ys:ye, xs:xe]
        x = x0 + float((weight * gx).sum() / total)
        y = y0 + float((weight * gy).sum() / total)
        if not (edge <= x <= arr.shape[1] - edge and edge <= y <= arr.shape[0] - edge):
            continue  # cut by the scan's edge: its centre would be off
        out.append((x, y, best))
    return out


def _fit(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares affine map src (points) -> dst (pixels); its worst residual in pixels."""
    a = np.hstack([src, np.ones((len(src), 1))])
    sol, *_ = np.linalg.lstsq(a, dst, rcond=None)
    t = sol.T  # 2x3
    res = np.abs(a @ sol - dst).max() if len(src) > 3 else 0.0
    return t, float(res)


def _plausible(t: np.ndarray, scale: float) -> bool:
    """An affine map a sheet of paper on a scanner can give: nearly a rotation and a uniform
    scale (a little skew), about the size the page's pixels suggest, and not mirrored."""
    m = t[:, :2]
    if np.linalg.det(m) <= 0:
        return False
    sv = np.linalg.svd(m, compute_uv=False)
    if sv[1] <= 0 or sv[0] / sv[1] > 1.06:  # skew or stretch of more than about 3 degrees
        return False
    # the paper fills 70% to 106% of the scan's width (a scanner's glass, an A4 page), and is
    # upright (the QR code turned it) within a few degrees
    s = math.sqrt(sv[0] * sv[1])
    angle = math.degrees(math.atan2(m[1, 0] - m[0, 1], m[0, 0] + m[1, 1]))
    return 0.7 * scale <= s <= 1.06 * scale and abs(angle) <= 8


# share of the page's width and height, from each corner, searched for its mark: the sheet may
# sit anywhere within the scanner's margins, turned by up to ±5 degrees
CORNER_W = 0.3
CORNER_H = 0.22


@dataclass
class Frame:
    """Where the form lies on an upright scan: `t` maps the form's points (top-left origin) to
    the scan's pixels; `residual` is the worst disagreement (points) of what it was fitted on;
    `marks` the corner marks found; `anchors` the printed patches that agreed with it."""

    t: np.ndarray | None
    residual: float = 0.0
    marks: int = 0
    anchors: int = 0
    trusted: bool = False


def _marks_fits(
    cands: list[list[tuple[float, float, float]]], size: tuple[float, float], scale: float
) -> list[tuple[np.ndarray, float, int]]:
    """Frames from the corner marks alone, best first: (transform, residual in points, marks).

    Each corner of the scan offers its few best mark-like places; the sets of one per corner
    (or fewer: a mark hidden, or cut off by the scan's edge) that fit the marks' printed
    rectangle are ranked: most marks, then the most mark-like places that fit best. Two marks
    give a rotation, scale and shift only (no skew), which `_refine` corrects."""
    centres = _mark_centres(size)
    ranked: list[tuple[tuple[int, float], float, np.ndarray, int]] = []
    options = [[*range(len(c)), None] for c in cands]
    for pick in _product(options):
        used = [k for k in range(4) if pick[k] is not None]
        if len(used) < 2:
            continue
        src = np.array([centres[k] for k in used])
        dst = np.array([cands[k][pick[k]][:2] for k in used])  # type: ignore[index]
        t, res = _fit(src, dst) if len(used) > 2 else (_similarity(src, dst), 0.0)
        if not _plausible(t, scale):
            continue
        res_pt = res / math.sqrt(abs(np.linalg.det(t[:, :2])))
        if len(used) == 4 and res_pt > 4 * THRESHOLDS.residual:
            continue
        strength = sum(cands[k][pick[k]][2] for k in used)  # type: ignore[index]
        ranked.append(((len(used), strength - res_pt / 10), res_pt, t, len(used)))
    ranked.sort(key=lambda r: r[0], reverse=True)
    return [(t, res, n) for _key, res, t, n in ranked]


def _qr_points(template: Template) -> np.ndarray | None:
    """The QR symbol's corners on the form (points, top-left origin), in zxing's order."""
    r = template.qr
    if r is None:
        return None
    q = r.w * QR_QUIET
    top = template.size[1] - r.y - r.h
    x0, x1, y0, y1 = r.x + q, r.x + r.w - q, top + q, top + r.h - q
    return np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])


def _fit_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares rotation, uniform scale and shift taking `src` onto `dst` (2x3)."""
    n = len(src)
    a = np.zeros((2 * n, 4))
    a[0::2] = np.stack([src[:, 0], -src[:, 1], np.ones(n), np.zeros(n)], 1)
    a[1::2] = np.stack([src[:, 1], src[:, 0], np.zeros(n), np.ones(n)], 1)
    (p, q, tx, ty), *_ = np.linalg.lstsq(a, dst.reshape(-1), rcond=None)
    return np.array([[p, -q, tx], [q, p, ty]])


def _qr_fit(
    cands: list[list[tuple[float, float, float]]],
    template: Template,
    qr: np.ndarray,
    scale: float,
) -> tuple[np.ndarray, int, float] | None:
    """A frame from the QR code's corners, with the corner marks found where they predict:
    (transform, marks used). The code is read on every matched page, so a page whose corners
    fell off the scanner's glass still has a frame."""
    src = _qr_points(template)
    if src is None:
        return None
    t = _fit_similarity(src, qr)
    if not _plausible(t, scale):
        return None
    px_per_pt = math.sqrt(abs(np.linalg.det(t[:, :2])))
    centres = np.array(_mark_centres(template.size))
    predicted = _apply(t, centres)
    marks_src, marks_dst = [], []
    for k, options in enumerate(cands):
        near = [
            c for c in options if math.dist(c[:2], predicted[k]) <= 30 * px_per_pt and c[2] > 0.7
        ]
        if near:
            marks_src.append(centres[k])
            marks_dst.append(max(near, key=lambda c: c[2])[:2])
    all_src = np.vstack([src, *marks_src]) if marks_src else src
    all_dst = np.vstack([qr, *marks_dst]) if marks_dst else qr
    # two marks far from the code pin its skew; with fewer, a similarity is all there is
    fit = _fit(all_src, all_dst)[0] if len(marks_src) >= 2 else _fit_similarity(all_src, all_dst)
    if not _plausible(fit, scale):
        return None
    err = np.hypot(*(_apply(fit, all_src) - all_dst).T).max()
    return fit, len(marks_src), float(err) / math.sqrt(abs(np.linalg.det(fit[:, :2])))


def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The rotation, uniform scale and shift taking two points `src` onto `dst` (2x3)."""
    a = complex(*src[1]) - complex(*src[0])
    b = complex(*dst[1]) - complex(*dst[0])
    z = b / a
    shift = complex(*dst[0]) - z * complex(*src[0])
    return np.array([[z.real, -z.imag, shift.real], [z.imag, z.real, shift.imag]])


PATCH = 128  # side of a patch of the printed form compared with the scan, pixels at PRINT_DPI
_ANCHORS: dict[str, np.ndarray] = {}


def _anchors(template: Template) -> np.ndarray:
    """Centres (pixels at PRINT_DPI) of patches of the printed form with lines and text both
    ways (so a patch says where it is across and down), one per cell of a 4 x 6 grid."""
    found = _ANCHORS.get(template.name)
    if found is not None:
        return found
    assert template.printed is not None
    ink = (255.0 - template.printed.astype(np.float32)) / 255.0
    gx = np.abs(np.diff(ink, axis=1))[:-1]
    gy = np.abs(np.diff(ink, axis=0))[:, :-1]
    step = 8

    def energy(g: np.ndarray) -> np.ndarray:
        ii = np.zeros((g.shape[0] + 1, g.shape[1] + 1), np.float64)
        ii[1:, 1:] = g.cumsum(0).cumsum(1)
        return _box_sum(ii, PATCH)[::step, ::step]

    both = np.minimum(energy(gx), energy(gy))  # (rows, cols): top-left of each patch
    rows, cols = both.shape
    centres = []
    for gr in range(6):
        for gc in range(4):
            r0, r1 = gr * rows // 6, (gr + 1) * rows // 6
            c0, c1 = gc * cols // 4, (gc + 1) * cols // 4
            cell = both[r0:r1, c0:c1]
            if cell.size == 0 or cell.max() < 40:  # a blank part of the form
                continue
            r, c = divmod(int(np.argmax(cell)), cell.shape[1])
            centres.append(((c0 + c) * step + PATCH // 2, (r0 + r) * step + PATCH // 2))
    out = np.array(centres, dtype=np.float64).reshape(-1, 2)
    _ANCHORS[template.name] = out
    return out


_HANN = np.outer(np.hanning(PATCH), np.hanning(PATCH)).astype(np.float32)
_PATCHES: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _printed_patches(template: Template) -> tuple[np.ndarray, np.ndarray]:
    """The printed form's anchor patches as the correlation needs them (the same for every
    page: computed once): their conjugate spectra and energies."""
    found = _PATCHES.get(template.name)
    if found is not None:
        return found
    assert template.printed is not None
    half = PATCH // 2
    idx = _anchors(template).astype(np.intp)
    ys = idx[:, 1, None] + np.arange(-half, half)[None, :]
    xs = idx[:, 0, None] + np.arange(-half, half)[None, :]
    p = 255.0 - template.printed.astype(np.float32)[ys[:, :, None], xs[:, None, :]]
    p -= p.mean(axis=(1, 2), keepdims=True)
    p *= _HANN
    found = (np.conj(np.fft.rfft2(p)), (p * p).sum(axis=(1, 2)))
    _PATCHES[template.name] = found
    return found


def _refine(arr: np.ndarray, t: np.ndarray, template: Template) -> Frame | None:
    """The frame corrected on the printed form itself: the scan is laid over the form through
    `t`, each anchor patch's shift against the printed form is found by cross-correlation, and
    an affine map is fitted to the patches that agree (the others are outvoted: handwriting,
    a signature, a fold). None when too few agree, or they do not span the page."""
    printed = template.printed
    if printed is None:
        return None
    anchors = _anchors(template)
    if len(anchors) < 6:
        return None
    k = 72.0 / PRINT_DPI
    half = PATCH // 2
    img = Image.fromarray(arr)
    # the scan laid over each patch of the printed form through `t` (only the patches: laying
    # the whole page over costs ten times as much)
    q = np.empty((len(anchors), PATCH, PATCH), np.float32)
    for i, (cx, cy) in enumerate(anchors):
        ox, oy = (cx - half) * k, (cy - half) * k  # the patch's top-left corner, points
        coeffs = (
            t[0, 0] * k,
            t[0, 1] * k,
            t[0, 0] * ox + t[0, 1] * oy + t[0, 2],
            t[1, 0] * k,
            t[1, 1] * k,
            t[1, 0] * ox + t[1, 1] * oy + t[1, 2],
        )
        patch = img.transform(
            (PATCH, PATCH), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR, fillcolor=255
        )
        q[i] = np.asarray(patch, dtype=np.float32)
    q = 255.0 - q
    q -= q.mean(axis=(1, 2), keepdims=True)
    q *= _HANN
    p_spectrum, p_energy = _printed_patches(template)
    corr = np.fft.irfft2(np.fft.rfft2(q) * p_spectrum, s=(PATCH, PATCH))
    norm = np.sqrt(p_energy * (q * q).sum(axis=(1, 2))) + 1e-6
    n = len(anchors)
    flat = corr.reshape(n, -1).argmax(axis=1)
    py, px = np.divmod(flat, PATCH)
    peak = corr[np.arange(n), py, px] / norm
    shifts = np.zeros((n, 2))
    for i in range(n):  # a parabola through the peak and its neighbours: a fraction of a pixel
        c = corr[i]
        y, x = int(py[i]), int(px[i])
        west, mid, east = c[y, x - 1], c[y, x], c[y, (x + 1) % PATCH]
        bend = west - 2 * mid + east
        dx = 0.5 * (west - east) / bend if bend < 0 else 0.0
        north, south = c[y - 1, x], c[(y + 1) % PATCH, x]
        bend = north - 2 * mid + south
        dy = 0.5 * (north - south) / bend if bend < 0 else 0.0
        sx = x + dx if x < half else x + dx - PATCH
        sy = y + dy if y < half else y + dy - PATCH
        shifts[i] = (sx, sy)
    ok = peak >= 0.3
    src = anchors * k
    dst = _apply(t, (anchors + shifts) * k)
    keep = ok.copy()
    fit = None
    for _ in range(4):  # fit, drop the patches that disagree, fit again
        if keep.sum() < 6:
            return None
        fit, _res = _fit(src[keep], dst[keep])
        px_per_pt = math.sqrt(abs(np.linalg.det(fit[:, :2])))
        err = np.hypot(*(_apply(fit, src) - dst).T) / px_per_pt  # points
        new = ok & (err <= max(1.0, 2.5 * float(np.median(err[keep]))))
        if (new == keep).all():
            break
        keep = new
    assert fit is not None
    kept = src[keep]
    span = kept.max(axis=0) - kept.min(axis=0)
    if keep.sum() < 6 or span[0] < 0.5 * template.size[0] or span[1] < 0.5 * template.size[1]:
        return None
    residual = float(err[keep].max())
    return Frame(fit, residual, 0, int(keep.sum()), residual <= 1.0)


def register(arr: np.ndarray, template: Template, qr: np.ndarray | None = None) -> Frame:
    """The frame of an upright page: from its QR code and corner marks, corrected on the
    printed form. `qr`: the code's corners on the page, when it was read."""
    h, w = arr.shape
    scale = min(h, w) / min(template.size)
    cw, ch = int(w * CORNER_W), int(h * CORNER_H)
    boxes = [(0, 0, cw, ch), (w - cw, 0, w, ch), (w - cw, h - ch, w, h), (0, h - ch, cw, h)]
    cands = [_mark_candidates(arr, b, scale) for b in boxes]
    coarse: list[tuple[np.ndarray, float, int]] = []  # (transform, residual, marks)
    by_qr = _qr_fit(cands, template, qr, scale) if qr is not None else None
    if by_qr is not None:
        coarse.append((by_qr[0], by_qr[2], by_qr[1]))
    by_marks = _marks_fits(cands, template.size, scale)
    coarse += by_marks[:3]
    if not coarse:
        return Frame(None, 0.0, min(sum(1 for c in cands if c), 1))
    if template.printed is not None:
        for t, _res, marks in coarse:
            refined = _refine(arr, t, template)
            if refined is None:
                continue
            again = _refine(arr, refined.t, template)  # once more, from a frame now close
            if again is not None and again.anchors >= refined.anchors:
                refined = again
            refined.marks = marks
            return refined
    # nothing printed to check against (or it did not agree): marks that fit are trusted, four
    # of them, or three with the QR code's corners (seven points for the six of an affine map)
    if by_qr is not None and by_qr[1] >= 3 and by_qr[2] <= THRESHOLDS.residual:
        return Frame(by_qr[0], by_qr[2], by_qr[1], 0, True)
    if by_marks:
        t, res, marks = by_marks[0]
        return Frame(t, res, marks, 0, marks == 4 and res <= THRESHOLDS.residual)
    t, res, marks = coarse[0]
    return Frame(t, res, marks, 0, False)


def _product(options: list[list[int | None]]) -> list[tuple[int | None, ...]]:
    import itertools

    return list(itertools.product(*options))


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


@dataclass
class BoxSamples:
    """What the page shows in and around each tick box (grey levels 0-255): `inside` clear of
    the printed outline (n x INSIDE^2), `ring` just outside it (n x 2 distances x 4 sides x 20:
    top, bottom, left, right), and which ring samples fall on the form's own print."""

    inside: np.ndarray
    ring: np.ndarray
    on_print: np.ndarray
    outline: np.ndarray  # mean darkness of the printed outline where it was found (n)


INSIDE = 12  # samples across the inside of a box


def box_samples(arr: np.ndarray, t: np.ndarray, template: Template) -> BoxSamples:
    """Samples of every tick box of `template` on the upright page `arr` through `t`."""
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
    scores = np.stack(
        [(255 - _sample(arr, base + np.array(s))).mean(axis=1) for s in shifts], 0
    )  # (shifts, n)
    best = np.array([shifts[i] for i in scores.argmax(0)], dtype=np.float64)  # (n, 2)
    # 2. the inside (clear of the printed outline) and a ring just outside it
    k = INSIDE
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
    ring = np.concatenate(ring_pts, 1)  # (n, 160, 2)
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
    return BoxSamples(vin, vring, on_print, scores.max(0))


def read_boxes(
    arr: np.ndarray, t: np.ndarray, template: Template, black: float, th: Thresholds = THRESHOLDS
) -> list[BoxReading]:
    """Every tick box of `template` on the upright page `arr` through transform `t`."""
    if not template.boxes:
        return []
    n = len(template.boxes)
    smp = box_samples(arr, t, template)
    vin, vring, on_print = smp.inside, smp.ring, smp.on_print
    # the paper's own white around each box (ring samples off the form's print), and how
    # deep this scan's ink is
    paper = np.where(on_print, np.nan, vring)
    with np.errstate(all="ignore"):
        white = np.nanpercentile(paper, 75, axis=1)
    white = np.where(np.isnan(white), np.percentile(vring, 75, axis=1), white)
    span = np.maximum(white - black, 30.0)
    # the inside's own paper: its lighter part (a fold's shadow or uneven light falls on the box
    # and the ring differently); a box dark all over is measured against the ring's paper
    light = np.percentile(vin, 90, axis=1)
    shade = (white - light) / span
    heavy = shade >= th.heavy
    base = np.where(heavy, white, light)
    dark_in = (base[:, None] - vin) / span[:, None]
    share = (dark_in > th.ink).mean(axis=1)
    # the darkest spot, over 2 x 2 samples (about 1.7 pixels at 150 dpi): a pen's line, even a
    # faint one, shows through the scanner's noise
    grid = dark_in.reshape(n, INSIDE, INSIDE)
    spots = (grid[:, 1:, 1:] + grid[:, :-1, 1:] + grid[:, 1:, :-1] + grid[:, :-1, :-1]) / 4
    peak = spots.reshape(n, -1).max(axis=1)
    # this page's empty box: most of a form's boxes are empty, so the lower quarter of the
    # darkest spots is scanner noise ("lower": a real box's value, the least of a form of two)
    floor = float(np.percentile(peak, 25, method="lower"))
    dark_ring = (white[:, None] - vring) / span[:, None]
    stray = (dark_ring > 0.35) & ~on_print
    outside = stray.mean(axis=1)
    # ring samples come as 2 distances x 4 sides (top, bottom, left, right) x 20
    per_side = stray.reshape(n, 2, 4, 20).any(axis=(1, 3))  # (n, 4)
    left, right = per_side[:, 2], per_side[:, 3]
    through = left & right  # ink both left and right of the box: a stroke through it
    # a side largely on the form's own print (the label beside a box) cannot show a stroke
    # leaving the box there: a trace of ink on the other side (even a thin line's, blurred at
    # 150 dpi) may be a stroke running through (a signature) or a tick running long: asked
    hidden = on_print.reshape(n, 2, 4, 20).mean(axis=(1, 3)) > 0.3
    trace = ((dark_ring > 0.2) & ~on_print).reshape(n, 2, 4, 20).any(axis=(1, 3))
    maybe_through = (trace[:, 2] & hidden[:, 3]) | (trace[:, 3] & hidden[:, 2])
    out: list[BoxReading] = []
    for i, b in enumerate(template.boxes):
        p, o = float(peak[i]), float(outside[i])
        spill = o > th.outside
        if heavy[i]:
            if spill or through[i]:
                # ink spilling past a box dark all over: a tick scribbled out; not a tick, asked
                ticked, unsure = False, True
            else:  # filled in (a tick), asked unless filled solidly
                ticked, unsure = True, shade[i] < th.filled
        elif p < min(th.empty, floor + th.above_floor):
            ticked, unsure = False, spill  # empty (a mark close by is shown)
        elif p < th.empty:
            # lighter than any tick should be, yet standing out of this page's own noise: a
            # faint tick thinned by the scan's blur may look so; not taken, asked
            ticked, unsure = False, True
        elif through[i]:
            # a stroke running through the box from side to side (a signature): not a tick
            ticked, unsure = False, True
        elif p < th.sure or share[i] < th.share:
            # a faint tick, or a little ink: taken for a tick when it is there, always asked
            ticked, unsure = p >= th.doubt, True
        else:
            # a tick or a cross; asked when ink runs past the box (a tick over the edge) or
            # may run through it beside its label
            ticked, unsure = True, spill or bool(maybe_through[i])
        out.append(BoxReading(b.field, b.choice, p, o, bool(ticked), bool(unsure)))
    _single_choice_conflicts(out, template.multi)
    return out


def _single_choice_conflicts(boxes: list[BoxReading], multi: frozenset[str]) -> None:
    """Two ticks on a one-answer question: neither is trusted, both are shown."""
    by_field: dict[str, list[BoxReading]] = {}
    for b in boxes:
        by_field.setdefault(b.field, []).append(b)
    for name, group in by_field.items():
        if name not in multi and sum(b.ticked for b in group) > 1:
            for b in group:
                if b.ticked:
                    b.unsure = True


# -- one page ----------------------------------------------------------------------------------


def _black(arr: np.ndarray, t: np.ndarray, size: tuple[float, float]) -> float:
    """How dark this scan's ink is: the middle of the corner marks that are on the scan (or,
    with none, the darkest of the page)."""
    h, w = arr.shape
    pts = _apply(t, np.array(_mark_centres(size)))
    margin = MARK * math.sqrt(abs(np.linalg.det(t[:, :2])))
    inside = (pts[:, 0] >= margin) & (pts[:, 0] < w - margin)
    inside &= (pts[:, 1] >= margin) & (pts[:, 1] < h - margin)
    if not inside.any():
        return float(np.percentile(arr[::3, ::3], 0.3))
    return float(np.median(_sample(arr, pts[inside])))


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
    code, corners = decoded
    top = corners[1] - corners[0]  # the symbol's top edge: which way up the page is
    turns = round(math.degrees(math.atan2(top[1], top[0])) / 90.0) % 4
    upright = np.ascontiguousarray(np.rot90(arr, turns)) if turns else arr
    rot_img = Image.fromarray(upright) if turns else image
    reading = PageReading(rot_img, code=code, rotation=turns * 90)
    reading.qr = _turn_points(corners, arr.shape, turns)
    template = template_for(code)
    if template is None:
        return reading
    measure(reading, template)
    return reading


def measure(reading: PageReading, template: Template, th: Thresholds = THRESHOLDS) -> None:
    """Register an upright page on its corner marks and printed form, read its tick boxes."""
    arr = np.asarray(reading.image)
    frame = register(arr, template, reading.qr)
    reading.marks = frame.marks
    reading.residual = frame.residual
    if frame.t is None:
        reading.note = "找不到页面四角的定位标记"
        return
    reading.transform = frame.t
    reading.registered = frame.trusted
    if not frame.trusted:
        reading.note = "页面定位不可靠（可能折叠或变形）"
    black = _black(arr, frame.t, template.size)
    reading.boxes = read_boxes(arr, frame.t, template, black, th)
    if not frame.trusted:  # every box is shown for a look
        for b in reading.boxes:
            b.unsure = True


def read_unknown(image: Image.Image, template: Template, code: str | None = None) -> PageReading:
    """A page whose code could not be read, once the caseworker said what form it is (typed the
    digits printed beside the code): try the four ways up and keep the one the printed form
    fits best. Every box with ink on it is shown for a look."""
    arr = np.asarray(image)
    best: tuple[tuple[bool, int, int], int, Frame] | None = None
    for turns in range(4):
        upright = np.ascontiguousarray(np.rot90(arr, turns))
        frame = register(upright, template)
        if frame.t is None:
            continue
        key = (frame.trusted, frame.anchors, frame.marks)
        if best is None or key > best[0]:
            best = (key, turns, frame)
    if best is None:
        return PageReading(image, code=code, note="找不到页面四角的定位标记")
    turns = best[1]
    upright = np.ascontiguousarray(np.rot90(arr, turns))
    reading = PageReading(Image.fromarray(upright), code=code, rotation=turns * 90)
    measure(reading, template)
    for b in reading.boxes:
        b.unsure = b.unsure or b.ink >= THRESHOLDS.empty
    return reading
