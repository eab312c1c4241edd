"""Run a job on the DB worker while a modal progress dialog keeps the window responsive."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

from ui.tasks import Runner


def run_with_progress(
    runner: Runner,
    fn: Callable[..., Any],
    parent: QWidget | None,
    label: str,
    *,
    cancellable: bool = False,
) -> Any:
    """Submit `fn` and wait for it in a local event loop; return its result or raise its error.

    When `cancellable`, the dialog's cancel button cancels the job (the job must take a
    `progress` argument and call it, which raises Cancelled once the user has cancelled).
    """
    outcome: dict[str, Any] = {}
    loop = QEventLoop()
    dialog = QProgressDialog(label, QCoreApplication.translate("Caseworker", "取消"), 0, 0, parent)
    dialog.setWindowTitle(QCoreApplication.translate("Caseworker", "请稍候"))
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(400)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    if not cancellable:
        dialog.setCancelButton(None)

    def done(result: Any) -> None:
        outcome["result"] = result
        loop.quit()

    def failed(exc: BaseException) -> None:
        outcome["error"] = exc
        loop.quit()

    def progressed(value: int, total: int, text: str) -> None:
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(value, max(total, 1)))
        if text:
            dialog.setLabelText(text)

    job = runner.submit(fn, on_done=done, on_error=failed, on_progress=progressed)
    if cancellable:
        dialog.canceled.connect(job.cancel)
    if not outcome:
        # QProgressDialog shows itself only when progress is reported; a job that reports none
        # (demo generation, an import) still gets the dialog after a short while.
        QTimer.singleShot(400, lambda: None if outcome else dialog.show())
        loop.exec()
    dialog.close()
    dialog.deleteLater()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")
