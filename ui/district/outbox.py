"""发件: each office's bundle (one, several or all) written to a chosen folder on a stick, named
so a clerk can tell them apart (date, office code and name, 区发街道); what each carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caseworker.district import console
from ui.context import AppContext
from ui.messages import show_error
from ui.widgets import file_dialogs
from ui.widgets.batch_job import BatchJob
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.fields import heading
from ui.widgets.table_models import read_only_table

COLUMNS = ("街道", "写出的文件", "变更", "内容")


class OutboxPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.offices: list[tuple[str, str]] = []
        self.written: dict[str, console.Written] = {}
        self.folder: Path | None = None
        title = heading(self.tr("发件：给街道写出数据包"))
        self.all_button = QPushButton(self.tr("全选(&A)"))
        self.none_button = QPushButton(self.tr("全不选"))
        self.folder_button = QPushButton(self.tr("选择文件夹(&D)…"))
        self.folder_label = QLabel(self.tr("尚未选择文件夹"))
        self.write_button = QPushButton(self.tr("写出数据包(&W)"))
        self.batch = BatchJob(ctx, self, self.tr("写出"), self._running)
        self.status = self.batch.status
        self.status.setText(
            self.tr("勾选要发件的街道（空格键勾选），选择 U 盘上的文件夹，然后写出。")
        )
        self.all_button.clicked.connect(lambda: self._check_all(True))
        self.none_button.clicked.connect(lambda: self._check_all(False))
        self.folder_button.clicked.connect(self.choose_folder)
        self.write_button.clicked.connect(self.write)
        row = QHBoxLayout()
        for w in (self.all_button, self.none_button, self.folder_button, self.folder_label):
            row.addWidget(w)
        row.addStretch()
        row.addWidget(self.write_button)
        row.addWidget(self.batch.cancel_button)
        self.table = read_only_table([self.tr(c) for c in COLUMNS], (220, 380, 70))
        self.table.itemChanged.connect(lambda _i: self._update_button())
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.batch.progress)
        layout.addWidget(self.table, 1)
        self.overlay = BusyOverlay(self.table)
        self.reader = BackgroundRead(ctx, self, self.overlay.set_busy)
        hub, actor = ctx.ws, ctx.actor
        assert actor is not None
        self.reader.start(lambda _s: console.offices(hub, actor), self._listed)  # type: ignore[arg-type]
        self._update_button()

    def _listed(self, offices: list[tuple[str, str]]) -> None:
        self.offices = offices
        self.table.blockSignals(True)
        self.table.setRowCount(len(offices))
        for i, (code, name) in enumerate(offices):
            item = QTableWidgetItem(f"{code} {name}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.table.setItem(i, 0, item)
            for j in range(1, len(COLUMNS)):
                self.table.setItem(i, j, QTableWidgetItem(""))
        self.table.blockSignals(False)
        self._update_button()
        if offices:
            self.table.setCurrentCell(0, 0)

    def keyPressEvent(self, event: Any) -> None:
        # Space ticks the office of the current row wherever the focus is in the table
        if event.key() == Qt.Key.Key_Space and self.table.hasFocus():
            item = self.table.item(self.table.currentRow(), 0)
            if item is not None:
                checked = item.checkState() == Qt.CheckState.Checked
                item.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)
            return
        super().keyPressEvent(event)

    def chosen(self) -> list[tuple[str, str]]:
        return [
            office
            for i, office in enumerate(self.offices)
            if (item := self.table.item(i, 0)) is not None
            and item.checkState() == Qt.CheckState.Checked
        ]

    def _check_all(self, on: bool) -> None:
        state = Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 0)
            if item is not None:
                item.setCheckState(state)

    def _update_button(self) -> None:
        n = len(self.chosen())
        self.write_button.setEnabled(not self.batch.busy and n > 0 and self.folder is not None)
        self.write_button.setText(
            self.tr("写出 {0} 个数据包(&W)").format(n) if n else self.tr("写出数据包(&W)")
        )

    def choose_folder(self) -> None:
        folder = file_dialogs.folder_path(
            self.window(), "district_outbox", self.tr("选择写出数据包的文件夹（U 盘）")
        )
        if folder is not None:
            self.folder = folder
            self.folder_label.setText(str(folder))
            self._update_button()

    def write(self) -> None:
        chosen = self.chosen()
        if self.batch.busy or not chosen or self.folder is None:
            return
        hub, actor, folder = self.ctx.ws, self.ctx.actor, self.folder
        assert actor is not None

        def job(progress: Any) -> list[console.Written]:
            return console.export_offices(hub, actor, chosen, folder, progress)  # type: ignore[arg-type]

        self.batch.progress.setMaximum(len(chosen))
        self.batch.progress.setValue(0)
        self.batch.start(job, self._done, self._failed)

    def cancel(self) -> None:
        self.batch.cancel()

    def _running(self, running: bool) -> None:
        for b in (self.all_button, self.none_button, self.folder_button):
            b.setEnabled(not running)
        if running:
            self.write_button.setEnabled(False)

    def _done(self, written: list[console.Written]) -> None:
        self.written = {w.code: w for w in written}
        ok = sum(1 for w in written if w.path is not None)
        bad = sum(1 for w in written if w.refused)
        cancelled = sum(1 for w in written if w.cancelled)
        text = self.tr("已写出 {0} 个数据包到 {1}").format(ok, self.folder)
        if bad:
            text += self.tr("，{0} 个未写出（见原因）").format(bad)
        if cancelled:
            text += self.tr("，{0} 个因取消未写出").format(cancelled)
        self.status.setText(text + self.tr("。请安全弹出 U 盘后交给各街道。"))
        self.batch.progress.setValue(ok + bad)
        self._fill_results()
        self._update_button()
        self.ctx.changed.emit(frozenset({"sync_bundle"}))

    def _failed(self, exc: BaseException) -> None:
        self._update_button()
        show_error(self, exc)

    def _fill_results(self) -> None:
        self.table.blockSignals(True)
        for i, (code, _name) in enumerate(self.offices):
            w = self.written.get(code)
            if w is None:
                continue
            if w.path is not None:
                values = [
                    w.path.name,
                    str(w.changes),
                    console.counts_text(w.counts) + (f"，照片 {w.photos} 张" if w.photos else ""),
                ]
                color = QColor("#1b5e20")
            else:
                values = [
                    self.tr("已取消") if w.cancelled else self.tr("未写出：{0}").format(w.refused),
                    "",
                    "",
                ]
                color = QColor("#b00020")
            for j, value in enumerate(values, start=1):
                item = QTableWidgetItem(value or ("无新变更" if j == 3 else ""))
                item.setToolTip(value)
                item.setForeground(QBrush(color))
                self.table.setItem(i, j, item)
        self.table.blockSignals(False)
