"""A panel of several lists (the programmes' work lists on the home page) refreshed after a write
only while it is on screen: typing back forms changes the tables often while the home page is
hidden, so a hidden panel is only marked stale and reads once when next shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from ui.context import AppContext


class RefreshWhenSeen(QObject):
    """Call `refresh()` after a write to any of `tables`, at once if `panel` is visible, else
    when it is next shown. Lives (and listens) as long as the panel."""

    def __init__(
        self,
        ctx: AppContext,
        panel: QWidget,
        tables: frozenset[str],
        refresh: Callable[[], None],
    ) -> None:
        super().__init__(panel)
        self.panel = panel
        self.tables = tables
        self.refresh = refresh
        self.stale = False
        panel.installEventFilter(self)
        ctx.on_changed(self, self._on_changed)

    def _on_changed(self, tables: frozenset[str]) -> None:
        if not tables & self.tables:
            return
        if self.panel.isVisible():
            self.stale = False
            self.refresh()
        else:
            self.stale = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.panel and event.type() == QEvent.Type.Show and self.stale:
            self.stale = False
            self.refresh()
        return False
