"""Printed forms found by their code: a keyboard-wedge barcode scanner, and 导入扫描件.

A USB barcode scanner types the form's 20 digits and Enter. `CodeCatcher` watches every key
press of the application: digits that arrive in one quick burst, or a search box whose text
is a valid code when Enter is pressed, open the form's entry at once (the check digits make
an accidental hit on typed numbers practically impossible). Typed twice, it says the form was
already entered and opens what was entered.

`ScanImport` reads a batch of scanned pages (caseworker.services.scans) on the background
runner and lists them with their notes; opening a matched visit form's page opens the visit
entry with the ticks set, every unsure box marked yellow with the reason in its tooltip, and
the page's handwritten areas shown beside it. Nothing is saved until the caseworker saves the
form; then the page is kept as the signed original.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain import form_code
from caseworker.domain.errors import CaseworkerError
from ui.context import AppContext
from ui.messages import show_error, tr

BURST_GAP = 0.08  # seconds between a scanner's key presses (a person types slower)
UNSURE_STYLE = "background: #ffe08a;"


class CodeCatcher(QObject):
    """An application event filter that turns a scanned code plus Enter into opening it."""

    def __init__(self, ctx: AppContext, window: QWidget) -> None:
        super().__init__(window)
        self.ctx = ctx
        self.window = window
        self.buffer = ""
        self.last = 0.0
        self.opened: list[str] = []  # codes opened (tests and the status bar read it)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if not self.window.isActiveWindow():
            return False
        key = event.key()
        now = time.monotonic()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            code = self._code_at_enter()
            self.buffer = ""
            if code is None:
                return False
            open_code(self.ctx, self.window, code)
            self.opened.append(code)
            return True
        text = event.text()
        if text.isdigit() and len(text) == 1:
            if now - self.last > BURST_GAP and len(self.buffer) < 20:
                self.buffer = ""
            self.buffer = (self.buffer + text)[-20:]
            self.last = now
        elif text:
            self.buffer = ""
        return False

    def _code_at_enter(self) -> str | None:
        focus = QApplication.focusWidget()
        if isinstance(focus, QLineEdit):
            parsed = form_code.parse(focus.text())
            if parsed is not None:  # typed (or scanned) into a search box
                focus.clear()
                return parsed.text
            if self.buffer and focus.text().endswith(self.buffer):
                parsed = form_code.parse(self.buffer)
                if parsed is not None:
                    focus.setText(focus.text()[: -len(self.buffer)])
                    return parsed.text
            return None
        parsed = form_code.parse(self.buffer)
        return parsed.text if parsed is not None else None


def install(ctx: AppContext, window: QWidget) -> CodeCatcher:
    catcher = CodeCatcher(ctx, window)
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(catcher)
    window.destroyed.connect(lambda *_: app.removeEventFilter(catcher))
    return catcher


def open_code(ctx: AppContext, parent: QWidget, code: str, page=None) -> None:
    """Open the entry form a printed form's code names (with a scanned page's ticks)."""
    from caseworker.services import paper

    actor = ctx.actor
    assert actor is not None
    try:
        found = ctx.read(lambda s: paper.resolve(s, actor, code))
    except CaseworkerError as exc:
        show_error(parent, exc)
        return
    if found.kind in ("elderly_visit", "elderly_visit_blank"):
        _open_visit(ctx, parent, found, page)
        return
    what = found.title
    if found.entered_ref:
        what += tr("（已录入过）")
    QMessageBox.information(
        parent,
        tr("纸质表"),
        tr("这是{0}，{1} 打印于 {2:%Y-%m-%d}。请在该案件/儿童页面录入。").format(
            what, found.printed_by, found.printed_at
        ),
    )


def _open_visit(ctx: AppContext, parent: QWidget, found, page) -> None:
    from caseworker.services import scans
    from caseworker.services.elderly import roster, visits
    from ui.elderly.visit_form import VisitForm

    actor = ctx.actor
    assert actor is not None
    if found.record_id is None:
        QMessageBox.information(
            parent,
            tr("空白探访记录表"),
            tr("这是空白探访记录表：请在老年人台账中找到这位老人，再录入。"),
        )
        return
    info = ctx.read(lambda s: roster.get(s, actor, found.record_id))
    visit = None
    if found.entered_ref:
        try:
            visit = ctx.read(lambda s: visits.get(s, actor, found.entered_ref))
        except CaseworkerError:
            visit = None
        QMessageBox.information(
            parent,
            tr("已录入过"),
            tr("{0} 的这张探访记录表已经录入过，现在打开已录入的记录。").format(info.name),
        )
    form = VisitForm(ctx, parent, info, visit)
    side = None
    if visit is None and page is not None:
        apply_scan(form, page)
        side = _handwriting_panel(page)
        form.layout().addWidget(side)
    form.exec()
    saved = form.saved
    form.deleteLater()
    if saved is not None:
        if page is not None:
            scans.keep_original(ctx.ws, actor, found, page.reading, saved.id)
        else:
            from caseworker.services import paper

            paper.mark_entered(ctx.ws.engine, actor, found.form_id, saved.id)


def apply_scan(form, page) -> list[QWidget]:
    """Set the visit form's ticks from a scanned page; mark the unsure ones. Returns the
    widgets marked for a look."""
    values = page.values
    if values.get("method"):
        form.method.set_value(str(values["method"]))
    for name, row in form.choices.items():
        row.set_value(str(values.get(name, "")))
    marked = []
    unsure_by_field: dict[str, list[str]] = {}
    for name, choice in page.unsure:
        unsure_by_field.setdefault(name, []).append(choice)
    for name, choices in unsure_by_field.items():
        widget = form.method if name == "method" else form.choices.get(name)
        if widget is None:
            continue
        widget.setStyleSheet(UNSURE_STYLE)
        widget.setToolTip(tr("扫描识别不确定，请对照原件核对：{0}").format("、".join(choices)))
        marked.append(widget)
    return marked


def _qimage(img) -> QImage:
    gray = img.convert("L")
    data = gray.tobytes()
    q = QImage(data, gray.width, gray.height, gray.width, QImage.Format.Format_Grayscale8)
    return q.copy()


def _handwriting_panel(page) -> QWidget:
    """The page's handwritten areas cut out, to read beside the typed fields."""
    from caseworker.scan import templates

    template = templates.for_kind(page.found.kind)
    box = QWidget()
    col = QVBoxLayout(box)
    col.addWidget(QLabel(tr("原件手写内容（扫描）：")))
    for name, rect in template.areas:
        crop = page.reading.crop(rect, template.size[1], dpi=100)
        if crop is None:
            continue
        label = QLabel()
        label.setObjectName(f"scan_{name}")
        label.setPixmap(QPixmap.fromImage(_qimage(crop)))
        col.addWidget(label)
    scroll = QScrollArea()
    scroll.setWidget(box)
    scroll.setMaximumHeight(160)
    return scroll


class ScanImport(QDialog):
    """导入扫描件: the pages of a batch with their notes; Enter or 打开 opens a page's form."""

    def __init__(self, ctx: AppContext, parent: QWidget | None, files: list[Path]) -> None:
        super().__init__(parent)
        from caseworker.services import scans
        from ui.progress import run_with_progress

        self.ctx = ctx
        self.setWindowTitle(tr("导入扫描件"))
        actor = ctx.actor
        assert actor is not None
        self.pages = run_with_progress(
            ctx.runner,
            lambda: list(scans.read_files(ctx.ws, actor, files)),
            self,
            tr("正在识别扫描件…"),
        )
        self.table = QTableWidget(len(self.pages), 4)
        self.table.setHorizontalHeaderLabels([tr("文件"), tr("页"), tr("表"), tr("说明")])
        for r, p in enumerate(self.pages):
            for c, text in enumerate(
                (p.source.name, str(p.number), p.found.title if p.found else "", p.note)
            ):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.cellDoubleClicked.connect(lambda r, _c: self.open_row(r))
        open_button = QPushButton(tr("打开录入"))
        open_button.clicked.connect(lambda: self.open_row(self.table.currentRow()))
        close = QPushButton(tr("关闭"))
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(open_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.resize(900, 500)

    def open_row(self, row: int) -> None:
        if not (0 <= row < len(self.pages)):
            return
        page = self.pages[row]
        if page.found is None or page.status in ("blank", "refused", "repeated"):
            QMessageBox.information(self, tr("导入扫描件"), page.note)
            return
        open_code(self.ctx, self, page.reading.code or "", page)


def import_scans(ctx: AppContext, parent: QWidget) -> None:
    from ui.widgets.file_dialogs import open_paths

    files = open_paths(
        parent, "scans", tr("选择扫描件"), tr("扫描件 (*.pdf *.tif *.tiff *.jpg *.jpeg *.png)")
    )
    if not files:
        return
    try:
        dialog = ScanImport(ctx, parent, files)
    except CaseworkerError as exc:
        show_error(parent, exc)
        return
    dialog.exec()
    dialog.deleteLater()
