"""The daily backup after login and the scheduled full check run beside the writer thread: the
first save of the day never waits for them (issue 9: it waited 6.7 s at 100,000 residents)."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QSettings

from caseworker.domain.roles import Actor
from caseworker.services import settings
from db import backup
from tests.ui.conftest import log_in
from ui.app import Controller
from ui.tasks import TaskRunner


def test_a_save_right_after_login_does_not_wait_for_the_daily_backup(
    demo_root: Path, qsettings: QSettings, qtbot, monkeypatch
) -> None:
    release = threading.Event()
    started = threading.Event()
    real_take = backup.take

    def slow_take(*args, **kwargs):  # a backup that takes as long as the test wants
        started.set()
        release.wait(30)
        return real_take(*args, **kwargs)

    monkeypatch.setattr(backup, "take", slow_take)
    runner = TaskRunner()
    controller = Controller(demo_root, runner, qsettings)
    try:
        controller.start()
        # The login can be used once the workspace is open and its facts are read (the button).
        qtbot.waitUntil(controller.login.login_button.isEnabled, timeout=30_000)
        log_in(controller, qtbot)
        qtbot.waitUntil(lambda: controller.window is not None, timeout=30_000)
        assert started.wait(10), "the daily backup did not start"
        ws = controller.ws
        assert ws is not None
        saved: list[object] = []
        admin = Actor.system("test")

        def save() -> object:
            with ws.writer(admin) as s:
                settings.set_value(s, admin, "visit.interval_days.key", 25)
            return True

        runner.submit(save, on_done=saved.append)
        qtbot.waitUntil(lambda: bool(saved), timeout=5_000)  # while the backup still runs
        assert not release.is_set()
        taken: list[bool] = []
        controller.ctx.backup_taken.connect(lambda: taken.append(True))  # type: ignore[union-attr]
        release.set()
        qtbot.waitUntil(lambda: bool(taken), timeout=30_000)
        assert backup.list_backups(ws.paths.backups)[0].reason == "daily"
    finally:
        release.set()
        controller._close_main()
        controller.login.close()
        controller.shutdown()


def test_an_unclean_shutdown_gets_a_full_check_in_the_background(
    demo_root: Path, qsettings: QSettings, qtbot, monkeypatch
) -> None:
    (demo_root / "check-state.json").write_text('{"last_full_check": null, "pending": "unclean"}')
    ran: list[str] = []
    on_thread: list[str] = []
    from caseworker.workspace import Workspace

    real = Workspace.run_full_check

    def spy(self: Workspace) -> list[str]:
        on_thread.append(threading.current_thread().name)
        result = real(self)
        ran.append("ok" if not result else "problems")
        return result

    monkeypatch.setattr(Workspace, "run_full_check", spy)
    runner = TaskRunner()
    controller = Controller(demo_root, runner, qsettings)
    try:
        controller.start()
        qtbot.waitUntil(lambda: bool(ran), timeout=60_000)
        assert ran == ["ok"]
        assert on_thread == ["caseworker-background"]
        assert controller.ws is not None and controller.ws.full_check_due() is None
    finally:
        controller._close_main()
        controller.login.close()
        controller.shutdown()
