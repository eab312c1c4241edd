"""The 工作台 panel for programme 2: 待评估, 待审批, 施工逾期 (with days), 待验收. Each tab says
how many; a double-click (or Enter) opens the case; refreshes (off the UI thread) when a
retrofit table changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import QGroupBox, QMenu, QPushButton, QTableView, QTabWidget, QVBoxLayout

from caseworker.services.retrofit import search
from caseworker.services.retrofit.search import WORK_LISTS, CaseQuery, CaseRow
from ui.context import AppContext
from ui.retrofit.common import RETROFIT_TABLES
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.refresh import RefreshWhenSeen
from ui.widgets.table_models import WORK_LIST_ROWS, Column, ListTableModel, configure_view

LIST_LIMIT = 200  # longer lists are read in the 适老化改造 section's filters


class RetrofitWorkListsPanel(QGroupBox):
    def __init__(
        self,
        ctx: AppContext,
        open_case: Callable[[str], None],
        *,
        today: date | None = None,
    ) -> None:
        super().__init__(self.tr("适老化改造"))
        self.ctx = ctx
        self.open_case = open_case
        self.fixed_today = today
        self.tabs = QTabWidget()
        self.models: dict[str, ListTableModel[CaseRow]] = {}
        for key in WORK_LISTS:
            cols: list[Column[CaseRow]] = [
                Column(self.tr("档案号"), lambda r: r.case_no),
                Column(self.tr("姓名"), lambda r: r.name),
                Column(self.tr("社区/村"), lambda r: r.community_name),
                Column(self.tr("住址"), lambda r: r.address),
                Column(self.tr("电话"), lambda r: r.phone),
                Column(self.tr("申请日期"), lambda r: r.applied_on),
            ]
            if key in ("overdue", "inspect"):
                cols += [
                    Column(self.tr("施工单位"), lambda r: r.contractor_name),
                    Column(self.tr("计划完工"), lambda r: r.planned_end),
                ]
            if key == "overdue":
                cols.append(Column(self.tr("逾期天数"), lambda r: r.days_overdue, True))
            if key in ("approve",):
                cols.append(Column(self.tr("补贴资格"), lambda r: "符合" if r.eligible else "自费"))
            model: ListTableModel[CaseRow] = ListTableModel(cols)
            view = QTableView()
            view.setModel(model)
            # 工作台 scrolls: a list keeps room for a few rows (it showed about 3 at 48 px)
            configure_view(view, min_rows=WORK_LIST_ROWS)
            for col, width in enumerate((150, 70, 90, 200, 100, 86, 150, 86)):
                view.setColumnWidth(col, width)
            view.doubleClicked.connect(lambda i, m=model: self._open(m, i.row()))
            view.activated.connect(lambda i, m=model: self._open(m, i.row()))
            self.models[key] = model
            self.tabs.addTab(view, WORK_LISTS[key][0])
        self.export_button = QPushButton(self.tr("导出Excel"))
        export_menu = QMenu(self.export_button)
        for key, (title, _step) in WORK_LISTS.items():
            export_menu.addAction(title, lambda k=key: self.export_excel(k))
        self.export_button.setMenu(export_menu)
        self.tabs.setCornerWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        # The four lists are read on the runner behind a busy note (a big office's lists must
        # not hold the window), the newest read winning.
        self.busy = BusyOverlay(self.tabs)
        self.loader = BackgroundRead(ctx, self, self.busy.set_busy)
        RefreshWhenSeen(ctx, self, RETROFIT_TABLES, self.refresh)
        self.refresh()

    def export_excel(self, key: str) -> object:
        """导出Excel: the whole work list (not only the rows shown here)."""
        from ui.export import export_list

        return export_list(self.ctx, self, f"retrofit-{key}")

    @property
    def today(self) -> date:
        return self.fixed_today or date.today()

    def _open(self, model: ListTableModel[CaseRow], row: int) -> None:
        if 0 <= row < model.rowCount():
            self.open_case(model.row(row).id)

    def refresh(self) -> None:
        actor = self.ctx.actor
        assert actor is not None
        today = self.today

        def load(s):  # one read session for the whole panel
            out = {}
            for key in WORK_LISTS:
                q = CaseQuery(work_list=key, sort="applied_on", descending=False)
                out[key] = (
                    search.page(s, actor, q, 0, LIST_LIMIT, today=today),
                    search.count(s, actor, q, today=today),
                )
            return out

        self.loader.start(load, self._show)

    def _show(self, lists: dict[str, tuple[list[CaseRow], int]]) -> None:
        for n, key in enumerate(WORK_LISTS):
            rows, total = lists[key]
            self.models[key].set_rows(rows)
            title = WORK_LISTS[key][0]
            self.tabs.setTabText(n, self.tr("{0}（{1}）").format(title, total))
