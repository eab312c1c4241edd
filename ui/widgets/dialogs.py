"""Small pieces every dialog uses: OK/Cancel buttons with Chinese labels."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox


def ok_cancel(
    dialog: QDialog, ok_text: str = "", on_ok: Callable[[], None] | None = None
) -> QDialogButtonBox:
    """OK (labelled `ok_text`, default 确定) and 取消; OK runs `on_ok` or accepts the dialog."""
    tr = QCoreApplication.translate
    box = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    box.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text or tr("Caseworker", "确定"))
    box.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Caseworker", "取消"))
    box.accepted.connect(on_ok or dialog.accept)
    box.rejected.connect(dialog.reject)
    return box
