"""The main window: section navigation, the pages, menus, and the status bar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QListWidgetItem, QMessageBox, QWidget

from caseworker.services import accounts
from ui.context import AppContext
from ui.messages import connect_while_alive
from ui.widgets.nav import SectionWindow


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    build: Callable[[], QWidget]


GEOMETRY_KEY = "main/geometry"


class MainWindow(SectionWindow):
    lock_requested = Signal()
    switch_user_requested = Signal()

    def __init__(self, ctx: AppContext, sections: list[Section], settings: QSettings) -> None:
        super().__init__(settings, GEOMETRY_KEY)
        self.ctx = ctx
        office = ctx.read(accounts.office)
        self.office_name = office.name if office else ""
        self.setWindowTitle(self.office_name)  # Qt adds " — 街道民政工作台" (the display name)
        self.set_up_sections(sections, [s.title for s in sections], 132)
        # Clicking the section already shown takes it back to its start (a resident's page
        # back to the roster): pages that have one offer `section_home()`.
        self._row_at_press = -1
        self.nav.viewport().installEventFilter(self)
        self.nav.itemClicked.connect(self._nav_clicked)
        self._build_menus()
        from ui import paper_codes

        # a keyboard-wedge scanner's code plus Enter opens its form from anywhere in the window
        self.code_catcher = paper_codes.install(ctx, self)
        self._build_status_bar()
        connect_while_alive(ctx.backup_taken, self, self.update_status)
        self.restore_geometry(720)
        self.nav.setCurrentRow(0)

    # -- sections --------------------------------------------------------------------------------
    def page_behind(self, key: str) -> QWidget:
        """A section's page (built if need be) without showing it: what a dialog opened from
        elsewhere tells it leaves the caseworker where she is."""
        return self._build_page(self.section_index(key))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.nav.viewport() and event.type() == QEvent.Type.MouseButtonPress:
            self._row_at_press = self.nav.currentRow()
        return super().eventFilter(watched, event)

    def _nav_clicked(self, item: QListWidgetItem) -> None:
        row = self.nav.row(item)
        if row == self._row_at_press:
            self._section_home(row)

    def _go_to(self, row: int) -> None:
        if row == self.stack.currentIndex() and row in self._pages:
            self._section_home(row)
        else:
            self.show_section(row)

    def _section_home(self, row: int) -> None:
        home = getattr(self._pages.get(row), "section_home", None)
        if callable(home):
            home()

    # -- chrome ----------------------------------------------------------------------------------
    def _import_scans(self) -> None:
        from ui import paper_codes

        paper_codes.import_scans(self.ctx, self)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("文件(&F)"))
        self.lock_action = QAction(self.tr("锁定屏幕"), self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(self.lock_requested)
        self.switch_action = QAction(self.tr("切换用户"), self)
        self.switch_action.triggered.connect(self.switch_user_requested)
        quit_action = QAction(self.tr("退出"), self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        for action in (self.lock_action, self.switch_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        self.scan_action = QAction(self.tr("导入扫描件…"), self)
        self.scan_action.triggered.connect(self._import_scans)
        file_menu.addAction(self.scan_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        self.add_go_menu([s.title for s in self.sections], self._go_to)
        help_menu = self.menuBar().addMenu(self.tr("帮助(&H)"))
        about = QAction(self.tr("关于"), self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _about(self) -> None:
        from caseworker import __version__

        QMessageBox.about(
            self,
            self.tr("关于"),
            self.tr(
                "街道民政工作台 {0}\n\n老年人探访关爱、居家适老化改造、困境儿童关爱保护。\n"
                "数据保存在本机，通过 U 盘与区民政局交换。\n字体：文泉驿微米黑（Apache-2.0）"
            ).format(__version__),
        )

    def _build_status_bar(self) -> None:
        self.user_label = QLabel()
        self.office_label = QLabel()
        self.path_label = QLabel()
        self.backup_label = QLabel()
        bar = self.statusBar()
        for label in (self.user_label, self.office_label, self.path_label):
            bar.addWidget(label)
        bar.addPermanentWidget(self.backup_label)
        self.update_status()

    def update_status(self) -> None:
        actor = self.ctx.actor
        role = actor.role.label if actor and actor.role else ""
        self.user_label.setText(
            self.tr("用户：{0}（{1}）").format(actor.display_name if actor else "", role)
        )
        self.office_label.setText(self.tr("街道：{0}").format(self.office_name))
        self.path_label.setText(self.tr("工作区：{0}").format(self.ctx.ws.paths.root))
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        last = self.ctx.ws.last_backup()
        self.backup_label.setText(
            self.tr("最近备份：{0:%Y-%m-%d %H:%M}").format(last.taken_at)
            if last
            else self.tr("最近备份：无")
        )
