"""A batch done item by item on the runner (the console's bundles ingested or written): one
progress bar, one status line and a cancel button that stops the batch between two items (the
job looks at its progress callback's cancel flag; an item begun is finished)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QWidget

if TYPE_CHECKING:
    from ui.context import AppContext
    from ui.tasks import Job

T = TypeVar("T")


class BatchJob(QObject):
    """`start(job, …)` runs `job(progress)` on the runner; `progress(done, total, name)` moves
    the bar and names the bundle being done. `verb` is what the batch does to each bundle
    (导入, 写出): the button and the lines say it the same way on every page.
    `running(bool)` lets the page enable its own buttons while the batch runs."""

    def __init__(
        self, ctx: AppContext, owner: QWidget, verb: str, running: Callable[[bool], None]
    ) -> None:
        super().__init__(owner)
        self.ctx = ctx
        self.verb = verb
        self.running = running
        self.job: Job | None = None
        self.cancel_button = QPushButton(self.tr("取消{0}").format(verb))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setFormat(self.tr("%v / %m 个"))
        self.progress.setValue(0)
        self.status = QLabel()
        self.status.setWordWrap(True)

    @property
    def busy(self) -> bool:
        return self.job is not None

    def start(
        self,
        job: Callable[[Any], T],
        on_done: Callable[[T], None],
        on_failed: Callable[[BaseException], None],
    ) -> None:
        ended = [False]  # a runner that runs at once (tests) ends the job inside `submit`

        def done(result: T) -> None:
            ended[0] = True
            self._stopped()
            on_done(result)

        def failed(exc: BaseException) -> None:
            ended[0] = True
            self._stopped()
            on_failed(exc)

        self.running(True)
        self.cancel_button.setEnabled(True)
        handle = self.ctx.runner.submit(
            job, on_done=done, on_error=failed, on_progress=self._progressed
        )
        if not ended[0]:
            self.job = handle

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText(self.tr("正在取消：当前这个数据包{0}完后停止…").format(self.verb))

    def _stopped(self) -> None:
        self.job = None
        self.cancel_button.setEnabled(False)
        self.running(False)

    def _progressed(self, done: int, total: int, name: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        if name:
            self.status.setText(
                self.tr("正在{0} {1}（第 {2}/{3} 个）…").format(self.verb, name, done + 1, total)
            )
