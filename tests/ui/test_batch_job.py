"""The console's batches (收件, 发件) share one progress bar, status line and cancel button
(`ui.widgets.batch_job.BatchJob`): the bar follows the job, 取消 asks the job to stop between
items and says so, and the page's buttons come back when the batch ends, however it ends."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from PySide6.QtWidgets import QWidget

from ui.tasks import Job, SyncRunner
from ui.widgets.batch_job import BatchJob


class HeldRunner:
    """Keeps the job submitted: the test plays the runner's progress and end."""

    def __init__(self) -> None:
        self.job: Job | None = None

    def submit(self, fn: Any, *, on_done: Any, on_error: Any, on_progress: Any) -> Job:
        self.job = Job(fn, on_done, on_error, on_progress)
        return self.job


PAGES: list[QWidget] = []  # the pages live as long as the test module (as a page would)


def _batch(qtbot, runner: Any) -> tuple[BatchJob, list[bool]]:
    page = QWidget()
    PAGES.append(page)
    qtbot.addWidget(page)
    states: list[bool] = []
    batch = BatchJob(SimpleNamespace(runner=runner), page, "导入", states.append)  # type: ignore[arg-type]
    return batch, states


def test_progress_cancel_and_the_end(qtbot) -> None:
    runner = HeldRunner()
    batch, states = _batch(qtbot, runner)
    done: list[object] = []
    batch.start(lambda progress: None, done.append, done.append)
    assert batch.busy and states == [True] and batch.cancel_button.isEnabled()
    assert batch.cancel_button.text() == "取消导入"
    job = runner.job
    assert job is not None and job.on_progress is not None
    job.on_progress(1, 3, "b.cwbundle")
    assert batch.progress.value() == 1 and batch.progress.maximum() == 3
    assert batch.status.text() == "正在导入 b.cwbundle（第 2/3 个）…"
    batch.cancel_button.click()
    assert (
        job.progress.cancel_event.is_set()
        and batch.status.text() == "正在取消：当前这个数据包导入完后停止…"
    )
    assert job.on_done is not None
    job.on_done(["a", "b"])
    assert done == [["a", "b"]] and states == [True, False]
    assert not batch.busy and not batch.cancel_button.isEnabled()


def test_a_failed_batch_gives_the_buttons_back(qtbot) -> None:
    runner = HeldRunner()
    batch, states = _batch(qtbot, runner)
    failed: list[BaseException] = []
    batch.start(lambda progress: None, lambda _r: None, failed.append)
    assert runner.job is not None and runner.job.on_error is not None
    runner.job.on_error(OSError("U 盘已拔出"))
    assert len(failed) == 1 and states == [True, False] and not batch.busy


def test_a_batch_ended_at_once_is_not_left_running(qtbot) -> None:
    """A runner that runs the job inside `submit` (the tests' own) ends it before `submit`
    returns: the batch must not keep the finished job as the one running (a second 全部导入
    would then do nothing)."""
    batch, states = _batch(qtbot, SyncRunner())
    results: list[object] = []
    batch.start(lambda progress: 7, results.append, results.append)
    assert results == [7] and states == [True, False]
    assert not batch.busy
