"""What makes a printed page readable by a scanner: four corner marks and a QR code.

Every form the product prints carries the same furniture at the same place on an A4 page, so
one reader registers any of them: four solid squares near the corners (the page's frame:
rotation, skew, scale and the scanner's margins are found from their centres) and, at the top
right, a QR code of the form's code (`caseworker.domain.form_code`: an opaque printed-form id
and the page, with a check; nothing personal) with the same digits in print beside it, so a
page whose code is unreadable can still be typed.

Where things are on the page is given here in PDF points (origin at the bottom left), and
`marks_px` converts it for a scan.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.graphics.barcode import qrencoder
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from caseworker.domain.form_code import spaced

PAGE_W, PAGE_H = A4
MARK = 12.0  # side of a corner mark, points (4.2 mm)
INSET = 16.0  # from the paper's edge to the mark's outer side (5.6 mm: inside any printer's margin)
QR_SIZE = 52.0  # with its quiet zone of four modules
QR_BORDER = 4  # the quiet zone, modules


def mark_centres(
    page: tuple[float, float] = (PAGE_W, PAGE_H),
) -> tuple[tuple[float, float], ...]:
    """Centres of the four marks in points, top-left origin: TL, TR, BR, BL."""
    w, h = page
    lo = INSET + MARK / 2
    return ((lo, lo), (w - lo, lo), (w - lo, h - lo), (lo, h - lo))


@dataclass(frozen=True)
class Rect:
    """A rectangle on the page in points, bottom-left origin (as reportlab draws)."""

    x: float
    y: float
    w: float
    h: float


def draw(
    c: Canvas,
    code: str,
    font: str | None = None,
    *,
    page: tuple[float, float] = (PAGE_W, PAGE_H),
    qr_right: float | None = None,
) -> None:
    """The corner marks, the QR code and its digits on the current page. The QR sits at the
    top right, its right side at `qr_right` (default: just left of the top-right mark)."""
    w, h = page
    qr = qr_rect(page, qr_right)
    qr_x, qr_y = qr.x, qr.y
    c.saveState()
    c.setFillGray(0)
    c.setStrokeGray(0)
    for x in (INSET, w - INSET - MARK):
        c.rect(x, INSET, MARK, MARK, stroke=0, fill=1)
        c.rect(x, h - INSET - MARK, MARK, MARK, stroke=0, fill=1)
    _draw_qr(c, code, qr_x, qr_y)
    c.setFont(font or "Helvetica", 6.5)
    c.setFillGray(0.2)
    c.drawRightString(qr_x - 2, h - 24, spaced(code))
    c.restoreState()


def _draw_qr(c: Canvas, code: str, x: float, y: float) -> None:
    """The QR code of `code` (level M, a quiet zone of four modules) filling QR_SIZE at (x, y):
    each row's runs of dark modules as rectangles of one path. reportlab's QrCodeWidget draws the
    same rectangles, but encodes the code twice and builds a shape object per run: it was 90 %
    of a visit form's time (75,563 forms: 17 minutes of CPU instead of 4)."""
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(code)
    qr.make()
    count = qr.getModuleCount()
    box = QR_SIZE / (count + 2 * QR_BORDER)
    path = c.beginPath()
    for r, row in enumerate(qr.modules):
        top = y + QR_SIZE - (r + QR_BORDER + 1) * box
        col = 0
        while col < count:
            if not row[col]:
                col += 1
                continue
            run = col
            while run < count and row[run]:
                run += 1
            path.rect(x + (col + QR_BORDER) * box, top, (run - col) * box, box)
            col = run
    c.drawPath(path, stroke=0, fill=1)


def qr_rect(page: tuple[float, float] = (PAGE_W, PAGE_H), qr_right: float | None = None) -> Rect:
    """Where `draw` puts the QR code (with its quiet zone), points, bottom-left origin."""
    w, h = page
    qr_x = (w - INSET - MARK - 6 if qr_right is None else qr_right) - QR_SIZE
    return Rect(qr_x, h - 14 - QR_SIZE, QR_SIZE, QR_SIZE)


QR_QUIET = 4 / 29  # share of QR_SIZE that is quiet zone on each side (version 1: 21 + 2 x 4)


@dataclass(frozen=True)
class Stamp:
    """A printed form's identity on paper: the office tag and the printed-form id; each page
    prints `code(page)`."""

    office_tag: str
    form_id: str

    def code(self, page: int) -> str:
        from caseworker.domain.form_code import encode

        return encode(self.office_tag, self.form_id, page)
