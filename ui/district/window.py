"""The district console's main window: the sections the logged-in role may use, menus (lock,
switch user, password, Ctrl+1… to a section), and a status bar with the person and the hub."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QWidget

from caseworker.domain.roles import DISTRICT_ROLE_LABELS, DistrictPermission, DistrictRole
from ui.context import AppContext
from ui.widgets.nav import SectionWindow

GEOMETRY_KEY = "district/geometry"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    permission: DistrictPermission
    build: Callable[[], QWidget]


def sections(ctx: AppContext) -> list[Section]:
    """Every section, in the order of the bureau's round; the window keeps those the role may
    use (the services refuse the others anyway)."""
    from ui.district.accounts_page import AccountsPage
    from ui.district.audit import AuditPage
    from ui.district.dashboard import DashboardPage
    from ui.district.figures import ChildFiguresPage, ReportPage
    from ui.district.inbox import InboxPage
    from ui.district.offices import OfficesPage
    from ui.district.outbox import OutboxPage
    from ui.district.queues import QueuesPage
    from ui.district.settings_page import SettingsPage
    from ui.district.transfers import TransfersPage

    p = DistrictPermission
    return [
        Section("dashboard", "工作台", p.STATUS, lambda: DashboardPage(ctx)),
        Section("inbox", "收件", p.BUNDLES, lambda: InboxPage(ctx)),
        Section("outbox", "发件", p.BUNDLES, lambda: OutboxPage(ctx)),
        Section("queues", "冲突与重复", p.RECORDS, lambda: QueuesPage(ctx)),
        Section("transfers", "转移", p.RECORDS, lambda: TransfersPage(ctx)),
        Section("settings", "设置", p.CATALOGUE, lambda: SettingsPage(ctx)),
        Section("offices", "街道", p.MANAGE_OFFICES, lambda: OfficesPage(ctx)),
        Section("report", "统计报表", p.FIGURES, lambda: ReportPage(ctx)),
        Section("children", "儿童统计", p.CHILD_FIGURES, lambda: ChildFiguresPage(ctx)),
        Section("accounts", "账号", p.MANAGE_ACCOUNTS, lambda: AccountsPage(ctx)),
        Section("audit", "操作记录", p.AUDIT, lambda: AuditPage(ctx)),
    ]


class DistrictWindow(SectionWindow):
    lock_requested = Signal()
    switch_user_requested = Signal()
    password_requested = Signal()

    def __init__(self, ctx: AppContext, hub_name: str, settings: QSettings) -> None:
        super().__init__(settings, GEOMETRY_KEY)
        self.ctx = ctx
        self.hub_name = hub_name
        allowed = [s for s in sections(ctx) if ctx.can(s.permission)]  # type: ignore[arg-type]
        self.setWindowTitle(hub_name)
        self.set_up_sections(allowed, [self.tr(s.title) for s in allowed], 120)
        self._build_menus()
        actor = ctx.actor
        role = (
            DISTRICT_ROLE_LABELS[actor.role]
            if actor is not None and isinstance(actor.role, DistrictRole)
            else ""
        )
        self.user_label = QLabel(
            self.tr("用户：{0}（{1}）").format(actor.display_name if actor else "", role)
        )
        self.hub_label = QLabel(self.tr("平台：{0}").format(hub_name))
        url = ctx.ws.engine.url.render_as_string(hide_password=True)  # type: ignore[attr-defined]
        self.db_label = QLabel(self.tr("数据库：{0}").format(url))
        self.db_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in (self.user_label, self.hub_label, self.db_label):
            self.statusBar().addWidget(label)
        self.restore_geometry(700)
        if not self.sections:
            self.setCentralWidget(QLabel(self.tr("此账号没有可用的功能，请联系区级管理员。")))
        else:
            self.nav.setCurrentRow(0)

    def _build_menus(self) -> None:
        menu = self.menuBar().addMenu(self.tr("文件(&F)"))
        actions = [
            (self.tr("锁定屏幕"), "Ctrl+L", self.lock_requested),
            (self.tr("修改密码"), "", self.password_requested),
            (self.tr("切换用户"), "", self.switch_user_requested),
        ]
        for text, keys, signal in actions:
            action = QAction(text, self)
            if keys:
                action.setShortcut(QKeySequence(keys))
            action.triggered.connect(signal)
            menu.addAction(action)
        menu.addSeparator()
        quit_action = QAction(self.tr("退出"), self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        menu.addAction(quit_action)
        self.add_go_menu([self.tr(s.title) for s in self.sections], self.show_section)
