"""收件: the bundles on a stick — files or a whole folder — previewed (office, date, changes by
table, or why a file would be refused), then all ingested with one progress bar and a cancel
button; each file in its own transaction, a bad one never stops the others, the result of
each in the same table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
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

COLUMNS = ("文件", "街道", "生成时间", "变更", "内容", "结果")
REFUSED = QColor("#b00020")
DONE = QColor("#1b5e20")


class InboxPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.paths: list[Path] = []
        self.previews: dict[Path, console.Preview] = {}
        self.results: list[console.FileResult] = []
        title = heading(self.tr("收件：导入街道报送的数据包"))
        self.files_button = QPushButton(self.tr("选择文件(&F)…"))
        self.folder_button = QPushButton(self.tr("选择文件夹(&D)…"))
        self.clear_button = QPushButton(self.tr("清空列表"))
        self.ingest_button = QPushButton(self.tr("全部导入(&I)"))
        self.ingest_button.setEnabled(False)
        self.batch = BatchJob(ctx, self, self.tr("导入"), self._running)
        self.status = self.batch.status
        self.status.setText(self.tr("请选择 U 盘上的数据包（.cwbundle）或整个文件夹。"))
        self.files_button.clicked.connect(self.choose_files)
        self.folder_button.clicked.connect(self.choose_folder)
        self.clear_button.clicked.connect(lambda: self.set_paths([]))
        self.ingest_button.clicked.connect(self.ingest_all)
        row = QHBoxLayout()
        for b in (self.files_button, self.folder_button, self.clear_button):
            row.addWidget(b)
        row.addStretch()
        row.addWidget(self.ingest_button)
        row.addWidget(self.batch.cancel_button)
        self.table = read_only_table([self.tr(c) for c in COLUMNS], (240, 130, 120, 60, 300))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.batch.progress)
        layout.addWidget(self.table, 1)
        self.overlay = BusyOverlay(self.table, self.tr("正在读取数据包…"))
        self.reader = BackgroundRead(ctx, self, self.overlay.set_busy)
        self.files_button.setFocus()

    # -- choosing ----------------------------------------------------------------------------------
    def choose_files(self) -> None:
        chosen = file_dialogs.open_paths(
            self.window(),
            "district_inbox",
            self.tr("选择街道发来的数据包"),
            self.tr("数据包 (*.cwbundle);;所有文件 (*)"),
        )
        if chosen:
            self.set_paths(chosen)

    def choose_folder(self) -> None:
        folder = file_dialogs.folder_path(
            self.window(), "district_inbox", self.tr("选择存放数据包的文件夹")
        )
        if folder is None:
            return
        try:
            found = console.bundle_files(folder)
        except Exception as exc:  # one Chinese line (CaseworkerError)
            show_error(self, exc)
            return
        if not found:
            QMessageBox.information(
                self, self.tr("收件"), self.tr("这个文件夹里没有数据包（.cwbundle）。")
            )
            return
        self.set_paths(found)

    def set_paths(self, paths: list[Path]) -> None:
        if self.batch.busy:
            return
        # the same file chosen twice is taken once
        self.paths = list(dict.fromkeys(Path(p) for p in paths))
        self.previews = {}
        self.results = []
        self.batch.progress.setMaximum(max(len(self.paths), 1))
        self.batch.progress.setValue(0)
        self._fill()
        self.ingest_button.setEnabled(False)
        if not self.paths:
            self.status.setText(self.tr("请选择 U 盘上的数据包（.cwbundle）或整个文件夹。"))
            return
        hub, actor, paths = self.ctx.ws, self.ctx.actor, list(self.paths)
        assert actor is not None
        self.reader.start(
            lambda _s: [console.preview(hub, actor, p) for p in paths],  # type: ignore[arg-type]
            self._previewed,
        )

    def _previewed(self, previews: list[console.Preview]) -> None:
        self.previews = {p.path: p for p in previews}
        refused = sum(1 for p in previews if p.refused)
        already = sum(1 for p in previews if p.already and not p.refused)
        self.status.setText(
            self.tr(
                "共 {0} 个数据包：{1} 个可以导入，{2} 个已导入过，{3} 个不能导入（见原因）。"
            ).format(len(previews), len(previews) - refused - already, already, refused)
        )
        self._fill()
        self.ingest_button.setEnabled(bool(previews))
        self.ingest_button.setFocus()

    # -- ingesting ---------------------------------------------------------------------------------
    def ingest_all(self) -> None:
        if self.batch.busy or not self.paths:
            return
        hub, actor, paths = self.ctx.ws, self.ctx.actor, list(self.paths)
        assert actor is not None

        def job(progress: Any) -> list[console.FileResult]:
            return console.ingest_files(hub, actor, paths, progress)  # type: ignore[arg-type]

        self.status.setText(self.tr("正在导入…"))
        self.batch.start(job, self._done, self._failed)

    def cancel(self) -> None:
        self.batch.cancel()

    def _running(self, running: bool) -> None:
        for b in (self.files_button, self.folder_button, self.clear_button, self.ingest_button):
            b.setEnabled(not running)

    def _done(self, results: list[console.FileResult]) -> None:
        self.ingest_button.setEnabled(False)  # done: choose the next stick
        self.results = results
        self._fill()
        done = sum(1 for r in results if not r.refused and not r.cancelled)
        refused = sum(1 for r in results if r.refused)
        cancelled = sum(1 for r in results if r.cancelled)
        self.batch.progress.setValue(len(results) - cancelled)
        text = self.tr("导入完成：{0} 个已处理，{1} 个未导入").format(done, refused)
        if cancelled:
            text += self.tr("，{0} 个因取消未导入").format(cancelled)
        self.status.setText(text + self.tr("。每个文件的结果见下表。"))
        self.ctx.changed.emit(frozenset({"sync_bundle", "sync_conflict"}))
        self.table.setFocus()

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(self.tr("导入没有进行：{0}").format(exc) if str(exc) else "")
        show_error(self, exc)

    # -- the table ---------------------------------------------------------------------------------
    def _fill(self) -> None:
        results = {r.path: r for r in self.results}
        self.table.setRowCount(len(self.paths))
        for i, path in enumerate(self.paths):
            p = self.previews.get(path)
            r = results.get(path)
            if p is None:
                values = [path.name, "", "", "", "", self.tr("正在读取…")]
            else:
                when = f"{p.created:%Y-%m-%d %H:%M}" if p.created else ""
                state = (
                    self.tr("不能导入：{0}").format(p.refused)
                    if p.refused
                    else self.tr("已导入过")
                    if p.already
                    else self.tr("待导入")
                )
                values = [
                    path.name,
                    p.office,
                    when,
                    str(p.changes) if not p.refused else "",
                    console.counts_text(p.counts)
                    + (self.tr("，照片 {0} 张").format(p.photos) if p.photos else ""),
                    state,
                ]
            if r is not None:
                values[1] = values[1] or r.office
                values[5] = r.summary
            for j, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                if j == 3:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if j == 5:
                    bad = (r is not None and (r.refused or r.cancelled)) or (
                        r is None and p is not None and p.refused
                    )
                    if bad:
                        item.setForeground(QBrush(REFUSED))
                    elif r is not None:
                        item.setForeground(QBrush(DONE))
                self.table.setItem(i, j, item)
