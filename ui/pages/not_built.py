"""A section that is not built yet says so plainly, with no fake content."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class NotBuiltPage(QWidget):
    def __init__(self, title: str, what: str) -> None:
        super().__init__()
        heading = QLabel(title)
        heading.setStyleSheet("font-size: 16pt; font-weight: bold;")
        body = QLabel(
            self.tr("此功能尚未开放。") + "\n" + what + "\n" + self.tr("开放后会随程序更新提供。")
        )
        body.setWordWrap(True)
        body.setStyleSheet("color: #555; font-size: 11pt;")
        layout = QVBoxLayout(self)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(heading)
        layout.addSpacing(8)
        layout.addWidget(body)
