"""The one background runner: every database write and every long job runs on a single worker
thread, in submission order; results come back to the UI thread through queued signals.

`SyncRunner` has the same interface and runs jobs at once; tests use it to be deterministic.
"""

from __future__ import annotations

import inspect
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger("caseworker.ui")
READERS = 3  # threads for views' reads (TaskRunner.submit_read)


class Cancelled(Exception):
    """Raised inside a job by `Progress.check()` when the user cancelled it."""


@dataclass
class Progress:
    """Passed to jobs that take a `progress` argument: report and check for cancellation."""

    report: Callable[[int, int, str], None] = field(default=lambda done, total, text: None)
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def __call__(self, done: int, total: int, text: str = "") -> None:
        self.check()
        self.report(done, total, text)

    def check(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled()


@dataclass
class Job:
    fn: Callable[..., Any]
    on_done: Callable[[Any], None] | None
    on_error: Callable[[BaseException], None] | None
    on_progress: Callable[[int, int, str], None] | None
    progress: Progress = field(default_factory=Progress)

    def cancel(self) -> None:
        self.progress.cancel_event.set()

    def run(self) -> Any:
        if "progress" in inspect.signature(self.fn).parameters:
            return self.fn(progress=self.progress)
        return self.fn()


Done = Callable[[Any], None] | None  # a job's result, on the UI thread
Failed = Callable[[BaseException], None] | None  # its error, on the UI thread
Progressed = Callable[[int, int, str], None] | None  # done, total, what: on the UI thread


class Runner:
    """What TaskRunner and SyncRunner both offer: `submit` (the writer, in order), `submit_read`
    (a read beside it) and `spawn` (a long read on a thread of its own); each returns the job
    (`cancel()` asks it to stop) and calls back on the UI thread. A runner says how it runs a
    job in `_queue`, `_read` and `_apart`."""

    def submit(
        self,
        fn: Callable[..., Any],
        *,
        on_done: Done = None,
        on_error: Failed = None,
        on_progress: Progressed = None,
    ) -> Job:
        job = Job(fn, on_done, on_error, on_progress)
        self._queue(job)
        return job

    def submit_read(
        self, fn: Callable[..., Any], *, on_done: Done = None, on_error: Failed = None
    ) -> Job:
        """Run a read-only job beside the writer (no order between reads); its result comes
        back like `submit`'s. It must not write."""
        job = Job(fn, on_done, on_error, None)
        self._read(job)
        return job

    def spawn(
        self, fn: Callable[..., Any], *, on_done: Done = None, on_error: Failed = None
    ) -> Job:
        """Run a long read-only job (a backup, a full check) apart from the writer: it never
        waits for, nor holds up, a save."""
        job = Job(fn, on_done, on_error, None)
        self._apart(job)
        return job

    def shutdown(self, wait_ms: int = 0) -> None:
        """After the event loop: let queued writes finish."""

    def _queue(self, job: Job) -> None:
        raise NotImplementedError

    def _read(self, job: Job) -> None:
        self._queue(job)

    def _apart(self, job: Job) -> None:
        self._queue(job)


class _Bridge(QObject):
    """Lives on the UI thread; the worker emits, the UI thread's slots run the callbacks."""

    finished = Signal(object, object)  # job, result
    failed = Signal(object, object)  # job, exception
    progressed = Signal(object, int, int, str)

    def run(self, job: Job) -> None:
        """Run `job` on the calling thread (the writer, a reader, a background thread); its
        result or error goes to the UI thread through the signals."""
        try:
            result = job.run()
        except BaseException as exc:
            self.failed.emit(job, exc)
        else:
            self.finished.emit(job, result)

    @Slot(object, object)
    def _finished(self, job: Job, result: Any) -> None:
        if job.on_done is not None:
            job.on_done(result)

    @Slot(object, object)
    def _failed(self, job: Job, exc: BaseException) -> None:
        if job.on_error is not None:
            job.on_error(exc)
        elif not isinstance(exc, Cancelled):
            log.error("background job failed", exc_info=exc)

    @Slot(object, int, int, str)
    def _progressed(self, job: Job, done: int, total: int, text: str) -> None:
        if job.on_progress is not None:
            job.on_progress(done, total, text)


class _Worker(QThread):
    def __init__(self, jobs: queue.Queue[Job | None], bridge: _Bridge) -> None:
        super().__init__()
        self._jobs = jobs
        self._bridge = bridge

    def run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            self._bridge.run(job)


class TaskRunner(QObject, Runner):
    """Submit work: `submit(fn, on_done=..., on_error=..., on_progress=...)`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = _Bridge()
        self._bridge.finished.connect(self._bridge._finished)
        self._bridge.failed.connect(self._bridge._failed)
        self._bridge.progressed.connect(self._bridge._progressed)
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._worker = _Worker(self._jobs, self._bridge)
        self._worker.start()
        # Views' reads (ui/widgets/busy.py) run on a few reader threads beside the writer:
        # SQLite in WAL mode reads while a write is under way, so a search typed during an
        # import is not queued behind it, nor behind another view's long read (工作台's work
        # lists take seconds at 100,000 residents; the roster opened meanwhile does not wait).
        self._readers = ThreadPoolExecutor(READERS, thread_name_prefix="caseworker-read")

    def _queue(self, job: Job) -> None:
        job.progress.report = lambda d, t, text: self._bridge.progressed.emit(job, d, t, text)
        self._jobs.put(job)

    def _read(self, job: Job) -> None:
        # Views' reads run on the reader threads: no order between them, none behind a write.
        self._readers.submit(self._bridge.run, job)

    def shutdown(self, wait_ms: int = 30_000) -> None:
        """Finish queued jobs (writes must complete), then stop the worker and the readers
        (reads not started yet are dropped: nobody waits for them any more)."""
        self._jobs.put(None)
        self._worker.wait(wait_ms)
        self._readers.shutdown(wait=True, cancel_futures=True)

    def _apart(self, job: Job) -> None:
        # A thread of its own, with its own SQLite connection: beside the writer.
        threading.Thread(
            target=self._bridge.run, args=(job,), name="caseworker-background", daemon=True
        ).start()


class SyncRunner(Runner):
    """The same interface, run at once on the calling thread (for tests): reads and
    background jobs too, so that tests stay deterministic."""

    def _queue(self, job: Job) -> None:
        if job.on_progress is not None:
            job.progress.report = job.on_progress
        try:
            result = job.run()
        except BaseException as exc:
            if job.on_error is None:
                raise
            job.on_error(exc)
        else:
            if job.on_done is not None:
                job.on_done(result)
