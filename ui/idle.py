"""Idle lock: after the configured minutes without keyboard or mouse input, the window is hidden
behind a lock dialog that needs the same person's password (or a switch of user).

Every other window of the application (a visit form open in a modal dialog, a message box) is
covered by an opaque sheet and loses its title while locked: it cannot be hidden without ending
its `exec()` (which would discard what was typed), and the lock dialog, application-modal and
opened last, takes all input."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.widgets.dialogs import press_focused_button

_INPUT_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
}


class IdleWatcher(QObject):
    idle = Signal()

    def __init__(self, minutes: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.limit_s = minutes * 60
        self._clock = clock
        self.last_input = clock()
        self.paused = False
        self.timer = QTimer(self)
        self.timer.setInterval(5_000)
        self.timer.timeout.connect(self.check)
        from ui.widgets import app_filters

        app_filters.install(self)  # paused while pages are built (ui/widgets/app_filters.py)
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS:
            self.last_input = self._clock()
        return False

    def check(self) -> None:
        if not self.paused and self._clock() - self.last_input >= self.limit_s:
            self.paused = True
            self.idle.emit()

    def resume(self) -> None:
        self.last_input = self._clock()
        self.paused = False

    def stop(self) -> None:
        self.timer.stop()
        from ui.widgets import app_filters

        app_filters.remove(self)


class Cover(QWidget):
    """An opaque sheet over a window's whole contents, with a neutral title, while locked."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window_ = window
        self.title = window.windowTitle()
        self.setObjectName("lockCover")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#lockCover { background: #3c4a5c; } QLabel { color: white; }")
        label = QLabel(self.tr("已锁定"), self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        window.setWindowTitle(self.tr("街道民政工作台（已锁定）"))
        window.installEventFilter(self)
        self.setGeometry(window.rect())
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window_ and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.setGeometry(self.window_.rect())
            self.raise_()
        elif watched is self.window_ and event.type() == QEvent.Type.ChildAdded:
            QTimer.singleShot(0, self.raise_)  # a widget added later stays underneath
        return False

    def remove(self) -> None:
        self.window_.removeEventFilter(self)
        self.window_.setWindowTitle(self.title)
        self.hide()
        self.deleteLater()


def cover_windows(keep: QWidget | None = None) -> list[Cover]:
    """Close open popups and cover every visible top-level window except `keep`."""
    while (popup := QApplication.activePopupWidget()) is not None:
        popup.close()
    return [
        Cover(w)
        for w in QApplication.topLevelWidgets()
        if w.isVisible() and w is not keep and not isinstance(w, LockDialog)
    ]


class LockDialog(QDialog):
    """`unlock(password)` returns None when the password opens the lock, else the message to
    show (wrong password, account locked out or changed); `switch_user` leaves to the login."""

    switch_user = Signal()

    def __init__(
        self,
        user_name: str,
        office_name: str,
        unlock: Callable[[str], str | None],
        *,
        automatic: bool = True,
    ) -> None:
        super().__init__()
        self._unlock = unlock
        self._switching = False
        self._trying = False
        # Application-modal and opened last: it takes input from every other window, including
        # a modal dialog that was open when the screen locked.
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowTitle(self.tr("已锁定"))
        self.setMinimumWidth(360)
        title = QLabel(self.tr("屏幕已锁定"))
        title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        why = (
            self.tr("长时间无操作，为保护居民信息已自动锁定。")
            if automatic
            else self.tr("屏幕已锁定，输入密码继续工作。")
        )
        who = QLabel(f"{user_name} · {office_name}\n{why}")
        who.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("输入密码解锁"))
        self.message = QLabel()
        self.message.setStyleSheet("color: #b00020;")
        # No default button: Enter in the password field is answered by returnPressed, and a
        # default button would take the same Enter a second time (press_focused_button serves
        # Enter on a focused button).
        unlock_button = QPushButton(self.tr("解锁"))
        unlock_button.setAutoDefault(False)
        switch_button = QPushButton(self.tr("切换用户"))
        switch_button.setAutoDefault(False)
        unlock_button.clicked.connect(self._try)
        self.password.returnPressed.connect(self._try)
        switch_button.clicked.connect(self._switch)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(switch_button)
        buttons.addWidget(unlock_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(who)
        layout.addWidget(self.password)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    def _try(self) -> None:
        if self._trying or self.result() == QDialog.DialogCode.Accepted:
            return  # a second Enter while the password is checked
        self._trying = True
        try:
            message = self._unlock(self.password.text())
        finally:
            self._trying = False
        if message is None:
            self.accept()
        else:
            self.message.setText(message)
            self.password.selectAll()
            self.password.setFocus()

    def _switch(self) -> None:
        self._switching = True
        self.switch_user.emit()
        self.done(QDialog.DialogCode.Rejected)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Esc must not close the lock: only the password or "switch user" may.
        if event.key() == Qt.Key.Key_Escape or press_focused_button(self, event):
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.result() == QDialog.DialogCode.Accepted or self._switching:
            super().closeEvent(event)
        else:
            event.ignore()
