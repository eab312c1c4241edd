"""The one searchable list page (`ui/widgets/list_page.ListPage`) behaves alike in every
programme (issue 22): a reload after a write keeps the row the caseworker was on, a header
click shows its sort indicator, and Tab walks search, filters, list and buttons in reading
order. The child register did none of the three before it shared the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from caseworker.workspace import Workspace
from tests.ui.test_lazy_screens import _ctx, _list_pages


@pytest.fixture
def ws(demo_root: Path) -> Iterator[Workspace]:
    w = Workspace.open(demo_root)
    yield w
    w.close()


def _pages(ws: Workspace, qtbot):
    for page_class, actor, *_rest in _list_pages(ws):
        ctx, runner = _ctx(ws, actor)
        page = page_class(ctx)
        qtbot.addWidget(page)
        page.show()
        runner.run_all()
        assert page.model.rowCount() > 2, page_class
        yield page_class.__name__, page, runner


def _current(page) -> str:
    return page.model.row(page.view.currentIndex().row()).id


def test_a_reload_after_a_write_keeps_the_current_row_in_every_programme(
    ws: Workspace, qtbot
) -> None:
    from ui.children.common import CHILD_TABLES
    from ui.elderly.common import ELDERLY_TABLES
    from ui.retrofit.common import RETROFIT_TABLES

    written = {
        "RosterPage": ELDERLY_TABLES,
        "CaseListPage": RETROFIT_TABLES,
        "RegisterPage": CHILD_TABLES,
    }
    for name, page, runner in _pages(ws, qtbot):
        page.view.setCurrentIndex(page.model.index(2, 0))
        chosen = _current(page)
        page.ctx.changed.emit(written[name])  # what a save in this programme announces
        runner.run_all()
        assert _current(page) == chosen, name


def test_a_header_click_sorts_and_shows_its_indicator_in_every_programme(
    ws: Workspace, qtbot
) -> None:
    for name, page, runner in _pages(ws, qtbot):
        header = page.view.horizontalHeader()
        column = next(i for i, c in enumerate(page.model.columns) if c.sort_key == "name")
        before = page.sort_key
        header.sectionClicked.emit(column)
        runner.run_all()
        ascending = before != "name"  # a new column sorts ascending; the same one flips
        assert page.sort_key == "name" and page.descending is not ascending, name
        assert header.sortIndicatorSection() == column, name
        wanted = Qt.SortOrder.AscendingOrder if ascending else Qt.SortOrder.DescendingOrder
        assert header.sortIndicatorOrder() == wanted, name


def test_tab_walks_search_filters_list_and_buttons_in_every_programme(ws: Workspace, qtbot) -> None:
    from PySide6.QtWidgets import QCheckBox, QComboBox, QPushButton

    for name, page, _runner in _pages(ws, qtbot):
        # Tab leaves the table instead of walking it cell by cell
        assert not page.view.tabKeyNavigation(), name
        chain, widget = [], page.search.nextInFocusChain()
        while widget is not page.search and len(chain) < 500:
            chain.append(widget)
            widget = widget.nextInFocusChain()
        at = chain.index(page.view)
        filters = page.findChildren(QComboBox) + page.findChildren(QCheckBox)
        buttons = [b for b in page.findChildren(QPushButton) if b.parent() is page]
        assert filters and buttons, name
        assert all(chain.index(f) < at for f in filters), name
        assert all(chain.index(b) > at for b in buttons), name
