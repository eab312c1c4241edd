"""Search boxes take at most MAX_SEARCH characters: a pasted page never reaches SQL or a log."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from caseworker.domain.roles import Actor
from caseworker.domain.search import MAX_SEARCH
from caseworker.workspace import Workspace
from ui.context import AppContext
from ui.elderly.roster_page import RosterPage
from ui.tasks import SyncRunner


def test_roster_search_box_is_capped(office_ws: Workspace, worker: Actor, qtbot) -> None:
    page = RosterPage(AppContext(office_ws, SyncRunner(), worker))
    qtbot.addWidget(page)
    assert page.search.maxLength() == MAX_SEARCH
    QApplication.clipboard().setText("王" * 10_000)
    page.search.setFocus()
    page.search.paste()
    assert page.search.text() == "王" * MAX_SEARCH
