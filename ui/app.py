"""Composition root: QApplication, bundled font, workspace, first-start wizard, login, main window,
idle lock, restore. Heavy modules are imported after the login window is on screen."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLockFile, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ui.resources import install_icon, install_qt_translations, register_font
from ui.shell import SessionShell
from ui.tasks import Runner, TaskRunner
from ui.widgets.lifetime import retire

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from caseworker.domain.roles import Actor
    from caseworker.first_look import LoginFacts
    from caseworker.workspace import Workspace
    from ui.context import AppContext
    from ui.main_window import MainWindow
    from ui.setup_wizard import SetupChoice, SetupWizard

# Start-up measurement (benchmarks/bench_startup.py): print when a window is on screen, then quit.
PROBE_ENV = "CASEWORKER_STARTUP_PROBE"  # "login", "ready" (login usable) or "main"
PROBE_LOGIN_ENV = "CASEWORKER_PROBE_LOGIN"  # "user:password" for the "main" probe
WARM_UP_AFTER_LOGIN_MS = 3000


class Controller(SessionShell):
    """Moves the person through: open workspace → wizard or login → main window ⇄ lock."""

    def __init__(self, root: Path | None, runner: Runner, settings: QSettings) -> None:
        super().__init__(runner, settings)
        self.root = root
        self.ws: Workspace | None = None
        self.window: MainWindow | None = None
        self.wizard: SetupWizard | None = None
        self.clock_warning = ""
        self.facts: LoginFacts | None = None  # read when the start begins
        self._opening: _Opening | None = None  # the workspace being opened on the runner
        # A login submitted and not yet answered: the warm-up leaves the section pages for later.
        self._login_waiting = False
        self.probe = os.environ.get(PROBE_ENV, "")
        self.demo_residents = 2000

    # -- start -----------------------------------------------------------------------------------
    def start(self) -> None:
        self.login.show()
        if self.probe == "login":
            QTimer.singleShot(0, lambda: self._probe_done("login"))
            return
        root = self.root
        assert root is not None

        def peek() -> LoginFacts | None:
            from caseworker.first_look import peek

            return peek(root)

        # The login's facts first, in plain SQL (caseworker/first_look.py): the login window is
        # usable before SQLAlchemy and the programmes' tables are imported. The open and the
        # imports then run on the same runner while the password is typed; a login submitted
        # meanwhile queues behind them (`_authenticate`).
        self.runner.submit(peek, on_done=self._peeked, on_error=lambda _exc: self._open())

    def _peeked(self, facts: LoginFacts | None) -> None:
        if facts is None or not facts.initialised or not facts.has_staff:
            self._open()  # first start, a migration or an unreadable file: open first
            return
        self._open(facts)

    def _open(self, facts: LoginFacts | None = None) -> None:
        """Open the workspace on the runner; with the login's facts already read, the login
        window is made usable first and the open runs behind it."""
        root = self.root
        assert root is not None
        opening = self._opening = _Opening()

        def open_ws() -> Workspace:
            try:
                from caseworker.workspace import Workspace

                ws = Workspace.open(root)
                # What the login's next step reads with, imported here rather than on the
                # UI thread (about 0.3 s: the accounts service brings in the child-data keys).
                import caseworker.services.accounts  # noqa: F401
                import db.models  # noqa: F401
                import ui.context  # noqa: F401
            except BaseException as exc:
                opening.error = exc
                raise
            opening.ws = ws
            return ws

        if facts is None:
            self.runner.submit(open_ws, on_done=self._opened, on_error=self._open_failed)
            return
        self.facts = facts
        self._ready_for_login(opened=False)
        self.runner.submit(open_ws, on_done=self._attach, on_error=self._open_failed)
        self._warm_up()

    def _open_failed(self, exc: BaseException) -> None:
        from caseworker.domain.errors import CaseworkerError

        if isinstance(exc, CaseworkerError):
            text = str(exc)
        else:
            import logging

            logging.getLogger("caseworker.ui").error("workspace did not open", exc_info=exc)
            text = self.tr(
                "打开工作区时发生了意外错误，数据没有改动。请联系技术支持（详情已写入日志）。"
            )
        self.login.hide()
        QMessageBox.critical(None, self.tr("无法打开工作区"), text)
        self.quit()

    def _opened(self, ws: Workspace) -> None:
        self._attach(ws)
        self._read_login_facts()

    def _attach(self, ws: Workspace) -> None:
        """The workspace is open: its context for the windows, and the full check if due."""
        from ui.context import AppContext

        self.ws = ws
        self.ctx = AppContext(ws, self.runner)
        self._full_check_if_due(ws)

    def _read_login_facts(self) -> None:
        """What the login window needs (set up yet? the office's name, a demo?), read on the
        runner: the first statements compiled by SQLAlchemy took 0.2-0.3 s of the UI thread
        while the login window was already waiting for a password."""
        ws = self.ws
        assert ws is not None
        self.runner.submit(
            lambda: login_facts(ws), on_done=self._facts_read, on_error=self._open_failed
        )

    def _facts_read(self, facts: LoginFacts) -> None:
        self.facts = facts
        if not facts.initialised or not facts.has_staff:
            self.login.hide()
            self._run_wizard(enrolled=facts.initialised)
            return
        self._ready_for_login()

    def _ready_for_login(self, *, opened: bool = True) -> None:
        facts = self.facts
        assert facts is not None and (self.ctx is not None or not opened)
        demo = facts.demo
        hint = (
            self.tr("演示工作区：账号 admin（管理员）、zhuangan1（专干）等，密码均为 demo1234")
            if demo
            else ""
        )
        self.login.set_ready(facts.office_name, hint)
        self.login.show()
        self.login.raise_()
        if opened:
            self._warm_up()
        if self.probe == "ready":  # the login can be used (benchmarks/bench_backup.py)
            QTimer.singleShot(0, lambda: self._probe_done("ready"))
            return
        if self.probe == "main":
            user, _, password = os.environ.get(PROBE_LOGIN_ENV, "admin:demo1234").partition(":")
            # From the event loop, as a click: after the open is queued (`_open`).
            QTimer.singleShot(0, lambda: self._authenticate(user, password))

    def _warm_up(self) -> None:
        """The main window's modules load on the runner while the password is typed; the login
        job queues behind them (ui/warmup.py)."""
        from ui.warmup import import_main_window_modules

        self.runner.submit(lambda: import_main_window_modules(lambda: self._login_waiting))

    # -- first start -----------------------------------------------------------------------------
    def _run_wizard(self, *, enrolled: bool = False) -> None:
        from ui.setup_wizard import SetupWizard

        self.wizard = SetupWizard(self._apply_setup, enrolled=enrolled)
        self.wizard.finished.connect(self._wizard_finished)
        self.wizard.show()

    def _wizard_finished(self, _result: int) -> None:
        applied = self.wizard is not None and self.wizard.applied
        retire(self.wizard)  # from its own finished signal: deleted later, not now
        self.wizard = None
        if applied:
            self._read_login_facts()
        else:
            self.quit()

    def _apply_setup(self, choice: SetupChoice) -> str | None:
        from caseworker.domain.roles import Actor

        ws = self.ws
        assert ws is not None
        system = Actor.system("setup")
        if choice.kind == "demo":
            from caseworker import demo

            residents = self.demo_residents

            def job(progress: Any = None) -> object:
                return demo.build(ws, residents=residents, seed=1)

            label = self.tr("正在生成演示数据，约需半分钟…")
        elif choice.kind == "enroll":
            from caseworker.sync import office

            def job(progress: Any = None) -> object:
                assert choice.enrollment is not None
                return office.enroll(ws, choice.enrollment, choice.passphrase)

            label = self.tr("正在登记…")
        elif choice.kind == "admin":
            from caseworker.services import accounts

            def job(progress: Any = None) -> object:
                assert choice.admin is not None
                with ws.writer(system) as s:
                    return accounts.create_staff(
                        s, system, choice.admin, choice.password, force_password_change=False
                    )

            label = self.tr("正在保存…")
        else:
            from caseworker.services import accounts

            def job(progress: Any = None) -> object:
                with ws.writer(system) as s:
                    return accounts.initialise_office(
                        s,
                        system,
                        office_code=choice.office_code,
                        office_name=choice.office_name,
                        district_name=choice.district_name,
                        community_names=choice.communities,
                        admin=choice.admin,  # type: ignore[arg-type]
                        admin_password=choice.password,
                    )

            label = self.tr("正在保存…")
        return self._saving(job, self.wizard, label)

    # -- login -----------------------------------------------------------------------------------
    def _authenticate(self, username: str, password: str) -> None:
        opening = self._opening
        if self.ws is None and (opening is None or opening.error is not None):
            self.login.show_message(self.tr("工作区尚未打开，请稍候"))
            return

        def job() -> Any:
            from caseworker.domain.roles import Actor
            from caseworker.services import accounts

            # Queued behind the open on the same runner: by now it has finished (the login
            # window may be usable before it, see `start`).
            ws = self.ws if self.ws is not None else opening.ws if opening is not None else None
            if ws is None:  # the open failed: `_open_failed` has said so and ends the program
                return None
            with ws.writer(Actor.system("login")) as s:
                result = accounts.authenticate(s, username, password)
            if result.actor is not None:
                from ui.warmup import warm_reads

                warm_reads(ws, result.actor)
            return result

        self._login_waiting = True
        self.runner.submit(job, on_done=self._authenticated, on_error=self._open_failed)

    def _authenticated(self, result: Any) -> None:
        self._login_waiting = False
        super()._authenticated(result)

    def _change_own_password(self, actor: Actor, old: str, new: str) -> None:
        from caseworker.services import accounts

        ws = self.ws
        assert ws is not None
        with ws.writer(actor) as s:
            accounts.change_own_password(s, actor, old, new)

    def _setting(self, actor: Actor, key: str) -> Any:
        from caseworker.services import settings

        if self.ctx is None:  # not open yet: the rule's own default
            return 8 if key == "security.min_password_length" else 0
        return self.ctx.read(lambda s: settings.get(s, key))

    # -- main window -----------------------------------------------------------------------------
    def _open_main(self, actor: Actor) -> None:
        from ui.main_window import MainWindow
        from ui.sections import build_sections

        assert self.ctx is not None and self.ws is not None
        self.ctx.actor = actor
        from ui.widgets.app_filters import building

        with building():  # made without the app's Python event filters (app_filters.py)
            self.window = MainWindow(self.ctx, build_sections(self), self.settings)
        self._show_main(actor)
        self._auto_backup()
        # What a login typed quickly left out (ui/warmup.py: SECTION_PAGES), once the first
        # page the person opens has been read; nothing to do when the warm-up had finished.
        QTimer.singleShot(WARM_UP_AFTER_LOGIN_MS, self._warm_up)
        self._warn_about_clock()
        if self.probe == "main":
            QTimer.singleShot(0, lambda: self._probe_done("main"))

    def _warn_about_clock(self) -> None:
        """A PC clock far off is told before anyone types (its changes would sort wrongly)."""
        from caseworker.sync import office

        assert self.ws is not None
        status = office.clock_status(self.ws)
        if not status.ok:
            self.clock_warning = status.message
            QMessageBox.warning(self.window, self.tr("电脑时钟不准"), status.message)

    def _auto_backup(self) -> None:
        from caseworker.services import settings

        ctx, ws = self.ctx, self.ws
        assert ctx is not None and ws is not None
        keep = ctx.read(
            lambda s: (settings.get(s, "backup.keep_daily"), settings.get(s, "backup.keep_weekly"))
        )

        def job() -> tuple[Path | None, str | None]:
            return ws.auto_backup_if_due(*keep), ws.space_warning()

        def done(result: tuple[Path | None, str | None]) -> None:
            taken, warning = result
            if taken:
                ctx.backup_taken.emit()
            if warning and self.window is not None:
                self.window.statusBar().showMessage(warning)

        def failed(exc: BaseException) -> None:

            from caseworker.domain.errors import CaseworkerError

            logging.getLogger("caseworker.ui").error("daily backup failed", exc_info=exc)
            reason = str(exc) if isinstance(exc, CaseworkerError) else self.tr("详情已写入日志")
            if self.window is not None:
                self.window.statusBar().showMessage(
                    self.tr("今日自动备份没有完成：{0}").format(reason)
                )

        # Off the writer thread: the first save of the day never waits for the backup.
        self.runner.spawn(job, on_done=done, on_error=failed)

    def _full_check_if_due(self, ws: Workspace) -> None:
        """After an unclean shutdown, and weekly: the full check on a thread of its own (login
        does not wait for it); a problem is shown when it is found."""
        due = ws.full_check_due()
        if due is None:
            return

        def done(problems: list[str]) -> None:
            if problems:
                QMessageBox.warning(
                    self.window,
                    self.tr("数据库检查发现问题"),
                    self.tr(
                        "后台检查发现数据库有 {0} 个问题：{1}\n\n请先不要继续录入，"
                        "联系技术支持，或在 系统设置 → 备份与恢复 中恢复最近的备份。"
                    ).format(len(problems), problems[0]),
                )

        self.runner.spawn(ws.run_full_check, on_done=done)

    # -- the session's hooks (ui/shell.py) -------------------------------------------------------
    def _store(self) -> Workspace | None:
        return self.ws

    def _place_name(self) -> str:
        assert self.window is not None
        return self.window.office_name

    def _unlock(self, actor: Actor, password: str) -> Any:
        from caseworker.domain.roles import Actor as _Actor
        from caseworker.services import accounts

        ws = self.ws
        assert ws is not None
        # The login's rules: failed tries count towards the same lockout.
        with ws.writer(_Actor.system("login")) as s:
            return accounts.unlock(s, actor, password)

    def _account_check(self, actor: Actor) -> Callable[[Session], object]:
        from caseworker.services import accounts

        return lambda s: accounts.ensure_current(s, actor)

    def _session_ended(self, ctx: AppContext) -> None:
        if ctx.actor is not None:
            from caseworker.services.children import keys

            keys.forget(ctx.actor.staff_id)  # the child-data key leaves with the person

    def restore(self, path: Path) -> None:
        """Close everything, restore the backup (which keeps a copy of the current file), reopen."""
        from caseworker.services import backups
        from caseworker.workspace import Workspace, restore
        from ui.progress import run_with_progress

        ws, ctx = self.ws, self.ctx
        assert ws is not None and ctx is not None and ctx.actor is not None
        root = ws.paths.root
        actor = ctx.actor

        def job() -> Workspace:
            backups.check_restore_right(ws, actor)  # while it is open, before anything closes
            ws.close()  # releases this process's lock: restore refuses while anyone holds one
            try:
                restore(root, path)
            except BaseException:
                ws.relock()  # refused, nothing changed: keep working on the same database
                raise
            return Workspace.open(root)

        parent = self.window
        new_ws = run_with_progress(self.runner, job, parent, self.tr("正在恢复…"))
        self._close_main()
        QMessageBox.information(None, self.tr("恢复完成"), self.tr("已恢复备份，请重新登录。"))
        self._opened(new_ws)

    # -- end -------------------------------------------------------------------------------------
    def _probe_done(self, what: str) -> None:
        print(f"PROBE {what} {time.time():.6f}", flush=True)
        self.quit()

    def shutdown(self) -> None:
        """After the event loop: let queued writes finish, then close the database."""
        self.runner.shutdown()
        if self.ws is not None:
            self.ws.close()


class _Opening:
    """The workspace the runner opens, for a login queued behind the open before the UI thread
    has heard of it (set on the runner)."""

    def __init__(self) -> None:
        self.ws: Workspace | None = None
        self.error: BaseException | None = None


def login_facts(ws: Workspace) -> LoginFacts:
    """Read on the runner (`Controller._read_login_facts`) once the workspace is open: the same
    plain read as at the start (caseworker/first_look.py)."""
    from caseworker.domain.errors import WorkspaceCorrupt
    from caseworker.first_look import peek

    facts = peek(ws.paths.root, at_head_only=False)
    if facts is None:
        raise WorkspaceCorrupt(
            f"无法读取工作区 {ws.paths.root} 的账号信息。未做任何改动；"
            "请用“恢复备份”从 backups 文件夹恢复。"
        )
    return facts


def make_app(argv: list[str] | None = None) -> QApplication:
    from ui.resources import default_to_chinese_dates

    if QApplication.instance() is None:
        default_to_chinese_dates()
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Caseworker")
    app.setOrganizationName("Caseworker")
    app.setApplicationDisplayName("街道民政工作台")
    # The controller decides when the application ends (退出, the main window closed, the login
    # or the wizard left). Qt's own rule would end it whenever no window is visible for a
    # moment: between the wizard's 完成 and the login, or between two sessions (issue 18).
    app.setQuitOnLastWindowClosed(False)
    register_font(app)
    install_icon(app)
    install_qt_translations(app)
    from ui.widgets import screen

    screen.install(app)
    return app  # type: ignore[return-value]


def _install_excepthook() -> None:
    """An unexpected error in a slot is logged and shown; the application keeps running."""
    from ui.messages import show_unexpected

    def hook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        show_unexpected(QApplication.activeWindow(), exc)

    sys.excepthook = hook


def no_display_reason() -> str | None:
    """On Linux without a display, Qt would abort with a misleading xcb message: say it plainly."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "没有找到图形显示（DISPLAY 和 WAYLAND_DISPLAY 都未设置）：请在桌面环境中启动，"
        "或在远程终端中使用 ssh -X；只想试运行可设置 QT_QPA_PLATFORM=offscreen。"
    )


def run(workspace: Path | None) -> int:
    reason = no_display_reason()
    if reason is not None:
        print(reason, file=sys.stderr)
        return 2
    app = make_app()
    _install_excepthook()
    root = Path(workspace) if workspace is not None else None
    if root is None:
        from caseworker.workspace import default_root

        root = default_root()
    root.mkdir(parents=True, exist_ok=True)
    lock = QLockFile(str(root / "caseworker.lock"))
    lock.setStaleLockTime(0)
    if not lock.tryLock(200):
        QMessageBox.warning(
            None,
            "街道民政工作台",
            f"工作台已经在本机打开了这个工作区：\n{root}\n\n请切换到已打开的窗口。",
        )
        return 2
    controller = Controller(root, TaskRunner(), QSettings())
    controller.start()
    try:
        return app.exec()
    finally:
        controller.shutdown()
        lock.unlock()
