"""The district console's composition root (区级平台, issue 24): open the hub off the UI thread,
its first administrator on a hub that has no account yet, the login, the main window, the idle
lock and 切换用户. The office application's login and lock dialogs and its background runner
are reused; the hub's own services do the work (`caseworker.district`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog, QMessageBox

from ui.shell import SessionShell
from ui.tasks import Runner, TaskRunner
from ui.widgets.lifetime import retire

DB_ENV = "CASEWORKER_DISTRICT_DB"  # as caseworker.district.hub (not imported before the login)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from caseworker.district.hub import Hub
    from caseworker.domain.roles import Actor
    from ui.district.window import DistrictWindow

TITLE = "区级民政数据平台"
DB_KEY = "district/db_url"  # QSettings: the database this PC's console opens by default
log = logging.getLogger("caseworker.ui")


class DistrictController(SessionShell):
    """open hub → first administrator or login → console ⇄ lock."""

    def __init__(
        self, home: Path | None, db_url: str | None, runner: Runner, settings: QSettings
    ) -> None:
        super().__init__(runner, settings)
        self.home = home
        self.db_url = db_url
        self.hub: Hub | None = None
        self.window: DistrictWindow | None = None
        self.first_admin: QDialog | None = None
        self.hub_name = ""
        self.demo = False
        self.remember_db = False
        self.login.setWindowTitle(self.tr("登录"))
        self.login.title.setText(self.tr(TITLE))

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
                hub.attach_log()  # until the hub closes
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
            from caseworker.district.hub import LOG_NAME, home_folder
            from caseworker.logs import attach_file_log, detach_file_log

            # No hub to hold its log: the message below says the details are in it.
            held = attach_file_log(home_folder(self.home) / "logs", name=LOG_NAME)
            log.error("district hub did not open", exc_info=exc)
            detach_file_log(held)
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
            from caseworker.domain.roles import DistrictRole

            def job() -> None:
                with hub.writer(accounts.SETUP) as s:
                    accounts.create_first_admin(
                        s, accounts.AccountDraft(username, name, DistrictRole.ADMIN), password
                    )

            return self._saving(job, self.first_admin, self.tr("正在保存…"))

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

    def _change_own_password(self, actor: Actor, old: str, new: str) -> None:
        from caseworker.district import accounts

        assert self.hub is not None
        with self.hub.writer(actor) as s:
            accounts.change_own_password(s, actor, old, new)

    def _setting(self, actor: Actor, key: str) -> Any:
        from caseworker.services import settings

        assert self.hub is not None
        with self.hub.reader(actor) as s:
            return settings.get(s, key)

    # -- the console -----------------------------------------------------------------------------
    def _open_main(self, actor: Actor) -> None:
        from ui.district.window import DistrictWindow

        assert self.ctx is not None and self.hub is not None
        self.ctx.actor = actor
        self.window = DistrictWindow(self.ctx, self.hub_name, self.settings)
        self.window.password_requested.connect(self.change_password)
        self._show_main(actor)

    # -- the session's hooks (ui/shell.py) -------------------------------------------------------
    def _store(self) -> Hub | None:
        return self.hub

    def _place_name(self) -> str:
        return self.hub_name

    def _unlock(self, actor: Actor, password: str) -> Any:
        from caseworker.district import accounts

        assert self.hub is not None
        with self.hub.writer(accounts.LOGIN) as s:  # failed tries count towards the lockout
            return accounts.unlock(s, actor, password)

    def _account_check(self, actor: Actor) -> Callable[[Session], object]:
        return lambda s: None  # the hub's reader checks the account it reads as (db.replica)

    # -- end -------------------------------------------------------------------------------------
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
