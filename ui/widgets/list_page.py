"""The parts every programme's searchable list page shares (the roster, the retrofit cases, the
child register): a search box whose Down arrow moves into the list, a table whose Enter opens
the current row, and a loader that counts and reads the first page off the UI thread (the
count capped for a typed search), keeps the rows on screen under a busy note meanwhile, and
runs what Enter or Down asked for once the list typed is back."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QTableView

from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.table_models import PagedTableModel, capped_total, search_cap

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ui.context import AppContext

T = TypeVar("T")

SEARCH_DEBOUNCE_MS = 250  # a list reads once typing pauses, not at every key


class SearchBox(QLineEdit):
    """Down arrow moves into the list, as in a browser's address bar."""

    down = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self.down.emit()
            return
        super().keyPressEvent(event)


class ListView(QTableView):
    """Enter opens the current row (QTableView alone would do nothing); Ctrl+End asks for the
    last row of the whole list, not only of the rows loaded so far."""

    activated_row = Signal(int)
    to_end = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_row.emit(self.currentIndex().row())
            return
        if (
            event.key() == Qt.Key.Key_End
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.to_end.emit()
            return
        super().keyPressEvent(event)


class ListLoader(QObject, Generic[T]):
    """A list page's reads: `load()` counts and reads the first page on the runner (a newer
    load supersedes one on its way); the pages after are fetched as the user scrolls.
    `timer` is the search box's debounce: a pending search is read before Enter or Down acts."""

    def __init__(
        self,
        ctx: AppContext,
        owner: Any,  # the page (a QWidget): the loader dies with it
        view: QTableView,
        model: PagedTableModel[T],
        count_label: QLabel,
        timer: QTimer,
    ) -> None:
        super().__init__(owner)
        self.ctx = ctx
        self.model = model
        self.count_label = count_label
        self.timer = timer
        self.busy = BusyOverlay(view, self.tr("正在查询，请稍候…"))
        self.reader = BackgroundRead(ctx, owner, self._set_busy)
        self._after: list[Callable[[], None]] = []

    def load(
        self,
        text: str,
        count: Callable[[Session, int | None], int],
        page: Callable[[Session, int, int], list[T]],
        shown: Callable[[int], None],
        first: Callable[[Session, int | None, int], tuple[int, list[T]]] | None = None,
    ) -> None:
        """Read `count(session, cap)` and `page(session, offset, limit)` for the search `text`;
        `shown(total)` runs on the UI thread once the first page is in the model. `first`
        (session, cap, limit), where given, reads the count and the first page together (the
        services' `first_page`: one statement for a search the index narrows)."""
        self.timer.stop()
        cap = search_cap(text)  # a typed search is counted up to the cap only ("1,000+")
        size = self.model.PAGE
        ctx = self.ctx

        def read(s: Session) -> tuple[int, list[T]]:
            if first is not None:
                counted, rows = first(s, cap, size)
                return capped_total(counted, cap), rows
            total = capped_total(count(s, cap), cap)
            return total, page(s, 0, size) if total else []

        def fetch(offset: int, limit: int) -> list[T]:
            return ctx.read(lambda s: page(s, offset, limit))

        def arrived(result: tuple[int, list[T]]) -> None:
            total, rows = result
            self.model.show(total, rows, fetch)
            shown(total)
            waiting, self._after = self._after, []
            for action in waiting:
                action()

        self.reader.start(read, arrived)

    def when_read(self, action: Callable[[], None], reload: Callable[[], None]) -> None:
        """Run `action` now, or once the search typed is back (Enter or Down pressed while the
        list was on its way acts on the new list, as it did when the read was at once)."""
        if self.timer.isActive():
            reload()
        if self.reader.busy:
            self._after = [action]
        else:
            action()

    def _set_busy(self, busy: bool) -> None:
        self.busy.set_busy(busy)
        if busy:
            self.count_label.setText(self.tr("正在查询…"))
