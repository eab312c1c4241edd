"""Small pieces every dialog uses: OK/Cancel and Save/Cancel buttons with Chinese labels, Enter on a focused
button."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ui.context import AppContext

T = TypeVar("T")


def ok_cancel(
    dialog: QDialog, ok_text: str = "", on_ok: Callable[[], None] | None = None
) -> QDialogButtonBox:
    """OK (labelled `ok_text`, default 确定) and 取消; OK runs `on_ok` or accepts the dialog."""
    return _buttons(dialog, QDialogButtonBox.StandardButton.Ok, ok_text or "确定", on_ok)


def save_cancel(
    dialog: QDialog, on_save: Callable[[], None] | None = None, save_text: str = ""
) -> QDialogButtonBox:
    """Save (labelled `save_text`, default 保存) and 取消, for a dialog that edits a record;
    Save runs `on_save` (which checks and writes, and closes the dialog when it has) or
    accepts the dialog."""
    return _buttons(dialog, QDialogButtonBox.StandardButton.Save, save_text or "保存", on_save)


def save_and_accept(
    dialog: QDialog,
    ctx: AppContext,
    error: QLabel,
    write: Callable[[], Callable[[Session, Any], T]],
) -> tuple[bool, T | None]:
    """A dialog's 保存: `write()` reads the fields into a write (it may refuse a field), which
    runs on the writer while the dialog waits; then the dialog closes, accepted. A refusal,
    of a field or by the service, is said in the dialog's `error` line and the dialog stays
    open. Gives whether it saved and what the write returned."""
    from caseworker.domain.errors import CaseworkerError

    try:
        result = ctx.write_wait(write(), parent=dialog)
    except CaseworkerError as exc:
        error.setText(str(exc))
        return False, None
    dialog.accept()
    return True, result


def _buttons(
    dialog: QDialog,
    accept: QDialogButtonBox.StandardButton,
    text: str,
    on_accept: Callable[[], None] | None,
) -> QDialogButtonBox:
    tr = QCoreApplication.translate
    box = QDialogButtonBox(accept | QDialogButtonBox.StandardButton.Cancel)
    box.button(accept).setText(tr("Caseworker", text))
    box.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Caseworker", "取消"))
    box.accepted.connect(on_accept or dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


def press_focused_button(dialog: QDialog, event: QKeyEvent) -> bool:
    """Enter on a focused push button presses it, as on Windows. Dialogs whose fields answer
    Enter themselves (login, lock) keep their buttons off auto-default, so that Enter in the
    password field is not taken twice; Qt then ignores Enter on a focused button. Call from
    `keyPressEvent`; True when the key was used."""
    if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        return False
    if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
        return False
    focus = dialog.focusWidget()
    if isinstance(focus, QPushButton) and focus.isEnabled() and focus.isVisible():
        focus.click()
        return True
    return False
