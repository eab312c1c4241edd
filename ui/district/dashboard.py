"""工作台: every office in one table — last bundle received and sent, changes waiting for the
office's acknowledgement, open conflicts and duplicates, and offices silent for more than a
month in red, and the visit rates of this month by office and of the last 12 months (the
district report's own charts). Both are read on reader threads (the table counts what each
office still lacks; the charts count a month of visits), each arriving when it is ready."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caseworker.district import console
from ui.context import AppContext
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.charts import ChartView

COLUMNS = (
    "代码",
    "街道",
    "最近收到",
    "收到的数据包",
    "最近发出",
    "街道尚未收到的变更",
    "未确认的数据包",
    "未处理冲突",
    "重复人员",
)
SILENT = QColor("#b00020")


def local(when: datetime | None) -> str:
    """Stored naive UTC, shown in local time."""
    if when is None:
        return "从未"
    return when.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")


class DashboardPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: list[console.OfficeRow] = []
        title = QLabel(self.tr("工作台：各街道的数据交换"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.summary = QLabel()
        self.refresh_button = QPushButton(self.tr("刷新(&R)"))
        self.refresh_button.setToolTip("F5")
        self.refresh_button.clicked.connect(self.refresh)
        QShortcut(QKeySequence("F5"), self, self.refresh)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch()
        head.addWidget(self.summary)
        head.addWidget(self.refresh_button)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for i, width in enumerate((90, 150, 130, 230, 130, 120, 110, 90)):
            self.table.setColumnWidth(i, width)
        legend = QLabel(
            self.tr(
                "红色：超过 {0} 天没有收到该街道的数据包。街道尚未收到的变更随下一次发件送去，"
                "街道导入后在它发回的数据包里确认。"
            ).format(console.SILENT_DAYS)
        )
        legend.setWordWrap(True)
        legend.setStyleSheet("color: #555;")
        # 各街道本月探访率 beside the district's last 12 months; Tab reaches each chart and
        # Left/Right step through its values (their text is in the tooltip and for readers).
        self.office_chart = ChartView(self, self.tr("正在统计探访率…"))
        self.trend_chart = ChartView(self, self.tr("正在统计探访率…"))
        charts = QHBoxLayout()
        charts.addWidget(self.office_chart, 3)
        charts.addWidget(self.trend_chart, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.table, 3)
        layout.addLayout(charts, 2)
        layout.addWidget(legend)
        self.overlay = BusyOverlay(self.table)
        self.reader = BackgroundRead(ctx, self, self.overlay.set_busy)
        self.chart_reader = BackgroundRead(ctx, self)
        ctx.on_changed(self, self._changed)
        self.refresh()
        self.table.setFocus()

    def _changed(self, tables: frozenset[str]) -> None:
        if tables & {"sync_bundle", "sync_conflict", "office"}:
            self.refresh()

    def refresh(self) -> None:
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        self.reader.start(lambda _s: console.dashboard(hub, actor), self._show)  # type: ignore[arg-type]
        self.chart_reader.start(
            lambda _s: console.visit_charts(hub, actor),  # type: ignore[arg-type]
            self._show_charts,
            lambda exc: self._show_charts((), str(exc)),
        )

    def _show_charts(self, charts: tuple[Any, ...], why: str = "") -> None:
        for view, chart in zip(
            (self.office_chart, self.trend_chart), (*charts, None, None), strict=False
        ):
            view.empty_text = why or self.tr("没有街道，没有探访数据")
            view.set_chart(chart)

    def _show(self, rows: list[console.OfficeRow]) -> None:
        self.rows = rows
        now = datetime.now(UTC).replace(tzinfo=None)
        self.table.setRowCount(len(rows))
        silent = 0
        for i, r in enumerate(rows):
            values = (
                r.code,
                r.name,
                local(r.last_received),
                r.last_received_file or "—",
                local(r.last_sent),
                str(r.waiting),
                str(r.unacknowledged),
                str(r.conflicts),
                str(r.duplicates),
            )
            is_silent = r.silent(now)
            silent += is_silent
            for j, value in enumerate(values):
                item = QTableWidgetItem(value)
                if j >= 5:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if is_silent and j in (0, 1, 2):
                    item.setForeground(QBrush(SILENT))
                    item.setToolTip(self.tr("超过一个月没有收到这个街道的数据包"))
                self.table.setItem(i, j, item)
        self.summary.setText(
            self.tr("街道 {0} 个，超过一个月未报送 {1} 个").format(len(rows), silent)
        )
        if rows and self.table.currentRow() < 0:
            self.table.selectRow(0)
