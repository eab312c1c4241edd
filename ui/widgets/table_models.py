"""Table models: a small in-memory list, and a paged model that fetches rows from SQL as the
user scrolls (no per-row items, fixed row heights: stays fast for 100,000 rows)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QTableWidget

from caseworker.services import person_search

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column(Generic[T]):
    header: str
    value: Callable[[T], Any]
    align_right: bool = False
    sort_key: str | None = None  # a key the paged query understands


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        # Stored timestamps are naive UTC; people read local time.
        return value.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.TextAlignmentRole,
    }
)


def texts_of(columns: Sequence[Column[T]], rows: Sequence[T]) -> list[list[str]]:
    """Every cell's text of `rows`, made where the rows were read (a reader thread): the UI
    thread then paints strings, it does not format a page of values on every paint."""
    return [[_display(c.value(r)) for c in columns] for r in rows]


class _ColumnsModel(QAbstractTableModel, Generic[T]):
    """Rows of T shown through Column getters; subclasses decide how rows arrive."""

    def __init__(self, columns: Sequence[Column[T]]) -> None:
        super().__init__()
        self.columns = list(columns)
        self.rows: list[T] = []

    def row(self, index: int) -> T:
        return self.rows[index]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def text(self, row: int, column: int) -> str:
        """A cell's text (the texts of the whole list when given: `ListTableModel`)."""
        return _display(self.columns[column].value(self.rows[row]))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # The view asks every visible cell for a dozen roles on each paint: the roles this
        # model has nothing for are answered first, before any lookup.
        if role not in _ROLES or not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(index.row(), index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            # A cell too narrow for its text shows it whole on hover.
            text = self.text(index.row(), index.column())
            return text if len(text) > 8 else None
        if self.columns[index.column()].align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].header
        return None


class ListTableModel(_ColumnsModel[T]):
    """Rows held in memory: for short lists (staff, backups)."""

    texts: list[list[str]] | None = None

    def set_rows(self, rows: Sequence[T], texts: list[list[str]] | None = None) -> None:
        """The rows, and their cells' texts when made already (`texts_of`, off the UI thread)."""
        self.beginResetModel()
        self.rows = list(rows)
        self.texts = texts if texts is not None and len(texts) == len(self.rows) else None
        self.endResetModel()

    def text(self, row: int, column: int) -> str:
        if self.texts is not None:
            return self.texts[row][column]
        return super().text(row, column)


MORE = 1 << 40  # a total known only to be above the search's count cap: page until a fetch is empty


def capped_total(counted: int, cap: int | None) -> int:
    """A count made with `cap` as the model's total: above the cap the total is not known (the
    keystroke did not count 100,000 rows), so the list pages on until a fetch is empty."""
    return MORE if cap is not None and counted > cap else counted


def total_text(total: int) -> str:
    """The figure a list page shows for a model's total: "1,000+" above the count cap."""
    return f"{person_search.COUNT_CAP:,}+" if total >= MORE else str(total)


def search_cap(text: str) -> int | None:
    """The count cap for a list's count: a typed search is counted up to the cap only."""
    return person_search.COUNT_CAP if text.strip() else None


class PagedTableModel(_ColumnsModel[T]):
    """Rows fetched a page at a time: `count()` for the total, `fetch(offset, limit)` for rows.

    Qt calls canFetchMore/fetchMore as the view scrolls; only loaded pages are held.
    """

    PAGE = 200

    def __init__(
        self,
        columns: Sequence[Column[T]],
        count: Callable[[], int],
        fetch: Callable[[int, int], list[T]],
    ) -> None:
        super().__init__(columns)
        self._count = count
        self._fetch = fetch
        self.total = 0
        self.generation = 0  # bumped by reload: rows fetched for an older query are dropped

    def reload(
        self,
        count: Callable[[], int] | None = None,
        fetch: Callable[[int, int], list[T]] | None = None,
    ) -> None:
        if count is not None:
            self._count = count
        if fetch is not None:
            self._fetch = fetch
        self.generation += 1
        self.beginResetModel()
        self.total = self._count()
        self.rows = self._fetch(0, self.PAGE) if self.total else []
        self.endResetModel()

    def show(
        self, total: int, rows: Sequence[T], fetch: Callable[[int, int], list[T]] | None = None
    ) -> None:
        """Show a first page read elsewhere (on the runner): `total` rows in all (a large
        number when only a lower bound is known: scrolling stops when a fetch comes back
        empty), `rows` the first of them; `fetch` reads the pages after."""
        if fetch is not None:
            self._fetch = fetch
        self.generation += 1
        self.beginResetModel()
        self.total = total
        self.rows = list(rows)
        self.endResetModel()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        more = self._fetch(len(self.rows), self.PAGE)
        if not more:
            self.total = len(self.rows)
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
        self.rows.extend(more)
        self.endInsertRows()

    def append_rows(self, rows: Sequence[T], generation: int) -> None:
        """Add rows fetched elsewhere (e.g. the rest of the list, on the background runner)
        when they belong to the current query."""
        if generation != self.generation or not rows:
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
        self.rows.extend(rows)
        self.endInsertRows()


ROW_HEIGHT = 26
WORK_LIST_ROWS = 5  # a work list on 工作台 never shrinks below this many rows (the page scrolls)


def configure_view(view, min_rows: int = 0) -> None:  # view: QTableView
    """Fast defaults for big tables: fixed row height, no ResizeToContents, row selection;
    with `min_rows`, never shorter than that many rows and the header."""
    from PySide6.QtWidgets import QHeaderView

    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    view.verticalHeader().hide()
    if min_rows:
        header = view.horizontalHeader().sizeHint().height()
        view.setMinimumHeight(header + min_rows * ROW_HEIGHT + 2 * view.frameWidth() + 2)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)


def read_only_table(columns: Sequence[str], widths: Sequence[int]) -> QTableWidget:
    """A small read-only table of whole-row single selection (a page of queued items, a
    record's fields side by side): the columns' titles and their first widths."""
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    for i, w in enumerate(widths):
        table.setColumnWidth(i, w)
    return table
