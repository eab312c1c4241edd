"""GUI fixtures: the real controller and widgets, offscreen, with the synchronous runner."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from tests.conftest import DemoCopy
from ui.app import Controller
from ui.resources import register_font
from ui.tasks import SyncRunner


@pytest.fixture(autouse=True)
def _font(qapp: QApplication) -> str:
    return register_font(qapp)


@pytest.fixture(autouse=True)
def _no_unanswered_file_dialog(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offscreen, a real file dialog would wait for ever: a test that opens one must say what
    it answers (patch `ui.widgets.file_dialogs.ask`); else it fails at once."""
    from ui.widgets import file_dialogs

    def unanswered(parent, request: file_dialogs.Request) -> list[Path]:
        raise AssertionError(f"a file dialog opened with no answer given: {request.title}")

    monkeypatch.setattr(file_dialogs, "ask", unanswered)


@pytest.fixture(autouse=True)
def _own_settings(tmp_path: Path) -> Iterator[None]:
    """`QSettings()` (the folders file dialogs remember) writes under this test's folder."""
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    yield


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_controller(qsettings: QSettings, qtbot) -> Iterator:
    made: list[Controller] = []

    def make(root: Path) -> Controller:
        c = Controller(root, SyncRunner(), qsettings)
        c.demo_residents = 30
        made.append(c)
        return c

    yield make
    for c in made:
        c._close_main()
        c.login.close()
        c.shutdown()


@pytest.fixture(scope="session")
def _demo_template(demo_template: DemoCopy) -> Path:
    """The demo workspace (30 residents, seed 3; every password demo1234), built once per test
    run (tests/conftest.py): building it costs 4-5 s of CPU (the accounts' password hashes,
    the children's keys), copying it a few milliseconds."""
    return demo_template(30, 3)


@pytest.fixture
def demo_root(_demo_template: Path, tmp_path: Path) -> Path:
    """A copy of the demo workspace for this test alone."""
    root = tmp_path / "demo-ws"
    shutil.copytree(_demo_template, root)
    return root


def log_in(
    controller: Controller, qtbot, username: str = "admin", password: str = "demo1234"
) -> None:
    from PySide6.QtCore import Qt

    login = controller.login
    login.username.clear()
    qtbot.keyClicks(login.username, username)
    login.password.clear()
    qtbot.keyClicks(login.password, password)
    qtbot.keyClick(login.password, Qt.Key.Key_Return)


def type_text(qtbot, widget, text: str) -> None:
    """Type like a person: key events per character (QTest's keyClicks is ASCII-only, so
    Chinese characters arrive as key events carrying their text, as an input method sends)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    widget.setFocus()
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


@contextmanager
def console_on(home: Path, qsettings: QSettings) -> Iterator:
    """The district console's controller (区级平台) on a hub folder, closed whatever the test
    did: its main window, its login window and its readers."""
    from ui.district.app import DistrictController

    c = DistrictController(home, None, SyncRunner(), qsettings)
    try:
        yield c
    finally:
        c._close_main()
        c.login.close()
        c.shutdown()


@pytest.fixture
def controller(world, qsettings: QSettings, qtbot) -> Iterator:
    """The district console on the test module's `world` (its hub)."""
    with console_on(world.hub.home, qsettings) as c:
        yield c
