"""The roster and 工作台 as a caseworker uses them all day: shortcuts, Tab, 我负责的, printing."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from caseworker.services.elderly import forms
from tests.ui.conftest import log_in
from tests.ui.test_admin_pages import no_popups, when_dialog_opens  # noqa: F401
from ui.elderly.print_jobs import PrintOptions
from ui.elderly.print_preview import PrintPreview
from ui.elderly.resident_dialog import ResidentDialog
from ui.elderly.work_lists import WorkListsPanel


@pytest.fixture
def session(demo_root: Path, make_controller, qtbot):
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "zhuangan1")
    assert controller.window is not None
    return controller


def test_ctrl_shift_a_opens_the_new_resident_dialog(session, qtbot, no_popups) -> None:  # noqa: F811
    roster_page = session.window.page("elderly").roster
    opened: list[object] = []

    def close(dialog) -> None:
        opened.append(dialog)
        dialog.reject()

    when_dialog_opens(qtbot, close)
    qtbot.keyClick(
        roster_page.view,
        Qt.Key.Key_A,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert len(opened) == 1 and isinstance(opened[0], ResidentDialog)


def test_tab_leaves_the_list_and_reaches_the_buttons(session, qtbot) -> None:
    window = session.window
    roster_page = window.page("elderly").roster
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    roster_page.focus_search()
    seen = []
    for _ in range(20):
        widget = QApplication.focusWidget()
        seen.append(widget)
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    order = [
        roster_page.search,
        roster_page.community,
        roster_page.tier,
        roster_page.category,
        roster_page.status,
        roster_page.overdue,
        roster_page.due_month,
        roster_page.mine,
        roster_page.view,
        roster_page.add_button,
        roster_page.open_button,
        roster_page.visit_button,
        roster_page.print_button,
    ]
    assert seen[: len(order)] == order
    assert all(isinstance(w, QPushButton) for w in seen[len(order) - 4 : len(order)])


def test_mine_shows_only_the_residents_i_am_responsible_for(session) -> None:
    roster_page = session.window.page("elderly").roster
    everyone = roster_page.model.total
    roster_page.mine.setChecked(True)
    me = session.ctx.actor.display_name
    assert 0 < roster_page.model.total < everyone
    assert {r.assigned_staff_name for r in roster_page.model.rows} == {me}


def test_printing_from_home_keeps_its_filter_and_stays_on_home(session, qtbot, no_popups) -> None:  # noqa: F811
    window = session.window
    window.page("elderly")  # the roster has been visited earlier in the day
    home = window.page("home")
    panel = home.findChild(WorkListsPanel)
    me = session.ctx.actor
    assert panel.visitor.currentData() == me.staff_id  # 责任人=我 by default
    seen: dict[str, object] = {}

    def options(dialog: PrintOptions) -> None:
        seen["visitor"] = dialog.visitor.currentData()

        def preview(p: PrintPreview) -> None:
            seen["pages"] = len(PdfReader(BytesIO(p.pdf)).pages)
            p.accept()

        when_dialog_opens(qtbot, preview)
        dialog._ok()

    when_dialog_opens(qtbot, options)
    panel.print_("month")
    from datetime import date

    mine = session.ctx.read(
        lambda s: forms.month_forms(s, me, date.today(), assigned_staff_id=me.staff_id)
    )
    everyone = session.ctx.read(lambda s: forms.month_forms(s, me, date.today()))
    assert seen["visitor"] == me.staff_id
    assert seen["pages"] == len(mine) < len(everyone)
    assert window.stack.currentWidget() is home
