"""操作记录 (区级管理员): who at the bureau did what at the hub, when — the hub's own journal
rows (not the offices' changes it received), newest first, by person, a page at a time."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caseworker.district import console
from ui.context import AppContext
from ui.district.dashboard import local
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.table_models import read_only_table

COLUMNS = ("时间", "人员", "数据", "操作", "字段", "新值")


class AuditPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.offset = 0
        self.rows: list[console.AuditRow] = []
        title = QLabel(self.tr("操作记录：区民政局的人员在平台上做了什么"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.who = QComboBox()
        self.who.addItem(self.tr("全部人员"), "")
        self.who.currentIndexChanged.connect(lambda _i: self.load(0))
        self.prev_button = QPushButton(self.tr("上一页"))
        self.next_button = QPushButton(self.tr("下一页"))
        self.prev_button.clicked.connect(lambda: self.load(max(0, self.offset - console.PAGE)))
        self.next_button.clicked.connect(lambda: self.load(self.offset + console.PAGE))
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("人员：")))
        row.addWidget(self.who)
        row.addStretch()
        row.addWidget(self.prev_button)
        row.addWidget(self.next_button)
        self.table = read_only_table([self.tr(c) for c in COLUMNS], (130, 150, 130, 60, 140))
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.table).set_busy)
        self._names_loaded = False
        self.load(0)

    def load(self, offset: int) -> None:
        hub, actor, who = self.ctx.ws, self.ctx.actor, self.who.currentData() or ""
        assert actor is not None
        self.reader.start(
            lambda _s: (offset, console.audit_page(hub, actor, who=who, offset=offset)),  # type: ignore[arg-type]
            self._show,
        )

    def _show(self, result: tuple[int, tuple[list[str], list[console.AuditRow]]]) -> None:
        self.offset, (names, rows) = result
        if not self._names_loaded:
            self._names_loaded = True
            self.who.blockSignals(True)
            for name in names:
                self.who.addItem(name, name)
            self.who.blockSignals(False)
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            for j, value in enumerate((local(r.at), r.who, r.table, r.op, r.field, r.value)):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(i, j, item)
        self.prev_button.setEnabled(self.offset > 0)
        self.next_button.setEnabled(len(rows) == console.PAGE)
