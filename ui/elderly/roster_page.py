"""老年人台账: the roster list. Search as you type, filters, SQL sort on header click, paged rows.

Keyboard: Ctrl+F focuses the search box; Down (or Enter) moves into the list; Enter opens the
resident; Ctrl+N starts a visit for the current row; Ctrl+Shift+A adds a resident.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QCheckBox, QComboBox, QMenu, QPushButton

from caseworker.domain import schedule as rules
from caseworker.domain.elderly import Category, Status, Tier
from caseworker.services import accounts
from caseworker.services.elderly import search
from caseworker.services.elderly.search import RosterQuery, RosterRow
from ui.context import AppContext
from ui.elderly.common import ELDERLY_TABLES
from ui.widgets.list_page import ListPage
from ui.widgets.table_models import Column, Index, PagedTableModel


class RosterModel(PagedTableModel[RosterRow]):
    """The paged roster; overdue due dates in red."""

    today: date = date.today()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            row = self.rows[index.row()]
            if row.next_due is not None and row.next_due < self.today:
                return QBrush(QColor("#b00020"))
            return None
        return super().data(index, role)


class RosterPage(ListPage[RosterRow]):
    open_resident = Signal(str)
    new_visit = Signal(str)
    add_resident = Signal()
    print_requested = Signal(str)  # "selection" | "month" | "blank" | "route"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(
            ctx,
            self.tr("老年人台账"),
            self.tr("搜索：姓名或住址的任意部分、身份证号（或后几位）、电话　Ctrl+F"),
            ELDERLY_TABLES,
        )
        self.today = date.today()
        self.community = QComboBox()
        self.community.addItem(self.tr("全部社区/村"), None)
        for c in ctx.read(accounts.communities):
            self.community.addItem(c.name, c.id)
        self.tier = QComboBox()
        self.tier.addItem(self.tr("全部等级"), None)
        for t in Tier:
            self.tier.addItem(t.value, t.value)
        self.category = QComboBox()
        self.category.addItem(self.tr("全部类别"), None)
        for c in Category:
            self.category.addItem(c.value, c.value)
        self.status = QComboBox()
        self.status.addItem(self.tr("在册和住院"), "scheduled")
        self.status.addItem(self.tr("全部状态"), None)
        for s in Status:
            self.status.addItem(s.value, s.value)
        self.overdue = QCheckBox(self.tr("只看逾期"))
        self.due_month = QCheckBox(self.tr("本月应访"))
        self.mine = QCheckBox(self.tr("我负责的"))
        self.mine.setToolTip(self.tr("只看责任人是我的老人"))
        for combo in (self.community, self.tier, self.category, self.status):
            combo.currentIndexChanged.connect(lambda _i: self.reload())
        for box in (self.overdue, self.due_month, self.mine):
            box.toggled.connect(lambda _on: self.reload())
        self.count_label.setStyleSheet("color: #333;")

        self.columns: list[Column[RosterRow]] = [
            Column(self.tr("姓名"), lambda r: r.name, sort_key="name"),
            Column(self.tr("性别"), lambda r: r.sex, sort_key="sex"),
            Column(self.tr("年龄"), lambda r: r.age_on(self.today), True, sort_key="age"),
            Column(self.tr("身份证号"), lambda r: r.id_number_masked, sort_key="id_number"),
            Column(self.tr("社区/村"), lambda r: r.community_name, sort_key="community"),
            Column(self.tr("住址"), lambda r: r.address, sort_key="address"),
            Column(self.tr("电话"), lambda r: r.phone, sort_key="phone"),
            Column(self.tr("类别"), lambda r: r.categories, sort_key="categories"),
            Column(self.tr("等级"), lambda r: r.tier, sort_key="tier"),
            Column(self.tr("状态"), lambda r: r.status, sort_key="status"),
            Column(self.tr("上次探访"), lambda r: r.last_visit_on, sort_key="last_visit_on"),
            Column(self.tr("下次应访"), lambda r: r.next_due, sort_key="next_due"),
            Column(self.tr("责任人"), lambda r: r.assigned_staff_name, sort_key="assigned"),
        ]
        self.set_up_list(
            RosterModel(self.columns, lambda: 0, lambda _o, _l: []),
            (70, 40, 40, 140, 96, 180, 100, 130, 50, 44, 86, 86),
            "name",
        )
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.to_end.connect(self.go_to_end)

        self.add_button = QPushButton(self.tr("新增老人"))
        self.add_button.setToolTip("Ctrl+Shift+A")
        self.add_button.clicked.connect(self._add_resident)
        self.open_button = QPushButton(self.tr("打开"))
        self.open_button.clicked.connect(lambda: self._open_row(self.view.currentIndex().row()))
        self.visit_button = QPushButton(self.tr("登记探访"))
        self.visit_button.setToolTip("Ctrl+N")
        self.visit_button.clicked.connect(self._new_visit)
        self.print_button = QPushButton(self.tr("打印"))
        menu = QMenu(self.print_button)
        for key, text in (
            ("selection", self.tr("选中老人的探访记录表（预填）")),
            ("month", self.tr("本月应访老人的探访记录表（按社区）")),
            ("route", self.tr("本月探访路线表（按社区）")),
            ("blank", self.tr("空白探访记录表")),
        ):
            menu.addAction(text, lambda k=key: self.print_requested.emit(k))
        self.print_button.setMenu(menu)
        self.export_button = QPushButton(self.tr("导出Excel"))
        self.export_button.setToolTip(self.tr("按当前的查找和筛选条件导出"))
        self.export_button.clicked.connect(self.export_excel)
        self.import_button = QPushButton(self.tr("导入台账"))
        self.import_button.clicked.connect(self.import_roster)

        self.lay_out(
            [
                self.community,
                self.tier,
                self.category,
                self.status,
                self.overdue,
                self.due_month,
                self.mine,
            ],
            [
                self.add_button,
                self.open_button,
                self.visit_button,
                self.print_button,
                self.export_button,
                self.import_button,
            ],
            self.tr("Enter 打开　Ctrl+N 登记探访　点击表头排序　按住 Ctrl/Shift 多选"),
        )
        QShortcut(QKeySequence("Ctrl+N"), self, self._new_visit)
        QShortcut(QKeySequence("Ctrl+Shift+A"), self, self._add_resident)
        self.can_edit = ctx.actor is not None and _can_edit(ctx)
        self.add_button.setEnabled(self.can_edit)
        self.visit_button.setEnabled(self.can_edit)
        self.import_button.setEnabled(self.can_edit)
        self.reload()

    # -- Excel -------------------------------------------------------------------------------
    def export_excel(self) -> Any:
        """导出Excel: the roster as filtered and searched now (IDs masked as on screen)."""
        from caseworker.services.exports import ExportFilter
        from ui.export import export_list

        words = self.described(
            [self.community, self.tier, self.category, self.status], [self.overdue, self.due_month]
        )
        flt = ExportFilter(roster=self.query(), description=words)
        return export_list(self.ctx, self, "elderly-roster", flt)

    def import_roster(self) -> None:
        from ui.elderly.import_wizard import ImportWizard

        ImportWizard(self.ctx, self).exec()

    # -- query -----------------------------------------------------------------------------------
    def query(self) -> RosterQuery:
        status = self.status.currentData()
        q = RosterQuery(
            text=self.search.text(),
            community_id=self.community.currentData(),
            tier=self.tier.currentData(),
            category=self.category.currentData(),
            status=None if status in (None, "scheduled") else status,
            scheduled_only=status == "scheduled",
            overdue_only=self.overdue.isChecked(),
            sort=self.sort_key,
            descending=self.descending,
            assigned_staff_id=self.ctx.actor.staff_id
            if self.mine.isChecked() and self.ctx.actor is not None
            else None,
        )
        if self.due_month.isChecked():
            q = replace(q, due_by=rules.month_of(self.today)[1])
        return q

    def reload(self) -> None:
        """Count and read the first page on the runner (the list keeps its rows under a busy
        note meanwhile); a newer reload supersedes one still on its way."""
        self.today = date.today()
        self.model.today = self.today
        actor = self.ctx.actor
        assert actor is not None
        q = self.query()
        today = self.today
        self.read(
            q.text,
            lambda s, cap: search.count(s, actor, q, today=today, cap=cap),
            lambda s, offset, limit: search.page(s, actor, q, offset, limit, today=today),
            lambda s, cap, limit: search.first_page(s, actor, q, limit, today=today, cap=cap),
            self.tr("共 {0} 人"),
        )

    def go_to_end(self) -> None:
        """Load the rest of the list on the background runner, then select its last row."""
        model = self.model
        if not model.canFetchMore():
            self._select_last()
            return
        actor = self.ctx.actor
        assert actor is not None
        q, today, offset = self.query(), self.today, len(model.rows)
        rest, generation, ws = model.total - offset, model.generation, self.ctx.ws

        def job() -> list[RosterRow]:
            with ws.reader(actor) as s:
                return search.page(s, actor, q, offset, rest, today=today)

        def done(rows: list[RosterRow]) -> None:
            model.append_rows(rows, generation)
            self._select_last()

        self.ctx.runner.submit(job, on_done=done)

    def _select_last(self) -> None:
        if self.model.rows:
            last = self.model.index(len(self.model.rows) - 1, 0)
            self.view.setCurrentIndex(last)
            self.view.scrollTo(last)

    # -- rows ------------------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.row(r).id for r in rows if r < len(self.model.rows)]

    def open_id(self, row_id: str) -> None:
        self.open_resident.emit(row_id)

    def _add_resident(self) -> None:
        if self.can_edit:
            self.add_resident.emit()

    def _new_visit(self) -> None:
        rid = self.current_id()
        if rid is not None and self.can_edit:
            self.new_visit.emit(rid)


def _can_edit(ctx: AppContext) -> bool:
    from caseworker.domain.roles import Permission

    return ctx.can(Permission.ELDERLY_EDIT)
