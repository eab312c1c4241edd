"""The session both applications run once their database is open (the office's `ui.app.Controller`
and the district console's `ui.district.app.DistrictController`): a login answered, a password
that must be changed first, the main window with its idle lock, the account watched while it is
used, 切换用户 and the end of a session. What differs is only where the account lives (the
office's workspace or the hub) and what the main window is; each controller says so in a few
hooks (`_store`, `_setting`, `_change_own_password`, `_unlock`, `_place_name`, …)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from ui.login import LoginDialog
from ui.tasks import Runner
from ui.widgets.lifetime import retire

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from caseworker.domain.roles import Actor
    from ui.context import AppContext
    from ui.idle import Cover, IdleWatcher, LockDialog
    from ui.login import ChangePasswordDialog

log = logging.getLogger("caseworker.ui")


class SessionShell(QObject):
    """login → main window ⇄ lock → 切换用户, over a store (workspace or hub) that is open."""

    def __init__(self, runner: Runner, settings: QSettings) -> None:
        super().__init__()
        self.runner = runner
        self.settings = settings
        self.ctx: AppContext | None = None
        self.window: Any = None  # the application's main window (it has closed, lock_requested…)
        self.idle: IdleWatcher | None = None
        self.lock_dialog: LockDialog | None = None
        self.password_dialog: ChangePasswordDialog | None = None
        self.covers: list[Cover] = []
        self._ending_session = False
        # Asks every minute whether an administrator changed the logged-in account.
        self.account_watch = QTimer(self)
        self.account_watch.setInterval(60_000)
        self.account_watch.timeout.connect(self._watch_account)
        self.login = LoginDialog(settings)
        self.login.submitted.connect(self._authenticate)
        self.login.rejected.connect(self.quit)

    # -- what an application says ----------------------------------------------------------------
    def _authenticate(self, username: str, password: str) -> None:
        raise NotImplementedError

    def _store(self) -> Any:
        """The open workspace or hub (None before it is open)."""
        raise NotImplementedError

    def _setting(self, actor: Actor, key: str) -> Any:
        """A setting the session needs (password length, idle minutes), read as `actor`."""
        raise NotImplementedError

    def _change_own_password(self, actor: Actor, old: str, new: str) -> None:
        raise NotImplementedError

    def _unlock(self, actor: Actor, password: str) -> Any:
        """The lock screen's password try (a login result), counted as a login's."""
        raise NotImplementedError

    def _place_name(self) -> str:
        """The office's or the bureau's name, on the lock screen."""
        raise NotImplementedError

    def _account_check(self, actor: Actor) -> Callable[[Session], object]:
        """A read that raises AccountChanged when `actor`'s account was changed meanwhile."""
        raise NotImplementedError

    def _open_main(self, actor: Actor) -> None:
        raise NotImplementedError

    def _ready_for_login(self) -> None:
        raise NotImplementedError

    def _session_ended(self, ctx: AppContext) -> None:
        """What leaves with the person (the office's child-data key); nothing by default."""

    # -- shared steps ----------------------------------------------------------------------------
    def _saving(self, job: Callable[[], object], parent: QWidget | None, label: str) -> str | None:
        """Run a write with a progress note: None when saved, else the reason to show."""
        from caseworker.domain.errors import CaseworkerError
        from ui.progress import run_with_progress

        try:
            run_with_progress(self.runner, job, parent, label)
        except CaseworkerError as exc:
            return str(exc)
        return None

    # -- login -----------------------------------------------------------------------------------
    def _authenticated(self, result: Any) -> None:
        if result is None:  # the store did not open (its `_open_failed` has said so)
            return
        if result.actor is None:
            self.login.show_message(result.message)
            return
        if result.must_change_password:
            dialog = self._password_dialog(result.actor, forced=True)
            dialog.accepted.connect(lambda: self._logged_in(result.actor))
            dialog.rejected.connect(
                lambda: self.login.show_message(self.tr("必须先修改密码才能使用"))
            )
            dialog.open()
            return
        self._logged_in(result.actor)

    def _logged_in(self, actor: Actor) -> None:
        self.login.set_busy(False)
        self.login.password.clear()
        self.login.message.clear()
        self.login.hide()
        self._open_main(actor)

    def _password_dialog(self, actor: Actor, *, forced: bool = False) -> ChangePasswordDialog:
        from ui.login import ChangePasswordDialog

        def apply(old: str, new: str) -> str | None:
            return self._saving(
                lambda: self._change_own_password(actor, old, new),
                self.password_dialog,
                self.tr("正在保存…"),
            )

        minimum = int(self._setting(actor, "security.min_password_length"))
        self.password_dialog = ChangePasswordDialog(
            self.window, apply, forced=forced, min_length=minimum
        )
        return self.password_dialog

    def change_password(self) -> None:
        assert self.ctx is not None and self.ctx.actor is not None
        dialog = self._password_dialog(self.ctx.actor)
        dialog.accepted.connect(
            lambda: QMessageBox.information(
                self.window, self.tr("修改密码"), self.tr("密码已修改。")
            )
        )
        dialog.open()

    # -- the main window -------------------------------------------------------------------------
    def _show_main(self, actor: Actor) -> None:
        """The main window just made (`self.window`) on screen, with the lock, 切换用户, the
        idle timer and the account watch."""
        from ui.idle import IdleWatcher

        assert self.ctx is not None and self.window is not None
        self.window.closed.connect(self.quit)
        self.window.lock_requested.connect(lambda: self.lock(automatic=False))
        self.window.switch_user_requested.connect(self.switch_user)
        self.window.show()
        self.idle = IdleWatcher(self._setting(actor, "security.idle_lock_minutes"))
        self.idle.idle.connect(self.lock)
        self.ctx.account_changed.connect(self._account_changed)
        self.account_watch.start()

    def lock(self, *, automatic: bool = True) -> None:
        if self.lock_dialog is not None:
            return
        from ui.idle import LockDialog, cover_windows
        from ui.progress import run_with_progress

        ctx, window = self.ctx, self.window
        if ctx is None or window is None or ctx.actor is None or self._store() is None:
            return
        actor = ctx.actor
        if self.idle is not None:
            self.idle.paused = True
        window.hide()
        self.covers = cover_windows(keep=window)

        def unlock(password: str) -> str | None:
            def job() -> Any:
                return self._unlock(actor, password)

            result = run_with_progress(self.runner, job, self.lock_dialog, self.tr("正在验证…"))
            return None if result.actor is not None else result.message

        self.lock_dialog = LockDialog(
            actor.display_name, self._place_name(), unlock, automatic=automatic
        )
        self.lock_dialog.switch_user.connect(self.switch_user)
        self.lock_dialog.accepted.connect(self._unlocked)
        self.lock_dialog.show()

    def _uncover(self) -> None:
        for cover in self.covers:
            with contextlib.suppress(RuntimeError):  # its window may have gone meanwhile
                cover.remove()
        self.covers = []

    def _unlocked(self) -> None:
        retire(self.lock_dialog)  # from its own accepted signal: deleted later, not now
        self.lock_dialog = None
        self._uncover()
        if self.window is not None:
            self.window.show()
        if self.idle is not None:
            self.idle.resume()

    # -- the account's current state -------------------------------------------------------------
    def _watch_account(self) -> None:
        """Every so often, end a session whose account an administrator has changed: writes
        are refused at once (db.replica.check_account); this ends the reading too."""
        from caseworker.domain.errors import AccountChanged

        ctx = self.ctx
        if ctx is None or ctx.actor is None or self.window is None:
            return
        check = self._account_check(ctx.actor)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, AccountChanged):
                self._account_changed(str(exc))
            else:
                log.warning("account check failed: %s", type(exc).__name__)

        self.runner.submit(lambda: ctx.read(check), on_error=failed)

    def _account_changed(self, message: str) -> None:
        if self.window is None or self._ending_session:
            return
        self._ending_session = True

        def end() -> None:  # after the slot that noticed it has returned
            self._ending_session = False
            if self.window is None:
                return
            self._close_main()
            self._ready_for_login()
            self.login.show_message(message)

        QTimer.singleShot(0, end)

    def switch_user(self) -> None:
        self._close_main()
        self._ready_for_login()
        self.login.for_another_person()

    def _close_main(self) -> None:
        self.account_watch.stop()
        if self.lock_dialog is not None:  # 切换用户 from the lock screen
            retire(self.lock_dialog)
            self.lock_dialog = None
        self._uncover()
        # A dialog still open (a visit form behind the lock screen) is cancelled, not left
        # running over the next person's login.
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible() and widget is not self.login:
                widget.reject()
        if self.idle is not None:
            self.idle.stop()
            self.idle = None
        if self.window is not None:
            self.window.closed.disconnect(self.quit)  # closed for the next person, not to quit
            self.window.close()
            retire(self.window)  # often from its own menu: deleted later, not now
            self.window = None
        if self.ctx is not None:
            self._session_ended(self.ctx)
        store = self._store()
        if self.ctx is not None and store is not None:
            # Each session gets a context of its own: nothing the old window connected to the
            # old one can be reached by the next person's writes.
            from ui.context import AppContext

            self.ctx.end_session()
            self.ctx = AppContext(store, self.runner)

    # -- end -------------------------------------------------------------------------------------
    def quit(self) -> None:
        if self.window is not None:
            self.window.save_geometry()
        app = QApplication.instance()
        if app is not None:
            app.quit()
