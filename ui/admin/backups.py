"""备份与恢复: list the backups, take one now, restore one (the app then asks to log in again)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.errors import CaseworkerError
from db.backup import BackupInfo, list_backups
from ui.context import AppContext
from ui.messages import connect_while_alive, show_error
from ui.widgets import file_dialogs
from ui.widgets.table_models import Column, ListTableModel, configure_view

REASONS = {
    "daily": "每日自动",
    "manual": "手动",
    "pre-migration": "升级前",
    "pre-import": "导入前",
    "pre-restore": "恢复前",
    "pre-compact": "整理前",
}


class BackupsPage(QWidget):
    """`restore_requested(path)` is handled by the application controller, which closes the
    workspace, restores and reopens."""

    def __init__(self, ctx: AppContext, restore: Callable[[Path], None]) -> None:
        super().__init__()
        self.ctx = ctx
        self._restore = restore
        self.model: ListTableModel[BackupInfo] = ListTableModel(
            [
                Column(self.tr("时间"), lambda b: f"{b.taken_at:%Y-%m-%d %H:%M}"),  # local time
                Column(self.tr("类型"), lambda b: REASONS.get(b.reason, b.reason)),
                Column(self.tr("大小"), lambda b: f"{b.size / 1_048_576:.1f} MB", align_right=True),
                Column(self.tr("文件"), lambda b: b.path.name),
            ]
        )
        self.view = QTableView()
        self.view.setModel(self.model)
        configure_view(self.view)
        self.folder = QLabel(self.tr("备份文件夹：{0}").format(ctx.ws.paths.backups))
        self.folder.setWordWrap(True)
        self.backup_button = QPushButton(self.tr("立即备份"))
        self.restore_button = QPushButton(self.tr("恢复所选备份…"))
        self.restore_file_button = QPushButton(self.tr("从文件恢复…"))
        self.backup_button.clicked.connect(self.backup_now)
        self.restore_button.clicked.connect(self.restore_selected)
        self.restore_file_button.clicked.connect(self.restore_from_file)
        buttons = QHBoxLayout()
        for b in (self.backup_button, self.restore_button, self.restore_file_button):
            buttons.addWidget(b)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.folder)
        layout.addLayout(buttons)
        layout.addWidget(self.view)
        note = QLabel(
            self.tr(
                "每天第一次登录后自动备份一次（距上次备份超过一天时）。"
                "备份使用数据库的在线备份功能，工作时也可以备份。恢复前会自动再备份一次当前数据库，"
                "不会丢失现有数据。备份经过压缩（约为数据库的七分之一）；旧的自动备份按保留份数删除，"
                "磁盘空间不足时先删除最早的自动备份，手动备份不会自动删除。"
                "恢复前会完整检查备份文件，检查不通过则不做任何改动。"
            )
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        connect_while_alive(ctx.backup_taken, self, self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.model.set_rows(list_backups(self.ctx.ws.paths.backups))
        self.view.resizeColumnsToContents()

    def backup_now(self) -> None:
        from caseworker.services import backups

        ws, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None

        def done(path: Path) -> None:
            self.ctx.backup_taken.emit()
            QMessageBox.information(self, self.tr("备份"), self.tr("已备份到：\n{0}").format(path))

        # Beside the writer thread, like the daily backup: saving never waits for it.
        self.ctx.runner.spawn(
            lambda: backups.take(ws, actor), on_done=done, on_error=lambda e: show_error(self, e)
        )

    def restore_selected(self) -> None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            QMessageBox.information(self, self.tr("恢复"), self.tr("请先在列表中选中一份备份。"))
            return
        self._confirm_and_restore(self.model.row(rows[0].row()).path)

    def restore_from_file(self) -> None:
        path = file_dialogs.open_path(
            self,
            "backup",
            self.tr("选择备份文件"),
            self.tr("数据库备份 (*.sqlite3.gz *.sqlite3)"),
            self.ctx.ws.paths.backups,
        )
        if path is not None:
            self._confirm_and_restore(path)

    def _confirm_and_restore(self, path: Path) -> None:
        answer = QMessageBox.question(
            self,
            self.tr("恢复备份"),
            self.tr(
                "用备份“{0}”替换当前数据库？\n\n当前数据库会先另存为一份“恢复前”备份。恢复后需要重新登录。"
            ).format(path.name),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self._restore(path)
        except CaseworkerError as exc:
            QMessageBox.warning(self, self.tr("无法恢复"), str(exc))
