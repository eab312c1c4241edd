"""Showing errors to a person, kept free of heavy imports (it is loaded at start-up)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from caseworker.domain.errors import CaseworkerError
from ui.tasks import Cancelled

log = logging.getLogger("caseworker.ui")


def tr(text: str) -> str:
    return QCoreApplication.translate("Caseworker", text)


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """A caseworker-facing message for an error from a job."""
    if isinstance(exc, Cancelled):
        return
    if isinstance(exc, CaseworkerError):
        QMessageBox.warning(parent, tr("无法完成"), str(exc))
        return
    log.error("unexpected error", exc_info=exc)
    QMessageBox.critical(
        parent,
        tr("意外错误"),
        tr("发生了意外错误，操作没有完成，数据未改动。详情已写入日志。\n\n{0}").format(exc),
    )
