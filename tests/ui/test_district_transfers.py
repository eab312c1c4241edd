"""转移 in the district console (issue 24), offscreen with a real hub and two real offices: a
resident with a retrofit case found by pinyin initials, previewed and moved through the widgets
(the same `transfer_person` as `caseworker-district transfer`), journaled as the clerk with the
reason kept; a refused move (no reason, the office they are already at) says why in one line and
changes nothing; roles other than 区级业务员 do not see the section and the services refuse them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import text

from caseworker.district import accounts, people, transfer
from caseworker.domain.errors import PermissionDenied
from caseworker.domain.roles import DistrictRole
from db.journal_packing import id_to_disk
from tests.sync.helpers import make_world, snapshot, table_rows
from tests.sync.test_person_transfer import _resident_with_case, _sync
from tests.ui.test_district_console import PASSWORD, _add, _log_in


@pytest.fixture
def world(tmp_path: Path):
    w = make_world(tmp_path, ["A", "B"])
    number, resident, case = _resident_with_case(w, 31)
    _sync(w, "A")
    _sync(w, "B")
    w.person = (number, resident, case)  # type: ignore[attr-defined]
    yield w
    w.close()


def _page(world, controller, qtbot, username: str = "yewu"):
    _add(world, username, "李业务", DistrictRole.CLERK)
    controller.start()
    _log_in(controller, qtbot, username)
    assert controller.window is not None
    # The console opened the hub itself: on the world's clock, as the offices are (a change on
    # the wall clock, months after the test offices' clock, is held back as from the future).
    controller.hub.now_ms = world.clock
    return controller.window.page("transfers")


def _find(page, qtbot, text: str) -> None:
    page.search.setText(text)
    qtbot.keyClick(page.search, Qt.Key.Key_Return)


def _choose(page, code: str, community: str, reason: str) -> None:
    page.office.setCurrentIndex(page.office.findData(code))
    page.community.setCurrentIndex(page.community.findText(community))
    page.reason.setText(reason)


def test_a_resident_with_a_retrofit_case_moves_through_the_widgets(
    world, controller, qtbot
) -> None:
    number, _resident, case = world.person
    page = _page(world, controller, qtbot)
    _find(page, qtbot, "cnn")  # 陈奶奶 by her pinyin initials
    assert page.people_table.rowCount() == 1
    qtbot.keyClick(page.search, Qt.Key.Key_Down)  # ↓ goes to the people found
    assert page.window().focusWidget() is page.people_table
    assert page.people_table.item(0, 0).text() == "陈奶奶"
    assert page.people_table.item(0, 1).text() == number[:6] + "********" + number[-4:]
    assert page.people_table.item(0, 2).text() == "第1街道办事处"
    assert page.people_table.item(0, 3).text() == "老年人探访、适老化改造"
    held = [
        (page.records_table.item(i, 0).text(), page.records_table.item(i, 2).text())
        for i in range(page.records_table.rowCount())
    ]
    assert held == [("老年人探访", "A和平社区"), ("适老化改造", "A和平社区")]
    assert not page.confirm_button.isEnabled()  # nothing previewed yet

    _choose(page, "B", "B光明社区", "迁居到女儿家")
    assert [page.community.itemText(i) for i in range(page.community.count())] == [
        "B和平社区",
        "B光明社区",
        "B柳村",
    ]
    before = snapshot(world.hub.engine)
    qtbot.keyClick(page.preview_button, Qt.Key.Key_Space)
    assert "将转移到 第2街道办事处（B）B光明社区" in page.outcome.toPlainText()
    assert "适老化改造：原街道保留原档案" in page.outcome.toPlainText()
    assert snapshot(world.hub.engine) == before  # a preview changes nothing
    assert page.confirm_button.isEnabled()
    page.reason.setText("迁居")  # a changed choice needs a new preview
    assert not page.confirm_button.isEnabled()
    page.reason.setText("迁居到女儿家")
    qtbot.keyClick(page.preview_button, Qt.Key.Key_Space)
    assert page.confirm_button.isEnabled()

    # keyboard first: the preview leaves the focus on 确认转移, Space confirms
    assert page.window().focusWidget() is page.confirm_button
    qtbot.keyClick(page.confirm_button, Qt.Key.Key_Space)
    assert page.window().focusWidget() is page.search  # ready for the next person
    assert "已转移" in page.message.text()
    assert page.outcome.toPlainText().startswith("已转移到 第2街道办事处（B）B光明社区")
    offices = {
        r.table: r.office_code for r in people.person_records(world.hub, transfer.DISTRICT, number)
    }
    assert offices == {"elderly_resident": "B", "retrofit_case": "B"}
    assert [page.records_table.item(i, 1).text() for i in range(2)] == ["第2街道办事处"] * 2
    # journaled as the clerk, the reason kept in the hub's transfer log
    [(who, to, community, reason, moved)] = table_rows(
        world.hub.engine,
        "sync_transfer_log",
        columns="actor_name, to_office_code, community, reason, records",
    )
    assert (who, to, community, reason) == ("李业务", "B", "B光明社区", "迁居到女儿家")
    assert moved >= 2
    with world.hub.engine.connect() as conn:
        moved_by = conn.execute(
            text(
                "SELECT actor_name FROM journal WHERE table_name = 'retrofit_case' "
                "AND record_id = :case AND field = 'community_id' AND device_id = :hub"
            ),
            {"case": case, "hub": id_to_disk(world.hub.device_id)},  # 16 bytes on disk (0025)
        ).all()
    assert moved_by == [("李业务",)]
    # 转移记录 shows it: who, whom (masked), from and to, why
    page.tabs.setCurrentWidget(page.log)
    shown = [page.log.table.item(0, j).text() for j in range(1, 8)]
    assert shown == [
        "李业务",
        "陈奶奶",
        number[:6] + "********" + number[-4:],
        "A",
        "B B光明社区",
        str(moved),
        "迁居到女儿家",
    ]
    # the new office gets them in its next bundle
    _sync(world, "B")
    assert len(table_rows(world.offices["B"].engine, "retrofit_case")) == 1


def test_a_refused_move_says_why_and_changes_nothing(world, controller, qtbot) -> None:
    page = _page(world, controller, qtbot)
    _find(page, qtbot, "陈奶奶")
    assert page.people_table.rowCount() == 1
    before = snapshot(world.hub.engine)
    _choose(page, "B", "B和平社区", "   ")
    page.preview_button.click()
    assert "请填写转移原因" in page.message.text()
    assert not page.confirm_button.isEnabled()
    _choose(page, "A", "A光明社区", "搬家")  # the office she is already at
    page.preview_button.click()
    assert "都已属于街道 A" in page.message.text()
    assert not page.confirm_button.isEnabled()
    assert page.outcome.toPlainText() == ""
    assert snapshot(world.hub.engine) == before
    page.tabs.setCurrentWidget(page.log)
    assert page.log.table.rowCount() == 0 and page.log.count.text() == "还没有转移记录"
    # a search that finds nobody says so
    _find(page, qtbot, "zzzq")
    assert page.people_table.rowCount() == 0 and page.count.text() == "没有找到"


def test_only_the_clerk_sees_transfers(world, controller, qtbot) -> None:
    _add(world, "tongji", "赵统计", DistrictRole.STATISTICIAN)
    controller.start()
    _log_in(controller, qtbot, "admin")
    assert "transfers" not in controller.window.section_keys()
    controller._close_main()
    controller.start()
    _log_in(controller, qtbot, "tongji")
    assert controller.window is not None
    assert "transfers" not in controller.window.section_keys()
    # and the services refuse them whatever calls them
    with world.hub.writer(accounts.LOGIN) as s:
        statistician = accounts.authenticate(s, "tongji", PASSWORD).actor
    number = world.person[0]
    with pytest.raises(PermissionDenied):
        people.find_people(world.hub, statistician, "陈")
    with pytest.raises(PermissionDenied):
        transfer.transfer_person(world.hub, number, "B", "B和平社区", actor=statistician)
