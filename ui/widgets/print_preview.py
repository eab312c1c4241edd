"""Print preview inside the app: PDF pages rendered with pypdfium2 (PySide6-Essentials has no
QtPdf), then printed through the system print dialog or saved as a PDF file.

Pages are rendered one at a time, when shown or printed, so a month's 300 forms open at once.
pdfium is not thread-safe: every call into it happens on the UI thread.
"""

from __future__ import annotations

import io
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium
from PySide6.QtCore import QRectF, QSizeF, Qt
from PySide6.QtGui import QImage, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui.widgets import file_dialogs
from ui.widgets.screen import fit_to_screen

PREVIEW_DPI = 96
PRINT_DPI_MAX = 300

log = logging.getLogger("caseworker.ui")


def merge_pdfs(parts: Sequence[bytes]) -> bytes:
    """One PDF of all `parts` in order (e.g. the route sheets of every community)."""
    if len(parts) == 1:
        return parts[0]
    merged = pdfium.PdfDocument.new()
    for part in parts:
        merged.import_pages(pdfium.PdfDocument(part))
    out = io.BytesIO()
    merged.save(out)
    return out.getvalue()


def render_page(doc: pdfium.PdfDocument, index: int, dpi: float) -> QImage:
    """Page `index` as an RGB image at `dpi` (a copy: it owns its pixels)."""
    page = doc[index]
    bitmap = page.render(scale=dpi / 72.0, rev_byteorder=True)
    image = QImage(
        bitmap.buffer,
        bitmap.width,
        bitmap.height,
        bitmap.stride,
        QImage.Format.Format_RGB888,
    )
    return image.copy()


class PrintPreview(QDialog):
    """Preview `pdf` (bytes, or a file: a month's forms of a whole district, read by pdfium page
    by page as shown); print it or save it. `printed_pages` counts pages sent to a printer."""

    def __init__(
        self,
        parent: QWidget | None,
        pdf: bytes | Path,
        title: str,
        filename: str,
        summary: str = "",
        folder: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.source = pdf
        self.filename = filename
        self.folder = folder  # where 另存为 starts (the workspace's exports/) unless one was used
        self.doc = pdfium.PdfDocument(str(pdf) if isinstance(pdf, Path) else pdf)
        self.pages = len(self.doc)
        self.printed_pages = 0
        self.saved_to: Path | None = None
        self.zoom = 1.0
        self.setWindowTitle(self.tr("打印预览 — {0}").format(title))
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setStyleSheet("background: #888; padding: 8px;")
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.image)
        self.scroll.setWidgetResizable(True)
        self.page = QSpinBox()
        self.page.setRange(1, max(1, self.pages))
        self.page.valueChanged.connect(lambda _v: self.show_page())
        self.of = QLabel(self.tr("/ {0} 页").format(self.pages))
        prev = QPushButton(self.tr("上一页"))
        nxt = QPushButton(self.tr("下一页"))
        prev.clicked.connect(lambda: self.page.setValue(self.page.value() - 1))
        nxt.clicked.connect(lambda: self.page.setValue(self.page.value() + 1))
        zoom_in = QPushButton(self.tr("放大"))
        zoom_out = QPushButton(self.tr("缩小"))
        zoom_in.clicked.connect(lambda: self.set_zoom(self.zoom * 1.25))
        zoom_out.clicked.connect(lambda: self.set_zoom(self.zoom / 1.25))
        self.print_button = QPushButton(self.tr("打印…"))
        self.print_button.setToolTip("Ctrl+P")
        self.save_button = QPushButton(self.tr("另存为 PDF…"))
        self.save_button.setToolTip("Ctrl+S")
        close = QPushButton(self.tr("关闭"))
        self.print_button.clicked.connect(self.print_)
        self.save_button.clicked.connect(self.save_as)
        close.clicked.connect(self.accept)
        for b in (prev, nxt, zoom_in, zoom_out, self.save_button, close):
            b.setAutoDefault(False)
        self.print_button.setDefault(True)
        bar = QHBoxLayout()
        info = QLabel(summary)
        info.setStyleSheet("color: #333;")
        bar.addWidget(info, 1)
        for w in (prev, self.page, self.of, nxt, zoom_out, zoom_in):
            bar.addWidget(w)
        bar.addSpacing(16)
        for b in (self.print_button, self.save_button, close):
            bar.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(bar)
        QShortcut(QKeySequence("Ctrl+P"), self, self.print_)
        QShortcut(QKeySequence("Ctrl+S"), self, self.save_as)
        QShortcut(QKeySequence(Qt.Key.Key_PageDown), self, lambda: self.page.stepUp())
        QShortcut(QKeySequence(Qt.Key.Key_PageUp), self, lambda: self.page.stepDown())
        fit_to_screen(self, 900, 1000)  # a whole A4 page when the screen allows
        self.zoom = self._fit_width_zoom()
        self.show_page()

    @property
    def pdf(self) -> bytes:
        """The whole PDF (read from its file when it is one)."""
        return self.source.read_bytes() if isinstance(self.source, Path) else self.source

    def _fit_width_zoom(self) -> float:
        """1.0, or less when the widest page would not fit across the window (a landscape
        route sheet): the first look needs no sideways scrolling."""
        if not self.pages:
            return 1.0
        widest = max(self.doc[i].get_width() for i in range(min(self.pages, 3)))
        page_px = widest / 72.0 * PREVIEW_DPI + 16  # the grey padding around the page
        room = self.width() - 2 * self.layout().contentsMargins().left() - 24  # a scroll bar
        return 1.0 if page_px <= room else max(0.4, room / page_px)

    def set_zoom(self, zoom: float) -> None:
        self.zoom = min(3.0, max(0.4, zoom))
        self.show_page()

    def show_page(self) -> None:
        if not self.pages:
            self.image.setText(self.tr("没有内容"))
            return
        image = render_page(self.doc, self.page.value() - 1, PREVIEW_DPI * self.zoom)
        self.image.setPixmap(QPixmap.fromImage(image))

    def page_image(self, index: int, dpi: float = PREVIEW_DPI) -> QImage:
        return render_page(self.doc, index, dpi)

    # -- output ----------------------------------------------------------------------------------
    def print_(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.filename)
        printer.setFromTo(1, self.pages)
        dialog = QPrintDialog(printer, self)
        dialog.setMinMax(1, self.pages)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.print_to(printer)

    def print_to(self, printer: QPrinter) -> int:
        """Paint the chosen pages on `printer`, each scaled to the printable area."""
        first, last = printer.fromPage() or 1, printer.toPage() or self.pages
        first, last = max(1, first), min(self.pages, last)
        dpi = min(PRINT_DPI_MAX, printer.resolution())
        progress = QProgressDialog(self.tr("正在发送到打印机…"), self.tr("取消"), 0, last, self)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(500)
        painter = QPainter()
        if not painter.begin(printer):
            QMessageBox.warning(
                self, self.tr("无法打印"), self.tr("打印机无法开始打印，请检查打印机。")
            )
            return 0
        done = 0
        try:
            for number in range(first, last + 1):
                if progress.wasCanceled():
                    break
                if number > first:
                    printer.newPage()
                image = render_page(self.doc, number - 1, dpi)
                area = QRectF(painter.viewport())
                size = QSizeF(image.size()).scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.drawImage(QRectF(area.topLeft(), size), image)
                done += 1
                progress.setValue(number)
        finally:
            painter.end()
            progress.close()
        self.printed_pages += done
        return done

    def save_as(self) -> None:
        path = file_dialogs.save_path(
            self,
            "pdf",
            self.tr("另存为 PDF"),
            self.filename,
            self.tr("PDF 文件 (*.pdf)"),
            self.folder,
            suffix=".pdf",
        )
        if path is not None:
            self.save_to(path)

    def save_to(self, path: Path) -> Path | None:
        if path.suffix.lower() != ".pdf":
            path = path.with_suffix(".pdf")
        from caseworker.domain.errors import ValidationError
        from caseworker.outfile import write_bytes, writing

        try:
            # through a temporary file, renamed when whole: a full stick keeps no partial PDF
            if isinstance(self.source, Path):
                with writing(path) as tmp:
                    shutil.copyfile(self.source, tmp)  # in blocks, never the whole file in memory
            else:
                write_bytes(path, self.source)
        except ValidationError:
            log.warning("could not write a PDF")
            QMessageBox.warning(
                self,
                self.tr("无法保存"),
                self.tr(
                    "无法写入 {0}。\n文件可能正在被其他程序打开，或这个文件夹不能写入；"
                    "请关闭该文件或换一个文件夹再保存。"
                ).format(path),
            )
            return None
        self.saved_to = path
        return path

    def done(self, result: int) -> None:
        self.image.clear()
        self.doc.close()
        super().done(result)
