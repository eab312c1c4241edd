"""The searchable list page every programme shares (the roster, the retrofit cases, the child
register): `ListPage`, built of a search box whose Down arrow moves into the list, a table whose
Enter opens the current row, and a loader that counts and reads the first page off the UI thread
(the count capped for a typed search), keeps the rows on screen under a busy note meanwhile, and
runs what Enter or Down asked for once the list typed is back."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.search import MAX_SEARCH
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.fields import heading
from ui.widgets.table_models import (
    PagedTableModel,
    capped_total,
    configure_view,
    search_cap,
    total_text,
)

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


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=_HasId)


class ListPage(QWidget, Generic[R]):
    """One searchable, paged list page, whatever the programme: a heading and a search box read
    as typing pauses, filters the page adds, a table sorted in SQL on a header click, a count,
    and the keyboard every list keeps (Ctrl+F searches; Down moves into the list; Enter in the
    box opens the one match or moves into the list; Enter in the list opens the row).

    A page builds its filters and columns, calls `set_up_list()` and `lay_out()`, and says
    what a row opens (`open_id`) and how the list is read (`reload`, through `read()`)."""

    list_shown = Signal()  # a read's rows are on screen

    def __init__(self, ctx: AppContext, title: str, placeholder: str, tables: frozenset[str]):
        super().__init__()
        self.ctx = ctx
        self.tables = tables  # a change to one of these reloads the list
        self.heading = heading(title)
        self.search = SearchBox()
        self.search.setMaxLength(MAX_SEARCH)
        self.search.setPlaceholderText(placeholder)
        self.search.setClearButtonEnabled(True)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_DEBOUNCE_MS)
        self.timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self.timer.start())
        self.search.returnPressed.connect(self._search_enter)
        self.search.down.connect(self._into_list)
        self.count_label = QLabel()
        self.sort_key, self.descending = "", False

    # -- what a page says ------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the list as searched, filtered and sorted now (a page calls `read()`)."""
        raise NotImplementedError

    def open_id(self, row_id: str) -> None:
        """Open the row (a page emits its signal)."""
        raise NotImplementedError

    # -- building --------------------------------------------------------------------------------
    def set_up_list(
        self,
        model: PagedTableModel[R],
        widths: tuple[int, ...],
        sort_key: str,
        descending: bool = False,
    ) -> None:
        """The table over `model`, sorted by the column of `sort_key` first; the loader; and
        the reload when the tables the page shows change."""
        self.model = model
        self.sort_key, self.descending = sort_key, descending
        self.view = ListView()
        self.view.setModel(model)
        configure_view(self.view)
        header = self.view.horizontalHeader()
        header.setSortIndicatorShown(True)
        column = next(i for i, c in enumerate(model.columns) if c.sort_key == sort_key)
        header.setSortIndicator(column, _order(descending))
        header.setSectionsClickable(True)
        header.sectionClicked.connect(self._sort_by)
        for col, width in enumerate(widths):
            self.view.setColumnWidth(col, width)
        self.view.doubleClicked.connect(lambda i: self._open_row(i.row()))
        self.view.activated_row.connect(self._open_row)
        self.ctx.on_changed(self, self._on_changed)
        self.loader: ListLoader[R] = ListLoader(
            self.ctx, self, self.view, model, self.count_label, self.timer
        )

    def lay_out(
        self,
        filters: list[QWidget],
        buttons: list[QWidget],
        hint: str,
        beside_heading: tuple[QWidget, ...] = (),
    ) -> None:
        """Heading and search; the filters and the count; the list; the buttons and a hint;
        Tab through them in that order."""
        top = QHBoxLayout()
        top.addWidget(self.heading)
        for w in beside_heading:
            top.addWidget(w)
        top.addSpacing(12)
        top.addWidget(self.search, 1)
        row = QHBoxLayout()
        for w in filters:
            row.addWidget(w)
        row.addStretch()
        row.addWidget(self.count_label)
        under = QHBoxLayout()
        for w in buttons:
            under.addWidget(w)
        under.addStretch()
        note = QLabel(hint)
        note.setStyleSheet("color: #777;")
        under.addWidget(note)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)
        layout.addLayout(under)
        QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search)
        # Tab leaves the table (instead of walking it cell by cell) and reaches the buttons in
        # reading order: search, filters, list, buttons.
        self.view.setTabKeyNavigation(False)
        for first, second in pairwise([self.search, *filters, self.view, *buttons]):
            QWidget.setTabOrder(first, second)

    # -- reading ---------------------------------------------------------------------------------
    def read(
        self,
        text: str,
        count: Callable[[Session, int | None], int],
        page: Callable[[Session, int, int], list[R]],
        first: Callable[[Session, int | None, int], tuple[int, list[R]]],
        count_text: str,
    ) -> None:
        """Load the list through the loader; once it is on screen the count reads
        `count_text` (a "{0}" for the figure) and the row current before stays current."""
        keep = self.current_id()

        def shown(total: int) -> None:
            self.count_label.setText(count_text.format(total_text(total)))
            row = next((i for i, r in enumerate(self.model.rows) if r.id == keep), 0)
            if self.model.rows:
                self.view.setCurrentIndex(self.model.index(row, 0))
            self.list_shown.emit()

        self.loader.load(text, count, page, shown, first)

    def described(self, filters: list[QComboBox], checks: list[QCheckBox] | None = None) -> str:
        """The search and the filters set, in words, for an export's description: a filter
        counts when moved off its first ("all") item, or when it offers one item only (a
        community director's own community)."""
        words = [c.currentText() for c in filters if c.currentIndex() > 0 or c.count() == 1]
        text = self.search.text().strip()
        if text:
            words.insert(0, self.tr("查找“{0}”").format(text))
        words += [c.text() for c in checks or [] if c.isChecked()]
        return "，".join(words)

    def _on_changed(self, tables: frozenset[str]) -> None:
        if tables & self.tables:
            self.reload()

    def _sort_by(self, column: int) -> None:
        key = self.model.columns[column].sort_key
        if key is None:
            return
        if key == self.sort_key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, False
        self.view.horizontalHeader().setSortIndicator(column, _order(self.descending))
        self.reload()

    # -- rows and keys ---------------------------------------------------------------------------
    def current_id(self) -> str | None:
        index = self.view.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.rows):
            return None
        return self.model.row(index.row()).id

    def select_id(self, row_id: str) -> None:
        for i, r in enumerate(self.model.rows):
            if r.id == row_id:
                self.view.setCurrentIndex(self.model.index(i, 0))
                self.view.scrollTo(self.model.index(i, 0), QTableView.ScrollHint.PositionAtCenter)
                return
        self.view.setCurrentIndex(QModelIndex())

    def _open_row(self, row: int) -> None:
        if 0 <= row < len(self.model.rows):
            self.open_id(self.model.row(row).id)

    def _search_enter(self) -> None:
        self.loader.when_read(self._enter_done, self.reload)

    def _enter_done(self) -> None:
        if self.model.total == 1:
            self._open_row(0)
        else:
            self._into_list_now()

    def _into_list(self) -> None:
        self.loader.when_read(self._into_list_now, self.reload)

    def _into_list_now(self) -> None:
        if self.model.rows:
            self.view.setFocus()
            if not self.view.currentIndex().isValid():
                self.view.setCurrentIndex(self.model.index(0, 0))
            self.view.selectRow(self.view.currentIndex().row())

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()


def _order(descending: bool) -> Qt.SortOrder:
    return Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
