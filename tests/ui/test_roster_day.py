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
from ui.elderly.resident_dialog import ResidentDialog
from ui.elderly.work_lists import WorkListsPanel
from ui.widgets.print_preview import PrintPreview


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
    assert window.current_page() is home


def _complete_twice(session, qtbot, monkeypatch, answer):
    """Complete a visit for someone, then type the same form again; return what was asked."""
    from PySide6.QtWidgets import QMessageBox

    from caseworker.services.elderly import visits
    from ui.elderly.visit_form import VisitForm

    page = session.window.page("elderly")
    rid = page.roster.model.row(0).id
    asked: list[tuple[str, object]] = []

    def warning(parent, title, text, buttons, default):
        asked.append((text, default))
        return answer

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *a: QMessageBox.StandardButton.Yes)
    )

    def fill(form: VisitForm) -> None:
        for name in ("health_mental", "living_food", "family_contact", "safety_hazards"):
            qtbot.keyClick(form.choices[name], Qt.Key.Key_1)
        qtbot.keyClick(form.choices["needs_services"], Qt.Key.Key_1)
        form.complete()
        if form.isVisible():
            form.done(0)

    for _ in range(2):
        when_dialog_opens(qtbot, fill)
        page.new_visit(rid)
    actor = session.ctx.actor
    history = session.ctx.read(lambda s: visits.history(s, actor, rid))
    return asked, history, rid


def test_the_same_form_typed_twice_is_stopped_by_default(session, qtbot, monkeypatch) -> None:
    from datetime import date

    from PySide6.QtWidgets import QMessageBox

    asked, history, _rid = _complete_twice(
        session, qtbot, monkeypatch, QMessageBox.StandardButton.No
    )
    assert len(asked) == 1  # the first completion had nothing to warn about
    text, default = asked[0]
    assert "同一天" in text and default == QMessageBox.StandardButton.No
    assert [h.visit_date for h in history].count(date.today()) == 1  # the second was not saved


def test_a_supervisor_voids_the_duplicate_from_the_form(
    demo_root: Path, make_controller, qtbot, monkeypatch
) -> None:
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    from ui.elderly.visit_form import VisitForm

    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "kezhang")
    _asked, history, rid = _complete_twice(
        controller, qtbot, monkeypatch, QMessageBox.StandardButton.Yes
    )
    duplicate = history[0]
    page = controller.window.page("elderly")
    page.open_resident(rid)
    monkeypatch.setattr(
        QInputDialog, "getText", staticmethod(lambda *a, **k: ("同一张纸质表录入了两次", True))
    )
    seen: dict[str, object] = {}

    def void(form: VisitForm) -> None:
        assert form.void_button.isVisible()
        # read-only fields look read-only: grey, not the white of a box waiting for typing
        field = form.texts["health_notes"]
        assert field.isReadOnly()
        assert field.grab().toImage().pixelColor(field.width() // 2, 6).name() != "#ffffff"
        form.void()
        seen["title"] = form.windowTitle()
        seen["void_visible"] = form.void_button.isVisible()
        form.done(0)

    when_dialog_opens(qtbot, void)
    page.open_visit(rid, duplicate.id)
    assert "已作废" in seen["title"] and seen["void_visible"] is False
    statuses = [page.resident.visits_model.row(i).status_text for i in range(2)]
    assert statuses == ["已作废", "已完成"]


def test_a_short_date_is_read_back_and_dates_have_one_spelling(session, qtbot) -> None:
    from datetime import date

    from ui.widgets.fields import DateField

    field = DateField()
    qtbot.addWidget(field)
    qtbot.keyClicks(field, "1.5")
    this_year = date(date.today().year, 1, 5)
    weekday = "一二三四五六日"[this_year.weekday()]
    assert field.reading() == f"即 {this_year:%Y-%m-%d}（星期{weekday}）"
    assert field.toolTip() == field.reading()
    assert field.value() == this_year
    page = session.window.page("elderly")
    row = page.roster.model.row(0)
    page.open_resident(row.id)
    assert page.resident.fields["birth"].text() == f"{row.birth_date:%Y-%m-%d}"


def test_the_already_on_roster_box_appears_once(session, qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    page = session.window.page("elderly")
    existing = session.ctx.read(lambda s: roster_get(s, session, page.roster.model.row(0).id))
    dialog = ResidentDialog(session.ctx, page)
    boxes: list[str] = []

    def information(parent, title, text, *rest):
        boxes.append(text)
        dialog.check_id()  # leaving the field while the box is open calls it again
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "information", staticmethod(information))
    qtbot.keyClicks(dialog.id_number, existing.id_number)
    assert len(boxes) == 1 and dialog.result_info.id == existing.id


def roster_get(s, session, rid):
    from caseworker.services.elderly import roster

    return roster.get(s, session.ctx.actor, rid)


def test_an_odd_phone_number_is_questioned_and_may_be_kept(session, qtbot, monkeypatch) -> None:
    from datetime import date

    from PySide6.QtWidgets import QMessageBox

    from caseworker.domain import idnumber
    from tests.ui.conftest import type_text

    page = session.window.page("elderly")
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def warning(parent, title, text, *rest):
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    dialog = ResidentDialog(session.ctx, page)
    qtbot.keyClicks(dialog.id_number, idnumber.make("110105", date(1950, 7, 7), 41))
    type_text(qtbot, dialog.name, "韩立秋")
    dialog.categories[next(iter(dialog.categories))].setChecked(True)
    qtbot.keyClicks(dialog.phone, "1381234567")  # ten digits
    dialog.save()
    assert dialog.result_info is None and "11 位" in asked[0]  # "No": nothing saved
    dialog.save()
    assert dialog.result_info is not None and dialog.result_info.phone == "1381234567"


def test_clicking_the_section_again_returns_to_the_roster(session, qtbot) -> None:
    window = session.window
    page = window.page("elderly")
    page.open_resident(page.roster.model.row(0).id)
    assert page.stack.currentWidget() is page.resident
    row = window.section_index("elderly")
    item = window.nav.item(row)
    qtbot.mouseClick(
        window.nav.viewport(),
        Qt.MouseButton.LeftButton,
        pos=window.nav.visualItemRect(item).center(),
    )
    assert page.stack.currentWidget() is page.roster
    # coming from another section keeps the resident's page where it was
    page.open_resident(page.roster.model.row(0).id)
    home_row = window.section_index("home")
    qtbot.mouseClick(
        window.nav.viewport(),
        Qt.MouseButton.LeftButton,
        pos=window.nav.visualItemRect(window.nav.item(home_row)).center(),
    )
    qtbot.mouseClick(
        window.nav.viewport(),
        Qt.MouseButton.LeftButton,
        pos=window.nav.visualItemRect(item).center(),
    )
    assert window.current_page() is page and page.stack.currentWidget() is page.resident


def test_the_change_password_dialog_states_the_rule(session) -> None:
    from PySide6.QtWidgets import QLabel

    session.change_password()
    dialog = session.password_dialog
    said = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "至少 8 位" in said and "字母和数字" in said
    dialog.reject()


def test_ctrl_end_reaches_the_last_resident_of_the_whole_list(session, qtbot, monkeypatch) -> None:
    from caseworker.services.elderly import search

    roster_page = session.window.page("elderly").roster
    roster_page.status.setCurrentIndex(roster_page.status.findData(None))  # everyone
    monkeypatch.setattr(roster_page.model, "PAGE", 7)  # 30 demo residents: several pages
    roster_page.reload()
    assert len(roster_page.model.rows) == 7 < roster_page.model.total
    actor = session.ctx.actor
    q = roster_page.query()
    last = session.ctx.read(lambda s: search.page(s, actor, q, roster_page.model.total - 1, 1))[0]
    roster_page.view.setFocus()
    qtbot.keyClick(roster_page.view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert len(roster_page.model.rows) == roster_page.model.total
    assert roster_page.current_id() == last.id
