"""改造户 list: search as you type, filters (step, community, year, category), SQL sort on a
header click, rows paged from SQL. Also the approval queue (the same list fixed to 待审批).

Keyboard: Ctrl+F search; Down (or Enter) moves into the list; Enter opens the case;
Ctrl+Shift+A opens a new application.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.retrofit import HouseholdCategory, Step
from caseworker.domain.roles import Permission
from caseworker.domain.search import MAX_SEARCH
from caseworker.services import accounts
from caseworker.services.retrofit import search
from caseworker.services.retrofit.search import CaseQuery, CaseRow
from ui.context import AppContext
from ui.retrofit.common import RETROFIT_TABLES, money, step_colour
from ui.widgets.list_page import SEARCH_DEBOUNCE_MS, ListLoader, ListView, SearchBox
from ui.widgets.table_models import (
    Column,
    Index,
    PagedTableModel,
    configure_view,
    total_text,
)


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


class CaseListPage(QWidget):
    open_case = Signal(str)
    new_application = Signal()
    print_blank = Signal(str)  # "assessment" | "acceptance"

    def __init__(self, ctx: AppContext, *, work_list: str | None = None, title: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.work_list = work_list
        heading = QLabel(title or self.tr("适老化改造户"))
        heading.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.search = SearchBox()
        self.search.setMaxLength(MAX_SEARCH)
        self.search.setPlaceholderText(
            self.tr("搜索：姓名或住址的任意部分、档案号、身份证号（或后几位）、电话　Ctrl+F")
        )
        self.search.setClearButtonEnabled(True)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_DEBOUNCE_MS)
        self.timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self.timer.start())
        self.search.returnPressed.connect(self._search_enter)
        self.search.down.connect(self._into_list)
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
        self.count_label = QLabel()

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
        self.sort_key, self.descending = "applied_on", True
        self.model = CaseModel(self.columns, lambda: 0, lambda _o, _l: [])
        self.view = ListView()
        self.view.setModel(self.model)
        configure_view(self.view)
        header = self.view.horizontalHeader()
        header.setSortIndicatorShown(True)
        header.setSortIndicator(8, Qt.SortOrder.DescendingOrder)
        header.setSectionsClickable(True)
        header.sectionClicked.connect(self._sort_by)
        for col, width in enumerate((150, 64, 140, 90, 190, 120, 60, 84, 86, 150, 86, 60)):
            self.view.setColumnWidth(col, width)
        self.view.doubleClicked.connect(lambda i: self._open_row(i.row()))
        self.view.activated_row.connect(self._open_row)

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

        top = QHBoxLayout()
        top.addWidget(heading)
        top.addSpacing(12)
        top.addWidget(self.search, 1)
        filters = QHBoxLayout()
        for w in (self.step, self.community, self.year, self.category):
            filters.addWidget(w)
        filters.addStretch()
        filters.addWidget(self.count_label)
        buttons = QHBoxLayout()
        if work_list is None:
            buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch()
        hint = QLabel(
            self.tr("Enter 打开　点击表头排序")
            if work_list
            else self.tr("Enter 打开　Ctrl+Shift+A 新的申请　点击表头排序")
        )
        hint.setStyleSheet("color: #777;")
        buttons.addWidget(hint)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search)
        if work_list is None:
            QShortcut(QKeySequence("Ctrl+Shift+A"), self, self.new_application.emit)
        ctx.on_changed(self, self._on_changed)
        self.loader: ListLoader[CaseRow] = ListLoader(
            ctx, self, self.view, self.model, self.count_label, self.timer
        )
        self.reload()

    def export_excel(self) -> object:
        """导出Excel: the list as searched and filtered now (ID numbers masked as on screen)."""
        from caseworker.services.exports import ExportFilter
        from ui.export import export_list

        words = [
            combo.currentText()
            for combo in (self.step, self.community, self.year, self.category)
            if combo.currentIndex() > 0
        ]
        if self.search.text().strip():
            words.insert(0, self.tr("查找“{0}”").format(self.search.text().strip()))
        if self.work_list:
            words.insert(0, search.WORK_LISTS[self.work_list][0])
        flt = ExportFilter(retrofit=self.query(), description="，".join(words))
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
        keep = self.current_id()

        def shown(total: int) -> None:
            self.count_label.setText(self.tr("共 {0} 户").format(total_text(total)))
            row = next((i for i, r in enumerate(self.model.rows) if r.id == keep), 0)
            if self.model.rows:
                self.view.setCurrentIndex(self.model.index(row, 0))

        self.loader.load(
            q.text,
            lambda s, cap: search.count(s, actor, q, today=today, cap=cap),
            lambda s, offset, limit: search.page(s, actor, q, offset, limit, today=today),
            shown,
            lambda s, cap, limit: search.first_page(s, actor, q, limit, today=today, cap=cap),
        )

    def _on_changed(self, tables: frozenset[str]) -> None:
        if tables & RETROFIT_TABLES:
            self.reload()

    def _sort_by(self, column: int) -> None:
        key = self.columns[column].sort_key
        if key is None:
            return
        if key == self.sort_key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, False
        self.view.horizontalHeader().setSortIndicator(
            column, Qt.SortOrder.DescendingOrder if self.descending else Qt.SortOrder.AscendingOrder
        )
        self.reload()

    def current_id(self) -> str | None:
        index = self.view.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.rows):
            return None
        return self.model.row(index.row()).id

    def _open_row(self, row: int) -> None:
        if 0 <= row < len(self.model.rows):
            self.open_case.emit(self.model.row(row).id)

    def _search_enter(self) -> None:
        self.loader.when_read(self._enter_done, self.reload)

    def _enter_done(self) -> None:
        if self.model.total == 1:
            self._open_row(0)
        else:
            self._into_list_now()

    def _into_list(self) -> None:
        self.loader.when_read(self._into_list_now, self.reload)

    def _into_list_now(self) -> None:
        if self.model.rows:
            self.view.setFocus()
            if not self.view.currentIndex().isValid():
                self.view.setCurrentIndex(self.model.index(0, 0))
            self.view.selectRow(self.view.currentIndex().row())

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def select_id(self, case_id: str) -> None:
        for i, r in enumerate(self.model.rows):
            if r.id == case_id:
                self.view.setCurrentIndex(self.model.index(i, 0))
                return
