"""街道 (区级管理员): every enrolled office with its communities, devices and last contact; enroll
a new office — its enrollment file saved for the stick, its passphrase shown once, to be told
or handed over on paper (printable), never written on the stick."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caseworker.district import console, service
from caseworker.domain.errors import CaseworkerError
from ui.context import AppContext
from ui.district.dashboard import local
from ui.widgets import file_dialogs
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.dialogs import ok_cancel

COLUMNS = ("代码", "街道", "社区/村", "设备", "最近报送", "登记时间")


class EnrollDialog(QDialog):
    """Code, name and communities; `apply(code, name, communities)` enrolls or says why not."""

    def __init__(
        self, parent: QWidget | None, apply: Callable[[str, str, str], str | None]
    ) -> None:
        super().__init__(parent)
        self._apply = apply
        self.setWindowTitle(self.tr("登记街道"))
        self.setMinimumWidth(460)
        self.code = QLineEdit()
        self.code.setPlaceholderText(self.tr("9 位街道（乡镇）代码"))
        self.code.setMaxLength(12)
        self.name = QLineEdit()
        self.name.setMaxLength(100)
        self.communities = QPlainTextEdit()
        self.communities.setPlaceholderText(self.tr("每行一个社区或村"))
        self.communities.setTabChangesFocus(True)
        self.communities.setFixedHeight(120)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        form = QFormLayout()
        form.addRow(self.tr("街道代码："), self.code)
        form.addRow(self.tr("街道名称："), self.name)
        form.addRow(self.tr("社区和村："), self.communities)
        form.addRow(QLabel(self.tr("确定后选择登记文件保存到哪里（U 盘），口令只显示一次。")))
        form.addRow(self.message)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self, self.tr("登记并保存登记文件…"), self._check))

    def _check(self) -> None:
        error = self._apply(self.code.text(), self.name.text(), self.communities.toPlainText())
        if error:
            self.message.setText(error)
            return
        self.accept()


class PassphraseDialog(QDialog):
    """The passphrase, shown once, large, with a sheet to print for hand delivery."""

    def __init__(self, parent: QWidget | None, added: service.OfficeAdded) -> None:
        super().__init__(parent)
        self.added = added
        self.setWindowTitle(self.tr("登记口令（只显示这一次）"))
        intro = QLabel(
            self.tr(
                "已登记 {0}（{1}），登记文件：\n{2}\n\n请把登记文件和口令分开交给街道："
                "口令当面或电话告知，或打印后当面交付，不要写在 U 盘上。"
            ).format(added.name, added.code, added.path)
        )
        intro.setWordWrap(True)
        self.passphrase = QLabel(added.passphrase)
        font = QFont(self.passphrase.font())
        font.setPointSize(20)
        font.setBold(True)
        self.passphrase.setFont(font)
        self.print_button = QPushButton(self.tr("打印交付单(&P)…"))
        self.print_button.clicked.connect(self.print_sheet)
        done = QPushButton(self.tr("我已记下(&O)"))
        done.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.print_button)
        buttons.addWidget(done)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.passphrase)
        layout.addLayout(buttons)
        done.setFocus()

    def sheet_html(self) -> str:
        a = self.added
        return (
            f"<h2>街道登记口令交付单</h2><p>街道：{a.name}（{a.code}）</p>"
            f"<p>登记口令：<b style='font-size:20pt'>{a.passphrase}</b></p>"
            f"<p>登记文件：{a.path.name}（另行用 U 盘交付）</p>"
            "<p>交付人：＿＿＿＿＿＿　接收人：＿＿＿＿＿＿　日期：＿＿＿＿＿＿</p>"
        )

    def print_sheet(self) -> None:
        from PySide6.QtGui import QTextDocument
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter()
        if QPrintDialog(printer, self).exec():
            doc = QTextDocument()
            doc.setHtml(self.sheet_html())
            doc.print_(printer)


class OfficesPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.entries: list[console.OfficeEntry] = []
        title = QLabel(self.tr("街道：登记与设备"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.enroll_button = QPushButton(self.tr("登记街道(&N)…"))
        self.enroll_button.clicked.connect(self.enroll)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch()
        head.addWidget(self.enroll_button)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        for i, w in enumerate((90, 150, 380, 200, 130)):
            self.table.setColumnWidth(i, w)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.table, 1)
        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.table).set_busy)
        self.last_added: service.OfficeAdded | None = None
        self.refresh()

    def refresh(self) -> None:
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        self.reader.start(lambda _s: console.office_list(hub, actor), self._show)  # type: ignore[arg-type]

    def _show(self, entries: list[console.OfficeEntry]) -> None:
        self.entries = entries
        self.table.setRowCount(len(entries))
        for i, e in enumerate(entries):
            devices = "，".join(f"{d.device_id[:8]}…（{d.state}）" for d in e.devices)
            values = (
                e.code,
                e.name,
                "、".join(e.communities),
                devices,
                local(e.last_contact),
                local(e.enrolled_at),
            )
            for j, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(i, j, item)

    def enroll(self) -> None:
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None

        def apply(code: str, name: str, communities: str) -> str | None:
            out = file_dialogs.save_path(
                dialog,
                "district_enrollment",
                self.tr("保存登记文件"),
                f"{code.strip()}-{name.strip()}.cwenroll",
                self.tr("登记文件 (*.cwenroll)"),
                None,
                ".cwenroll",
            )
            if out is None:
                return self.tr("没有保存登记文件，街道未登记。")
            try:
                from ui.progress import run_with_progress

                self.last_added = run_with_progress(
                    self.ctx.runner,
                    lambda: console.enroll_office(hub, actor, code, name, communities, Path(out)),  # type: ignore[arg-type]
                    dialog,
                    self.tr("正在登记…"),
                )
            except CaseworkerError as exc:
                return str(exc)
            return None

        dialog = EnrollDialog(self, apply)
        if dialog.exec() and self.last_added is not None:
            self.passphrase_dialog = PassphraseDialog(self, self.last_added)
            self.passphrase_dialog.open()
            self.ctx.changed.emit(frozenset({"office"}))
            self.refresh()
