"""改造户 list: search as you type, filters (step, community, year, category), SQL sort on a
header click, rows paged from SQL. Also the approval queue (the same list fixed to 待审批).

Keyboard: Ctrl+F search; Down (or Enter) moves into the list; Enter opens the case;
Ctrl+Shift+A opens a new application.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QMenu, QPushButton

from caseworker.domain.retrofit import HouseholdCategory, Step
from caseworker.domain.roles import Permission
from caseworker.services import accounts
from caseworker.services.retrofit import search
from caseworker.services.retrofit.search import CaseQuery, CaseRow
from ui.context import AppContext
from ui.retrofit.common import RETROFIT_TABLES, money, step_colour
from ui.widgets.list_page import ListPage
from ui.widgets.table_models import Column, Index, PagedTableModel


class CaseModel(PagedTableModel[CaseRow]):
    """Paged cases; the step coloured, overdue construction in red."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            row = self.rows[index.row()]
            if row.days_overdue:
                return QBrush(QColor("#b00020"))
            if self.columns[index.column()].sort_key == "step":
                return QBrush(QColor(step_colour(row.step)))
            return None
        return super().data(index, role)


class CaseListPage(ListPage[CaseRow]):
    open_case = Signal(str)
    new_application = Signal()
    print_blank = Signal(str)  # "assessment" | "acceptance"

    def __init__(self, ctx: AppContext, *, work_list: str | None = None, title: str = "") -> None:
        super().__init__(
            ctx,
            title or self.tr("适老化改造户"),
            self.tr("搜索：姓名或住址的任意部分、档案号、身份证号（或后几位）、电话　Ctrl+F"),
            RETROFIT_TABLES,
        )
        self.work_list = work_list
        actor = ctx.actor
        assert actor is not None

        self.step = QComboBox()
        self.step.addItem(self.tr("全部环节"), None)
        self.step.addItem(self.tr("办理中"), "open")
        for s in Step:
            self.step.addItem(s.value, s.value)
        self.community = QComboBox()
        self.community.addItem(self.tr("全部社区/村"), None)
        for c in ctx.read(accounts.communities):
            self.community.addItem(c.name, c.id)
        self.year = QComboBox()
        self.year.addItem(self.tr("全部年度"), None)
        for y in ctx.read(lambda s: search.years(s, actor)):
            self.year.addItem(self.tr("{0}年申请").format(y), y)
        self.category = QComboBox()
        self.category.addItem(self.tr("全部类别"), None)
        for c in HouseholdCategory:
            self.category.addItem(c.value, c.value)
        for combo in (self.step, self.community, self.year, self.category):
            combo.currentIndexChanged.connect(lambda _i: self.reload())
        if work_list is not None:
            self.step.setEnabled(False)

        self.columns: list[Column[CaseRow]] = [
            Column(self.tr("档案号"), lambda r: r.case_no, sort_key="case_no"),
            Column(self.tr("姓名"), lambda r: r.name, sort_key="name"),
            Column(self.tr("身份证号"), lambda r: r.id_number_masked),
            Column(self.tr("社区/村"), lambda r: r.community_name, sort_key="community"),
            Column(self.tr("住址"), lambda r: r.address, sort_key="address"),
            Column(self.tr("类别"), lambda r: r.categories),
            Column(self.tr("补贴资格"), lambda r: "符合" if r.eligible else "自费"),
            Column(self.tr("环节"), lambda r: r.step, sort_key="step"),
            Column(self.tr("申请日期"), lambda r: r.applied_on, sort_key="applied_on"),
            Column(self.tr("施工单位"), lambda r: r.contractor_name),
            Column(self.tr("计划完工"), lambda r: r.planned_end, sort_key="planned_end"),
            Column(self.tr("逾期天数"), lambda r: r.days_overdue or "", True),
            Column(
                self.tr("政府补贴（元）"),
                lambda r: money(r.subsidy_fen) if r.subsidy_fen else "",
                True,
                sort_key="subsidy",
            ),
        ]
        self.set_up_list(
            CaseModel(self.columns, lambda: 0, lambda _o, _l: []),
            (150, 64, 140, 90, 190, 120, 60, 84, 86, 150, 86, 60),
            "applied_on",
            descending=True,
        )

        self.new_button = QPushButton(self.tr("新的申请"))
        self.new_button.setToolTip("Ctrl+Shift+A")
        self.new_button.clicked.connect(self.new_application)
        self.new_button.setEnabled(ctx.can(Permission.RETROFIT_EDIT))
        self.open_button = QPushButton(self.tr("打开"))
        self.open_button.clicked.connect(lambda: self._open_row(self.view.currentIndex().row()))
        self.print_button = QPushButton(self.tr("打印空白表"))
        menu = QMenu(self.print_button)
        menu.addAction(
            self.tr("空白入户评估表（含目录和单价）"), lambda: self.print_blank.emit("assessment")
        )
        menu.addAction(self.tr("空白验收单"), lambda: self.print_blank.emit("acceptance"))
        self.print_button.setMenu(menu)
        self.export_button = QPushButton(self.tr("导出Excel"))
        export_menu = QMenu(self.export_button)
        export_menu.addAction(self.tr("当前列表（按查找和筛选条件）"), self.export_excel)
        export_menu.addAction(
            self.tr("施工单位"), lambda: self._export_other("retrofit-contractors")
        )
        export_menu.addAction(
            self.tr("改造项目目录"), lambda: self._export_other("retrofit-catalogue")
        )
        self.export_button.setMenu(export_menu)

        self.lay_out(
            [self.step, self.community, self.year, self.category],
            ([] if work_list else [self.new_button])
            + [self.open_button, self.print_button, self.export_button],
            self.tr("Enter 打开　点击表头排序")
            if work_list
            else self.tr("Enter 打开　Ctrl+Shift+A 新的申请　点击表头排序"),
        )
        if work_list is None:
            QShortcut(QKeySequence("Ctrl+Shift+A"), self, self.new_application.emit)
        self.reload()

    def export_excel(self) -> object:
        """导出Excel: the list as searched and filtered now (ID numbers masked as on screen)."""
        from caseworker.services.exports import ExportFilter
        from ui.export import export_list

        words = self.described([self.step, self.community, self.year, self.category])
        if self.work_list:
            words = "，".join(w for w in (search.WORK_LISTS[self.work_list][0], words) if w)
        flt = ExportFilter(retrofit=self.query(), description=words)
        return export_list(self.ctx, self, "retrofit-cases", flt)

    def _export_other(self, key: str) -> object:
        from ui.export import export_list

        return export_list(self.ctx, self, key)

    def query(self) -> CaseQuery:
        step = self.step.currentData()
        return CaseQuery(
            text=self.search.text(),
            step=None if step in (None, "open") else Step(step),
            open_only=step == "open",
            community_id=self.community.currentData(),
            year=self.year.currentData(),
            category=self.category.currentData(),
            work_list=self.work_list,
            sort=self.sort_key,
            descending=self.descending,
        )

    def reload(self) -> None:
        """Count and read the first page on the runner (the shared list loader)."""
        actor = self.ctx.actor
        assert actor is not None
        q = self.query()
        today = date.today()
        self.read(
            q.text,
            lambda s, cap: search.count(s, actor, q, today=today, cap=cap),
            lambda s, offset, limit: search.page(s, actor, q, offset, limit, today=today),
            lambda s, cap, limit: search.first_page(s, actor, q, limit, today=today, cap=cap),
            self.tr("共 {0} 户"),
        )

    def open_id(self, row_id: str) -> None:
        self.open_case.emit(row_id)
