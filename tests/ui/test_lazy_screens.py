"""What is built or read only when needed (issue 9's frozen screens at 100,000 residents): the
roster's list and a resident's details come from the runner behind a busy note, with Enter and
Down typed meanwhile acting on the new list; 系统设置 builds a tab when it is first shown; the
resident page is built at the first resident opened; going back to the roster reads nothing;
the main window's modules are imported on the runner while the login window waits."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from caseworker.domain.roles import Actor, Role
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident, ElderlyVisit
from tests.ui.conftest import log_in, type_text
from tests.ui.test_no_frozen_screens import DeferredRunner, account
from ui.context import AppContext

SUPERVISOR = Actor("s", "kezhang", "王科长", Role.SUPERVISOR)
ADMIN = Actor("a", "admin", "管理员", Role.ADMIN)


@pytest.fixture
def ws(demo_root: Path) -> Iterator[Workspace]:
    w = Workspace.open(demo_root)
    yield w
    w.close()


def _ctx(ws: Workspace, actor: Actor) -> tuple[AppContext, DeferredRunner]:
    runner = DeferredRunner()
    return AppContext(ws, runner, account(ws, actor)), runner


def test_the_roster_reads_on_the_runner_behind_a_busy_note(ws: Workspace, qtbot) -> None:
    from ui.elderly.roster_page import RosterPage

    ctx, runner = _ctx(ws, SUPERVISOR)
    page = RosterPage(ctx)
    qtbot.addWidget(page)
    page.show()
    assert page.loader.busy.isVisible() and page.count_label.text() == "正在查询…"
    assert page.model.rowCount() == 0  # nothing read on the UI thread
    assert runner.run_all() == 1  # the count and the first page, in one read
    with ws.reader() as s:
        total = s.scalar(select(func.count()).select_from(ElderlyResident))
    assert not page.loader.busy.isVisible() and page.model.rowCount() > 0
    assert page.count_label.text() == f"共 {page.model.total} 人" and 0 < page.model.total <= total
    assert page.view.currentIndex().row() == 0
    # Two searches typed before the first came back: only the newest is shown.
    name = page.model.row(0).name
    page.search.setText("没有这个人")
    page.reload()
    page.search.setText(name)
    page.reload()
    assert runner.run_all() == 2
    assert page.model.total >= 1 and all(name in r.name for r in page.model.rows)


def test_enter_typed_before_the_search_is_back_opens_the_one_found(ws: Workspace, qtbot) -> None:
    from ui.elderly.roster_page import RosterPage

    ctx, runner = _ctx(ws, SUPERVISOR)
    page = RosterPage(ctx)
    qtbot.addWidget(page)
    page.show()
    runner.run_all()
    with ws.reader() as s:
        one = s.execute(select(ElderlyResident.id, ElderlyResident.id_number).limit(1)).one()
    opened: list[str] = []
    page.open_resident.connect(opened.append)
    type_text(qtbot, page.search, one.id_number)  # the whole ID number: exactly one resident
    assert page.timer.isActive()
    qtbot.keyClick(page.search, Qt.Key.Key_Return)  # before the 250 ms pause is over
    assert page.loader.reader.busy and opened == []  # the search went to the runner; nothing yet
    runner.run_all()
    assert opened == [one.id]  # Enter acted on the list it was typed for


def test_down_typed_before_the_search_is_back_moves_into_the_new_list(ws: Workspace, qtbot) -> None:
    from ui.elderly.roster_page import RosterPage

    ctx, runner = _ctx(ws, SUPERVISOR)
    page = RosterPage(ctx)
    qtbot.addWidget(page)
    page.show()
    runner.run_all()
    surname = page.model.row(0).name[0]
    type_text(qtbot, page.search, surname)
    qtbot.keyClick(page.search, Qt.Key.Key_Down)
    assert page.focusWidget() is page.search  # the list it would move into is still on its way
    runner.run_all()
    assert page.focusWidget() is page.view and page.view.currentIndex().row() == 0
    assert all(surname in r.name or surname in r.address for r in page.model.rows)


def test_a_resident_is_opened_at_once_and_filled_from_the_runner(ws: Workspace, qtbot) -> None:
    from ui.elderly.page import ElderlyPage
    from ui.elderly.resident_page import ResidentPage

    ctx, runner = _ctx(ws, SUPERVISOR)
    page = ElderlyPage(ctx)
    qtbot.addWidget(page)
    page.show()
    runner.run_all()
    assert page.findChild(ResidentPage) is None  # only the roster is built at first
    # ... and the resident's page in the quiet moment after the list has been shown.
    qtbot.waitUntil(lambda: page.findChild(ResidentPage) is not None, timeout=2000)
    built = page.findChild(ResidentPage)
    assert built.resident_id is None and page.stack.currentWidget() is page.roster
    with ws.reader() as s:
        rid, name, visits = s.execute(
            select(ElderlyResident.id, ElderlyResident.name, func.count(ElderlyVisit.id))
            .join(ElderlyVisit, ElderlyVisit.resident_id == ElderlyResident.id)
            .group_by(ElderlyResident.id)
            .limit(1)
        ).one()
    page.open_resident(rid)
    resident = page.resident
    assert resident is built and page.stack.currentWidget() is resident
    assert resident.title.text() == "正在加载…" and resident.busy.isVisible()
    assert not resident.visit_button.isEnabled() and resident.visits_model.rowCount() == 0
    assert runner.run_all() == 1
    assert not resident.busy.isVisible() and resident.title.text().startswith(name)
    assert resident.visits_model.rowCount() == visits
    assert resident.visits_view.currentIndex().row() == 0
    assert resident.visit_button.isEnabled()  # a supervisor may record visits

    # Back to the roster: nothing is read again, the resident is the current row.
    page.show_roster()
    assert runner.jobs == [] and page.stack.currentWidget() is page.roster
    # A change saved meanwhile (a visit typed) is shown: the roster reads again.
    ctx.changed.emit(frozenset({"elderly_visit"}))
    assert len(runner.jobs) == 2  # the roster and the resident's page, each once
    runner.run_all()
    assert page.roster.model.rowCount() > 0 and not page.roster.loader.busy.isVisible()


def test_a_resident_deleted_meanwhile_says_so(ws: Workspace, qtbot) -> None:
    from ui.elderly.page import ElderlyPage

    ctx, runner = _ctx(ws, SUPERVISOR)
    page = ElderlyPage(ctx)
    qtbot.addWidget(page)
    page.open_resident("no-such-resident")
    runner.run_all()
    assert page.resident.title.text() == "找不到这位老人（可能已被删除）"
    assert page.resident.resident is None


def test_system_settings_builds_a_tab_when_it_is_first_shown(ws: Workspace, qtbot) -> None:
    from ui.admin.audit import AuditPage
    from ui.admin.backups import BackupsPage
    from ui.admin.parameters import ParametersPage
    from ui.admin.staff import StaffPage
    from ui.admin.system_page import SystemPage

    ctx, runner = _ctx(ws, ADMIN)
    page = SystemPage(ctx, lambda _p: None, lambda: None)
    qtbot.addWidget(page)
    for kind in (StaffPage, AuditPage, ParametersPage, BackupsPage):
        assert page.findChild(kind) is None  # nothing built before the page is shown
    page.show()
    staff = page.findChild(StaffPage)
    assert page.tabs.tabText(0) == "账号管理" and staff is not None and staff.isVisible()
    for kind in (AuditPage, ParametersPage, BackupsPage):
        assert page.findChild(kind) is None  # only the tab on screen
    runner.run_all()
    # A person clicks 操作日志: the tab is built then, and works.
    index = next(i for i in range(page.tabs.count()) if page.tabs.tabText(i) == "操作日志")
    page.tabs.setCurrentIndex(index)
    audit = page.findChild(AuditPage)
    assert audit is not None and audit.isVisible() and audit.busy.isVisible()
    runner.run_all()
    assert audit.model.rowCount() > 0 and audit.count_label.text().startswith("共 ")
    assert page.findChild(ParametersPage) is None and page.findChild(BackupsPage) is None
    # Shown again later: the same page, not a second one.
    page.tabs.setCurrentIndex(0)
    page.tabs.setCurrentIndex(index)
    assert len(page.findChildren(AuditPage)) == 1
    assert page.open_tab(ParametersPage) is page.findChild(ParametersPage)
    assert page.tabs.currentWidget().content is page.findChild(ParametersPage)


def test_the_main_window_modules_are_imported_while_the_login_waits(
    demo_root: Path, make_controller, qtbot, monkeypatch
) -> None:
    from ui import warmup

    for name in warmup.MAIN_WINDOW_MODULES:  # each names a module that exists
        assert name in sys.modules or __import__(name) is not None
    called: list[int] = []
    real = warmup.import_main_window_modules
    monkeypatch.setattr(
        warmup, "import_main_window_modules", lambda *waiting: called.append(real(*waiting))
    )
    controller = make_controller(demo_root)
    controller.start()
    assert controller.login.isVisible() and len(called) == 1  # submitted once the login is ready
    assert all(name in sys.modules for name in warmup.MAIN_WINDOW_MODULES)
    log_in(controller, qtbot, "kezhang")
    assert controller.window is not None


def test_a_module_that_fails_to_import_is_left_for_the_ui_thread(monkeypatch) -> None:
    from ui import warmup

    monkeypatch.setattr(warmup, "MAIN_WINDOW_MODULES", ("ui.no_such_module", "ui.login"))
    assert warmup.import_main_window_modules() == 0  # ui.login is already imported; no raise


def test_the_home_page_builds_its_panels_one_a_turn_after_the_window(ws: Workspace, qtbot) -> None:
    from PySide6.QtWidgets import QLabel

    from ui.pages.home import HomePage

    ctx, _runner = _ctx(ws, SUPERVISOR)
    page = HomePage(ctx)
    qtbot.addWidget(page)
    built: list[str] = []

    def panel(name: str):
        def build() -> QLabel:
            built.append(name)
            return QLabel(name)

        return build

    page.add_panel_later(panel("elderly"))
    page.add_panel_later(panel("retrofit"))
    page.show()
    assert built == [] and page.greeting.text().endswith("您好")  # the page is there at once
    qtbot.waitUntil(lambda: built == ["elderly", "retrofit"], timeout=2000)
    assert [w.text() for w in page.findChildren(QLabel) if w.text() in built] == built
    # Asked for by code (window.page("home")): what is still waiting is built at once.
    page.add_panel_later(panel("children"))
    page.finish_building()
    assert built == ["elderly", "retrofit", "children"]
    qtbot.wait(50)
    assert built.count("children") == 1  # the turn scheduled earlier finds nothing left


def test_pages_are_made_without_the_app_filters_which_watch_again_after(qtbot) -> None:
    """app_filters.building(): the idle watcher and the screen fitter are off while a page's
    widgets are made (thousands of events, none of them input or a window shown) and back
    after, even when the making fails; nested building keeps them off until the outermost."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    from ui.widgets import app_filters

    class Counting(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.events = 0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            self.events += 1
            return False

    counter = Counting()
    app_filters.install(counter)
    try:

        def make() -> QWidget:
            page = QWidget()
            column = QVBoxLayout(page)
            for i in range(20):
                column.addWidget(QLabel(str(i)))
            return page

        make().deleteLater()
        assert counter.events > 20  # an application filter sees every widget's events
        counter.events = 0
        with app_filters.building():
            with app_filters.building():
                make().deleteLater()
            make().deleteLater()  # still off after the inner block
        assert counter.events == 0
        with pytest.raises(ZeroDivisionError), app_filters.building():
            1 / 0  # noqa: B018
        make().deleteLater()
        assert counter.events > 20  # watching again, after a failure too
    finally:
        app_filters.remove(counter)
    assert counter not in app_filters.installed()


def test_panels_still_waiting_when_the_session_ends_are_not_built(ws: Workspace, qtbot) -> None:
    """切换用户 right after login: the context has no actor any more (AppContext.end_session);
    a panel's turn coming after that builds nothing (a panel reads as the actor)."""
    from PySide6.QtWidgets import QLabel

    from ui.pages.home import HomePage

    ctx, _runner = _ctx(ws, SUPERVISOR)
    page = HomePage(ctx)
    qtbot.addWidget(page)
    built: list[str] = []
    page.add_panel_later(lambda: built.append("elderly") or QLabel("x"))
    ctx.end_session()
    qtbot.wait(50)
    page.finish_building()
    assert built == []


def test_a_search_is_counted_only_up_to_the_cap_and_the_list_still_scrolls_to_its_end(
    ws: Workspace, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A keystroke never counts the whole roster (issue 23): above the cap the count says
    "3+" here ("1,000+" as shipped), and the list pages on until the matches end."""
    from caseworker.services import person_search
    from caseworker.services.elderly import search
    from ui.elderly.roster_page import RosterPage
    from ui.widgets.table_models import MORE

    monkeypatch.setattr(person_search, "COUNT_CAP", 3)
    ctx, runner = _ctx(ws, SUPERVISOR)
    page = RosterPage(ctx)
    qtbot.addWidget(page)
    page.show()
    runner.run_all()
    assert page.count_label.text() == f"共 {page.model.total} 人"  # no search: counted in full
    # the character most addresses share (号, 楼…): many matches
    common = Counter(c for r in page.model.rows for c in set(r.address)).most_common(1)[0][0]
    with ws.reader() as s:
        matching = search.count(s, SUPERVISOR, replace(page.query(), text=common))
    assert matching > 3
    page.search.setText(common)
    page.reload()
    runner.run_all()
    assert page.count_label.text() == "共 3+ 人" and page.model.total == MORE
    while page.model.canFetchMore():
        page.model.fetchMore()
    assert len(page.model.rows) == page.model.total == matching


def _list_pages(ws: Workspace):
    """Each programme's list page, the account that reads it, its count's unit, and a search
    that finds exactly one record with the signal that opens it."""
    from caseworker.domain.roles import Role
    from db.children import Child
    from db.retrofit import RetrofitCase
    from ui.children.register_page import RegisterPage
    from ui.elderly.roster_page import RosterPage
    from ui.retrofit.case_list import CaseListPage

    with ws.reader() as s:
        resident = s.execute(select(ElderlyResident.id, ElderlyResident.id_number).limit(1)).one()
        case = s.execute(select(RetrofitCase.id, RetrofitCase.case_no).limit(1)).one()
        child = s.execute(select(Child.id, Child.id_number).limit(1)).one()
    child_sup = Actor("c", "dudao", "督导员", Role.CHILD_SUPERVISOR)
    return [
        (RosterPage, SUPERVISOR, "人", resident.id_number, "open_resident", resident.id),
        (CaseListPage, SUPERVISOR, "户", case.case_no, "open_case", case.id),
        (RegisterPage, child_sup, "名儿童", child.id_number, "open_child", child.id),
    ]


def test_every_list_page_reads_on_the_runner_and_enter_waits_for_its_search(
    ws: Workspace, qtbot
) -> None:
    """The roster's fix in every programme (issue 22: the retrofit cases and the child register
    counted and read their first page on the UI thread): the shared ListLoader."""
    for page_class, actor, unit, unique, signal, wanted in _list_pages(ws):
        ctx, runner = _ctx(ws, actor)
        page = page_class(ctx)
        qtbot.addWidget(page)
        page.show()
        assert page.loader.busy.isVisible() and page.count_label.text() == "正在查询…"
        assert page.model.rowCount() == 0, page_class  # nothing read on the UI thread
        assert runner.run_all() == 1, page_class  # the count and the first page, in one read
        assert not page.loader.busy.isVisible() and page.model.rowCount() > 0, page_class
        assert page.count_label.text() == f"共 {page.model.total} {unit}"
        opened: list[str] = []
        getattr(page, signal).connect(opened.append)
        type_text(qtbot, page.search, unique)
        assert page.timer.isActive()
        qtbot.keyClick(page.search, Qt.Key.Key_Return)  # before the pause is over
        assert page.loader.reader.busy and opened == [], page_class
        runner.run_all()
        assert opened == [wanted], page_class  # Enter acted on the list it was typed for
