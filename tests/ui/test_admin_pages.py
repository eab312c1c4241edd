"""系统设置 pages driven like an administrator would: accounts, audit, parameters, backups."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QProgressDialog

from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts, settings
from caseworker.workspace import Workspace
from tests.ui.conftest import log_in, type_text
from ui.admin.audit import AuditPage
from ui.admin.backups import BackupsPage
from ui.admin.parameters import ParametersPage
from ui.admin.staff import StaffDialog, StaffPage


@pytest.fixture
def admin_session(demo_root: Path, make_controller, qtbot):
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot)
    return controller


@pytest.fixture
def no_popups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Message boxes answer Yes and record their text instead of blocking the test."""
    shown: list[str] = []

    def record(*args, **kwargs):
        shown.append(str(args[2]) if len(args) > 2 else "")
        return QMessageBox.StandardButton.Yes

    for name in ("information", "warning", "critical", "question"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(record))
    return shown


def when_dialog_opens(qtbot, act) -> None:
    """Run `act(dialog)` on the next modal dialog once it is shown."""

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        # A progress dialog (a long job) is never the one a test drives: wait past it.
        if (
            isinstance(dialog, QDialog)
            and not isinstance(dialog, QProgressDialog)
            and dialog.isVisible()
        ):
            act(dialog)
        else:
            QTimer.singleShot(10, poll)

    QTimer.singleShot(0, poll)


def test_add_a_caseworker_through_the_dialog(admin_session, qtbot, no_popups) -> None:
    page = admin_session.window.page("system").open_tab(StaffPage)
    before = page.model.rowCount()

    def fill(dialog: StaffDialog) -> None:
        qtbot.keyClicks(dialog.username, "wangli")
        type_text(qtbot, dialog.display, "王丽")
        dialog.role.setCurrentIndex(list(Role).index(Role.CASEWORKER))
        qtbot.keyClicks(dialog.password, "Start2026")
        dialog.accept()

    when_dialog_opens(qtbot, fill)
    page.add()
    assert page.model.rowCount() == before + 1
    added = next(r for r in page.model.rows if r.username == "wangli")
    assert added.display_name == "王丽" and added.must_change_password
    admin_session.switch_user()
    log_in(admin_session, qtbot, "wangli", "Start2026")
    assert admin_session.password_dialog is not None  # must set an own password first


def test_refused_account_keeps_the_dialog_open_with_the_reason(
    admin_session, qtbot, no_popups
) -> None:
    page = admin_session.window.page("system").open_tab(StaffPage)
    attempts: list[int] = []

    def fill(dialog: StaffDialog) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            qtbot.keyClicks(dialog.username, "admin")  # taken
            type_text(qtbot, dialog.display, "重名")
            qtbot.keyClicks(dialog.password, "Start2026")
            when_dialog_opens(qtbot, fill)  # the dialog comes back after the refusal
            dialog.accept()
        else:
            dialog.reject()

    when_dialog_opens(qtbot, fill)
    page.add()
    assert len(attempts) == 2
    assert any("已被使用" in text for text in no_popups)


def test_disable_account_from_the_list(admin_session, qtbot, no_popups) -> None:
    page = admin_session.window.page("system").open_tab(StaffPage)
    row = next(i for i, r in enumerate(page.model.rows) if r.username == "zhuangan3")
    page.view.selectRow(row)
    page.toggle()
    assert next(r for r in page.model.rows if r.username == "zhuangan3").disabled
    admin_session.switch_user()
    log_in(admin_session, qtbot, "zhuangan3")
    assert "已停用" in admin_session.login.message.text()


def test_audit_filters_by_person_and_record(admin_session, qtbot) -> None:
    ws: Workspace = admin_session.ws
    actor = admin_session.ctx.actor
    with ws.writer(actor) as s:
        settings.set_value(s, actor, "visit.interval_days.key", 28)
    page = admin_session.window.page("system").open_tab(AuditPage)
    page.reload_people()
    page.search()
    everything = page.model.total
    assert everything > 10
    page.person.setCurrentIndex(page.person.findData(actor.display_name))
    # the setting and its dated entry (from today), one transaction
    assert page.model.total == 2
    rows = [page.model.row(i) for i in range(2)]
    assert sorted(r.table_name for r in rows) == ["dated_value", "setting"]
    first_change = next(r for r in rows if r.table_name == "setting")
    assert first_change.op_label == "新建" and "值=28" in first_change.new_value
    page.person.setCurrentIndex(0)
    first = page.model.row(0)
    page.record.setText(first.record_id)
    page.search()
    assert 1 <= page.model.total < everything
    assert all(r.record_id == first.record_id for r in page.model.rows)


def test_audit_dates_are_typed_and_a_wrong_one_is_said(admin_session, qtbot) -> None:
    """从/到 take a date typed as every date field does (empty: no bound); a day that is not
    a date is said in one line and the rows shown stay those of the last search."""
    page = admin_session.window.page("system").open_tab(AuditPage)
    page.search()
    everything = page.model.total
    assert everything > 10
    tomorrow = date.today() + timedelta(days=1)
    qtbot.keyClicks(page.date_from, tomorrow.isoformat())
    qtbot.keyClick(page.date_from, Qt.Key.Key_Return)
    assert page.current_filter().date_from == tomorrow
    assert page.model.total == 0  # nothing was done tomorrow
    page.date_from.clear()
    qtbot.keyClicks(page.date_to, f"{date.today().year}-02-30")
    qtbot.keyClick(page.date_to, Qt.Key.Key_Return)
    assert "没有2月30日" in page.count_label.text()
    assert page.model.total == 0  # not searched again with a wrong day
    page.date_to.clear()
    qtbot.keyClick(page.date_to, Qt.Key.Key_Return)
    assert page.model.total == everything


def test_parameters_save_typed_values(admin_session, qtbot, no_popups) -> None:
    page = admin_session.window.page("system").open_tab(ParametersPage)
    page.editors["visit.interval_days.general"].setValue(60)
    page.save()
    assert "已保存 1 项修改" in no_popups[-1]
    with admin_session.ws.reader() as s:
        assert settings.get(s, "visit.interval_days.general") == 60


def test_a_yes_no_parameter_is_a_checkbox_saved_as_yes_or_no(
    admin_session, qtbot, no_popups
) -> None:
    page = admin_session.window.page("system").open_tab(ParametersPage)
    switch = page.switches["sync.send_scan_originals"]
    assert not switch.isChecked() and "sync.send_scan_originals" not in page.editors
    switch.setChecked(True)
    page.save()
    assert "已保存 1 项修改" in no_popups[-1]
    with admin_session.ws.reader() as s:
        assert settings.get(s, "sync.send_scan_originals") is True


def test_backup_then_restore_through_the_ui(admin_session, qtbot, no_popups) -> None:
    page = admin_session.window.page("system").open_tab(BackupsPage)
    count = page.model.rowCount()
    page.backup_now()
    assert page.model.rowCount() == count + 1
    saved = page.model.row(0)
    ws = admin_session.ws
    system = Actor.system("test")
    with ws.writer(system) as s:
        accounts.create_staff(
            s, system, accounts.StaffDraft("later", "后来者", Role.CASEWORKER), "Later2026"
        )
    page.view.selectRow(0)
    assert page.model.row(0) == saved
    page.restore_selected()
    assert admin_session.window is None  # everyone logs in again after a restore
    assert admin_session.login.isVisible()
    with admin_session.ws.reader() as s:
        names = {x.username for x in accounts.list_staff(s, system)}
    assert "later" not in names
    kept = list(admin_session.ws.paths.backups.glob("*-pre-restore.sqlite3"))
    assert len(kept) == 1


def test_a_refused_restore_keeps_the_session_working(
    admin_session, qtbot, no_popups, tmp_path: Path
) -> None:
    page = admin_session.window.page("system").open_tab(BackupsPage)
    altered = tmp_path / "altered.sqlite3"
    admin_session.ws.backup(out=altered)
    import sqlite3

    con = sqlite3.connect(altered)
    con.execute("CREATE TRIGGER t AFTER INSERT ON staff BEGIN UPDATE staff SET role='admin'; END")
    con.commit()
    con.close()
    page._confirm_and_restore(altered)
    assert "触发器" in no_popups[-1] and "未做任何改动" in no_popups[-1]
    assert admin_session.window is not None  # still logged in, same database
    system = Actor.system("test")
    with admin_session.ws.writer(system) as s:
        accounts.create_staff(
            s, system, accounts.StaffDraft("after", "之后", Role.CASEWORKER), "After2026"
        )
    good = admin_session.ws.backup(out=tmp_path / "good.sqlite3.gz")
    page._confirm_and_restore(good)  # and a genuine backup is still restored (lock taken back)
    assert admin_session.window is None


def test_parameters_show_a_change_the_district_scheduled(admin_session, qtbot) -> None:
    """The office's 参数 page shows the values in force today and, under the form, a change
    scheduled for a later day with that day and who set it (issue 24)."""
    later = date.today() + timedelta(days=9)
    key = "visit.interval_days.general"
    system = Actor.system("测试")
    with admin_session.ws.writer(system) as s:
        before = settings.get(s, key)
        settings.set_value(s, system, key, before + 10, effective=later)
    page = admin_session.window.page("system").open_tab(ParametersPage)
    page.refresh()
    assert page.editors[key].value() == before  # today's value
    shown = page.pending_label.text()
    assert f"{later.isoformat()} 起 一般老人探访间隔 改为 {before + 10}天" in shown
