"""Showing errors to a person, kept free of heavy imports (it is loaded at start-up).

An unexpected error says honestly whether the change was saved: a job that failed on the DB
worker rolled its transaction back (nothing saved); an error while the screen refreshes after a
committed write happened after the save (saved: do not type it again). Raw Python or Qt text is
written to the log, never put in front of a caseworker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from PySide6.QtCore import QCoreApplication, QObject, SignalInstance
from PySide6.QtWidgets import QMessageBox, QWidget

from caseworker.domain.errors import AccountChanged, CaseworkerError
from ui.tasks import Cancelled

log = logging.getLogger("caseworker.ui")

# > 0 while views refresh after a committed write (see `after_commit`).
_after_commit = 0


def tr(text: str) -> str:
    return QCoreApplication.translate("Caseworker", text)


@contextmanager
def after_commit() -> Iterator[None]:
    """Mark the refresh that follows a committed write: an error inside says "已保存"."""
    global _after_commit
    _after_commit += 1
    try:
        yield
    finally:
        _after_commit -= 1


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """A caseworker-facing message for an error from a job (its transaction was rolled back)."""
    if isinstance(exc, Cancelled):
        return
    if isinstance(exc, CaseworkerError):
        QMessageBox.warning(parent, tr("无法完成"), str(exc))
        return
    log.error("unexpected error in a job", exc_info=exc)
    QMessageBox.critical(
        parent,
        tr("意外错误"),
        tr(
            "发生了意外错误，操作没有完成，这次的修改没有保存。\n"
            "可以再试一次；如果再次出现，请联系技术支持（详情已写入日志）。"
        ),
    )


def show_error_after_save(parent: QWidget | None, exc: BaseException) -> None:
    """An error after the write committed: the change IS saved; say so."""
    log.error("unexpected error after a committed write", exc_info=exc)
    QMessageBox.critical(
        parent,
        tr("意外错误"),
        tr(
            "修改已保存，请不要重复录入。\n"
            "保存后刷新界面时发生了意外错误；切换到其他页面再回来即可看到最新数据"
            "（详情已写入日志）。"
        ),
    )


def show_unexpected(parent: QWidget | None, exc: BaseException) -> None:
    """An error outside any job (a slot of the interface): whether anything was saved is
    known only when it happened during the refresh after a save."""
    if isinstance(exc, Cancelled):
        return
    if isinstance(exc, AccountChanged):
        return  # the session is ending (AppContext.read said so); the login says why
    if isinstance(exc, CaseworkerError):
        QMessageBox.warning(parent, tr("无法完成"), str(exc))
        return
    if _after_commit:
        show_error_after_save(parent, exc)
        return
    log.error("unexpected error in the interface", exc_info=exc)
    QMessageBox.critical(
        parent,
        tr("意外错误"),
        tr(
            "发生了意外错误（详情已写入日志）。\n"
            "如果刚才在保存，请先在台账或记录中查看是否已经保存，再决定是否重新录入。"
        ),
    )


def connect_while_alive(signal: SignalInstance, receiver: QObject, slot: Callable) -> None:
    """Connect a long-lived sender's `signal` to `slot` for as long as `receiver` lives.

    A lambda or closure connected to the context's signals would otherwise outlive the page it
    refreshes (a window of an earlier session) and call into deleted widgets.
    """
    alive = [True]

    def relay(*args: object) -> None:
        if alive[0]:
            slot(*args)

    def drop(*_args: object) -> None:
        alive[0] = False
        with suppress(RuntimeError, TypeError, SystemError):  # the sender may be gone as well
            signal.disconnect(relay)

    signal.connect(relay)
    receiver.destroyed.connect(drop)
