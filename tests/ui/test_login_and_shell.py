"""Login, forced password change, navigation, status bar, idle lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QFontMetrics
from PySide6.QtWidgets import QApplication, QLabel, QTabWidget

from caseworker.domain.roles import Actor
from caseworker.services import accounts
from caseworker.workspace import Workspace
from tests.ui.conftest import log_in
from ui.idle import IdleWatcher


@pytest.fixture
def started(demo_root: Path, make_controller, qtbot):
    controller = make_controller(demo_root)
    controller.start()
    qtbot.waitUntil(lambda: controller.login.login_button.isEnabled())
    return controller


def test_wrong_password_is_explained_and_counted(started, qtbot) -> None:
    log_in(started, qtbot, "admin", "wrong-one")
    assert started.window is None
    assert "用户名或密码错误" in started.login.message.text()
    assert "再错 4 次" in started.login.message.text()
    log_in(started, qtbot, "admin", "demo1234")
    assert started.window is not None


def test_navigation_reaches_every_section_and_every_programme_is_open(started, qtbot) -> None:
    log_in(started, qtbot)
    window = started.window
    for row in range(window.nav.count()):
        qtbot.mouseClick(
            window.nav.viewport(),
            Qt.MouseButton.LeftButton,
            pos=window.nav.visualItemRect(window.nav.item(row)).center(),
        )
        assert window.stack.currentIndex() == row
    texts = {
        s.key: " ".join(lbl.text() for lbl in window.page(s.key).findChildren(QLabel))
        for s in window.sections
    }
    assert all("尚未开放" not in text for text in texts.values())  # every programme is open
    assert "适老化改造户" in texts["retrofit"]
    assert "尚未开放" not in texts["home"] and "示范街道办事处" in texts["home"]
    qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentIndex() == window.section_index("system")
    assert "示范街道办事处" in window.office_label.text()
    assert str(started.ws.paths.root) in window.path_label.text()


def test_admin_sees_account_tabs_caseworker_does_not(started, qtbot) -> None:
    log_in(started, qtbot, "admin")
    tabs = started.window.page("system").findChild(QTabWidget)
    admin_tabs = {tabs.tabText(i) for i in range(tabs.count())}
    assert {"账号管理", "操作日志", "备份与恢复"} <= admin_tabs
    started.switch_user()
    log_in(started, qtbot, "zhuangan1")
    tabs = started.window.page("system").findChild(QTabWidget)
    worker_tabs = {tabs.tabText(i) for i in range(tabs.count())}
    assert "账号管理" not in worker_tabs and "我的账号" in worker_tabs


def test_reset_password_forces_change_at_login(started, qtbot) -> None:
    ws: Workspace = started.ws
    system = Actor.system("test")
    with ws.writer(system) as s:
        staff = next(x for x in accounts.list_staff(s, system) if x.username == "zhuangan2")
        accounts.reset_password(s, system, staff.id, "Temp12345")
    log_in(started, qtbot, "zhuangan2", "Temp12345")
    dialog = started.password_dialog
    assert dialog is not None and dialog.isVisible() and started.window is None
    qtbot.keyClicks(dialog.old, "Temp12345")
    qtbot.keyClicks(dialog.new, "Mine2026x")
    qtbot.keyClicks(dialog.again, "Mine2026y")
    dialog._check()
    assert "不一致" in dialog.message.text()
    dialog.again.setText("Mine2026x")
    dialog._check()
    assert started.window is not None and started.window.isVisible()


def test_idle_lock_hides_the_window_until_the_password(started, qtbot) -> None:
    log_in(started, qtbot)
    window = started.window
    now = [1000.0]
    started.idle.stop()
    started.idle = IdleWatcher(10, clock=lambda: now[0])
    started.idle.idle.connect(started.lock)
    now[0] += 9 * 60
    started.idle.check()
    assert window.isVisible()
    now[0] += 61
    started.idle.check()
    assert not window.isVisible()
    lock = started.lock_dialog
    assert lock is not None and lock.isVisible()
    qtbot.keyClick(lock, Qt.Key.Key_Escape)
    assert lock.isVisible()  # Esc does not unlock
    qtbot.keyClicks(lock.password, "nope")
    qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    assert "密码错误" in lock.message.text() and not window.isVisible()
    lock.password.setText("demo1234")
    qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    assert window.isVisible() and started.lock_dialog is None


def test_window_geometry_is_remembered(started, qtbot, qsettings) -> None:
    log_in(started, qtbot)
    started.window.setWindowState(Qt.WindowState.WindowNoState)
    started.window.setGeometry(40, 50, 700, 500)  # fits the offscreen 800x600 screen
    started.window.close()
    assert qsettings.value("main/geometry") is not None
    started.switch_user()
    log_in(started, qtbot)
    assert (started.window.width(), started.window.height()) == (700, 500)


def test_bundled_font_renders_chinese(qapp: QApplication) -> None:
    family = qapp.font().family()
    assert "WenQuanYi" in family or "文泉驿" in family
    assert family in QFontDatabase.families()
    metrics = QFontMetrics(qapp.font())
    for ch in "街道民政工作台老年人探访适老化改造儿童关爱":
        assert metrics.inFontUcs4(ord(ch)), ch


def test_corrupt_workspace_is_explained_and_left_alone(
    tmp_path: Path, make_controller, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    root = tmp_path / "broken"
    root.mkdir()
    junk = b"definitely not sqlite" * 200
    (root / "caseworker.sqlite3").write_bytes(junk)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda *a, **k: shown.append(a[2])))
    controller = make_controller(root)
    controller.start()
    assert shown and "不是有效的数据库文件" in shown[0]
    assert controller.window is None and controller.wizard is None
    assert (root / "caseworker.sqlite3").read_bytes() == junk


def test_a_pc_clock_behind_the_last_change_is_warned_at_login(
    started, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: shown.append(a[2])))
    started.ws.now_ms = lambda: 946_684_800_000  # the PC thinks it is 2000-01-01
    log_in(started, qtbot)
    assert started.window is not None
    assert shown and "本机时钟比已记录的最新修改还早" in shown[0]


def test_a_correct_clock_gives_no_warning(started, qtbot) -> None:
    log_in(started, qtbot)
    assert started.clock_warning == ""


def test_fields_are_held_while_the_password_is_checked(started) -> None:
    login = started.login
    login.set_busy(True)
    assert login.password.isReadOnly() and login.username.isReadOnly()
    login.show_message("用户名或密码错误")
    assert not login.password.isReadOnly() and login.login_button.isEnabled()
