"""The background runner: one worker thread, order kept, results on the UI thread, cancel."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from ui.tasks import Cancelled, TaskRunner


def test_jobs_run_in_order_off_the_ui_thread_and_report_on_it(qtbot) -> None:
    runner = TaskRunner()
    ui_thread = QThread.currentThread()
    seen: list[tuple[int, bool]] = []
    worker_threads: set[int] = set()

    def job(n: int):
        def run() -> int:
            worker_threads.add(threading.get_ident())
            return n

        return run

    for n in range(20):
        runner.submit(
            job(n), on_done=lambda r: seen.append((r, QThread.currentThread() is ui_thread))
        )
    qtbot.waitUntil(lambda: len(seen) == 20, timeout=5000)
    runner.shutdown()
    assert [r for r, _ in seen] == list(range(20))
    assert all(on_ui for _, on_ui in seen)
    assert len(worker_threads) == 1 and threading.get_ident() not in worker_threads


def test_errors_come_back_to_the_error_callback(qtbot) -> None:
    runner = TaskRunner()
    errors: list[BaseException] = []

    def boom() -> None:
        raise ValueError("坏数据")

    runner.submit(boom, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    runner.shutdown()
    assert str(errors[0]) == "坏数据"


def test_progress_and_cancel(qtbot) -> None:
    runner = TaskRunner()
    gate = threading.Event()
    progress_seen: list[int] = []
    errors: list[BaseException] = []

    def long_job(progress) -> int:
        for i in range(1000):
            progress(i, 1000, "")
            if i == 5:
                gate.set()
            threading.Event().wait(0.002)
        return 1000

    job = runner.submit(
        long_job, on_progress=lambda d, t, _x: progress_seen.append(d), on_error=errors.append
    )
    assert gate.wait(5)
    job.cancel()
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    runner.shutdown()
    assert isinstance(errors[0], Cancelled)
    assert progress_seen and max(progress_seen) < 999


def test_a_long_job_without_progress_reports_still_shows_the_dialog(qtbot) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QProgressDialog

    from ui.progress import run_with_progress

    runner = TaskRunner()
    seen: list[bool] = []

    def look() -> None:
        seen.append(
            any(
                isinstance(w, QProgressDialog) and w.isVisible()
                for w in QApplication.topLevelWidgets()
            )
        )

    QTimer.singleShot(800, look)
    result = run_with_progress(runner, lambda: threading.Event().wait(1.2) or 42, None, "正在处理…")
    runner.shutdown()
    assert result == 42
    assert seen == [True]


def test_a_read_is_not_queued_behind_a_long_write(qtbot) -> None:
    """Views' reads (submit_read) run on reader threads beside the writer: a search typed
    while an import holds the writer comes back before the import ends, and reports on the UI
    thread."""
    runner = TaskRunner()
    ui_thread = QThread.currentThread()
    release = threading.Event()
    threads: dict[str, int] = {}
    seen: list[object] = []

    def long_write() -> str:
        threads["write"] = threading.get_ident()
        release.wait(10)
        return "written"

    def read(n: int):
        def run() -> int:
            threads["read"] = threading.get_ident()
            return n

        return run

    runner.submit(long_write, on_done=seen.append)
    for n in range(3):
        runner.submit_read(
            read(n), on_done=lambda r: seen.append((r, QThread.currentThread() is ui_thread))
        )
    try:
        qtbot.waitUntil(lambda: len(seen) == 3, timeout=5000)
        assert sorted(seen) == [(0, True), (1, True), (2, True)]  # the write is under way
    finally:
        release.set()
    qtbot.waitUntil(lambda: len(seen) == 4, timeout=5000)
    runner.shutdown()
    assert seen[-1] == "written" and threads["read"] != threads["write"]
    assert threading.get_ident() not in threads.values()


def test_a_read_is_not_queued_behind_another_long_read(qtbot) -> None:
    """The roster opened while 工作台's work lists are still being read comes back first."""
    runner = TaskRunner()
    release = threading.Event()
    seen: list[str] = []
    runner.submit_read(lambda: release.wait(10) and "work lists", on_done=seen.append)
    runner.submit_read(lambda: "roster", on_done=seen.append)
    try:
        qtbot.waitUntil(lambda: seen == ["roster"], timeout=5000)
    finally:
        release.set()
    qtbot.waitUntil(lambda: seen == ["roster", "work lists"], timeout=5000)
    runner.shutdown()
