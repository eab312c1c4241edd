"""儿童统计 (区未保中心): each office's children's figures, numbers only, as the command line's
`caseworker-district children` gives them; no child's name or record reaches the district."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caseworker.district import console
from ui.context import AppContext
from ui.widgets.busy import BackgroundRead, BusyOverlay

COLUMNS = ("代码", "街道", "在册儿童", "按类别", "在办个案", "紧急个案", "按风险等级")


class ChildFiguresPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        title = QLabel(self.tr("儿童关爱统计（只有数字）"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        for i, width in enumerate((90, 150, 80, 300, 80, 80)):
            self.table.setColumnWidth(i, width)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.table, 1)
        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.table).set_busy)
        hub, actor = ctx.ws, ctx.actor
        assert actor is not None
        self.reader.start(lambda _s: console.child_figures(hub, actor), self._show)  # type: ignore[arg-type]

    def _show(self, rows: list[Any]) -> None:
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            values = (
                r.office_code,
                r.office_name,
                str(r.children),
                "，".join(f"{k} {v}" for k, v in r.by_category.items()),
                str(r.open_cases),
                str(r.urgent_open),
                "，".join(f"{k} {v}" for k, v in r.open_by_risk.items()),
            )
            for j, value in enumerate(values):
                self.table.setItem(i, j, QTableWidgetItem(value))
