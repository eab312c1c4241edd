"""The assessment editor (入户评估): pick items from the catalogue by part, type quantities,
rooms and notes, and see the money change as you type.

Keyboard first: the search box has focus; type part of a name or code (or pick a part with
Alt+1..7), Down into the list, Enter adds the item and puts the cursor on its quantity; Enter
again returns to the search for the next item. Delete removes the current line; Ctrl+S saves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.errors import CaseworkerError
from caseworker.domain.retrofit import CatalogueItem, Part, Totals, parse_quantity
from caseworker.services.retrofit import assessment
from caseworker.services.retrofit.cases import CaseDetail
from ui.context import AppContext
from ui.retrofit.common import money, qty
from ui.widgets.dialogs import save_and_accept, save_cancel
from ui.widgets.fields import ERROR_STYLE
from ui.widgets.list_page import SearchBox

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


COLUMNS = ("项目", "类别", "单位", "数量", "单价", "金额", "政府补贴", "家庭自付", "位置", "说明")
QTY, ROOM, NOTE = 3, 8, 9
EDITABLE = (QTY, ROOM, NOTE)


@dataclass
class _Line:
    item: CatalogueItem
    quantity_centi: int | None  # None while what is typed is not a quantity
    room: str = ""
    note: str = ""
    id: str | None = None


class _Lines(QTableWidget):
    """Enter on a quantity moves on; Delete removes the line."""

    def __init__(self, editor: AssessmentEditor) -> None:
        super().__init__(0, len(COLUMNS))
        self.editor = editor

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if (
            event.key() == Qt.Key.Key_Delete
            and self.state() != QAbstractItemView.State.EditingState
        ):
            self.editor.remove_current()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentColumn() == QTY:
            self.editor.focus_search()
            return
        super().keyPressEvent(event)


class AssessmentEditor(QDialog):
    def __init__(self, ctx: AppContext, detail: CaseDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.case = detail.case
        actor = ctx.actor
        assert actor is not None
        case_id = detail.case.id
        self.data = ctx.read(lambda s: assessment.editor_data(s, actor, case_id))
        self.by_code = {i.code: i for i in self.data.catalogue}
        self.saved = False
        self.setWindowTitle(
            self.tr("入户评估 — {0}（{1}）").format(self.case.name, self.case.case_no)
        )
        self.lines: list[_Line] = []
        for it in detail.items:
            cat = self.by_code.get(it.item_code) or CatalogueItem(
                it.item_code,
                Part(it.part),
                it.name,
                it.unit,
                it.basic,
                it.unit_price_fen,
                it.unit_cap_fen,
                retired=True,
            )
            self.lines.append(_Line(cat, it.quantity_centi, it.room, it.note, it.id))

        rule = QLabel(
            (self.tr("✔ 符合补贴条件：") if self.data.eligible else self.tr("✘ 不符合补贴条件："))
            + self.data.eligibility_reason
            + self.tr("　每户补贴上限 {0} 元").format(money(self.data.household_cap_fen))
        )
        rule.setWordWrap(True)
        self.part = QComboBox()
        self.part.addItem(self.tr("全部类别"), None)
        for n, p in enumerate(Part, start=1):
            self.part.addItem(f"{n} {p.value}", p.value)
            QShortcut(QKeySequence(f"Alt+{n}"), self, lambda i=n: self._pick_part(i))
        self.part.currentIndexChanged.connect(lambda _i: self._filter())
        self.search = SearchBox()
        self.search.setPlaceholderText(self.tr("项目名称或编号　Ctrl+F"))
        self.search.textChanged.connect(lambda _t: self._filter())
        self.search.down.connect(self._into_catalogue)
        self.search.returnPressed.connect(self._search_enter)
        self.catalogue = QListWidget()
        self.catalogue.itemActivated.connect(self._add_from)
        left = QVBoxLayout()
        left.addWidget(QLabel(self.tr("改造项目目录（Enter 添加）")))
        left.addWidget(self.part)
        left.addWidget(self.search)
        left.addWidget(self.catalogue, 1)

        self.table = _Lines(self)
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for col, width in enumerate((150, 70, 50, 60, 70, 80, 80, 80, 70)):
            self.table.setColumnWidth(col, width)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemChanged.connect(self._cell_changed)
        self.totals = QLabel()
        self.totals.setStyleSheet("font-size: 11pt; font-weight: bold;")
        self.totals.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        right = QVBoxLayout()
        right.addWidget(QLabel(self.tr("评估项目（Delete 删除一行）")))
        right.addWidget(self.table, 1)
        right.addWidget(self.totals)
        right.addWidget(self.error)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 5)
        buttons = save_cancel(self, self.save, save_text="保存　Ctrl+S")
        if not self.data.editable:
            buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
            self.error.setText(
                self.tr("这户已是“{0}”，评估项目只能查看").format(self.case.step.value)
            )
        layout = QVBoxLayout(self)
        layout.addWidget(rule)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)
        QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search)
        QShortcut(QKeySequence("Ctrl+S"), self, self.save)
        self._filter()
        self._fill_table()
        self.resize(1180, 640)
        self.search.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter belongs to the search, the list and the table: it never saves (Ctrl+S does).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return
        super().keyPressEvent(event)

    # -- catalogue side ----------------------------------------------------------------------------
    def _pick_part(self, n: int) -> None:
        self.part.setCurrentIndex(n)
        self.focus_search()

    def _filter(self) -> None:
        text = self.search.text().strip().upper()
        part = self.part.currentData()
        self.catalogue.clear()
        for i in self.data.catalogue:
            if part and i.part.value != part:
                continue
            if text and text not in i.name.upper() and text not in i.code:
                continue
            kind = self.tr("基础") if i.basic else self.tr("可选")
            row = QListWidgetItem(f"{i.code}  {i.name}　{money(i.price_fen)}元/{i.unit}　[{kind}]")
            row.setData(Qt.ItemDataRole.UserRole, i.code)
            if i.basic:
                row.setForeground(QBrush(QColor("#1565c0")))
            self.catalogue.addItem(row)
        if self.catalogue.count():
            self.catalogue.setCurrentRow(0)

    def _into_catalogue(self) -> None:
        if self.catalogue.count():
            self.catalogue.setFocus()

    def _search_enter(self) -> None:
        if self.catalogue.count() == 1 or (self.search.text().strip() and self.catalogue.count()):
            self._add_from(self.catalogue.currentItem() or self.catalogue.item(0))
        else:
            self._into_catalogue()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _add_from(self, row: QListWidgetItem | None) -> None:
        if row is None or not self.data.editable:
            return
        item = self.by_code[row.data(Qt.ItemDataRole.UserRole)]
        self.add_line(item)

    def add_line(self, item: CatalogueItem, quantity_centi: int = 100) -> None:
        room = {"如厕洗浴": "卫生间", "厨房": "厨房", "卧室": "卧室"}.get(item.part.value, "")
        self.lines.append(_Line(item, quantity_centi, room))
        self._fill_table()
        row = len(self.lines) - 1
        self.table.setFocus()
        self.table.setCurrentCell(row, QTY)
        self.table.editItem(self.table.item(row, QTY))

    # -- lines side --------------------------------------------------------------------------------
    def _fill_table(self) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.lines))
        for r, ln in enumerate(self.lines):
            values = [
                ln.item.name + (self.tr("（已停用）") if ln.item.retired else ""),
                ln.item.part.value,
                ln.item.unit,
                qty(ln.quantity_centi) if ln.quantity_centi else "",
                money(ln.item.price_fen),
                "",
                "",
                "",
                ln.room,
                ln.note,
            ]
            for c, v in enumerate(values):
                cell = QTableWidgetItem(v)
                if c not in EDITABLE or not self.data.editable:
                    cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if 3 <= c <= 7:
                    cell.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, cell)
        self.table.blockSignals(False)
        self._recompute()

    def _cell_changed(self, cell: QTableWidgetItem) -> None:
        r, c = cell.row(), cell.column()
        if r >= len(self.lines):
            return
        line = self.lines[r]
        if c == QTY:
            try:
                line.quantity_centi = parse_quantity(cell.text())
                cell.setBackground(QBrush())
                self.error.clear()
            except ValueError as exc:
                line.quantity_centi = None
                cell.setBackground(QBrush(QColor("#ffcdd2")))
                self.error.setText(self.tr("第 {0} 行：{1}").format(r + 1, exc))
        elif c == ROOM:
            line.room = cell.text()
        elif c == NOTE:
            line.note = cell.text()
        self._recompute()

    def remove_current(self) -> None:
        r = self.table.currentRow()
        if 0 <= r < len(self.lines) and self.data.editable:
            del self.lines[r]
            self._fill_table()
            if self.lines:
                self.table.setCurrentCell(min(r, len(self.lines) - 1), 0)

    def totals_now(self) -> Totals:
        return assessment.preview(
            [(ln.item, ln.quantity_centi or 0) for ln in self.lines],
            self.data.eligible,
            self.data.household_cap_fen,
        )

    def _recompute(self) -> None:
        t = self.totals_now()
        self.table.blockSignals(True)
        for r, m in enumerate(t.lines):
            for c, fen in ((5, m.cost_fen), (6, m.subsidy_fen), (7, m.household_fen)):
                cell = self.table.item(r, c)
                if cell is not None:
                    cell.setText(money(fen))
        self.table.blockSignals(False)
        text = self.tr("合计 {0} 元　政府补贴 {1} 元　家庭自付 {2} 元").format(
            money(t.cost_fen), money(t.subsidy_fen), money(t.household_fen)
        )
        if t.moved_to_household_fen:
            text += self.tr("\n（补贴超过每户上限 {0} 元，超出的 {1} 元由家庭承担）").format(
                money(t.household_cap_fen), money(t.moved_to_household_fen)
            )
        self.totals.setText(text)

    def drafts(self) -> list[assessment.ItemDraft]:
        out = []
        for n, ln in enumerate(self.lines, start=1):
            if ln.quantity_centi is None:
                raise CaseworkerError(self.tr("第 {0} 行的数量不正确，请改正后再保存").format(n))
            out.append(
                assessment.ItemDraft(ln.item.code, ln.quantity_centi, ln.room, ln.note, ln.id)
            )
        return out

    def save(self) -> None:
        if not self.data.editable:
            return

        def write() -> Callable[[Session, Any], object]:
            drafts, case_id = self.drafts(), self.case.id
            return lambda s, a: assessment.save_items(s, a, case_id, drafts)

        self.saved = save_and_accept(self, self.ctx, self.error, write)[0]
