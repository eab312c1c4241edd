"""冲突与重复 (区级业务员): the conflicts list filtered by office, table and reason, a page at a
time, each with the kept and the lost value side by side, kept or reversed; and the
cross-office duplicates, the two records side by side, settled by the existing rule (keep the
earlier or the later registration; the other is tombstoned and both offices are told)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caseworker.district import console, duplicates, service
from caseworker.services.audit import TABLE_LABELS, conflict_field_label
from caseworker.sync.conflicts import REASONS
from ui.context import AppContext
from ui.messages import show_error
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.table_models import (
    Column,
    ListTableModel,
    configure_view,
    read_only_table,
    texts_of,
)

CONFLICT_COLUMNS = (
    "编号",
    "街道",
    "数据表",
    "字段",
    "保留的值",
    "被覆盖/未采用的值",
    "原因",
    "发现时间",
)
DUPLICATE_COLUMNS = ("编号", "姓名", "身份证号", "先登记于", "后登记于", "发现时间")


def _text(value: Any) -> str:
    return "（空）" if value is None or value == "" else str(value)


# A page of conflicts is a model over the page's rows, not 1,600 table items: filling it is one
# reset, and Qt asks only for the cells it paints (the 100,000-row list never stalls to fill).
CONFLICT_VIEW: tuple[Column[Any], ...] = (
    Column(CONFLICT_COLUMNS[0], lambda c: f"#{c.id}"),
    Column(CONFLICT_COLUMNS[1], lambda c: c.source),
    Column(CONFLICT_COLUMNS[2], lambda c: TABLE_LABELS.get(c.table_name, c.table_name)),
    Column(CONFLICT_COLUMNS[3], lambda c: conflict_field_label(c.table_name, c.field)),
    Column(CONFLICT_COLUMNS[4], lambda c: _text(c.kept_value)),
    Column(CONFLICT_COLUMNS[5], lambda c: _text(c.lost_value)),
    Column(CONFLICT_COLUMNS[6], lambda c: c.reason_label),
    Column(CONFLICT_COLUMNS[7], lambda c: f"{c.detected_at:%Y-%m-%d %H:%M}"),
)


def _save(page: QWidget, ctx: AppContext, resolve: Callable[[], object]) -> None:
    """Save a queue's resolution on the runner behind a progress note; a refusal (another
    clerk resolved it first, a rule) is shown, and the queues are re-read either way."""
    from ui.progress import run_with_progress

    try:
        run_with_progress(ctx.runner, resolve, page, page.tr("正在保存…"))
    except Exception as exc:  # show_error words a refusal as a warning, the rest as a fault
        show_error(page, exc)
    ctx.changed.emit(frozenset({"sync_conflict"}))


class ConflictsTab(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.page = console.ConflictPage(0, 0, [])
        self.office = QComboBox()
        self.table_filter = QComboBox()
        self.reason = QComboBox()
        self.office.addItem(self.tr("全部街道"), None)
        self.table_filter.addItem(self.tr("全部数据表"), None)
        for name, label in sorted(TABLE_LABELS.items(), key=lambda kv: kv[1]):
            self.table_filter.addItem(label, name)
        self.reason.addItem(self.tr("全部原因"), None)
        for key, label in REASONS.items():
            self.reason.addItem(label, key)
        for combo in (self.office, self.table_filter, self.reason):
            combo.currentIndexChanged.connect(lambda _i: self.load(0))
        self.prev_button = QPushButton(self.tr("上一页"))
        self.next_button = QPushButton(self.tr("下一页"))
        self.prev_button.clicked.connect(lambda: self.load(max(0, self.page.offset - console.PAGE)))
        self.next_button.clicked.connect(lambda: self.load(self.page.offset + console.PAGE))
        self.count = QLabel()
        filters = QHBoxLayout()
        for w in (QLabel(self.tr("筛选：")), self.office, self.table_filter, self.reason):
            filters.addWidget(w)
        filters.addStretch()
        filters.addWidget(self.count)
        filters.addWidget(self.prev_button)
        filters.addWidget(self.next_button)
        self.model: ListTableModel[Any] = ListTableModel(CONFLICT_VIEW)
        self.table = QTableView()
        self.table.setModel(self.model)
        configure_view(self.table)
        self.table.setWordWrap(False)
        for i, width in enumerate((60, 140, 110, 100, 160, 160, 260)):
            self.table.setColumnWidth(i, width)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setStyleSheet("background: #f7f7f2; padding: 6px; border: 1px solid #ddd;")
        self.keep_button = QPushButton(self.tr("保留现值(&K)"))
        self.reverse_button = QPushButton(self.tr("恢复被覆盖的值(&V)"))
        self.keep_button.clicked.connect(lambda: self.resolve("keep"))
        self.reverse_button.clicked.connect(lambda: self.resolve("reverse"))
        actions = QHBoxLayout()
        actions.addWidget(self.detail, 1)
        actions.addWidget(self.keep_button)
        actions.addWidget(self.reverse_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.table).set_busy)
        hub, actor = ctx.ws, ctx.actor
        assert actor is not None
        for code, name in ctx.read(lambda _s: console.offices_for_queues(hub, actor)):  # type: ignore[arg-type]
            self.office.addItem(f"{code} {name}", code)
        self.load(0)

    def load(self, offset: int) -> None:
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        office = self.office.currentData()
        table = self.table_filter.currentData()
        reason = self.reason.currentData()

        def read(_s: Any) -> tuple[console.ConflictPage, list[list[str]]]:
            page = console.conflict_page(
                hub,  # type: ignore[arg-type]
                actor,
                office=office,
                table=table,
                reason=reason,
                offset=offset,
            )
            # the page's texts made here, on the reader thread: the UI thread only paints
            return page, texts_of(CONFLICT_VIEW, page.rows)

        self.reader.start(read, self._show)

    def _show(self, found: tuple[console.ConflictPage, list[list[str]]]) -> None:
        page, texts = found
        self.page = page
        self.model.set_rows(page.rows, texts)
        end = page.offset + len(page.rows)
        self.count.setText(
            self.tr("未处理 {0} 条，第 {1}–{2} 条").format(page.total, page.offset + 1, end)
            if page.rows
            else self.tr("没有未处理的冲突")
        )
        self.prev_button.setEnabled(page.offset > 0)
        self.next_button.setEnabled(end < page.total)
        if page.rows:
            self.table.selectRow(0)
        self._selected()

    def current(self) -> Any:
        row = self.table.currentIndex().row()
        return self.page.rows[row] if 0 <= row < len(self.page.rows) else None

    def _selected(self) -> None:
        c = self.current()
        self.keep_button.setEnabled(c is not None)
        self.reverse_button.setEnabled(
            c is not None and bool(c.field) and c.reason not in {"invalid", "number"}
        )
        if c is None:
            self.detail.setText("")
            return
        self.detail.setText(
            self.tr("保留的值：{0}（{1}）　｜　被覆盖/未采用的值：{2}（{3}）\n{4}").format(
                _text(c.kept_value),
                c.kept_actor or "—",
                _text(c.lost_value),
                c.lost_actor or "—",
                c.reason_label,
            )
        )

    def resolve(self, action: str) -> None:
        c = self.current()
        if c is None:
            return
        actor = self.ctx.actor
        hub = self.ctx.ws
        assert actor is not None
        _save(self, self.ctx, lambda: service.resolve_conflict(hub, c.id, action, actor=actor))  # type: ignore[arg-type]
        self.load(self.page.offset)


class DuplicatesTab(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.cases: list[duplicates.DuplicateCase] = []
        self.table = read_only_table(DUPLICATE_COLUMNS, (60, 100, 170, 220, 220))
        self.table.itemSelectionChanged.connect(self._selected)
        self.pair = read_only_table(("字段", "先登记的记录", "后登记的记录"), (90, 300))
        self.pair.setMaximumHeight(200)
        self.earlier_button = QPushButton(self.tr("保留先登记的(&E)"))
        self.later_button = QPushButton(self.tr("保留后登记的(&L)"))
        self.earlier_button.clicked.connect(lambda: self.settle("earlier"))
        self.later_button.clicked.connect(lambda: self.settle("later"))
        note = QLabel(
            self.tr(
                "同一身份证号在两个街道的台账上。保留一条，另一条注销；两个街道随下一次发件得知。"
            )
        )
        note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(note, 1)
        buttons.addWidget(self.earlier_button)
        buttons.addWidget(self.later_button)
        # a page at a time, as the conflicts: the cases are counted in SQL, never all loaded
        self.offset = 0
        self.total = 0
        self.count = QLabel()
        self.prev_button = QPushButton(self.tr("上一页"))
        self.next_button = QPushButton(self.tr("下一页"))
        self.prev_button.clicked.connect(lambda: self.load(max(0, self.offset - console.PAGE)))
        self.next_button.clicked.connect(lambda: self.load(self.offset + console.PAGE))
        paging = QHBoxLayout()
        paging.addStretch()
        paging.addWidget(self.count)
        paging.addWidget(self.prev_button)
        paging.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addLayout(paging)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.pair)
        layout.addLayout(buttons)
        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.table).set_busy)
        self.load()

    def load(self, offset: int | None = None) -> None:
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        at = self.offset if offset is None else offset

        def read(_s: Any) -> tuple[int, int, list[duplicates.DuplicateCase]]:
            total = duplicates.count_cases(hub, actor=actor)  # type: ignore[arg-type]
            start = min(at, max(0, (total - 1) // console.PAGE * console.PAGE))
            page = duplicates.list_cases(hub, actor=actor, offset=start, limit=console.PAGE)  # type: ignore[arg-type]
            return total, start, page

        self.reader.start(read, self._show_page)

    def _show_page(self, found: tuple[int, int, list[duplicates.DuplicateCase]]) -> None:
        self.total, self.offset, cases = found
        end = self.offset + len(cases)
        self.count.setText(
            self.tr("未处理 {0} 条，第 {1}–{2} 条").format(self.total, self.offset + 1, end)
            if cases
            else self.tr("没有未处理的重复人员")
        )
        self.prev_button.setEnabled(self.offset > 0)
        self.next_button.setEnabled(end < self.total)
        self._show(cases)

    def _show(self, cases: list[duplicates.DuplicateCase]) -> None:
        self.cases = cases
        self.table.setRowCount(len(cases))
        for i, c in enumerate(cases):
            values = (
                f"#{c.id}",
                c.name,
                c.id_number_masked,
                c.earlier_office,
                c.later_office,
                f"{c.detected_at:%Y-%m-%d %H:%M}",
            )
            for j, value in enumerate(values):
                self.table.setItem(i, j, QTableWidgetItem(value))
        if cases:
            self.table.selectRow(0)
        self._selected()

    def current(self) -> duplicates.DuplicateCase | None:
        row = self.table.currentRow()
        return self.cases[row] if 0 <= row < len(self.cases) else None

    def _selected(self) -> None:
        c = self.current()
        self.earlier_button.setEnabled(c is not None)
        self.later_button.setEnabled(c is not None)
        if c is None:
            self.pair.setRowCount(0)
            return
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        rows = self.ctx.read(lambda _s: console.duplicate_pair(hub, actor, c.id))  # type: ignore[arg-type]
        self.pair.setRowCount(len(rows))
        for i, values in enumerate(rows):
            for j, value in enumerate(values):
                self.pair.setItem(i, j, QTableWidgetItem(value))

    def settle(self, keep: str) -> None:
        c = self.current()
        if c is None:
            return
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        kept = c.earlier_office if keep == "earlier" else c.later_office
        answer = QMessageBox.question(
            self,
            self.tr("处理重复人员"),
            self.tr("保留 {0} 的记录，注销另一条？").format(kept),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        _save(self, self.ctx, lambda: duplicates.resolve(hub, c.id, keep, actor=actor))  # type: ignore[arg-type]
        self.load()


class QueuesPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        title = QLabel(self.tr("冲突、重复人员与更正"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.tabs = QTabWidget()
        self.conflicts = ConflictsTab(ctx)
        self.duplicates = DuplicatesTab(ctx)
        self.tabs.addTab(self.conflicts, self.tr("冲突"))
        self.tabs.addTab(self.duplicates, self.tr("重复人员"))
        from ui.district.corrections import CorrectionsTab

        self.corrections = CorrectionsTab(ctx)
        self.tabs.addTab(self.corrections, self.tr("更正"))
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)
