"""Login dialog (shown at once, before the workspace has finished opening) and password change."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.widgets.dialogs import ok_cancel, press_focused_button


class LoginDialog(QDialog):
    """Username and password. Emits `submitted`; the controller answers with `show_message`."""

    submitted = Signal(str, str)

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self._settings = settings
        self.setWindowTitle(self.tr("登录"))  # Qt adds the application name
        self.setMinimumWidth(380)
        self.title = QLabel(self.tr("街道民政工作台"))
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setStyleSheet("font-size: 18pt; font-weight: bold; margin: 8px;")
        self.office = QLabel(self.tr("正在打开工作区…"))
        self.office.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.username = QLineEdit()
        self.username.setPlaceholderText(self.tr("登录名"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("密码"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555;")
        form = QFormLayout()
        form.addRow(self.tr("登录名："), self.username)
        form.addRow(self.tr("密码："), self.password)
        # Plain buttons, not a QDialogButtonBox: it would make "登录" the default button and
        # Enter in the password field would then submit twice. Enter is handled by the line
        # edits (username → password → log in).
        buttons = QHBoxLayout()
        self.login_button = QPushButton(self.tr("登录"))
        self.login_button.setAutoDefault(False)
        self.login_button.setEnabled(False)
        quit_button = QPushButton(self.tr("退出"))
        quit_button.setAutoDefault(False)
        quit_button.clicked.connect(self.reject)
        buttons.addStretch()
        buttons.addWidget(self.login_button)
        buttons.addWidget(quit_button)
        self.login_button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        self.username.returnPressed.connect(self.password.setFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.office)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        if settings is not None:
            self.username.setText(str(settings.value("login/last_username", "")))
        (self.password if self.username.text() else self.username).setFocus()

    def set_ready(self, office_name: str, hint: str = "") -> None:
        self.office.setText(office_name)
        self.hint.setText(hint)
        self.login_button.setEnabled(True)

    def set_busy(self, busy: bool) -> None:
        # Keys typed while the password is being checked would land in a field that is about
        # to be selected for retyping: hold the fields until the answer is back.
        self.login_button.setEnabled(not busy)
        self.username.setReadOnly(busy)
        self.password.setReadOnly(busy)
        if busy:
            self.message.setText(self.tr("正在验证…"))

    def show_message(self, text: str) -> None:
        self.set_busy(False)
        self.message.setText(text)
        self.password.selectAll()
        self.password.setFocus()

    def for_another_person(self) -> None:
        """After 切换用户 the next person is someone else: the cursor goes to 登录名 with the
        previous name selected, so typing replaces it (a plain start keeps the password focused)."""
        self.password.clear()
        self.message.clear()
        self.username.selectAll()
        self.username.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not press_focused_button(self, event):  # Enter on the focused 登录 or 退出
            super().keyPressEvent(event)

    def _submit(self) -> None:
        if not self.login_button.isEnabled():
            return
        name = self.username.text().strip()
        if not name:
            self.show_message(self.tr("请输入登录名"))
            self.username.setFocus()
            return
        if not self.password.text():
            self.show_message(self.tr("请输入密码"))
            return
        if self._settings is not None:
            self._settings.setValue("login/last_username", name)
        self.set_busy(True)
        self.submitted.emit(name, self.password.text())


class ChangePasswordDialog(QDialog):
    """Old password, new one twice; `apply(old, new)` changes it or returns the refusal."""

    def __init__(
        self,
        parent: QWidget | None,
        apply: Callable[[str, str], str | None],
        *,
        forced: bool = False,
        min_length: int = 8,
    ) -> None:
        super().__init__(parent)
        self._apply = apply
        self.setWindowTitle(self.tr("修改密码"))
        self.rule = QLabel(
            self.tr(
                "新密码至少 {0} 位，须同时包含字母和数字，不能全是空格或同一个字符重复。"
            ).format(min_length)
        )
        self.rule.setWordWrap(True)
        self.old = QLineEdit()
        self.new = QLineEdit()
        self.again = QLineEdit()
        for edit in (self.old, self.new, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        form = QFormLayout()
        if forced:
            note = QLabel(self.tr("首次登录或密码被重置后，请先设置自己的新密码。"))
            note.setWordWrap(True)
            form.addRow(note)
        form.addRow(self.rule)
        form.addRow(self.tr("原密码："), self.old)
        form.addRow(self.tr("新密码："), self.new)
        form.addRow(self.tr("再输一次："), self.again)
        form.addRow(self.message)
        buttons = ok_cancel(self, on_ok=self._check)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _check(self) -> None:
        if self.new.text() != self.again.text():
            self.message.setText(self.tr("两次输入的新密码不一致"))
            self.again.setFocus()
            return
        error = self._apply(self.old.text(), self.new.text())
        if error:
            self.message.setText(error)
            return
        self.accept()
