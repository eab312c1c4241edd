"""One PC, several people in a day: 切换用户 must leave nothing of the previous session behind.

The window of an earlier session is deleted; nothing long-lived (the context's signals) may still
call into its pages, and an error after a write has committed must not claim "数据未改动".
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QPushButton
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseworker.domain import idnumber
from db.elderly import ElderlyResident
from db.models import Office
from tests.ui.conftest import log_in, type_text
from tests.ui.test_admin_pages import when_dialog_opens
from ui.app import _install_excepthook
from ui.elderly.resident_dialog import ResidentDialog


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The application's own excepthook, with message boxes recorded instead of shown."""
    shown: list[tuple[str, str]] = []

    def record(kind: str):
        def box(*args, **kwargs):
            shown.append((kind, str(args[2]) if len(args) > 2 else ""))
            return QMessageBox.StandardButton.Yes

        return staticmethod(box)

    for name in ("information", "warning", "critical", "question"):
        monkeypatch.setattr(QMessageBox, name, record(name))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    _install_excepthook()
    return shown


def _flush_deletes() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_saving_after_switching_user_shows_no_error(
    demo_root: Path, make_controller, qtbot, boxes
) -> None:
    controller = make_controller(demo_root)
    controller.start()
    for user in ("admin", "kezhang"):  # two earlier sessions each open 数据同步
        log_in(controller, qtbot, user)
        controller.window.page("sync")
        controller.window.page("system")
        controller.window.page("home")
        controller.switch_user()
        _flush_deletes()
    log_in(controller, qtbot, "zhuangan1")
    page = controller.window.page("elderly")
    count = lambda: controller.ctx.read(  # noqa: E731
        lambda s: s.scalar(select(func.count(ElderlyResident.id)))
    )
    before = count()

    def fill(dialog: ResidentDialog) -> None:
        qtbot.keyClicks(dialog.id_number, idnumber.make("110105", date(1949, 6, 2), 35))
        type_text(qtbot, dialog.name, "冯春来")
        type_text(qtbot, dialog.address, "和平路9号")
        dialog.categories[next(iter(dialog.categories))].setChecked(True)
        qtbot.keyClick(dialog.name, Qt.Key.Key_Return)

    when_dialog_opens(qtbot, fill)
    page.add_resident()
    assert count() == before + 1
    assert [b for b in boxes if b[0] == "critical"] == []


def test_an_error_after_the_commit_says_the_change_was_saved(
    demo_root: Path, make_controller, qtbot, boxes
) -> None:
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "zhuangan1")

    def broken_refresh(_result: object) -> None:
        raise RuntimeError("Internal C++ object (QPushButton) already deleted.")

    controller.ctx.write(lambda s, a: None, on_done=broken_refresh)
    texts = [text for kind, text in boxes if kind == "critical"]
    assert len(texts) == 1
    assert "已保存" in texts[0] and "数据未改动" not in texts[0]
    assert "Internal C++" not in texts[0]  # no raw Qt text in front of a caseworker


def test_switching_user_puts_the_cursor_on_the_login_name(
    demo_root: Path, make_controller, qtbot, qsettings
) -> None:
    """The next person after 切换用户 is someone else: the cursor is on 登录名 with the old name
    selected (typing replaces it), the password field empty. (A start with a remembered name
    focuses the password: the same person coming back.)"""
    qsettings.setValue("login/last_username", "admin")
    controller = make_controller(demo_root)
    assert controller.login.focusWidget() is controller.login.password
    controller.start()
    log_in(controller, qtbot, "admin")
    controller.switch_user()
    login = controller.login
    assert login.focusWidget() is login.username
    assert login.username.selectedText() == "admin" and login.password.text() == ""
    qtbot.keyClicks(login.username, "zhuangan1")
    assert login.username.text() == "zhuangan1"
    qtbot.keyClick(login.username, Qt.Key.Key_Return)  # on to the password, as before
    qtbot.keyClicks(login.password, "demo1234")
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: controller.window is not None and controller.ctx.actor is not None)
    assert controller.ctx.actor.username == "zhuangan1"


def test_an_error_before_the_commit_says_nothing_was_changed(
    demo_root: Path, make_controller, qtbot, boxes
) -> None:
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "zhuangan1")

    def fails(_s: object, _a: object) -> None:
        raise ValueError("boom")

    controller.ctx.write(fails)
    texts = [text for kind, text in boxes if kind == "critical"]
    assert len(texts) == 1 and "没有保存" in texts[0] and "boom" not in texts[0]


def test_a_view_failing_to_refresh_after_a_save_says_it_was_saved(
    demo_root: Path, make_controller, qtbot, boxes
) -> None:
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "zhuangan1")
    page = controller.window.page("home")

    def broken(_tables: object) -> None:
        raise RuntimeError("boom")

    def renames_the_office(s: Session, _a: object) -> None:
        s.scalars(select(Office)).first().name = "测试街道办事处"  # a real write: it is announced

    controller.ctx.on_changed(page, broken)  # an exception in a slot goes to the excepthook
    controller.ctx.write(renames_the_office)
    texts = [text for kind, text in boxes if kind == "critical"]
    assert len(texts) == 1 and "已保存" in texts[0] and "boom" not in texts[0]


def test_switching_user_from_the_lock_screen_then_locking_again(
    demo_root: Path, make_controller, qtbot, boxes
) -> None:
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "zhuangan1")
    controller.window.lock_action.trigger()  # Ctrl+L: locked by hand, not for idleness
    lock = controller.lock_dialog
    assert lock is not None and lock.isVisible()
    said = " ".join(label.text() for label in lock.findChildren(QLabel))
    assert "长时间无操作" not in said and "已锁定" in said
    switch = next(b for b in lock.findChildren(QPushButton) if b.text() == "切换用户")
    qtbot.mouseClick(switch, Qt.MouseButton.LeftButton)
    _flush_deletes()
    log_in(controller, qtbot, "zhuangan2")
    controller.window.lock_action.trigger()
    assert controller.lock_dialog is not None and controller.lock_dialog.isVisible()
    assert not controller.window.isVisible()


def test_the_lock_covers_an_open_visit_form_and_keeps_what_was_typed(
    demo_root: Path, make_controller, qtbot, boxes
) -> None:
    """Issue 8: a modal dialog open at lock time was left visible and usable."""
    from ui.idle import Cover

    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "zhuangan1")
    page = controller.window.page("elderly")
    seen: dict[str, object] = {}

    def while_open(dialog: ResidentDialog) -> None:
        type_text(qtbot, dialog.name, "冯春来")
        title = dialog.windowTitle()
        controller.lock(automatic=True)
        lock = controller.lock_dialog
        assert lock is not None and lock.isVisible()
        [cover] = dialog.findChildren(Cover)
        seen["covered"] = cover.isVisible() and cover.geometry() == dialog.rect()
        seen["title while locked"] = dialog.windowTitle()
        # the form is covered: a grab of it shows the sheet's colour at its corners and middle
        image = dialog.grab().toImage()
        points = [(2, 2), (image.width() - 3, image.height() - 3), (image.width() // 2, 5)]
        seen["pixels"] = {image.pixelColor(x, y).name() for x, y in points}
        seen["modal"] = QApplication.activeModalWidget() is lock
        seen["main hidden"] = not controller.window.isVisible()
        lock.password.setText("demo1234")
        qtbot.keyClick(lock.password, Qt.Key.Key_Return)
        seen["unlocked"] = controller.lock_dialog is None and controller.window.isVisible()
        seen["cover gone"] = not [c for c in dialog.findChildren(Cover) if c.isVisible()]
        seen["title after"] = dialog.windowTitle() == title
        seen["typed kept"] = dialog.name.text()
        dialog.reject()

    when_dialog_opens(qtbot, while_open)
    page.add_resident()
    assert seen == {
        "covered": True,
        "title while locked": "街道民政工作台（已锁定）",
        "pixels": {"#3c4a5c"},
        "modal": True,
        "main hidden": True,
        "unlocked": True,
        "cover gone": True,
        "title after": True,
        "typed kept": "冯春来",
    }


def test_switching_user_from_the_lock_cancels_the_form_behind_it(
    demo_root: Path, make_controller, qtbot, boxes
) -> None:
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "zhuangan1")
    page = controller.window.page("elderly")
    count = lambda: controller.ctx.read(  # noqa: E731
        lambda s: s.scalar(select(func.count(ElderlyResident.id)))
    )
    before = count()

    def while_open(dialog: ResidentDialog) -> None:
        type_text(qtbot, dialog.name, "冯春来")
        controller.lock()
        switch = next(
            b for b in controller.lock_dialog.findChildren(QPushButton) if b.text() == "切换用户"
        )
        qtbot.mouseClick(switch, Qt.MouseButton.LeftButton)

    when_dialog_opens(qtbot, while_open)
    page.add_resident()  # returns: the form was cancelled, not left over the login
    _flush_deletes()
    assert controller.window is None and controller.login.isVisible()
    assert count() == before
    assert [b for b in boxes if b[0] == "critical"] == []


def test_the_lock_screen_counts_wrong_passwords_like_the_login(
    demo_root: Path, make_controller, qtbot, boxes
) -> None:
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "zhuangan1")
    controller.lock()
    lock = controller.lock_dialog
    for _ in range(5):
        lock.password.setText("guess-again")
        qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    assert "已锁定" in lock.message.text()
    lock.password.setText("demo1234")  # the right password no longer opens it
    qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    assert "分钟后再试" in lock.message.text() and controller.lock_dialog is lock
    assert not controller.window.isVisible()


@pytest.mark.parametrize("how", ["a write", "the minute's check"])
def test_a_disabled_account_is_sent_back_to_the_login(
    demo_root: Path, make_controller, qtbot, boxes, how: str
) -> None:
    from caseworker.domain.roles import Actor
    from db.models import Staff

    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "zhuangan1")
    window = controller.window
    assert window is not None
    staff_id = controller.ctx.actor.staff_id
    # an administrator at another session of the same workspace disables the account
    with controller.ws.writer(Actor.system("test")) as s:
        s.get(Staff, staff_id).disabled = True
    if how == "a write":
        controller.ctx.write(lambda s, a: None)
    else:
        controller._watch_account()
    qtbot.waitUntil(lambda: controller.window is None, timeout=5000)
    assert controller.login.isVisible() and "停用" in controller.login.message.text()


def test_without_a_display_the_gui_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    from ui import app

    monkeypatch.setattr(app.sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert app.run(tmp_path / "ws") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "没有找到图形显示" in err[0]
    assert not (tmp_path / "ws").exists()  # nothing was created
