"""The frame of a sectioned main window (the office's workbench and the district console): a
section list on the left (Ctrl+1, Ctrl+2… on each) beside a stack holding one placeholder per
section, which the window swaps for the real page on the section's first visit."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QHBoxLayout, QListWidget, QMainWindow, QStackedWidget, QWidget

NAV_STYLE = (
    "#nav { font-size: 12pt; background: #f3f5f8; border: none; }"
    "#nav::item { padding: 10px 8px; }"
    "#nav::item:selected { background: #1f5fa8; color: white; }"
)


def section_frame(
    window: QMainWindow, titles: Sequence[str], width: int
) -> tuple[QListWidget, QStackedWidget]:
    """Set the section list (`width` pixels wide, named "nav") and the stack as `window`'s
    central widget; the caller connects the list's row to the section it shows."""
    nav = QListWidget()
    nav.setObjectName("nav")
    nav.setFixedWidth(width)
    nav.setStyleSheet(NAV_STYLE)
    for i, title in enumerate(titles):
        nav.addItem(title)
        nav.item(i).setToolTip(f"Ctrl+{i + 1}")
    stack = QStackedWidget()
    for _ in titles:
        stack.addWidget(QWidget())  # real pages are built on first visit
    central = QWidget()
    row = QHBoxLayout(central)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(0)
    row.addWidget(nav)
    row.addWidget(stack, 1)
    window.setCentralWidget(central)
    return nav, stack
