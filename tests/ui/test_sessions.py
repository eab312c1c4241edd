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
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton
from sqlalchemy import func, select

from caseworker.domain import idnumber
from db.elderly import ElderlyResident
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

    controller.ctx.write(lambda s, a: None, tables={"elderly_resident"}, on_done=broken_refresh)
    texts = [text for kind, text in boxes if kind == "critical"]
    assert len(texts) == 1
    assert "已保存" in texts[0] and "数据未改动" not in texts[0]
    assert "Internal C++" not in texts[0]  # no raw Qt text in front of a caseworker


def test_an_error_before_the_commit_says_nothing_was_changed(
    demo_root: Path, make_controller, qtbot, boxes
) -> None:
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "zhuangan1")

    def fails(_s: object, _a: object) -> None:
        raise ValueError("boom")

    controller.ctx.write(fails, tables={"elderly_resident"})
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

    controller.ctx.on_changed(page, broken)  # an exception in a slot goes to the excepthook
    controller.ctx.write(lambda s, a: None, tables={"elderly_resident"})
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
