"""账号 (区级管理员): the bureau's accounts on the hub — new account, disable or enable, reset a
password, change a role — through `caseworker.district.accounts` (journaled as the admin)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caseworker.district import accounts
from caseworker.domain.errors import CaseworkerError
from caseworker.domain.roles import DISTRICT_ROLE_LABELS, DistrictRole
from ui.context import AppContext
from ui.district.dialogs import NewAccountDialog
from ui.widgets.table_models import read_only_table

COLUMNS = ("登录名", "姓名", "角色", "电话", "状态", "最近登录")


class AccountsPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: list[accounts.AccountInfo] = []
        title = QLabel(self.tr("账号：区民政局的工作人员"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.new_button = QPushButton(self.tr("新建账号(&N)…"))
        self.toggle_button = QPushButton(self.tr("停用/启用(&T)"))
        self.reset_button = QPushButton(self.tr("重置密码(&P)…"))
        self.role_button = QPushButton(self.tr("更改角色(&R)…"))
        self.new_button.clicked.connect(self.new_account)
        self.toggle_button.clicked.connect(self.toggle)
        self.reset_button.clicked.connect(self.reset_password)
        self.role_button.clicked.connect(self.change_role)
        row = QHBoxLayout()
        for b in (self.new_button, self.toggle_button, self.reset_button, self.role_button):
            row.addWidget(b)
        row.addStretch()
        self.table = read_only_table([self.tr(c) for c in COLUMNS], ())
        note = QLabel(
            self.tr(
                "区级管理员：街道、设备、密钥和账号；区级业务员：收发数据包、转移、更正、冲突、"
                "重复人员、参数和改造目录；统计员：统计报表；区未保中心：儿童统计和密钥恢复。"
            )
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        self.refresh()

    def refresh(self) -> None:
        actor = self.ctx.actor
        assert actor is not None
        # a few dozen accounts at most: one indexed read on the UI thread
        self.rows = self.ctx.read(lambda s: accounts.list_accounts(s, actor))
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            values = (
                r.username,
                r.display_name,
                r.role_label,
                r.phone,
                self.tr("已停用") if r.disabled else self.tr("启用"),
                f"{r.last_login_at:%Y-%m-%d %H:%M}" if r.last_login_at else "",
            )
            for j, value in enumerate(values):
                self.table.setItem(i, j, QTableWidgetItem(value))
        if self.rows and self.table.currentRow() < 0:
            self.table.selectRow(0)

    def current(self) -> accounts.AccountInfo | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _write(self, fn, parent: QWidget | None = None) -> str | None:
        try:
            self.ctx.write_wait(fn, parent=parent or self)
        except CaseworkerError as exc:
            return str(exc)
        return None

    def new_account(self) -> None:
        def apply(username: str, name: str, role: DistrictRole, phone: str, pw: str) -> str | None:
            draft = accounts.AccountDraft(username, name, role, phone)
            return self._write(lambda s, a: accounts.create_account(s, a, draft, pw), dialog)

        dialog = NewAccountDialog(None, apply)
        if dialog.exec():
            self.refresh()

    def toggle(self) -> None:
        r = self.current()
        if r is None:
            return
        error = self._write(lambda s, a: accounts.set_disabled(s, a, r.id, not r.disabled))
        if error:
            QMessageBox.warning(self, self.tr("无法完成"), error)
        self.refresh()

    def reset_password(self) -> None:
        r = self.current()
        if r is None:
            return
        pw, ok = QInputDialog.getText(
            self,
            self.tr("重置密码"),
            self.tr("{0} 的新密码（对方首次登录时须改成自己的密码）：").format(r.display_name),
            QLineEdit.EchoMode.Password,
        )
        if not ok:
            return
        error = self._write(lambda s, a: accounts.reset_password(s, a, r.id, pw))
        if error:
            QMessageBox.warning(self, self.tr("无法完成"), error)
        else:
            QMessageBox.information(self, self.tr("重置密码"), self.tr("密码已重置。"))
        self.refresh()

    def change_role(self) -> None:
        r = self.current()
        if r is None:
            return
        labels = [DISTRICT_ROLE_LABELS[role] for role in DistrictRole]
        label, ok = QInputDialog.getItem(
            self,
            self.tr("更改角色"),
            self.tr("{0} 的角色：").format(r.display_name),
            labels,
            labels.index(r.role_label),
            False,
        )
        if not ok:
            return
        role = list(DistrictRole)[labels.index(label)]
        error = self._write(lambda s, a: accounts.set_role(s, a, r.id, role))
        if error:
            QMessageBox.warning(self, self.tr("无法完成"), error)
        self.refresh()
