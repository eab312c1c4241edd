"""Sections that show a message instead of content: not built yet (said plainly, no fake
content), or not for this person's role."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.messages import tr


class _MessagePage(QWidget):
    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        heading = QLabel(title)
        heading.setStyleSheet("font-size: 16pt; font-weight: bold;")
        body = QLabel(text)
        body.setWordWrap(True)
        body.setStyleSheet("color: #555; font-size: 11pt;")
        layout = QVBoxLayout(self)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(heading)
        layout.addSpacing(8)
        layout.addWidget(body)


class NotBuiltPage(_MessagePage):
    def __init__(self, title: str, what: str) -> None:
        super().__init__(
            title, tr("此功能尚未开放。") + "\n" + what + "\n" + tr("开放后会随程序更新提供。")
        )


class NoAccessPage(_MessagePage):
    """A section this person's role may not see (e.g. the roster for child-protection staff)."""

    def __init__(self, title: str, why: str) -> None:
        super().__init__(title, why + "\n" + tr("如需使用，请联系系统管理员调整角色。"))
