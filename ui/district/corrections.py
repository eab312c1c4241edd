"""更正 (区级业务员): a tab of 冲突与重复 where the clerk finds an office's record (街道, 数据表, then
a name, case number, whole ID number or the record's id), sees each of its columns with whether
the district may correct it and why not, picks a column and types the new value. The work is
`caseworker.district.corrections` (the command line's `service.correct` as the clerk); reads
run off the UI thread, the write on the runner with a progress dialog."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caseworker.district import console, corrections
from caseworker.domain.errors import CaseworkerError
from ui.context import AppContext
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.table_models import read_only_table

RULE_COLUMNS = ("字段", "现在的值", "类型", "能否更正")
LOCKED = QBrush(QColor("#888888"))


class CorrectionsTab(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.records: list[corrections.RecordRow] = []
        self.rules: list[corrections.ColumnRule] = []
        self.offset = 0
        self.more = False
        self.office = QComboBox()
        self.table_name = QComboBox()
        for name, label in corrections.correctable_tables():
            self.table_name.addItem(label, name)
        self.search = QLineEdit()
        self.search.setMaxLength(60)
        self.search.setPlaceholderText(self.tr("姓名、编号、完整身份证号，或记录编号的开头"))
        self.search.returnPressed.connect(lambda: self.find(0))
        self.find_button = QPushButton(self.tr("查找(&S)"))
        self.find_button.setAutoDefault(False)
        self.find_button.clicked.connect(lambda: self.find(0))
        self.prev_button = QPushButton(self.tr("上一页"))
        self.next_button = QPushButton(self.tr("下一页"))
        self.prev_button.clicked.connect(lambda: self.find(max(0, self.offset - corrections.PAGE)))
        self.next_button.clicked.connect(lambda: self.find(self.offset + corrections.PAGE))
        for combo in (self.office, self.table_name):
            combo.currentIndexChanged.connect(lambda _i: self.find(0))
        office_label = QLabel(self.tr("街道(&O)："))
        office_label.setBuddy(self.office)
        table_label = QLabel(self.tr("数据表(&T)："))
        table_label.setBuddy(self.table_name)
        top = QHBoxLayout()
        for w in (office_label, self.office, table_label, self.table_name):
            top.addWidget(w)
        top.addWidget(self.search, 1)
        top.addWidget(self.find_button)
        top.addWidget(self.prev_button)
        top.addWidget(self.next_button)
        self.record_list = read_only_table(("记录",), (300,))
        self.record_list.itemSelectionChanged.connect(self._record_chosen)
        self.rule_table = read_only_table(RULE_COLUMNS, (130, 200, 170))
        self.column = QComboBox()
        self.value = QLineEdit()
        self.value.setMaxLength(2000)
        self.value.returnPressed.connect(self.apply)
        self.column.currentIndexChanged.connect(self._column_chosen)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.apply_button = QPushButton(self.tr("更正(&C)"))
        self.apply_button.setAutoDefault(False)
        self.apply_button.clicked.connect(self.apply)
        self.message = QLabel()
        self.message.setWordWrap(True)
        column_label = QLabel(self.tr("字段(&F)："))
        column_label.setBuddy(self.column)
        value_label = QLabel(self.tr("新值(&V)："))
        value_label.setBuddy(self.value)
        edit = QHBoxLayout()
        edit.addWidget(column_label)
        edit.addWidget(self.column)
        edit.addWidget(value_label)
        edit.addWidget(self.value, 1)
        edit.addWidget(self.apply_button)
        middle = QHBoxLayout()
        middle.addWidget(self.record_list, 2)
        middle.addWidget(self.rule_table, 5)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        layout.addLayout(edit)
        layout.addWidget(self.hint)
        layout.addWidget(self.message)
        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.record_list).set_busy)
        self.rule_reader = BackgroundRead(ctx, self, BusyOverlay(self.rule_table).set_busy)
        hub, actor = ctx.ws, ctx.actor
        assert actor is not None
        for code, name in ctx.read(lambda _s: console.offices_for_queues(hub, actor)):  # type: ignore[arg-type]
            self.office.addItem(f"{code} {name}", code)
        self._enable()
        self.find(0)

    def _say(self, text: str, error: bool) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "color: #1b5e20;")
        self.message.setText(text)

    def find(self, offset: int) -> None:
        hub, actor = self.ctx.ws, self.ctx.actor
        code, table = self.office.currentData(), self.table_name.currentData()
        if actor is None or code is None or table is None:
            return
        typed = self.search.text()
        self.reader.start(
            lambda _s: corrections.find_records(hub, actor, code, table, typed, offset=offset),  # type: ignore[arg-type]
            lambda found: self._show_records(offset, *found),
            lambda exc: self._say(str(exc), True),
        )

    def _show_records(self, offset: int, rows: list[corrections.RecordRow], more: bool) -> None:
        self.offset, self.more, self.records = offset, more, rows
        # a new list: the row selected in the old one must not stand for a record of this one
        self.record_list.clearSelection()
        self.record_list.setRowCount(len(rows))
        for i, r in enumerate(rows):
            item = QTableWidgetItem(r.label)
            item.setToolTip(r.id)
            self.record_list.setItem(i, 0, item)
        self.prev_button.setEnabled(offset > 0)
        self.next_button.setEnabled(more)
        if rows:
            self.record_list.selectRow(0)
        else:
            self._say(self.tr("没有找到记录。"), False)

    def current_record(self) -> corrections.RecordRow | None:
        rows = self.record_list.selectionModel().selectedRows()
        return self.records[rows[0].row()] if rows else None

    def _record_chosen(self) -> None:
        record = self.current_record()
        if record is None:
            self._show_rules([])
            return
        self.load_rules(record)

    def load_rules(self, record: corrections.RecordRow) -> None:
        hub, actor = self.ctx.ws, self.ctx.actor
        table = self.table_name.currentData()
        self.rule_reader.start(
            lambda _s: corrections.column_rules(hub, actor, table, record.id),  # type: ignore[arg-type]
            self._show_rules,
            lambda exc: self._say(str(exc), True),
        )

    def _show_rules(self, rules: list[corrections.ColumnRule]) -> None:
        chosen = self.column.currentData()
        self.rules = rules
        self.rule_table.setRowCount(len(rules))
        for i, r in enumerate(rules):
            values = (r.label, r.value or "（空）", r.kind, r.why)
            for j, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                if not r.correctable:
                    item.setForeground(LOCKED)
                self.rule_table.setItem(i, j, item)
        self.column.blockSignals(True)
        self.column.clear()
        for r in rules:
            if r.correctable:
                self.column.addItem(r.label, r.name)
        at = self.column.findData(chosen)
        self.column.setCurrentIndex(max(at, 0))
        self.column.blockSignals(False)
        self._column_chosen()
        self._enable()

    def current_rule(self) -> corrections.ColumnRule | None:
        name = self.column.currentData()
        return next((r for r in self.rules if r.name == name), None)

    def _column_chosen(self) -> None:
        r = self.current_rule()
        self.hint.setText(
            self.tr("{0}：{1}；{2}。现在是：{3}").format(
                r.label, r.kind, r.why, r.value or "（空）"
            )
            if r
            else ""
        )

    def _enable(self) -> None:
        ok = self.current_rule() is not None
        for w in (self.column, self.value, self.apply_button):
            w.setEnabled(ok)

    def apply(self) -> None:
        record, rule = self.current_record(), self.current_rule()
        if record is None or rule is None:
            return
        hub, actor = self.ctx.ws, self.ctx.actor
        table = self.table_name.currentData()
        typed = self.value.text()
        try:
            from ui.progress import run_with_progress

            stored = run_with_progress(
                self.ctx.runner,
                lambda: corrections.correct(hub, actor, table, record.id, rule.name, typed),  # type: ignore[arg-type]
                self,
                self.tr("正在保存…"),
            )
        except CaseworkerError as exc:
            self._say(str(exc), True)
            self.value.setFocus()
            return
        shown = corrections.shown(stored[rule.name]) or "（空）"
        self._say(
            self.tr("已更正 {0}：{1}。将随下一个数据包发给该街道。").format(rule.label, shown),
            False,
        )
        self.value.clear()
        self.ctx.changed.emit(frozenset({table}))
        self.load_rules(record)
