"""The audit log page both applications show: the office's 操作日志 (its whole journal) and the
district console's 操作记录 (the hub's own people). Filtered by person, record and typed 从/到
dates, newest first, paged from SQL.

A search runs on the background runner (a busy office's journal holds millions of rows) with a
busy note over the list; the count stops at `audit.COUNT_CAP`; scrolling reads the next page
from the last row shown (keyset), one indexed page at a time. What differs between the two
applications is only where the rows are read (`AuditReads`), whether the list can be exported
and whether the rows came from elsewhere (the office's 来源 column)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.dates import InvalidDate
from caseworker.services.audit import COUNT_CAP, AuditFilter, AuditResult, AuditRow
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.fields import ERROR_STYLE, DateField, heading
from ui.widgets.table_models import Column, Index, PagedTableModel, configure_view

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from caseworker.domain.roles import Actor
    from ui.context import AppContext


def change_columns(tr: Callable[[str], str], *, whole_log: bool = False) -> list[Column[AuditRow]]:
    """The columns of the changes to one record (its history, on the record's own page), or,
    with `whole_log`, of the audit log, which also names the record changed (对象, 记录编号)."""
    record = [Column(tr("对象"), lambda r: r.table_label)] if whole_log else []
    columns: list[Column[AuditRow]] = [
        Column(tr("时间"), lambda r: r.recorded_at),
        Column(tr("操作人"), lambda r: r.actor_name),
        Column(tr("操作"), lambda r: r.op_label),
        *record,
        Column(tr("字段") if whole_log else tr("项目"), lambda r: r.field_label),
        Column(tr("原值"), lambda r: r.old_value),
        Column(tr("新值"), lambda r: r.new_value),
    ]
    if whole_log:
        columns.append(Column(tr("记录编号"), lambda r: r.record_id))
    return columns


UNKNOWN_TOTAL = 2**31 - 1  # more than COUNT_CAP: the list ends when a page comes back empty


@dataclass(frozen=True)
class AuditReads:
    """Where a page's rows come from, each read run on the runner with the actor's session:
    the people to filter by, a search's first page and capped count, and the page after the
    last row shown."""

    names: Callable[[Session, Actor], list[str]]
    first: Callable[[Session, Actor, AuditFilter, int], AuditResult]
    after: Callable[[Session, Actor, AuditFilter, AuditRow, int], list[AuditRow]]


class _AuditModel(PagedTableModel[AuditRow]):
    """Scrolling down asks the runner for the next page (once at a time); it is added below
    when it arrives, if the search it belongs to is still the one shown."""

    def __init__(
        self, columns: list[Column[AuditRow]], loader: BackgroundRead | None = None
    ) -> None:
        super().__init__(columns, count=lambda: 0, fetch=lambda o, n: [])
        self.loader = loader
        self.next_page: Callable[[AuditRow], Callable[[Session], list[AuditRow]]] | None = None
        self._asked = -1  # the generation a page is on its way for

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self.rows or self.next_page is None or self.loader is None:
            return
        if self._asked == self.generation:
            return  # one page at a time
        generation = self._asked = self.generation
        read = self.next_page(self.rows[-1])

        def arrived(more: list[AuditRow]) -> None:
            if generation != self.generation:
                return
            self._asked = -1
            if not more:
                self.total = len(self.rows)  # the end of the list
            self.append_rows(more, generation)

        self.loader.start(read, arrived)


class AuditLogPage(QWidget):
    """The log, read through `reads`; `export` (the filter as set now) adds 导出Excel;
    `sources` shows where each change was made (本机 or the device it came from)."""

    def __init__(
        self,
        ctx: AppContext,
        reads: AuditReads,
        *,
        title: str = "",
        export: Callable[[AuditFilter], object] | None = None,
        sources: bool = True,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.reads = reads
        self._export = export
        self.person = QComboBox()
        self.record = QLineEdit()
        self.record.setPlaceholderText(self.tr("记录编号（可选）"))
        self.record.setClearButtonEnabled(True)
        # typed as every date field is (2026-11-29, 11.29 …; empty: no bound): a spin-box date
        # edit turned a date typed over it into a half-typed one and searched the old day
        self.date_from = DateField()
        self.date_to = DateField()
        self.date_from.setPlaceholderText(self.tr("不限"))
        self.date_to.setPlaceholderText(self.tr("不限"))
        self.search_button = QPushButton(self.tr("查询"))
        self.count_label = QLabel()
        filters = QHBoxLayout()
        filters.addWidget(QLabel(self.tr("操作人：")))
        filters.addWidget(self.person)
        filters.addWidget(self.record, 1)
        filters.addWidget(QLabel(self.tr("从")))
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel(self.tr("到")))
        filters.addWidget(self.date_to)
        filters.addWidget(self.search_button)
        self.export_button = QPushButton(self.tr("导出Excel"))
        self.export_button.clicked.connect(self.export_excel)
        self.export_button.setVisible(export is not None)
        filters.addWidget(self.export_button)
        columns = change_columns(self.tr, whole_log=True)
        if sources:
            local = self.tr("本机")
            columns.append(
                Column(self.tr("来源"), lambda r: local if r.source == "local" else r.source)
            )
        self.model = _AuditModel(columns)
        self.view = QTableView()
        self.view.setModel(self.model)
        configure_view(self.view)
        for col, width in enumerate((118, 110, 44, 90, 90, 190, 310, 90)):
            self.view.setColumnWidth(col, width)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        layout = QVBoxLayout(self)
        if title:
            layout.addWidget(heading(title))
        layout.addLayout(filters)
        layout.addWidget(self.count_label)
        layout.addWidget(self.view)
        self.busy = BusyOverlay(self.view, self.tr("正在查询，请稍候…"))
        self.loader = BackgroundRead(ctx, self, self.busy.set_busy)
        self.people_loader = BackgroundRead(ctx, self)
        self.model.loader = BackgroundRead(ctx, self)
        self.search_button.clicked.connect(self.search)
        self.record.returnPressed.connect(self.search)
        self.date_from.returnPressed.connect(self.search)
        self.date_to.returnPressed.connect(self.search)
        self.person.currentIndexChanged.connect(lambda _i: self.search())
        self.view.doubleClicked.connect(self._filter_by_record)
        self.reload_people()
        self.search()

    def _actor(self) -> Actor:
        actor = self.ctx.actor
        assert actor is not None
        return actor

    def reload_people(self) -> None:
        actor, names = self._actor(), self.reads.names
        self.people_loader.start(lambda s: names(s, actor), self._show_people)

    def _show_people(self, names: list[str]) -> None:
        current = self.person.currentData()
        self.person.blockSignals(True)
        self.person.clear()
        self.person.addItem(self.tr("（全部）"), None)
        for name in names:
            self.person.addItem(name, name)
        if current:
            self.person.setCurrentIndex(max(0, self.person.findData(current)))
        self.person.blockSignals(False)

    def current_filter(self) -> AuditFilter:
        return AuditFilter(
            actor_name=self.person.currentData(),
            record_id=self.record.text().strip() or None,
            date_from=self.date_from.value(),
            date_to=self.date_to.value(),
        )

    def search(self) -> None:
        try:
            flt = self.current_filter()
        except InvalidDate as exc:  # said in one line; the rows shown stay as they were
            self.count_label.setStyleSheet(ERROR_STYLE)
            self.count_label.setText(str(exc))
            return
        self.count_label.setStyleSheet("")
        actor, first = self._actor(), self.reads.first
        self.count_label.setText(self.tr("正在查询…"))
        limit = self.model.PAGE
        self.loader.start(
            lambda s: first(s, actor, flt, limit),
            lambda result: self._show(flt, result),
        )

    def _show(self, flt: AuditFilter, result: AuditResult) -> None:
        actor, after = self._actor(), self.reads.after
        limit = self.model.PAGE

        def next_page(last: AuditRow) -> Callable[[Session], list[AuditRow]]:
            # The next page starts after the last row shown: one indexed range, however far
            # down the list (OFFSET would re-read every row above it).
            return lambda s: after(s, actor, flt, last, limit)

        self.model.next_page = next_page
        self.model.show(UNKNOWN_TOTAL if result.capped else result.total, result.rows)
        if result.capped:
            text = self.tr("超过 {0} 条记录，向下滚动继续显示；可按操作人、日期或记录编号缩小范围")
        else:
            text = self.tr("共 {0} 条记录（双击一行只看该记录的历史）")
        self.count_label.setText(text.format(COUNT_CAP if result.capped else result.total))

    def _filter_by_record(self, index: QModelIndex) -> None:
        self.record.setText(self.model.row(index.row()).record_id)
        self.search()

    def export_excel(self) -> object:
        """导出Excel: the log as filtered now."""
        return None if self._export is None else self._export(self.current_filter())
