"""街道 in the district console (区级平台, issue 24), offscreen with real hubs, offices and signed
bundles: the administrator retires an office's device from the page and that device's next
bundle is refused (then taken back into use and imported); re-issuing an enrollment shows the
new passphrase once with its printable sheet, the office enrolled with the old one is refused
and a new PC enrolled with the new one joins. A clerk's console has no 街道 page at all, and
the services refuse a clerk (tests/district/test_district_devices.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from caseworker.district import service
from caseworker.domain.roles import DistrictRole
from caseworker.sync import office
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident
from tests.sync.helpers import ADMIN, make_world, snapshot
from tests.ui.test_district_console import _add, _log_in
from ui.district import offices
from ui.widgets import file_dialogs

CODES = ["110101001", "110101002"]


@pytest.fixture
def world(tmp_path: Path):
    from caseworker import demo

    w = make_world(tmp_path, CODES)
    demo.build(w.offices[CODES[0]], residents=3, seed=1)
    service.ingest(w.hub, [w.office_to_district(c) for c in CODES])
    yield w
    w.close()


def _edit(ws: Workspace) -> None:
    with ws.writer(ADMIN) as s:
        for resident in s.scalars(select(ElderlyResident).limit(1)):
            resident.phone = "13900000000"


def _admin_page(world, controller, qtbot) -> offices.OfficesPage:
    _add(world, "admin", "区管理员", DistrictRole.ADMIN)
    controller.start()
    _log_in(controller, qtbot, "admin")
    return controller.window.page("offices")


def test_a_device_retired_on_the_page_has_its_next_bundle_refused(
    world, controller, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _admin_page(world, controller, qtbot)
    a = world.offices[CODES[0]]
    assert page.current().code == CODES[0] and page.devices_button.isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    seen: dict[str, object] = {}

    def work(dialog: offices.DevicesDialog) -> int:
        # the office's one PC, in use; the enrollment's own id is not a device to retire
        assert [d.device_id for d in dialog.devices] == [a.device_id]
        assert dialog.retire_button.isEnabled() and not dialog.restore_button.isEnabled()
        qtbot.keyClick(dialog.retire_button, Qt.Key.Key_Space)
        seen["state"] = dialog.devices[0].state
        seen["restore"] = dialog.restore_button.isEnabled()
        # a wrong id typed for a new PC: one red line, nothing added
        dialog.new_device.setText("12345")
        qtbot.keyClick(dialog.new_device, Qt.Key.Key_Return)
        seen["message"] = dialog.message.text()
        seen["count"] = len(dialog.devices)
        return 1

    monkeypatch.setattr(offices.DevicesDialog, "exec", work)
    page.devices_button.click()
    assert seen["state"] == "已停用（区里）" and seen["restore"] is True
    assert "36 位" in str(seen["message"]) and seen["count"] == 1
    assert "已停用（区里）" in page.table.item(0, 3).text()

    # the office's next bundle, signed with its real key, is refused and changes nothing
    _edit(a)
    later = world.office_to_district(CODES[0])
    before = snapshot(world.hub.engine)
    [r] = service.ingest(world.hub, [later])
    assert "已被区里停用的设备" in r.refused
    assert snapshot(world.hub.engine) == before

    # 恢复使用 takes it back: the same bundle is imported
    def restore(dialog: offices.DevicesDialog) -> int:
        qtbot.keyClick(dialog.restore_button, Qt.Key.Key_Space)
        seen["after"] = dialog.devices[0].state
        return 1

    monkeypatch.setattr(offices.DevicesDialog, "exec", restore)
    page.devices_button.click()
    assert seen["after"] == "在用"
    [r] = service.ingest(world.hub, [later])
    assert not r.refused and r.applied > 0


def test_a_reissued_enrollment_is_shown_once_and_the_old_one_no_longer_joins(
    world, controller, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _admin_page(world, controller, qtbot)
    page.table.selectRow(1)
    code = CODES[1]
    out = tmp_path / "stick" / "again.cwenroll"
    monkeypatch.setattr(file_dialogs, "ask", lambda parent, request: [out])
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    page.reissue_button.click()
    assert not out.exists()  # 否: nothing issued
    page.reissue_button.click()
    shown = page.passphrase_dialog.passphrase.text()
    assert shown and shown in page.passphrase_dialog.sheet_html()
    assert "作废" in page.passphrase_dialog.sheet_html()
    assert out.exists() and shown.encode() not in out.read_bytes()

    # the office enrolled with the old file: its next bundle is refused
    _edit(world.offices[code])
    before = snapshot(world.hub.engine)
    [r] = service.ingest(world.hub, [world.office_to_district(code)])
    assert r.refused and snapshot(world.hub.engine) == before
    # a new PC enrolled with the re-issued file and passphrase joins
    ws = Workspace.open(tmp_path / "office-new")
    try:
        ws.now_ms = world.clock
        office.enroll(ws, out, shown)
        up = world.path("new-up")
        office.export_bundle(ws, ADMIN, up)
        [r] = service.ingest(world.hub, [up])
        assert not r.refused
    finally:
        ws.close()
