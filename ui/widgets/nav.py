"""The sectioned main window both applications use (the office's workbench and the district
console): a section list on the left beside a stack holding one placeholder per section, which
the window swaps for the real page on the section's first visit; a 转到 menu with Ctrl+1,
Ctrl+2… for the sections; its size and place kept between runs; `closed` when the person closes
it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QListWidget,
    QMainWindow,
    QMenu,
    QScrollArea,
    QStackedWidget,
    QWidget,
)

from ui.widgets import screen

NAV_STYLE = (
    "#nav { font-size: 12pt; background: #f3f5f8; border: none; }"
    "#nav::item { padding: 10px 8px; }"
    "#nav::item:selected { background: #1f5fa8; color: white; }"
)


class Section(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def build(self) -> Callable[[], QWidget]: ...


class PageScroll(QScrollArea):
    """A page in the main window. Pages are made to fit an office screen; should one still need
    more height than the window has (a new panel, a bigger font), it scrolls inside the window
    instead of making the window taller than the screen (issue 18: the retrofit case page made
    it 765 px tall, and a stacked widget is as tall as its tallest page, for ever)."""

    def __init__(self, page: QWidget) -> None:
        super().__init__()
        self.setWidget(page)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)


class SectionWindow(QMainWindow):
    closed = Signal()  # by the person (退出, the title bar's ×): the application ends

    def __init__(self, settings: QSettings, geometry_key: str) -> None:
        super().__init__()
        self.settings = settings
        self.geometry_key = geometry_key
        self.sections: Sequence[Section] = []
        self._pages: dict[int, QWidget] = {}

    def set_up_sections(
        self, sections: Sequence[Section], titles: Sequence[str], width: int
    ) -> None:
        """The section list (`width` pixels wide, named "nav", one of `titles` a section) and
        the stack, as the central widget; choosing a row shows its section."""
        self.sections = sections
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
        self.nav.currentRowChanged.connect(self.show_section)

    # -- sections --------------------------------------------------------------------------------
    def show_section(self, row: int) -> None:
        if row < 0 or row >= len(self.sections):
            return
        self._build_page(row)
        self.stack.setCurrentIndex(row)
        if self.nav.currentRow() != row:
            self.nav.setCurrentRow(row)

    def _build_page(self, row: int) -> QWidget:
        """The section's page, built (in place of its placeholder) on its first visit."""
        if row not in self._pages:
            from ui.widgets.app_filters import building

            with building():  # made without the app's Python event filters: 3-5x quicker
                page = self.sections[row].build()
            placeholder = self.stack.widget(row)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            self.stack.insertWidget(row, PageScroll(page))
            self._pages[row] = page
        return self._pages[row]

    def section_keys(self) -> list[str]:
        return [s.key for s in self.sections]

    def section_index(self, key: str) -> int:
        return next(i for i, s in enumerate(self.sections) if s.key == key)

    def current_page(self) -> QWidget | None:
        """The page shown now (None: not built yet)."""
        return self._pages.get(self.stack.currentIndex())

    def page(self, key: str) -> QWidget:
        index = self.section_index(key)
        self.show_section(index)
        finish = getattr(self._pages[index], "finish_building", None)
        if callable(finish):  # asked for by code: the parts built later are wanted now
            finish()
        return self._pages[index]

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
