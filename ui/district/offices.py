"""街道 (区级管理员): every enrolled office with its communities, devices and last contact; enroll
a new office — its enrollment file saved for the stick, its passphrase shown once, to be told
or handed over on paper (printable), never written on the stick; an office's devices (add one,
retire one, take a retired one back) and a re-issued enrollment (new keys and passphrase, the
old ones void), each the command line's own service with the administrator as actor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
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
from ui.widgets.table_models import read_only_table

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

    def __init__(
        self, parent: QWidget | None, added: service.OfficeAdded, *, reissued: bool = False
    ) -> None:
        super().__init__(parent)
        self.added = added
        self.reissued = reissued
        self.setWindowTitle(self.tr("登记口令（只显示这一次）"))
        done = (
            self.tr("已重新签发 {0}（{1}）的登记，原来的登记文件和口令已作废。登记文件：")
            if reissued
            else self.tr("已登记 {0}（{1}），登记文件：")
        )
        intro = QLabel(
            done.format(added.name, added.code)
            + f"\n{added.path}\n\n"
            + self.tr(
                "请把登记文件和口令分开交给街道："
                "口令当面或电话告知，或打印后当面交付，不要写在 U 盘上。"
            )
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
        again = "<p>（重新签发：原来的登记文件和口令已作废）</p>" if self.reissued else ""
        return (
            f"<h2>街道登记口令交付单</h2><p>街道：{a.name}（{a.code}）</p>{again}"
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


class DevicesDialog(QDialog):
    """One office's devices (its PCs' journal device ids): retire the selected one (its later
    bundles are refused), take a retired one back, or add a new PC's id before its first
    bundle. `apply(action, device)` ("add" or "retire") does it and returns the refusal or None;
    `reload()` gives the office's devices as they are now."""

    def __init__(
        self,
        parent: QWidget | None,
        entry: console.OfficeEntry,
        apply: Callable[[str, str], str | None],
        reload: Callable[[], list[console.Device]],
    ) -> None:
        super().__init__(parent)
        self._apply = apply
        self._reload = reload
        self.setWindowTitle(self.tr("{0}的设备").format(entry.name))
        self.setMinimumWidth(620)
        self.devices: list[console.Device] = []
        self.table = read_only_table([self.tr("设备编号"), self.tr("状态")], (320,))
        self.table.itemSelectionChanged.connect(self._enable)
        self.retire_button = QPushButton(self.tr("停用所选设备(&D)"))
        self.retire_button.clicked.connect(self.retire)
        self.restore_button = QPushButton(self.tr("恢复使用(&U)"))
        self.restore_button.clicked.connect(self.restore)
        self.new_device = QLineEdit()
        self.new_device.setMaxLength(40)
        self.new_device.setPlaceholderText(
            self.tr("新电脑在“系统 › 我的账号”里显示的 36 位设备编号")
        )
        self.new_device.returnPressed.connect(self.add)
        self.add_button = QPushButton(self.tr("添加设备(&A)"))
        self.add_button.clicked.connect(self.add)
        self.add_button.setAutoDefault(False)
        note = QLabel(
            self.tr(
                "停用的设备以后写的数据包一律不导入（已导入的不变）。登记文件或口令丢失、"
                "电脑被盗时，请用“重新签发登记”，使原来的密钥作废。"
            )
        )
        note.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        actions = QHBoxLayout()
        actions.addWidget(self.retire_button)
        actions.addWidget(self.restore_button)
        actions.addStretch()
        adding = QHBoxLayout()
        adding.addWidget(QLabel(self.tr("新设备编号：")))
        adding.addWidget(self.new_device, 1)
        adding.addWidget(self.add_button)
        close = QPushButton(self.tr("关闭"))
        close.setAutoDefault(False)
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addStretch()
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addLayout(adding)
        layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addLayout(bottom)
        self._show(entry.devices)
        self.table.setFocus()

    def _show(self, devices: list[console.Device]) -> None:
        # the enrollment's own id is the office, not a PC: only its journal devices are listed
        self.devices = [d for d in devices if d.role != "enrollment"]
        self.table.setRowCount(len(self.devices))
        for i, d in enumerate(self.devices):
            for j, value in enumerate((d.device_id, d.state)):
                self.table.setItem(i, j, QTableWidgetItem(value))
        if self.devices:
            self.table.selectRow(0)
        self._enable()

    def current(self) -> console.Device | None:
        rows = self.table.selectionModel().selectedRows()
        return self.devices[rows[0].row()] if rows else None

    def _enable(self) -> None:
        d = self.current()
        self.retire_button.setEnabled(d is not None and d.role != service.REVOKED)
        self.restore_button.setEnabled(d is not None and d.role == service.REVOKED)

    def _do(self, action: str, device: str) -> bool:
        error = self._apply(action, device)
        self.message.setText(error or "")
        if error is None:
            self._show(self._reload())
        return error is None

    def retire(self) -> None:
        d = self.current()
        if d is None:
            return
        answer = QMessageBox.question(
            self,
            self.tr("停用设备"),
            self.tr("停用设备 {0}？它以后写的数据包将不再导入。").format(d.device_id[:8]),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._do("retire", d.device_id)

    def restore(self) -> None:
        d = self.current()
        if d is not None:
            self._do("add", d.device_id)

    def add(self) -> None:
        if self._do("add", self.new_device.text()):
            self.new_device.clear()


class OfficesPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.entries: list[console.OfficeEntry] = []
        title = QLabel(self.tr("街道：登记与设备"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.enroll_button = QPushButton(self.tr("登记街道(&N)…"))
        self.enroll_button.clicked.connect(self.enroll)
        self.devices_button = QPushButton(self.tr("设备(&E)…"))
        self.devices_button.clicked.connect(self.devices)
        self.reissue_button = QPushButton(self.tr("重新签发登记(&R)…"))
        self.reissue_button.clicked.connect(self.reissue)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch()
        head.addWidget(self.devices_button)
        head.addWidget(self.reissue_button)
        head.addWidget(self.enroll_button)
        self.table = read_only_table([self.tr(c) for c in COLUMNS], (90, 150, 380, 200, 130))
        self.table.itemSelectionChanged.connect(self._enable)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.table, 1)
        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.table).set_busy)
        self.last_added: service.OfficeAdded | None = None
        self._enable()
        self.refresh()

    def refresh(self) -> None:
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        self.reader.start(lambda _s: console.office_list(hub, actor), self._show)  # type: ignore[arg-type]

    def current(self) -> console.OfficeEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows else None

    def _enable(self) -> None:
        chosen = self.current() is not None
        self.devices_button.setEnabled(chosen)
        self.reissue_button.setEnabled(chosen)

    def _show(self, entries: list[console.OfficeEntry]) -> None:
        chosen = self.current()
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
        codes = [e.code for e in entries]
        if entries:
            self.table.selectRow(codes.index(chosen.code) if chosen and chosen.code in codes else 0)
        self._enable()

    def _run(self, fn: Callable[[], object], parent: QWidget, label: str) -> object:
        from ui.progress import run_with_progress

        return run_with_progress(self.ctx.runner, fn, parent, label)

    def devices(self) -> None:
        entry = self.current()
        if entry is None:
            return
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None

        def apply(action: str, device: str) -> str | None:
            change = service.add_device if action == "add" else service.retire_device
            try:
                self._run(
                    lambda: change(hub, entry.code, device, actor=actor),  # type: ignore[arg-type]
                    dialog,
                    self.tr("正在保存…"),
                )
            except CaseworkerError as exc:
                return str(exc)
            self.ctx.changed.emit(frozenset({"office"}))
            return None

        def reload() -> list[console.Device]:
            found = self._run(
                lambda: console.office_list(hub, actor),  # type: ignore[arg-type]
                dialog,
                self.tr("正在读取…"),
            )
            for e in found:  # type: ignore[attr-defined]
                if e.code == entry.code:
                    return list(e.devices)
            return []

        dialog = DevicesDialog(self, entry, apply, reload)
        self.devices_dialog = dialog
        dialog.exec()
        self.refresh()

    def reissue(self) -> None:
        entry = self.current()
        if entry is None:
            return
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        answer = QMessageBox.question(
            self,
            self.tr("重新签发登记"),
            self.tr(
                "为 {0}（{1}）重新签发登记文件和口令？\n原来的登记文件和口令将作废："
                "用它登记的电脑发来的数据包不再导入，也读不了区里发去的数据包。"
            ).format(entry.name, entry.code),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        out = file_dialogs.save_path(
            self,
            "district_enrollment",
            self.tr("保存登记文件"),
            f"{entry.code}-{entry.name}-重新签发.cwenroll",
            self.tr("登记文件 (*.cwenroll)"),
            None,
            ".cwenroll",
        )
        if out is None:
            return
        try:
            done = self._run(
                lambda: service.reissue_enrollment(hub, entry.code, Path(out), actor=actor),  # type: ignore[arg-type]
                self,
                self.tr("正在签发…"),
            )
        except CaseworkerError as exc:
            QMessageBox.warning(self, self.tr("无法完成"), str(exc))
            return
        self.passphrase_dialog = PassphraseDialog(self, done, reissued=True)  # type: ignore[arg-type]
        self.passphrase_dialog.open()
        self.ctx.changed.emit(frozenset({"office"}))
        self.refresh()

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
