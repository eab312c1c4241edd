"""The district console's small dialogs: the first administrator of a hub without accounts, and
a new account (区级管理员 only)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from caseworker.domain.roles import DISTRICT_ROLE_LABELS, DistrictRole
from ui.widgets.dialogs import ok_cancel

RULE = "密码至少 8 位，须同时包含字母和数字，不能全是空格或同一个字符重复。"


class FirstAdminDialog(QDialog):
    """A hub without any account (set up before the console existed, or just initialised) gets
    its first 区级管理员 here. `apply(username, name, password)` returns the refusal or None."""

    def __init__(self, hub_name: str, apply: Callable[[str, str, str], str | None]) -> None:
        super().__init__()
        self._apply = apply
        self.setWindowTitle(self.tr("设置区级管理员"))
        self.setMinimumWidth(440)
        intro = QLabel(
            self.tr(
                "{0}\n区级平台还没有账号。请设置第一个区级管理员，"
                "之后由他为业务员、统计员和区未保中心建立账号。"
            ).format(hub_name)
        )
        intro.setWordWrap(True)
        self.username = QLineEdit()
        self.username.setMaxLength(40)
        self.username.setPlaceholderText(self.tr("字母、数字、下划线或点"))
        self.display_name = QLineEdit()
        self.display_name.setMaxLength(60)
        self.password = QLineEdit()
        self.again = QLineEdit()
        for edit in (self.password, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        form = QFormLayout()
        form.addRow(intro)
        form.addRow(self.tr("登录名："), self.username)
        form.addRow(self.tr("姓名："), self.display_name)
        form.addRow(QLabel(self.tr(RULE)))
        form.addRow(self.tr("密码："), self.password)
        form.addRow(self.tr("再输一次："), self.again)
        form.addRow(self.message)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self, self.tr("完成"), self._check))
        self.username.setFocus()

    def _check(self) -> None:
        if self.password.text() != self.again.text():
            self.message.setText(self.tr("两次输入的密码不一致"))
            self.again.setFocus()
            return
        error = self._apply(self.username.text(), self.display_name.text(), self.password.text())
        if error:
            self.message.setText(error)
            return
        self.accept()


class NewAccountDialog(QDialog):
    """A new account: name, role and a first password the person changes at the first login.
    `apply(username, name, role, phone, password)` returns the refusal or None."""

    def __init__(
        self,
        parent: QDialog | None,
        apply: Callable[[str, str, DistrictRole, str, str], str | None],
    ) -> None:
        super().__init__(parent)
        self._apply = apply
        self.setWindowTitle(self.tr("新建账号"))
        self.setMinimumWidth(420)
        self.username = QLineEdit()
        self.username.setMaxLength(40)
        self.display_name = QLineEdit()
        self.display_name.setMaxLength(60)
        self.role = QComboBox()
        for role in DistrictRole:
            self.role.addItem(DISTRICT_ROLE_LABELS[role], role)
        self.role.setCurrentIndex(1)  # 区级业务员: the account made most often
        self.phone = QLineEdit()
        self.phone.setMaxLength(40)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        form = QFormLayout()
        form.addRow(self.tr("登录名："), self.username)
        form.addRow(self.tr("姓名："), self.display_name)
        form.addRow(self.tr("角色："), self.role)
        form.addRow(self.tr("电话："), self.phone)
        form.addRow(self.tr("初始密码："), self.password)
        note = QLabel(self.tr(RULE + "首次登录时须改成自己的密码。"))
        note.setWordWrap(True)
        form.addRow(note)
        form.addRow(self.message)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self, self.tr("建立"), self._check))

    def _check(self) -> None:
        error = self._apply(
            self.username.text(),
            self.display_name.text(),
            self.role.currentData(),
            self.phone.text(),
            self.password.text(),
        )
        if error:
            self.message.setText(error)
            return
        self.accept()
