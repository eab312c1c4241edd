"""One audit log page for both applications (issue 22): the office's 操作日志 and the district
console's 操作记录 are the same widget (`ui.widgets.audit_page.AuditLogPage`), driven here the
same way in each: newest first, scrolled a page at a time, by person, by typed 从/到 dates (a
wrong day said in one line), and by record on a double-click."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from caseworker.district import service
from caseworker.domain.roles import DistrictRole, Role
from db.models import JournalEntry
from tests.sync.helpers import account, make_world
from tests.ui.conftest import console_on, log_in
from tests.ui.test_district_console import PASSWORD, _add, _log_in
from ui.widgets.audit_page import AuditLogPage, _AuditModel

CODES = ["110101001"]


@pytest.fixture
def world(tmp_path: Path):
    w = make_world(tmp_path, CODES)
    yield w
    w.close()


def _office_page(demo_root: Path, make_controller, qtbot) -> AuditLogPage:
    from ui.admin.audit import AuditPage

    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot)
    return controller.window.page("system").open_tab(AuditPage)


def _drive(page: AuditLogPage, qtbot, who: str) -> None:
    """What a person does on either page, and what each step must show."""
    assert isinstance(page, AuditLogPage)
    model = page.model
    everything = model.total
    assert everything > 2 * model.PAGE  # enough to scroll past a page
    assert len(model.rows) == model.PAGE
    while model.canFetchMore():  # scrolling down: the pages after, from the last row shown
        before = len(model.rows)
        model.fetchMore()
        assert len(model.rows) > before
    assert len(model.rows) == everything
    assert len({r.seq for r in model.rows}) == everything  # no row twice, none left out
    keys = [(r.recorded_at, r.seq) for r in model.rows]
    assert keys == sorted(keys, reverse=True)  # newest first
    assert page.person.findData(who) > 0
    page.person.setCurrentIndex(page.person.findData(who))
    assert 0 < model.total < everything  # another person did the rest
    assert {r.actor_name for r in model.rows} == {who}
    page.person.setCurrentIndex(0)
    tomorrow = date.today() + timedelta(days=1)
    qtbot.keyClicks(page.date_from, tomorrow.isoformat())
    qtbot.keyClick(page.date_from, Qt.Key.Key_Return)
    assert model.total == 0 and "共 0 条" in page.count_label.text()
    page.date_from.clear()
    qtbot.keyClicks(page.date_to, f"{date.today().year}-02-30")
    qtbot.keyClick(page.date_to, Qt.Key.Key_Return)
    assert "没有2月30日" in page.count_label.text() and model.total == 0
    page.date_to.clear()
    qtbot.keyClick(page.date_to, Qt.Key.Key_Return)
    assert model.total == everything
    page.view.doubleClicked.emit(model.index(0, 0))  # only that record's history
    record = page.record.text()
    assert record and 1 <= model.total < everything
    assert {r.record_id for r in model.rows} == {record}


def test_the_office_and_the_console_share_one_audit_page(
    demo_root: Path,
    make_controller,
    world,
    qsettings,
    qtbot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_AuditModel, "PAGE", 3)  # a few rows make several pages
    office_page = _office_page(demo_root, make_controller, qtbot)
    assert office_page.export_button.isVisibleTo(office_page)
    assert office_page.model.columnCount() == 9  # with 来源: an office receives others' changes
    _drive(office_page, qtbot, office_page.person.itemText(office_page.person.count() - 1))

    # The hub: its own people's changes, never an office's it received.
    _add(world, "admin", "区管理员", DistrictRole.ADMIN)
    _add(world, "tongji", "赵统计", DistrictRole.STATISTICIAN)
    _add(world, "weibao", "钱未保", DistrictRole.CHILD_CENTRE)
    account(world.offices[CODES[0]], "zhangsan", "张三", Role.CASEWORKER)
    assert service.ingest(world.hub, [world.office_to_district(CODES[0])])
    with world.hub.reader() as s:
        own = s.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.device_id == world.hub.device_id)
        )
        received = s.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.device_id != world.hub.device_id)
        )
    assert received > 0  # the office's account reached the hub
    with console_on(world.hub.home, qsettings) as controller:
        controller.start()
        _log_in(controller, qtbot, "admin", PASSWORD)
        page = controller.window.page("audit")
        assert type(page).__mro__[1] is AuditLogPage
        assert not page.export_button.isVisibleTo(page)
        assert page.model.columnCount() == 8
        names = [page.person.itemText(i) for i in range(1, page.person.count())]
        assert "区管理员" in names and "张三" not in names  # the office's clerk: not the bureau's
        assert page.model.total <= own
        _drive(page, qtbot, "区管理员")
        assert all("张三" not in r.new_value for r in page.model.rows)
