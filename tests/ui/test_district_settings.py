"""设置 in the district console (issue 24), offscreen with a real hub and a real office: a visit
interval and a catalogue price changed through the widgets, shown with who changed them and
when, and received by the office in its next bundle; a value out of range or a price that is
not a number says why in one line and changes nothing; only 区级业务员 sees the section."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from caseworker.district import accounts, rules
from caseworker.domain.errors import PermissionDenied
from caseworker.domain.roles import DistrictRole
from caseworker.services import dated, settings
from caseworker.services.retrofit import catalogue
from caseworker.sync import office
from tests.sync.helpers import ADMIN, make_world, snapshot
from tests.ui.test_district_console import PASSWORD, _add, _log_in

KEY = "visit.interval_days.key"


@pytest.fixture
def world(tmp_path: Path):
    w = make_world(tmp_path, ["A"])
    yield w
    w.close()


def _page(world, controller, qtbot):
    _add(world, "yewu", "李业务", DistrictRole.CLERK)
    controller.start()
    _log_in(controller, qtbot, "yewu")
    assert controller.window is not None
    controller.hub.now_ms = world.clock  # the offices' clock (see test_district_transfers.py)
    return controller.window.page("settings")


def _select(table, text: str, column: int = 0) -> None:
    row = next(i for i in range(table.rowCount()) if table.item(i, column).text() == text)
    table.selectRow(row)


def _hub_value(world, key: str):
    with world.hub.reader() as s:
        return settings.get(s, key)


def test_a_visit_interval_changes_with_who_and_when_and_reaches_the_office(
    world, controller, qtbot
) -> None:
    tab = _page(world, controller, qtbot).settings
    _select(tab.table, "重点老人探访间隔")
    row = tab.table.currentRow()
    assert tab.table.item(row, 1).text() == "30天"
    assert tab.table.item(row, 4).text() == "从未修改"
    before = snapshot(world.hub.engine)
    tab.value.setText("0")  # below the allowed range
    qtbot.keyClick(tab.value, Qt.Key.Key_Return)
    assert "不能小于 1" in tab.message.text()
    assert snapshot(world.hub.engine) == before and _hub_value(world, KEY) == 30
    tab.value.setText("45")
    qtbot.keyClick(tab.value, Qt.Key.Key_Return)
    assert "已保存" in tab.message.text()
    assert _hub_value(world, KEY) == 45
    row = tab.table.currentRow()
    assert tab.table.item(row, 0).text() == "重点老人探访间隔"  # the same row stays chosen
    assert tab.table.item(row, 1).text() == "45天"
    assert tab.table.item(row, 4).text() != "从未修改"
    assert tab.table.item(row, 5).text() == "李业务"
    # the office takes it in with its next bundle
    a = world.offices["A"]
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    with a.reader() as s:
        assert settings.get(s, KEY) == 45


def test_the_scan_originals_switch_is_set_with_yes_or_no_and_reaches_the_office(
    world, controller, qtbot
) -> None:
    """The yes/no setting shows and takes 是/否; anything else says why and changes nothing."""
    key, label = "sync.send_scan_originals", "扫描原件随数据包上报区里"
    tab = _page(world, controller, qtbot).settings
    _select(tab.table, label)
    row = tab.table.currentRow()
    assert (tab.table.item(row, 1).text(), tab.table.item(row, 2).text()) == ("否", "否")
    assert tab.value.text() == "否"
    before = snapshot(world.hub.engine)
    tab.value.setText("也许")
    qtbot.keyClick(tab.value, Qt.Key.Key_Return)
    assert "应为“是”或“否”" in tab.message.text()
    assert snapshot(world.hub.engine) == before and _hub_value(world, key) is False
    tab.value.setText("是")
    qtbot.keyClick(tab.value, Qt.Key.Key_Return)
    assert "已保存" in tab.message.text() and _hub_value(world, key) is True
    assert tab.table.item(tab.table.currentRow(), 1).text() == "是"
    a = world.offices["A"]
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    with a.reader() as s:
        assert settings.get(s, key) is True


def test_the_catalogue_prices_retire_and_add_through_the_widgets(world, controller, qtbot) -> None:
    page = _page(world, controller, qtbot)
    page.tabs.setCurrentWidget(page.catalogue)
    tab = page.catalogue
    _select(tab.table, "R01")
    assert tab.price.text() == "80.00" and tab.cap.isEnabled()
    before = snapshot(world.hub.engine)
    tab.price.setText("八十")
    tab.price_button.click()
    assert tab.message.text().startswith("单价：")
    assert snapshot(world.hub.engine) == before
    tab.price.setText("95.5")
    tab.cap.setText("90")
    qtbot.keyClick(tab.price_button, Qt.Key.Key_Space)
    with world.hub.reader() as s:
        r01 = catalogue.item(s, "R01")
    assert (r01.price_fen, r01.cap_fen) == (9550, 9000)
    row = tab.table.currentRow()
    assert tab.table.item(row, 0).text() == "R01"
    assert tab.table.item(row, 4).text() == "95.50"
    assert tab.table.item(row, 8).text() == "李业务"

    tab.retire_button.click()
    assert tab.table.item(tab.table.currentRow(), 6).text() == "已停用"
    assert tab.retire_button.text().startswith("恢复使用")
    with world.hub.reader() as s:
        assert catalogue.item(s, "R01").retired

    tab.new_code.setText("x01")
    tab.new_name.setText("智能烟感报警器")
    tab.new_unit.setText("个")
    tab.new_price.setText("180")
    tab.new_cap.setText("100")  # a cap on an optional item: refused
    tab.add_button.click()
    assert "只有基础项目才设补贴上限" in tab.message.text()
    tab.new_cap.clear()
    tab.add_button.click()
    assert tab.table.item(tab.table.currentRow(), 0).text() == "X01"
    with world.hub.reader() as s:
        assert catalogue.item(s, "X01").price_fen == 18000


def test_only_the_clerk_sees_settings(world, controller, qtbot) -> None:
    _add(world, "tongji", "赵统计", DistrictRole.STATISTICIAN)
    controller.start()
    _log_in(controller, qtbot, "tongji")
    assert controller.window is not None
    assert "settings" not in controller.window.section_keys()
    with world.hub.writer(accounts.LOGIN) as s:
        statistician = accounts.authenticate(s, "tongji", PASSWORD).actor
    with pytest.raises(PermissionDenied):
        rules.set_setting(world.hub, statistician, KEY, "45")
    with pytest.raises(PermissionDenied):
        rules.set_price(world.hub, statistician, "R01", "99")
    assert _hub_value(world, KEY) == 30


def test_a_screen_that_another_clerk_changed_under_it_is_refused(world, controller, qtbot) -> None:
    """Two clerks: the second saves the interval and a price after the first's screen read
    them; the first's save is refused with the value as it is now, and nothing is overwritten."""
    page = _page(world, controller, qtbot)
    tab = page.settings
    _select(tab.table, "重点老人探访间隔")
    _add(world, "yewu2", "周业务", DistrictRole.CLERK)
    with world.hub.writer(accounts.LOGIN) as s:
        other = accounts.authenticate(s, "yewu2", PASSWORD).actor
    rules.set_setting(world.hub, other, KEY, "60")
    tab.value.setText("45")
    qtbot.keyClick(tab.value, Qt.Key.Key_Return)
    assert "刚被其他人修改过（现在是 60天）" in tab.message.text()
    assert _hub_value(world, KEY) == 60
    assert tab.table.item(tab.table.currentRow(), 1).text() == "60天"  # reloaded
    assert tab.table.item(tab.table.currentRow(), 5).text() == "周业务"
    tab.value.setText("45")  # now from what the screen shows: saved
    qtbot.keyClick(tab.value, Qt.Key.Key_Return)
    assert _hub_value(world, KEY) == 45

    cat = page.catalogue
    _select(cat.table, "R02")
    rules.set_price(world.hub, other, "R02", "650")
    cat.price.setText("700")
    cat.price_button.click()
    assert "刚被其他人修改过（现在是 单价 650.00 元）" in cat.message.text()
    with world.hub.reader() as s:
        assert catalogue.item(s, "R02").price_fen == 65000
    rules.retire(world.hub, other, "R02")
    cat.retire_button.click()  # the screen still thinks R02 is in use, at 650
    assert "现在是 已停用" in cat.message.text()
    with world.hub.reader() as s:
        assert catalogue.item(s, "R02").retired


def test_a_change_scheduled_with_the_date_picker_is_pending_then_cancelled(
    world, controller, qtbot
) -> None:
    """设置 with *生效日期*: today by default (at once), a later day typed as a clerk types it
    keeps today's value and lists the change under 待生效的修改 (who, which day); a past day or
    a day that is not a date is refused with one line and saves nothing; the pending change is
    cancelled with its button, and the office sees what the hub decided."""
    tab = _page(world, controller, qtbot).settings
    today = dated.today()
    high = "visit.interval_days.high_risk"
    assert tab.effective.value() == today
    assert tab.pending.rowCount() == 0 and not tab.cancel_button.isEnabled()
    _select(tab.table, "高风险老人探访间隔")
    for typed, says in (
        ((today - timedelta(days=3)).isoformat(), "不能早于今天"),
        (f"{today.year + 1}-13-01", "月"),
    ):
        tab.value.setText("5")
        tab.effective.clear()
        qtbot.keyClicks(tab.effective, typed)
        qtbot.keyClick(tab.value, Qt.Key.Key_Return)
        assert says in tab.message.text(), (typed, tab.message.text())
        assert tab.pending.rowCount() == 0 and _hub_value(world, high) == 7  # nothing saved
    later = today + timedelta(days=14)
    # typed over the whole field, key by key (a spin-box date edit turned this into today)
    tab.effective.selectAll()
    qtbot.keyClicks(tab.effective, later.isoformat())
    tab.value.setText("5")
    qtbot.keyClick(tab.value, Qt.Key.Key_Return)
    assert f"自 {later} 起生效" in tab.message.text()
    qtbot.waitUntil(lambda: tab.pending.rowCount() == 1)
    assert [tab.pending.item(0, j).text() for j in range(4)] == [
        "高风险老人探访间隔",
        "5天",
        later.isoformat(),
        "李业务",
    ]
    row = tab.table.currentRow()
    assert tab.table.item(row, 1).text() == "7天"  # today's value stands until then
    assert _hub_value(world, high) == 7
    with world.hub.reader() as s:
        assert settings.get(s, high, later) == 5
    a = world.offices["A"]
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    with a.reader() as s:
        assert [(p.key, p.value) for p in settings.pending(s)] == [(high, 5)]

    tab.pending.selectRow(0)
    assert tab.cancel_button.isEnabled()
    qtbot.keyClick(tab.cancel_button, Qt.Key.Key_Space)
    assert "已取消" in tab.message.text()
    qtbot.waitUntil(lambda: tab.pending.rowCount() == 0)
    with world.hub.reader() as s:
        assert settings.pending(s) == [] and settings.get(s, high, later) == 7
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    with a.reader() as s:
        assert settings.pending(s) == []


def test_a_catalogue_price_scheduled_for_next_month(world, controller, qtbot) -> None:
    page = _page(world, controller, qtbot)
    page.tabs.setCurrentWidget(page.catalogue)
    tab = page.catalogue
    # with the date picker and the pending list, the page still fits an office screen
    window = controller.window
    hint = window.minimumSizeHint().expandedTo(window.minimumSize())
    assert hint.width() <= 1366 and hint.height() <= 728, hint
    later = dated.today() + timedelta(days=31)
    _select(tab.table, "R02")
    tab.effective.set_value(later)
    tab.price.setText("700")
    tab.price_button.click()
    assert f"自 {later} 起生效" in tab.message.text()
    qtbot.waitUntil(lambda: tab.pending.rowCount() == 1)
    assert tab.pending.item(0, 0).text().startswith("R02")
    assert tab.pending.item(0, 1).text().startswith("单价 700.00 元")
    assert tab.pending.item(0, 2).text() == later.isoformat()
    with world.hub.reader() as s:
        assert catalogue.item(s, "R02").price_fen != 70000  # today's price stands
        assert catalogue.item(s, "R02", later).price_fen == 70000
    tab.retire_button.click()  # a retirement the same later day
    qtbot.waitUntil(lambda: tab.pending.rowCount() == 1)
    # one change of R02 from that day: the new price and the retirement, both kept
    assert tab.pending.item(0, 1).text().startswith("单价 700.00 元")
    assert tab.pending.item(0, 1).text().endswith("停用")
    with world.hub.reader() as s:
        assert not catalogue.item(s, "R02").retired
        then = catalogue.item(s, "R02", later)
    assert then.retired and then.price_fen == 70000
    tab.pending.selectRow(0)
    tab.cancel_button.click()
    qtbot.waitUntil(lambda: tab.pending.rowCount() == 0)
    with world.hub.reader() as s:
        assert catalogue.item(s, "R02", later) == catalogue.item(s, "R02")
