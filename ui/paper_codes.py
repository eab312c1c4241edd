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
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QInputDialog,
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

T = TypeVar("T")

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
        # a key press not taken by the focus widget goes on to its parents, through this filter
        # each time (and arrives first at the window's platform window): count it once, where
        # it is delivered to the focus
        if obj is not (QApplication.focusWidget() or self.window):
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
        # a burst of 20 digits (a scanner) wherever the focus is; in a text box the digits it
        # typed are taken back out of what was there
        parsed = form_code.parse(self.buffer) if len(self.buffer) == 20 else None
        if parsed is None:
            return None
        if isinstance(focus, QLineEdit) and focus.text().endswith(self.buffer):
            focus.setText(focus.text()[: -len(self.buffer)])
        return parsed.text


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
    elif found.kind == "child_visit":
        _open_child_visit(ctx, parent, found, page)
    elif found.kind in ("retrofit_acceptance", "retrofit_assessment"):
        _open_retrofit(ctx, parent, found, page)
    elif found.blank:
        QMessageBox.information(
            parent,
            tr("纸质表"),
            tr("这是{0}：请先找到对应的个案或儿童，再在其页面录入。").format(found.title),
        )
    else:  # the route sheet: a list to walk, nothing to type back
        QMessageBox.information(
            parent,
            tr("纸质表"),
            tr("这是{0}，{1} 打印于 {2:%Y-%m-%d}，不需要录入。").format(
                found.title, found.printed_by, found.printed_at
            ),
        )


def _main_window(parent: QWidget | None) -> QWidget | None:
    """The main window (its sections open a case or a child), from any widget or dialog."""
    w = parent
    while w is not None:
        if callable(getattr(w, "page", None)) and hasattr(w, "sections"):
            return w
        w = w.parentWidget()
    return None


def _show_entered(parent: QWidget, found, section: str, record_id: str) -> None:
    """A form already typed back: say so, and open what was entered (the case's page)."""
    QMessageBox.information(
        parent,
        tr("已录入过"),
        tr("这张{0}已经录入过（{1}），现在打开已录入的内容。").format(
            found.title,
            f"{found.entered_at:%Y-%m-%d}" if found.entered_at else tr("已有对应记录"),
        ),
    )
    window = _main_window(parent)
    if window is not None:
        window.page(section).open_case(record_id)  # type: ignore[attr-defined]


def _mark_unsure(widget: QWidget, choices: list[str]) -> None:
    widget.setStyleSheet(UNSURE_STYLE)
    widget.setToolTip(tr("扫描识别不确定，请对照原件核对：{0}").format("、".join(choices)))


def _open_child_visit(ctx: AppContext, parent: QWidget, found, page) -> None:
    """A child visit form: the child's visit entry (回访登记) at once, its ticks set from the
    scan (unsure ones marked) and the handwritten parts shown beside it; typed twice, the
    child's case with what was entered."""
    from caseworker.services.children import cases
    from ui.children import dialogs

    actor = ctx.actor
    assert actor is not None
    case_id = found.record_id
    if found.entered_ref:
        _show_entered(parent, found, "children", case_id)
        return
    try:
        # opening a child's form to type it back is a view of the child: logged as one
        detail = ctx.write_wait(
            lambda s, a: cases.detail(s, a, case_id, action="扫码录入回访表"), parent=parent
        )
    except CaseworkerError as exc:
        show_error(parent, exc)
        return
    dialog = dialogs.visit_dialog(ctx, parent, detail.case.child_id, case_id)
    if page is not None:
        apply_child_scan(dialog, page)
    visit = _entry(dialog, page, lambda ok: dialog.result_value if ok else None)
    if visit is not None:
        _entered(ctx, actor, found, page, visit.id)


def apply_child_scan(dialog, page) -> list[QWidget]:
    """Set the child visit entry from a scanned page; mark the unsure answers. Returns the
    widgets marked for a look."""
    values = page.values
    method = dialog.widgets["method"]
    if values.get("method"):
        index = method.findData(values["method"])
        if index >= 0:
            method.setCurrentIndex(index)
    for name in ("child_seen", "safety_concern"):
        if values.get(name) is not None:
            dialog.widgets[name].setChecked(bool(values[name]))
    marked = []
    unsure_by_field: dict[str, list[str]] = {}
    for name, choice in page.unsure:
        unsure_by_field.setdefault(name, []).append(choice)
    for name, choices in unsure_by_field.items():
        widget = dialog.widgets.get(name)
        if widget is not None:
            _mark_unsure(widget, choices)
            marked.append(widget)
    return marked


def _open_retrofit(ctx: AppContext, parent: QWidget, found, page) -> None:
    """A retrofit form: the acceptance step (验收) or the assessment (入户评估) of its case at
    once; typed twice, or a case not at that step, says so and opens the case."""
    from caseworker.domain.retrofit import EDITABLE_ASSESSMENT, Action, Step
    from caseworker.services.retrofit import cases

    actor = ctx.actor
    assert actor is not None
    case_id = found.record_id
    if found.entered_ref:
        _show_entered(parent, found, "retrofit", case_id)
        return
    try:
        detail = ctx.read(lambda s: cases.detail(s, actor, case_id))
    except CaseworkerError as exc:
        show_error(parent, exc)
        return
    case = detail.case
    saved_ref: str | None = None
    if found.kind == "retrofit_acceptance":
        if case.step is not Step.INSPECTION:
            QMessageBox.information(
                parent,
                tr("验收单"),
                tr("{0}（{1}）现在是“{2}”，还不能验收：施工完成后再录入验收单。").format(
                    case.name, case.case_no, case.step.value
                ),
            )
            return
        from ui.retrofit.step_dialog import StepDialog

        action = Action.ACCEPT
        if page is not None and page.values.get("conclusion") == "不合格":
            action = Action.FAIL
        step = StepDialog(ctx, case, action, parent)
        saved_ref = _entry(
            step, page, lambda _ok: case.id if step.result_info is not None else None
        )
    else:
        if case.step not in EDITABLE_ASSESSMENT:
            QMessageBox.information(
                parent,
                tr("入户评估表"),
                tr("{0}（{1}）现在是“{2}”，不能录入评估项目。").format(
                    case.name, case.case_no, case.step.value
                ),
            )
            return
        from ui.retrofit.assessment_editor import AssessmentEditor

        editor = AssessmentEditor(ctx, detail, parent)
        saved_ref = _entry(editor, page, lambda _ok: case.id if editor.saved else None)
    if saved_ref is not None:
        _entered(ctx, actor, found, page, saved_ref)


def _open_visit(ctx: AppContext, parent: QWidget, found, page) -> None:
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
    scanned = page if visit is None else None  # an entered visit opens as it was saved
    if scanned is not None:
        apply_scan(form, scanned)
    saved = _entry(form, scanned, lambda _ok: form.saved)
    if saved is not None:
        _entered(ctx, actor, found, page, saved.id)
        # what follows a visit typed by name follows one opened by its code or scan too (the
        # offer of a retrofit application when the visit found that need)
        window = _main_window(parent)
        behind = getattr(window, "page_behind", None)
        signal = getattr(behind("elderly"), "visit_saved", None) if callable(behind) else None
        if signal is not None:
            signal.emit(saved)


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


def _entry(dialog: Any, page: Any, outcome: Callable[[bool], T]) -> T:
    """Run a paper form's entry dialog (beside the scan's handwriting when scanned) and give
    what it saved (`outcome(accepted)`: None when nothing was)."""
    if page is not None:
        _add_handwriting(dialog, page)
    accepted = bool(dialog.exec())
    saved = outcome(accepted)
    dialog.deleteLater()
    return saved


def _entered(ctx: AppContext, actor: Any, found: Any, page: Any, record_id: str) -> None:
    """The form is entered as `record_id`: a scanned page is kept with it; a form opened by
    its typed code is marked entered (neither opens it again for entry)."""
    if page is not None:
        from caseworker.services import scans

        scans.keep_original(ctx.ws, actor, found, page.reading, record_id)
    else:
        from caseworker.services import paper

        paper.mark_entered(ctx.ws.engine, actor, found.form_id, record_id)


def _add_handwriting(dialog: QWidget, page) -> None:
    """The page's handwritten areas cut out, shown below the entry to read beside the typed
    fields (a form without such areas gets its whole page, small)."""
    from caseworker.scan import templates

    template = templates.for_kind(page.found.kind, page.found.template)
    box = QWidget()
    box.setObjectName("scan_handwriting")
    col = QVBoxLayout(box)
    col.addWidget(QLabel(tr("原件手写内容（扫描）：")))
    crops = [
        (name, page.reading.crop(rect, template.size[1], dpi=100)) for name, rect in template.areas
    ]
    if not template.areas and page.reading.image is not None:
        whole = page.reading.image.copy()
        whole.thumbnail((700, 990))
        crops = [("page", whole)]
    for name, crop in crops:
        if crop is None:
            continue
        label = QLabel()
        label.setObjectName(f"scan_{name}")
        label.setPixmap(QPixmap.fromImage(_qimage(crop)))
        col.addWidget(label)
    scroll = QScrollArea()
    scroll.setWidget(box)
    scroll.setMaximumHeight(220)
    layout = dialog.layout()
    if layout is not None:
        layout.addWidget(scroll)


class ScanImport(QDialog):
    """导入扫描件: the pages of a batch with their notes; Enter, a double click or 打开录入 opens a
    page's entry. The list keeps what was read, not the page images (a batch of 300 pages would
    hold 300 of them): a page is read again from its file when it is opened."""

    def __init__(self, ctx: AppContext, parent: QWidget | None, files: list[Path]) -> None:
        super().__init__(parent)
        from caseworker.services import scans
        from ui.progress import run_with_progress

        self.ctx = ctx
        self.setWindowTitle(tr("导入扫描件"))
        actor = ctx.actor
        assert actor is not None

        def job(progress) -> list:  # type: ignore[no-untyped-def]
            def step(done: int, total: int) -> None:
                progress(done, total, tr("正在识别扫描件：第 {0} / {1} 页").format(done, total))

            return [
                scans.without_image(p)
                for p in scans.read_files(ctx.ws, actor, files, progress=step)
            ]

        self.pages = run_with_progress(
            ctx.runner, job, self, tr("正在识别扫描件…"), cancellable=True
        )
        self.table = QTableWidget(len(self.pages), 4)
        self.table.setObjectName("scan_pages")
        self.table.setHorizontalHeaderLabels([tr("文件"), tr("页"), tr("表"), tr("说明")])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for r in range(len(self.pages)):
            self._fill(r)
        self.table.resizeColumnsToContents()
        self.table.cellDoubleClicked.connect(lambda r, _c: self.open_row(r))
        self.table.installEventFilter(self)
        counts: dict[str, int] = {}
        for p in self.pages:
            counts[p.status] = counts.get(p.status, 0) + 1
        summary = QLabel(
            tr("共 {0} 页：").format(len(self.pages))
            + "，".join(f"{scans.STATUS_TEXT[k]} {v}" for k, v in counts.items())
        )
        summary.setObjectName("scan_summary")
        open_button = QPushButton(tr("打开录入"))
        open_button.clicked.connect(lambda: self.open_row(self.table.currentRow()))
        close = QPushButton(tr("关闭"))
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(summary)
        buttons.addStretch(1)
        buttons.addWidget(open_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.resize(900, 500)
        if self.pages:
            self.table.setCurrentCell(0, 0)

    def _fill(self, row: int) -> None:
        p = self.pages[row]
        texts = (p.source.name, str(p.number), p.found.title if p.found else "", p.note)
        for c, text in enumerate(texts):
            self.table.setItem(row, c, QTableWidgetItem(text))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            obj is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.open_row(self.table.currentRow())
            return True
        return super().eventFilter(obj, event)

    def open_row(self, row: int) -> None:
        from caseworker.services import paper, scans

        if not (0 <= row < len(self.pages)):
            return
        page = self.pages[row]
        actor = self.ctx.actor
        assert actor is not None
        if page.status in (scans.BLANK, scans.REFUSED, scans.REPEATED):
            QMessageBox.information(self, tr("导入扫描件"), page.note)
            return
        try:
            if page.found is None:  # the code could not be read: she says which form it is
                text, ok = QInputDialog.getText(
                    self,
                    tr("输入表格编码"),
                    tr("二维码无法识别。请输入表上二维码旁印的 20 位编码（不会自动猜测）："),
                )
                if not ok or not text.strip():
                    return
                opened = scans.read_as(self.ctx.ws, actor, page, text)
            else:
                opened = scans.read_again(self.ctx.ws, actor, page)
        except CaseworkerError as exc:
            show_error(self, exc)
            return
        assert opened.found is not None
        open_code(self.ctx, self, opened.found.code, opened)
        # what the entry did: a form saved now is entered (listed as such; never twice)
        try:
            found = self.ctx.read(lambda s: paper.resolve(s, actor, opened.found.code))
        except CaseworkerError:
            return
        if found.entered_ref and page.status != scans.ENTERED:
            page.found = found
            page.status = scans.ENTERED
            page.note = tr("已录入")
            self._fill(row)


def import_scans(ctx: AppContext, parent: QWidget) -> None:
    from ui.tasks import Cancelled
    from ui.widgets.file_dialogs import open_paths

    files = open_paths(
        parent, "scans", tr("选择扫描件"), tr("扫描件 (*.pdf *.tif *.tiff *.jpg *.jpeg *.png)")
    )
    if not files:
        return
    try:
        dialog = ScanImport(ctx, parent, files)
    except Cancelled:
        return
    except CaseworkerError as exc:
        show_error(parent, exc)
        return
    dialog.exec()
    dialog.deleteLater()
