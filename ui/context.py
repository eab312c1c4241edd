"""What every view shares: the open workspace, the logged-in person, the runner, change signals.

Views read through `ctx.read(fn)` (short indexed queries on the UI thread) and write through
`ctx.write(fn, ...)` (on the single DB worker); after a write, `changed` names the tables that
changed so each view refreshes only when it concerns it. The tables are the ones the transaction
actually wrote, as its journal context recorded them (`db.journal.JournalContext.touched`):
no caller names them, so a write that reaches a table its caller did not think of still
refreshes the views showing it, and a write that changed nothing announces nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from caseworker.domain.errors import AccountChanged
from caseworker.domain.roles import Actor, Permission
from ui.messages import after_commit, connect_while_alive, show_error, show_error_after_save
from ui.messages import tr as _tr
from ui.progress import run_with_progress
from ui.tasks import Job, Runner

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from caseworker.workspace import Workspace

T = TypeVar("T")


class AppContext(QObject):
    changed = Signal(object)  # frozenset of table names
    actor_changed = Signal(object)
    backup_taken = Signal()
    # The account was disabled, deleted or changed by an administrator (message): the app ends
    # the session; a write under it has been refused (caseworker.domain.errors.AccountChanged).
    account_changed = Signal(str)

    def __init__(self, ws: Workspace, runner: Runner, actor: Actor | None = None) -> None:
        super().__init__()
        self.ws = ws
        self.runner = runner
        self.actor: Actor | None = actor

    def on_changed(self, receiver: QObject, slot: Callable[[frozenset[str]], None]) -> None:
        """Call `slot(tables)` after each write, for as long as `receiver` lives."""
        connect_while_alive(self.changed, receiver, slot)

    def end_session(self) -> None:
        """Silence this context for good: the window of the session that used it is going
        away, and a write still queued must not call into its deleted pages."""
        self.blockSignals(True)
        self.actor = None

    def can(self, permission: Permission) -> bool:
        return self.actor is not None and self.actor.can(permission)

    def read(self, fn: Callable[[Session], T]) -> T:
        """A short read on the UI thread, as the logged-in account as it is now: one whose
        account an administrator has changed is refused and its session ends."""
        try:
            with self.ws.reader(self.actor) as session:
                return fn(session)
        except AccountChanged as exc:
            self.account_changed.emit(str(exc))
            raise

    def write(
        self,
        fn: Callable[[Session, Actor], T],
        *,
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        parent: QWidget | None = None,
    ) -> Job:
        """Run `fn(session, actor)` in one journaled transaction on the DB worker; after the
        commit, `changed` names the tables it wrote (if any), then `on_done(result)` runs."""
        actor = self.actor
        if actor is None:
            raise RuntimeError("write without a logged-in actor")

        def job() -> tuple[T, frozenset[str]]:
            return self._write_job(fn, actor)

        def done(outcome: tuple[T, frozenset[str]]) -> None:
            result, changed = outcome
            # The transaction has committed: an error from here on must not say "not saved".
            with after_commit():
                try:
                    if changed:
                        self.changed.emit(changed)
                    if on_done is not None:
                        on_done(result)
                except Exception as exc:
                    show_error_after_save(parent, exc)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, AccountChanged):
                self.account_changed.emit(str(exc))
            if on_error is not None:
                on_error(exc)
            else:
                show_error(parent, exc)

        return self.runner.submit(job, on_done=done, on_error=failed)

    def write_wait(
        self,
        fn: Callable[[Session, Actor], T],
        *,
        parent: QWidget | None = None,
        label: str = "",
    ) -> T:
        """Like `write`, but wait for the result (a modal dialog keeps the UI alive) and raise
        the job's error here: for dialogs that stay open when the service refuses."""
        actor = self.actor
        if actor is None:
            raise RuntimeError("write without a logged-in actor")

        def job() -> tuple[T, frozenset[str]]:
            return self._write_job(fn, actor)

        try:
            result, changed = run_with_progress(self.runner, job, parent, label or _tr("正在保存…"))
        except AccountChanged as exc:
            self.account_changed.emit(str(exc))
            raise
        if changed:
            with after_commit():
                self.changed.emit(changed)
        return result

    def _write_job(
        self, fn: Callable[[Session, Actor], T], actor: Actor
    ) -> tuple[T, frozenset[str]]:
        """On the DB worker: `fn` in one journaled transaction, and the tables it wrote, read
        from the transaction's journal context once the commit has flushed everything."""
        with self.ws.writer(actor) as session:
            journal = session.info["journal"]
            result = fn(session, actor)
        return result, frozenset(journal.touched)
