"""Enrolling through the first-start wizard, then exchanging real bundles on the 数据同步 page."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from caseworker.district import service
from caseworker.district.hub import Hub
from caseworker.domain.roles import Actor
from caseworker.services import settings
from tests.ui.conftest import log_in, type_text
from tests.ui.test_admin_pages import no_popups, when_dialog_opens  # noqa: F401 (fixture)
from ui.sync.dialogs import ImportPreviewDialog
from ui.sync.page import SyncPage

PASSPHRASE = "kou-ling-2026"
DISTRICT = Actor.system("test")


@pytest.fixture
def hub(tmp_path: Path):
    h = Hub.open(tmp_path / "district", None)
    service.init(h, "示范区民政局")
    yield h
    h.close()


def enroll_through_wizard(controller, qtbot, enroll_file: Path) -> None:
    wizard = controller.wizard
    wizard.choice_page.enroll.setChecked(True)
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    page = wizard.enroll_page
    qtbot.keyClicks(page.path, str(enroll_file))
    qtbot.keyClicks(page.passphrase, "wrong-passphrase")
    qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is page and page.message.text()  # refused, stays here
    page.passphrase.setText(PASSPHRASE)
    qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is wizard.admin_page
    admin = wizard.admin_page
    type_text(qtbot, admin.display, "赵管理")
    qtbot.keyClicks(admin.password, "Office2026")
    qtbot.keyClicks(admin.again, "Office2026")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)


def test_enroll_in_the_wizard_then_exchange_bundles(
    tmp_path: Path,
    hub: Hub,
    make_controller,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    enroll_file = tmp_path / "stick" / "E01.cwenroll"
    enroll_file.parent.mkdir()
    service.add_office(
        hub,
        code="E01",
        name="东湖街道办事处",
        communities=["东湖社区", "西岸村"],
        out=enroll_file,
        passphrase=PASSPHRASE,
    )
    controller = make_controller(tmp_path / "office")
    controller.start()
    enroll_through_wizard(controller, qtbot, enroll_file)
    qtbot.waitUntil(lambda: controller.login.isVisible())
    assert controller.login.office.text() == "东湖街道办事处"
    log_in(controller, qtbot, "admin", "Office2026")
    page = controller.window.page("sync")
    assert isinstance(page, SyncPage)
    assert "已登记" in page.banner.text() and page.export_button.isEnabled()
    assert "等待区里确认的修改" in page.pending_label.text()  # the new admin account

    # Office → district
    result = page.export_to(tmp_path / "stick")
    assert result is not None and result.path.exists() and result.changes >= 1
    [ingested] = service.ingest(hub, [result.path])
    assert ingested.applied >= 1
    assert page.history.rowCount() == 1 and page.history.row(0).direction == "sent"

    # District → office: a changed visit interval, previewed then imported
    with hub.writer(DISTRICT) as s:
        settings.set_value(s, DISTRICT, "visit.interval_days.general", 45)
    down = tmp_path / "stick" / "down.cwbundle"
    service.export_for(hub, "E01", down)
    seen: list[str] = []

    def accept(dialog) -> None:
        assert isinstance(dialog, ImportPreviewDialog)
        seen.append(dialog.windowTitle())
        dialog.accept()

    when_dialog_opens(qtbot, accept)
    imported = page.import_from(down)
    assert seen and imported is not None
    with controller.ws.reader() as s:
        assert settings.get(s, "visit.interval_days.general") == 45
    assert imported.backup is not None and imported.backup.exists()
    assert "所有修改都已被区里确认" in page.pending_label.text()
    # The same bundle again: nothing new, nothing changed.
    assert page.import_from(down) is None
    assert any("都已经导入过" in text for text in no_popups)


def test_a_bundle_for_another_office_is_refused_with_a_reason(
    tmp_path: Path,
    hub: Hub,
    make_controller,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    files = {}
    for code in ("F01", "F02"):
        files[code] = tmp_path / f"{code}.cwenroll"
        service.add_office(
            hub,
            code=code,
            name=f"{code}街道",
            communities=["一社区"],
            out=files[code],
            passphrase=PASSPHRASE,
        )
    controller = make_controller(tmp_path / "office")
    controller.start()
    enroll_through_wizard(controller, qtbot, files["F01"])
    qtbot.waitUntil(lambda: controller.login.isVisible())
    log_in(controller, qtbot, "admin", "Office2026")
    page = controller.window.page("sync")
    other = tmp_path / "for-f02.cwbundle"
    service.export_for(hub, "F02", other)
    before = page.history.rowCount()
    assert page.import_from(other) is None
    assert no_popups and "不是发给本机" in no_popups[-1]
    assert page.history.rowCount() == before


def test_a_resident_moved_to_another_street_shows_as_transferred_out(tmp_path: Path, qtbot) -> None:
    from datetime import date

    from caseworker.domain import idnumber
    from caseworker.services import accounts
    from caseworker.services.elderly import roster, visits
    from caseworker.sync import office
    from db.elderly import ElderlyResident
    from tests.sync.helpers import ADMIN, make_world
    from ui.context import AppContext
    from ui.tasks import SyncRunner

    w = make_world(tmp_path, ["A", "B"])
    try:
        a, b = w.offices["A"], w.offices["B"]
        today = date.today()
        with a.writer(ADMIN) as s:
            community = accounts.communities(s)[0]
            number = idnumber.make("110105", date(1938, 5, 6), 21)
            rid = roster.register(
                s, ADMIN, roster.ResidentDraft("钱奶奶", number, community.id), today=today
            ).resident.id
        with a.writer(ADMIN) as s:
            visits.complete(
                s, ADMIN, visits.VisitDraft(rid, today, visitors=("孙专干",)), today=today
            )
        service.ingest(w.hub, [w.office_to_district("A")])
        service.transfer(w.hub, "elderly_resident", rid, "B", community="B光明社区")
        page = SyncPage(AppContext(a, SyncRunner(), ADMIN))
        assert page.transfers.rowCount() == 0
        office.import_bundle(a, ADMIN, w.district_to_office("A"))
        page.refresh()
        moved = {(t.table_name, t.to_office_code) for t in page.transfers.rows}
        assert moved == {("elderly_resident", "B"), ("elderly_visit", "B")}
        office.import_bundle(b, ADMIN, w.district_to_office("B"))
        with b.reader() as s:
            arrived = s.get(ElderlyResident, rid)
            assert arrived is not None and arrived.name == "钱奶奶"
            assert arrived.next_due is not None and arrived.next_due > today  # recomputed at B
    finally:
        w.close()


def test_a_restored_office_shows_that_it_waits_for_the_district(tmp_path: Path, qtbot) -> None:
    """After restoring an older backup the page says so until the district's answer is
    imported (issue 19)."""
    from caseworker.sync import office
    from caseworker.workspace import Workspace, restore
    from tests.sync.helpers import ADMIN, make_world
    from ui.context import AppContext
    from ui.tasks import SyncRunner

    w = make_world(tmp_path, ["A"])
    try:
        a = w.offices["A"]
        backup = a.backup("manual")
        root = a.paths.root
        a.close()
        restore(root, backup)
        a = w.offices["A"] = Workspace.open(root)
        a.now_ms = w.clock
        page = SyncPage(AppContext(a, SyncRunner(), ADMIN))
        assert "正在等待区里补回" in page.pending_label.text()
        service.ingest(w.hub, [w.office_to_district("A")])
        office.import_bundle(a, ADMIN, w.district_to_office("A"))
        page.refresh()
        assert "正在等待区里补回" not in page.pending_label.text()
        assert "所有修改都已被区里确认" in page.pending_label.text()
    finally:
        w.close()


def test_parameters_are_read_only_once_enrolled(
    tmp_path: Path,
    hub: Hub,
    make_controller,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    from ui.admin.parameters import ParametersPage

    enroll_file = tmp_path / "P01.cwenroll"
    service.add_office(
        hub,
        code="P01",
        name="P01街道",
        communities=["一社区"],
        out=enroll_file,
        passphrase=PASSPHRASE,
    )
    controller = make_controller(tmp_path / "office")
    controller.start()
    enroll_through_wizard(controller, qtbot, enroll_file)
    qtbot.waitUntil(lambda: controller.login.isVisible())
    log_in(controller, qtbot, "admin", "Office2026")
    page = controller.window.page("system").open_tab(ParametersPage)
    assert not page.save_button.isEnabled()
    assert not any(spin.isEnabled() for spin in page.editors.values())


def test_the_preview_says_how_many_photos_come(tmp_path: Path, qtbot) -> None:
    from datetime import datetime

    from PySide6.QtWidgets import QLabel

    from caseworker.sync.office import ImportPreview

    preview = ImportPreview(
        "b1", "示范区民政局", datetime(2026, 11, 29, 9, 30), 0, False, 0, 0, {}, {}, {}, 0, photos=4
    )
    assert not preview.nothing_new  # photos alone are something new
    dialog = ImportPreviewDialog(None, tmp_path / "down.cwbundle", preview)
    qtbot.addWidget(dialog)
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert "4 张（已核对）" in texts
    # photos alone take no backup, so the note does not promise one
    assert not any("备份" in t for t in texts) and any("全部完成" in t for t in texts)
    dialog.grab().save(str(tmp_path / "preview.png"))
    with_changes = ImportPreviewDialog(
        None, tmp_path / "down.cwbundle", dataclasses.replace(preview, changes=3, new_changes=3)
    )
    qtbot.addWidget(with_changes)
    assert any("自动备份" in label.text() for label in with_changes.findChildren(QLabel))
