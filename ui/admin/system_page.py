"""系统设置: tabs for accounts, audit trail, parameters, backups, and the user's own password."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from caseworker import __version__
from caseworker.domain.roles import Permission
from ui.context import AppContext


class SystemPage(QWidget):
    def __init__(
        self, ctx: AppContext, restore: Callable[[Path], None], change_password: Callable[[], None]
    ) -> None:
        super().__init__()
        self.tabs = QTabWidget()
        if ctx.can(Permission.MANAGE_STAFF):
            from ui.admin.staff import StaffPage

            self.tabs.addTab(StaffPage(ctx), self.tr("账号管理"))
        if ctx.can(Permission.VIEW_AUDIT):
            from ui.admin.audit import AuditPage

            self.tabs.addTab(AuditPage(ctx), self.tr("操作日志"))
        from ui.admin.parameters import ParametersPage

        self.tabs.addTab(ParametersPage(ctx), self.tr("参数设置"))
        if ctx.can(Permission.BACKUP_RESTORE):
            from ui.admin.backups import BackupsPage

            self.tabs.addTab(BackupsPage(ctx, restore), self.tr("备份与恢复"))
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
