"""The sectioned main window both applications use (the office's workbench and the district
console): a section list on the left beside a stack holding one placeholder per section, which
the window swaps for the real page on the section's first visit; a 转到 menu with Ctrl+1,
Ctrl+2… for the sections; its size and place kept between runs; `closed` when the person closes
it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QWidget,
)

from ui.widgets import screen

NAV_STYLE = (
    "#nav { font-size: 12pt; background: #f3f5f8; border: none; }"
    "#nav::item { padding: 10px 8px; }"
    "#nav::item:selected { background: #1f5fa8; color: white; }"
)


class SectionWindow(QMainWindow):
    closed = Signal()  # by the person (退出, the title bar's ×): the application ends

    def __init__(self, settings: QSettings, geometry_key: str) -> None:
        super().__init__()
        self.settings = settings
        self.geometry_key = geometry_key

    def set_up_sections(self, titles: Sequence[str], width: int) -> None:
        """The section list (`width` pixels wide, named "nav") and the stack, as the central
        widget; the caller connects the list's row to the section it shows."""
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(width)
        self.nav.setStyleSheet(NAV_STYLE)
        for i, title in enumerate(titles):
            self.nav.addItem(title)
            self.nav.item(i).setToolTip(f"Ctrl+{i + 1}")
        self.stack = QStackedWidget()
        for _ in titles:
            self.stack.addWidget(QWidget())  # real pages are built on first visit
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

    def add_go_menu(self, titles: Sequence[str], go: Callable[[int], None]) -> QMenu:
        """转到: one entry a section, Ctrl+1, Ctrl+2… in order."""
        menu = self.menuBar().addMenu(self.tr("转到(&G)"))
        for i, title in enumerate(titles):
            action = QAction(title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _c=False, row=i: go(row))
            menu.addAction(action)
        return menu

    def restore_geometry(self, first_height: int) -> None:
        """The size and place of the last run; the first time (or when those do not fit this
        screen) the whole screen: office PCs are often 1366x768."""
        if not screen.restore_geometry(self.settings, self.geometry_key, self):
            self.resize(1280, first_height)
            self.setWindowState(Qt.WindowState.WindowMaximized)

    def save_geometry(self) -> None:
        screen.save_geometry(self.settings, self.geometry_key, self)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_geometry()
        super().closeEvent(event)
        self.closed.emit()
