"""The district console's composition root (区级平台, issue 24): open the hub off the UI thread,
its first administrator on a hub that has no account yet, the login, the main window, the idle
lock and 切换用户. The office application's login and lock dialogs and its background runner
are reused; the hub's own services do the work (`caseworker.district`)."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from ui.login import LoginDialog
from ui.tasks import Runner, TaskRunner
from ui.widgets.lifetime import retire

DB_ENV = "CASEWORKER_DISTRICT_DB"  # as caseworker.district.hub (not imported before the login)

if TYPE_CHECKING:
    from caseworker.district.hub import Hub
    from caseworker.domain.roles import Actor
    from ui.context import AppContext
    from ui.district.window import DistrictWindow
    from ui.idle import Cover, IdleWatcher, LockDialog
    from ui.login import ChangePasswordDialog

TITLE = "区级民政数据平台"
DB_KEY = "district/db_url"  # QSettings: the database this PC's console opens by default
log = logging.getLogger("caseworker.ui")


class DistrictController(QObject):
    """open hub → first administrator or login → console ⇄ lock."""

    def __init__(
        self, home: Path | None, db_url: str | None, runner: Runner, settings: QSettings
    ) -> None:
        super().__init__()
        self.home = home
        self.db_url = db_url
        self.runner = runner
        self.settings = settings
        self.hub: Hub | None = None
        self.ctx: AppContext | None = None
        self.window: DistrictWindow | None = None
        self.idle: IdleWatcher | None = None
        self.lock_dialog: LockDialog | None = None
        self.first_admin: QDialog | None = None
        self.password_dialog: ChangePasswordDialog | None = None
        self.covers: list[Cover] = []
        self.hub_name = ""
        self.demo = False
        self.remember_db = False
        self.login = LoginDialog(settings)
        self.login.setWindowTitle(self.tr("登录"))
        self.login.title.setText(self.tr(TITLE))
        self.login.submitted.connect(self._authenticate)
        self.login.rejected.connect(self.quit)
        self.account_watch = QTimer(self)
        self.account_watch.setInterval(60_000)
        self.account_watch.timeout.connect(self._watch_account)

    # -- start -----------------------------------------------------------------------------------
    def start(self) -> None:
        self.login.show()
        home, db_url = self.home, self.db_url

        def open_hub() -> tuple[Hub, str, bool, bool]:
            from caseworker.district import accounts
            from caseworker.district.hub import Hub
            from caseworker.domain.errors import ValidationError
            from caseworker.sync.identity import find_identity
            from db.models import LocalMeta

            hub = Hub.open(home, db_url)
            try:
                with hub.engine.connect() as conn:
                    me = find_identity(conn, hub.key_file)
                if me is None:
                    raise ValidationError(
                        "区级平台还没有初始化，请先运行 caseworker-district init --name 区民政局名称。"
                    )
                with hub.reader() as s:  # before any login: the login's own facts
                    has = accounts.has_accounts(s)
                    demo = s.get(LocalMeta, "demo") is not None
            except BaseException:
                hub.close()
                raise
            return hub, me.name, has, demo

        self.runner.submit(open_hub, on_done=self._opened, on_error=self._open_failed)

    def _open_failed(self, exc: BaseException) -> None:
        from caseworker.domain.errors import CaseworkerError

        if isinstance(exc, CaseworkerError):
            text = str(exc)
            if self.db_url and not self.remember_db:
                text += self.tr("（这是本机记住的数据库；可用 --db 指定另一个）")
        else:
            log.error("district hub did not open", exc_info=exc)
            text = self.tr("打开区级平台时发生了意外错误，数据没有改动。详情已写入日志。")
        self.login.hide()
        QMessageBox.critical(None, self.tr("无法打开区级平台"), text)
        self.quit()

    def _opened(self, result: tuple[Hub, str, bool, bool]) -> None:
        from ui.context import AppContext

        self.hub, self.hub_name, has_accounts, self.demo = result
        if self.remember_db and self.db_url:
            # opened with --db: this PC's console opens the same database next time
            self.settings.setValue(DB_KEY, self.db_url)
        self.ctx = AppContext(self.hub, self.runner)  # type: ignore[arg-type]
        if not has_accounts:
            self.login.hide()
            self._ask_first_admin()
            return
        self._ready_for_login()

    def _ready_for_login(self) -> None:
        hint = (
            self.tr(
                "演示区：账号 admin（区级管理员）、yewu（区级业务员）、tongji（统计员）、"
                "weibao（区未保中心），密码均为 demo1234"
            )
            if self.demo
            else ""
        )
        self.login.set_ready(self.hub_name, hint)
        self.login.adjustSize()  # the demo's hint takes three lines
        self.login.show()

    # -- first administrator ---------------------------------------------------------------------
    def _ask_first_admin(self) -> None:
        from ui.district.dialogs import FirstAdminDialog

        hub = self.hub
        assert hub is not None

        def apply(username: str, name: str, password: str) -> str | None:
            from caseworker.district import accounts
            from caseworker.domain.errors import CaseworkerError
            from caseworker.domain.roles import DistrictRole
            from ui.progress import run_with_progress

            def job() -> None:
                with hub.writer(accounts.SETUP) as s:
                    accounts.create_first_admin(
                        s, accounts.AccountDraft(username, name, DistrictRole.ADMIN), password
                    )

            try:
                run_with_progress(self.runner, job, self.first_admin, self.tr("正在保存…"))
            except CaseworkerError as exc:
                return str(exc)
            return None

        self.first_admin = FirstAdminDialog(self.hub_name, apply)
        self.first_admin.accepted.connect(self._first_admin_done)
        self.first_admin.rejected.connect(self.quit)
        self.first_admin.show()

    def _first_admin_done(self) -> None:
        dialog = self.first_admin
        self.first_admin = None
        assert dialog is not None
        self.login.username.setText(dialog.username.text().strip().lower())  # type: ignore[attr-defined]
        retire(dialog)
        self._ready_for_login()
        self.login.password.setFocus()

    # -- login -----------------------------------------------------------------------------------
    def _authenticate(self, username: str, password: str) -> None:
        hub = self.hub
        if hub is None:
            self.login.show_message(self.tr("区级平台尚未打开，请稍候"))
            return

        def job() -> Any:
            from caseworker.district import accounts

            with hub.writer(accounts.LOGIN) as s:
                return accounts.authenticate(s, username, password)

        self.runner.submit(job, on_done=self._authenticated, on_error=self._open_failed)

    def _authenticated(self, result: Any) -> None:
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
        from caseworker.district import accounts
        from caseworker.domain.errors import CaseworkerError
        from caseworker.services import settings
        from ui.login import ChangePasswordDialog
        from ui.progress import run_with_progress

        hub, ctx = self.hub, self.ctx
        assert hub is not None and ctx is not None

        def apply(old: str, new: str) -> str | None:
            def job() -> None:
                with hub.writer(actor) as s:
                    accounts.change_own_password(s, actor, old, new)

            try:
                run_with_progress(self.runner, job, self.password_dialog, self.tr("正在保存…"))
            except CaseworkerError as exc:
                return str(exc)
            return None

        with hub.reader(actor) as s:
            minimum = int(settings.get(s, "security.min_password_length"))
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

    # -- the console -----------------------------------------------------------------------------
    def _open_main(self, actor: Actor) -> None:
        from caseworker.services import settings
        from ui.district.window import DistrictWindow
        from ui.idle import IdleWatcher

        assert self.ctx is not None and self.hub is not None
        self.ctx.actor = actor
        self.window = DistrictWindow(self.ctx, self.hub_name, self.settings)
        self.window.closed.connect(self.quit)
        self.window.lock_requested.connect(lambda: self.lock(automatic=False))
        self.window.switch_user_requested.connect(self.switch_user)
        self.window.password_requested.connect(self.change_password)
        self.window.show()
        with self.hub.reader(actor) as s:
            minutes = settings.get(s, "security.idle_lock_minutes")
        self.idle = IdleWatcher(minutes)
        self.idle.idle.connect(self.lock)
        self.ctx.account_changed.connect(self._account_changed)
        self.account_watch.start()

    def lock(self, *, automatic: bool = True) -> None:
        if self.lock_dialog is not None:
            return
        from caseworker.district import accounts
        from ui.idle import LockDialog, cover_windows
        from ui.progress import run_with_progress

        ctx, window, hub = self.ctx, self.window, self.hub
        if ctx is None or window is None or ctx.actor is None or hub is None:
            return
        actor = ctx.actor
        if self.idle is not None:
            self.idle.paused = True
        window.hide()
        self.covers = cover_windows(keep=window)

        def unlock(password: str) -> str | None:
            def job() -> Any:
                with hub.writer(accounts.LOGIN) as s:  # failed tries count towards the lockout
                    return accounts.unlock(s, actor, password)

            result = run_with_progress(self.runner, job, self.lock_dialog, self.tr("正在验证…"))
            return None if result.actor is not None else result.message

        self.lock_dialog = LockDialog(
            actor.display_name, self.hub_name, unlock, automatic=automatic
        )
        self.lock_dialog.switch_user.connect(self.switch_user)
        self.lock_dialog.accepted.connect(self._unlocked)
        self.lock_dialog.show()

    def _uncover(self) -> None:
        for cover in self.covers:
            with contextlib.suppress(RuntimeError):
                cover.remove()
        self.covers = []

    def _unlocked(self) -> None:
        retire(self.lock_dialog)
        self.lock_dialog = None
        self._uncover()
        if self.window is not None:
            self.window.show()
        if self.idle is not None:
            self.idle.resume()

    def _watch_account(self) -> None:
        from caseworker.domain.errors import AccountChanged

        ctx = self.ctx
        if ctx is None or ctx.actor is None or self.window is None:
            return

        def failed(exc: BaseException) -> None:
            if isinstance(exc, AccountChanged):
                self._account_changed(str(exc))

        self.runner.submit(lambda: ctx.read(lambda s: None), on_error=failed)

    def _account_changed(self, message: str) -> None:
        if self.window is None:
            return

        def end() -> None:
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
        if self.lock_dialog is not None:
            retire(self.lock_dialog)
            self.lock_dialog = None
        self._uncover()
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible() and widget is not self.login:
                widget.reject()
        if self.idle is not None:
            self.idle.stop()
            self.idle = None
        if self.window is not None:
            self.window.closed.disconnect(self.quit)
            self.window.close()
            retire(self.window)
            self.window = None
        if self.ctx is not None and self.hub is not None:
            from ui.context import AppContext

            self.ctx.end_session()
            self.ctx = AppContext(self.hub, self.runner)  # type: ignore[arg-type]

    # -- end -------------------------------------------------------------------------------------
    def quit(self) -> None:
        if self.window is not None:
            self.window.save_geometry()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def shutdown(self) -> None:
        self.runner.shutdown()
        if self.hub is not None:
            self.hub.close()


def choose_db(db_url: str | None, settings: QSettings) -> tuple[str | None, bool]:
    """The database to open: `--db`, else the environment's, else the one this PC's console
    opened with `--db` before (a clerk's PC on the bureau's PostgreSQL, set once); and whether
    it is that remembered one."""
    if db_url is not None or os.environ.get(DB_ENV):
        return db_url, False
    remembered = str(settings.value(DB_KEY, "") or "") or None
    return remembered, remembered is not None


def run(home: Path | None, db_url: str | None = None) -> int:
    """`caseworker-district gui` (and `caseworker-district` without a command)."""
    import sys

    from ui.app import _install_excepthook, make_app, no_display_reason

    reason = no_display_reason()
    if reason is not None:
        print(reason, file=sys.stderr)
        return 2
    app = make_app()
    app.setApplicationName("CaseworkerDistrict")  # its own settings: not the office app's
    app.setApplicationDisplayName(TITLE)
    _install_excepthook()
    settings = QSettings()
    db_url, remembered = choose_db(db_url, settings)
    controller = DistrictController(home, db_url, TaskRunner(), settings)
    controller.remember_db = not remembered
    controller.start()
    try:
        return app.exec()
    finally:
        controller.shutdown()
