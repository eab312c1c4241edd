"""数据同步: export to the stick, import from it with a preview, the history of bundles, what
waits for the district's acknowledgement, and the conflicts list (supervisors review them).

What the page shows is read on the background runner (what waits for acknowledgement is an
aggregate over the journal: a second at 100,000 residents) behind a busy note; the history and
the conflicts list are read a page at a time (`PAGE`) with their counts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.errors import CaseworkerError
from caseworker.domain.roles import Permission
from caseworker.services.audit import TABLE_LABELS, conflict_field_label
from caseworker.sync import conflicts, office
from caseworker.sync.conflicts import ConflictInfo
from caseworker.sync.office import BundleInfo, TransferredOut
from ui.context import AppContext
from ui.progress import run_with_progress
from ui.sync.dialogs import EnrollDialog, ImportPreviewDialog, counts_text
from ui.widgets import file_dialogs
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.table_models import Column, ListTableModel, configure_view

# An import can touch any table: every view refreshes after one.
ALL_TABLES = frozenset(TABLE_LABELS) | {"sync"}


PAGE = 200  # bundles and conflicts per page; 加载更多 reads the next one
PENDING_CAP = 10_000  # "more than 10,000 changes wait" instead of counting 1.5 M of them


@dataclass(frozen=True)
class _State:
    """Everything the page shows, read in one go on the runner."""

    identity: Any  # Identity | None
    clock: office.ClockStatus
    pending: office.PendingInfo | None  # None: the actor may not sync
    history: list[BundleInfo]
    history_total: int
    conflicts: list[ConflictInfo]
    conflicts_total: int
    transfers: list[TransferredOut]


def _value(v: Any) -> str:
    if v is None:
        return "（空）"
    if isinstance(v, bool):
        return "是" if v else "否"
    return str(v)


class SyncPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.clock = QLabel()
        self.clock.setWordWrap(True)
        self.clock.setStyleSheet("color: #b00020; font-weight: bold;")
        self.pending_label = QLabel()
        self.pending_label.setWordWrap(True)
        self.export_button = QPushButton(self.tr("导出数据包到 U 盘…"))
        self.import_button = QPushButton(self.tr("导入区里发来的数据包…"))
        self.enroll_button = QPushButton(self.tr("用登记文件登记…"))
        for b in (self.export_button, self.import_button):
            b.setMinimumHeight(36)
        self.export_button.clicked.connect(self.choose_export)
        self.import_button.clicked.connect(self.choose_import)
        self.enroll_button.clicked.connect(self.choose_enroll)
        actions = QHBoxLayout()
        actions.addWidget(self.export_button)
        actions.addWidget(self.import_button)
        actions.addWidget(self.enroll_button)
        actions.addStretch()
        status = QGroupBox(self.tr("同步状态"))
        s_layout = QVBoxLayout(status)
        s_layout.addWidget(self.banner)
        s_layout.addWidget(self.clock)
        s_layout.addWidget(self.pending_label)
        s_layout.addLayout(actions)

        self.history: ListTableModel[BundleInfo] = ListTableModel(
            [
                Column(
                    self.tr("方向"),
                    lambda b: self.tr("发出") if b.direction == "sent" else self.tr("收到"),
                ),
                Column(self.tr("对方"), lambda b: b.peer_name),
                Column(self.tr("生成时间"), lambda b: f"{b.created_at:%Y-%m-%d %H:%M}"),
                Column(self.tr("修改条数"), lambda b: b.changes, align_right=True),
                Column(self.tr("采用"), lambda b: b.applied, align_right=True),
                Column(self.tr("冲突"), lambda b: b.conflicts, align_right=True),
                Column(
                    self.tr("区里确认"),
                    lambda b: (
                        ""
                        if b.direction != "sent"
                        else (self.tr("已确认") if b.acknowledged_at else self.tr("待确认"))
                    ),
                ),
                Column(self.tr("文件"), lambda b: b.file_name),
            ]
        )
        self.history_view = QTableView()
        self.history_view.setModel(self.history)
        configure_view(self.history_view)

        self.conflicts: ListTableModel[ConflictInfo] = ListTableModel(
            [
                Column(self.tr("对象"), lambda c: TABLE_LABELS.get(c.table_name, c.table_name)),
                Column(self.tr("字段"), lambda c: conflict_field_label(c.table_name, c.field)),
                Column(self.tr("现在的值"), lambda c: _value(c.kept_value)),
                Column(self.tr("被覆盖/未采用的值"), lambda c: _value(c.lost_value)),
                Column(self.tr("原因"), lambda c: c.reason_label),
                Column(self.tr("未采用的修改人"), lambda c: c.lost_actor),
                Column(self.tr("发现时间"), lambda c: c.detected_at),
                Column(self.tr("记录编号"), lambda c: c.record_id),
            ]
        )
        self.conflicts_view = QTableView()
        self.conflicts_view.setModel(self.conflicts)
        configure_view(self.conflicts_view)
        self.keep_button = QPushButton(self.tr("保留现在的值"))
        self.reverse_button = QPushButton(self.tr("恢复被覆盖的值"))
        self.keep_button.clicked.connect(lambda: self.resolve("keep"))
        self.reverse_button.clicked.connect(lambda: self.resolve("reverse"))
        may_resolve = ctx.can(Permission.RESOLVE_CONFLICTS)
        for b in (self.keep_button, self.reverse_button):
            b.setEnabled(may_resolve)
            b.setToolTip("" if may_resolve else self.tr("由科长处理冲突"))
        c_buttons = QHBoxLayout()
        c_buttons.addWidget(self.keep_button)
        c_buttons.addWidget(self.reverse_button)
        c_buttons.addStretch()
        self.conflicts_export_button = QPushButton(self.tr("导出Excel"))
        self.conflicts_export_button.clicked.connect(self._export_conflicts)
        c_buttons.addWidget(self.conflicts_export_button)
        conflicts_tab = QWidget()
        c_layout = QVBoxLayout(conflicts_tab)
        c_layout.addLayout(c_buttons)
        c_layout.addWidget(self.conflicts_view)

        self.transfers: ListTableModel[TransferredOut] = ListTableModel(
            [
                Column(self.tr("对象"), lambda t: TABLE_LABELS.get(t.table_name, t.table_name)),
                Column(self.tr("转往街道"), lambda t: f"{t.to_office_name}（{t.to_office_code}）"),
                Column(self.tr("区里办理时间"), lambda t: t.recorded_at),
                Column(self.tr("记录编号"), lambda t: t.record_id),
            ]
        )
        self.transfers_view = QTableView()
        self.transfers_view.setModel(self.transfers)
        configure_view(self.transfers_view)

        self.history_more = QPushButton(self.tr("加载更多"))
        self.history_more.clicked.connect(self.more_history)
        self.conflicts_more = QPushButton(self.tr("加载更多"))
        self.conflicts_more.clicked.connect(self.more_conflicts)
        c_layout.addWidget(self.conflicts_more)
        history_tab = QWidget()
        h_layout = QVBoxLayout(history_tab)
        h_layout.setContentsMargins(0, 0, 0, 0)
        h_layout.addWidget(self.history_view)
        h_layout.addWidget(self.history_more)
        self.history_total = 0
        self.conflicts_total = 0
        # Until the state is read: nothing offered that the state may forbid.
        for hidden in (self.history_more, self.conflicts_more, self.enroll_button):
            hidden.setVisible(False)
        for b in (self.export_button, self.import_button):
            b.setEnabled(False)

        self.tabs = QTabWidget()
        self.tabs.addTab(history_tab, self.tr("收发记录"))
        self.tabs.addTab(conflicts_tab, self.tr("冲突"))
        self.tabs.addTab(self.transfers_view, self.tr("已转出"))
        layout = QVBoxLayout(self)
        layout.addWidget(status)
        layout.addWidget(self.tabs, 1)
        self.busy = BusyOverlay(self.tabs)
        self.loader = BackgroundRead(ctx, self, self._set_busy)
        self.more_loader = BackgroundRead(ctx, self)
        ctx.on_changed(self, lambda _t: self.refresh())
        self.refresh()

    # -- state -----------------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self.busy.set_busy(busy)
        if busy:
            self.pending_label.setText(self.tr("正在读取同步状态…"))

    def refresh(self) -> None:
        """Read the page's state on the runner; `_show` fills it in."""
        ws, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        may_sync = actor.can(Permission.SYNC)
        may_list = may_sync or actor.can(Permission.RESOLVE_CONFLICTS)

        def load(s: Any) -> _State:
            return _State(
                office.identity(ws),
                office.clock_status(ws),
                office.pending(ws, actor, cap=PENDING_CAP) if may_sync else None,
                office.history(ws, actor, limit=PAGE) if may_sync else [],
                office.history_count(ws, actor) if may_sync else 0,
                conflicts.list_conflicts(s, actor, limit=PAGE) if may_list else [],
                conflicts.count_conflicts(s, actor) if may_list else 0,
                office.transferred_out(ws, actor) if may_sync else [],
            )

        self.loader.start(load, self._show)

    def _show(self, state: _State) -> None:
        me = state.identity
        enrolled = me is not None
        self.enroll_button.setVisible(not enrolled and self.ctx.can(Permission.MANAGE_STAFF))
        self.export_button.setEnabled(enrolled and self.ctx.can(Permission.SYNC))
        self.import_button.setEnabled(enrolled and self.ctx.can(Permission.SYNC))
        if not enrolled:
            self.banner.setText(
                self.tr(
                    "本工作区尚未在区民政局登记，还不能交换数据。请区民政局为本街道生成登记文件，"
                    "由管理员点“用登记文件登记”。已录入的数据都会保留。"
                )
            )
        else:
            self.banner.setText(
                self.tr("已登记：{0}（街道代码 {1}）").format(me.name, me.office_code)
            )
        clock = state.clock
        self.clock.setText("" if clock.ok else clock.message)
        self.clock.setVisible(not clock.ok)
        pending = state.pending
        if pending is None:
            self.pending_label.setText(
                self.tr("您的账号没有数据同步权限，数据同步由民政专干或科长办理。")
            )
        elif pending.capped:
            self.pending_label.setText(
                self.tr(
                    "等待区里确认的修改：超过 {0} 条。导出数据包带到区里，导入回执后即确认。"
                ).format(pending.changes)
            )
        elif pending.changes:
            self.pending_label.setText(
                self.tr(
                    "等待区里确认的修改：{0} 条（{1}）。导出数据包带到区里，导入回执后即确认。"
                ).format(pending.changes, counts_text(pending.by_table))
            )
        else:
            self.pending_label.setText(self.tr("所有修改都已被区里确认。"))
        restore = pending.restore_waiting if pending is not None else None
        if restore is not None:
            self.pending_label.setText(
                self.tr(
                    "本机于 {0} 从备份恢复，正在等待区里补回恢复后缺少的数据："
                    "请导出数据包交区里导入，再导入区里发回的数据包。"
                ).format(f"{restore.restored_at:%Y-%m-%d %H:%M}")
                + "\n"
                + self.pending_label.text()
            )
        self.history.set_rows(state.history)
        self.history_total = state.history_total
        self.conflicts.set_rows(state.conflicts)
        self.conflicts_total = state.conflicts_total
        self.transfers.set_rows(state.transfers)
        for view in (self.history_view, self.conflicts_view, self.transfers_view):  # one page
            view.horizontalHeader().setResizeContentsPrecision(40)  # sized by the first rows
            view.resizeColumnsToContents()
            # An empty or short list would squeeze columns to their header: keep them readable.
            for col in range(view.model().columnCount()):
                view.setColumnWidth(col, min(max(view.columnWidth(col), 96), 360))
        self._counts()

    def _counts(self) -> None:
        shown_h, shown_c = self.history.rowCount(), self.conflicts.rowCount()
        self.history_more.setVisible(shown_h < self.history_total)
        self.history_more.setText(
            self.tr("加载更多（已显示 {0} / {1}）").format(shown_h, self.history_total)
        )
        self.conflicts_more.setVisible(shown_c < self.conflicts_total)
        self.conflicts_more.setText(
            self.tr("加载更多（已显示 {0} / {1}）").format(shown_c, self.conflicts_total)
        )
        self.tabs.setTabText(1, self.tr("冲突（{0}）").format(self.conflicts_total))

    def more_history(self) -> None:
        ws, actor, offset = self.ctx.ws, self.ctx.actor, self.history.rowCount()
        assert actor is not None

        def shown(rows: list[BundleInfo]) -> None:
            self.history.set_rows(self.history.rows + rows)
            self._counts()

        self.more_loader.start(lambda _s: office.history(ws, actor, PAGE, offset), shown)

    def more_conflicts(self) -> None:
        actor, offset = self.ctx.actor, self.conflicts.rowCount()
        assert actor is not None

        def shown(rows: list[ConflictInfo]) -> None:
            self.conflicts.set_rows(self.conflicts.rows + rows)
            self._counts()

        self.more_loader.start(
            lambda s: conflicts.list_conflicts(s, actor, limit=PAGE, offset=offset), shown
        )

    # -- export ----------------------------------------------------------------------------------
    def choose_export(self) -> None:
        folder = file_dialogs.folder_path(
            self, "bundle", self.tr("选择 U 盘或文件夹"), self.ctx.ws.paths.exports
        )
        if folder is not None:
            self.export_to(folder)

    def export_to(self, folder: Path) -> office.ExportResult | None:
        ws, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None

        def job(progress: Any) -> office.ExportResult:
            return office.export_bundle(
                ws,
                actor,
                folder,
                progress=lambda done, total: progress.report(done, total, ""),
                cancelled=progress.cancel_event.is_set,
            )

        try:
            result = run_with_progress(
                self.ctx.runner, job, self, self.tr("正在导出数据包…"), cancellable=True
            )
        except CaseworkerError as exc:
            QMessageBox.warning(self, self.tr("没有导出"), str(exc))
            return None
        self.refresh()
        QMessageBox.information(
            self,
            self.tr("已导出"),
            self.tr(
                "已写出并核对数据包：\n{0}\n\n共 {1} 条修改（{2}）。请把它交给区民政局。"
            ).format(result.path, result.changes, counts_text(result.counts))
            + self._photos_sent(result),
        )
        return result

    def _photos_sent(self, result: office.ExportResult) -> str:
        if not result.photos and not result.photos_waiting:
            return ""
        if result.originals:
            text = self.tr("\n另附照片 {0} 张、扫描原件 {1} 页（约 {2:.1f} MB）。").format(
                result.photos - result.originals, result.originals, result.photo_bytes / 1e6
            )
        else:
            text = self.tr("\n另附照片 {0} 张（约 {1:.1f} MB）。").format(
                result.photos, result.photo_bytes / 1e6
            )
        if result.photos_waiting:
            text += self.tr("还有 {0} 个文件下次导出时发送。").format(result.photos_waiting)
        return text

    # -- import ----------------------------------------------------------------------------------
    def choose_import(self) -> None:
        path = file_dialogs.open_path(
            self, "bundle", self.tr("选择数据包"), self.tr("数据包 (*.cwbundle);;所有文件 (*)")
        )
        if path is not None:
            self.import_from(path)

    def import_from(self, path: Path) -> office.ImportResult | None:
        ws, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        try:
            preview = run_with_progress(
                self.ctx.runner,
                lambda: office.preview_bundle(ws, actor, path),
                self,
                self.tr("正在检查数据包…"),
            )
        except CaseworkerError as exc:
            QMessageBox.warning(self, self.tr("不能导入"), str(exc))
            return None
        if preview.nothing_new:
            QMessageBox.information(
                self,
                self.tr("没有新内容"),
                self.tr("这个数据包的内容都已经导入过，没有做任何改动。"),
            )
            return None
        if not ImportPreviewDialog(self, path, preview).exec():
            return None
        try:
            result = run_with_progress(
                self.ctx.runner,
                lambda: office.import_bundle(ws, actor, path),
                self,
                self.tr("正在导入…"),
            )
        except CaseworkerError as exc:
            QMessageBox.warning(self, self.tr("没有导入"), str(exc))
            return None
        self.ctx.changed.emit(ALL_TABLES)
        QMessageBox.information(
            self,
            self.tr("已导入"),
            self.tr("新增：{0}\n更新：{1}\n列入冲突：{2}").format(
                counts_text(result.added),
                counts_text(result.updated),
                counts_text(result.conflicts),
            )
            + (self.tr("\n收到照片：{0} 张").format(result.photos) if result.photos else ""),
        )
        return result

    # -- enrollment and conflicts ----------------------------------------------------------------
    def choose_enroll(self) -> None:
        dialog = EnrollDialog(self)
        if dialog.exec():
            self.enroll(Path(dialog.path.text().strip()), dialog.passphrase.text())

    def enroll(self, path: Path, passphrase: str) -> bool:
        ws = self.ctx.ws
        try:
            result = run_with_progress(
                self.ctx.runner,
                lambda: office.enroll(ws, path, passphrase),
                self,
                self.tr("正在登记…"),
            )
        except CaseworkerError as exc:
            QMessageBox.warning(self, self.tr("没有登记"), str(exc))
            return False
        self.ctx.changed.emit(ALL_TABLES)
        QMessageBox.information(
            self,
            self.tr("已登记"),
            self.tr("已在{0}登记为“{1}”。").format(result.district_name, result.office_name),
        )
        return True

    def resolve(self, action: str) -> None:
        rows = self.conflicts_view.selectionModel().selectedRows()
        if not rows:
            QMessageBox.information(self, self.tr("冲突"), self.tr("请先选中一条冲突。"))
            return
        item = self.conflicts.row(rows[0].row())
        try:
            self.ctx.write_wait(
                lambda s, a: conflicts.resolve(s, a, item.id, action),
                parent=self,
            )
        except CaseworkerError as exc:
            QMessageBox.warning(self, self.tr("无法处理"), str(exc))

    def _export_conflicts(self) -> object:
        """导出Excel: every conflict, open and resolved."""
        from ui.export import export_list

        return export_list(self.ctx, self, "conflicts")
