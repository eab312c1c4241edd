"""系统设置: tabs for accounts, audit trail, parameters, backups, and the user's own password.

Each tab is built when first shown (issue 9: building all of them made opening 系统设置 stall
the window; 参数设置 and 备份与恢复 cost more than 操作日志 itself)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from caseworker import __version__
from caseworker.domain.roles import Permission
from ui.context import AppContext

W = TypeVar("W", bound=QWidget)


class LazyTab(QWidget):
    """An empty tab until it is first shown; then `build()` makes its content, once."""

    def __init__(self, build: Callable[[], QWidget]) -> None:
        super().__init__()
        self._build = build
        self.content: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    def ensure_built(self) -> QWidget:
        if self.content is None:
            from ui.widgets.app_filters import building

            with building():
                self.content = self._build()
            self.layout().addWidget(self.content)
            self.content.show()  # added while its tab is being shown: Qt would leave it hidden
        return self.content

    def showEvent(self, event: QShowEvent) -> None:
        self.ensure_built()
        super().showEvent(event)


class SystemPage(QWidget):
    def __init__(
        self, ctx: AppContext, restore: Callable[[Path], None], change_password: Callable[[], None]
    ) -> None:
        super().__init__()
        self.tabs = QTabWidget()

        def staff() -> QWidget:
            from ui.admin.staff import StaffPage

            return StaffPage(ctx)

        def audit() -> QWidget:
            from ui.admin.audit import AuditPage

            return AuditPage(ctx)

        def parameters() -> QWidget:
            from ui.admin.parameters import ParametersPage

            return ParametersPage(ctx)

        def backups() -> QWidget:
            from ui.admin.backups import BackupsPage

            return BackupsPage(ctx, restore)

        # (tab, its class's name): `open_tab` finds a tab by the class it will hold.
        self.lazy: list[tuple[LazyTab, str]] = []
        for allowed, build, kind, title in (
            (ctx.can(Permission.MANAGE_STAFF), staff, "StaffPage", self.tr("账号管理")),
            (ctx.can(Permission.VIEW_AUDIT), audit, "AuditPage", self.tr("操作日志")),
            (True, parameters, "ParametersPage", self.tr("参数设置")),
            (ctx.can(Permission.BACKUP_RESTORE), backups, "BackupsPage", self.tr("备份与恢复")),
        ):
            if allowed:
                tab = LazyTab(build)
                self.lazy.append((tab, kind))
                self.tabs.addTab(tab, title)
        mine = QWidget()
        mine_layout = QVBoxLayout(mine)
        who = ctx.actor
        mine_layout.addWidget(
            QLabel(
                self.tr("当前用户：{0}（{1}）").format(
                    who.display_name if who else "", who.role.label if who and who.role else ""
                )
            )
        )
        button = QPushButton(self.tr("修改我的密码"))
        button.clicked.connect(change_password)
        mine_layout.addWidget(button)
        mine_layout.addWidget(QLabel(self.tr("工作区：{0}").format(ctx.ws.paths.root)))
        mine_layout.addWidget(QLabel(self.tr("设备编号：{0}").format(ctx.ws.device_id)))
        mine_layout.addWidget(QLabel(self.tr("程序版本：{0}").format(__version__)))
        mine_layout.addStretch()
        self.tabs.addTab(mine, self.tr("我的账号"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)

    def open_tab(self, kind: type[W]) -> W:
        """Show the tab holding a `kind` page (built now if it never was) and return the page."""
        tab = next(t for t, name in self.lazy if name == kind.__name__)
        self.tabs.setCurrentWidget(tab)
        page = tab.ensure_built()
        assert isinstance(page, kind)
        return page
