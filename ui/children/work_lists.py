"""The 工作台 panel for child-protection roles: urgent reports first, then 待核实, 待评估,
待制定计划, 回访到期/逾期 (by risk), services overdue and categories to review; the figures of
the person's scope on top. Double-click or Enter opens the child (or the case)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtWidgets import (
    QGroupBox,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
)

from caseworker.services.children import worklists
from ui.children.common import CHILD_TABLES
from ui.context import AppContext
from ui.widgets.refresh import RefreshWhenSeen
from ui.widgets.table_models import WORK_LIST_ROWS, Column, ListTableModel, configure_view

# The work lists as exported (caseworker.services.exports), in the tabs' order.
EXPORTS: tuple[tuple[str, str], ...] = (
    ("children-urgent", "紧急"),
    ("children-verify", "待核实"),
    ("children-assess", "待评估"),
    ("children-plan", "待制定计划"),
    ("children-visits", "回访到期/逾期"),
    ("children-services", "服务逾期"),
    ("children-categories", "类别复核"),
    ("children-turning18", "将满18岁"),
)


class ChildWorkLists(QGroupBox):
    def __init__(
        self,
        ctx: AppContext,
        open_child: Callable[[str], None],
        open_case: Callable[[str], None],
        *,
        today: date | None = None,
    ) -> None:
        super().__init__(self.tr("儿童关爱（保密）"))
        self.ctx = ctx
        self.fixed_today = today
        self.figures = QLabel()
        self.figures.setWordWrap(True)
        self.figures.setStyleSheet("color: #333;")
        self.tabs = QTabWidget()
        # Every list names the child and the community first (a double-click opens the case
        # or the child); what follows is the list's own.
        who = [
            Column(self.tr("儿童"), lambda i: i.child_name),
            Column(self.tr("社区/村"), lambda i: i.community_name),
        ]
        overdue = self.tr("逾期天数")
        case_cols = [
            *who,
            Column(self.tr("紧急"), lambda i: i.urgent_reasons),
            Column(self.tr("阶段"), lambda i: i.step),
            Column(self.tr("风险"), lambda i: i.risk),
            Column(self.tr("报告日期"), lambda i: i.reported_on),
        ]
        visit_cols = [
            *who,
            Column(self.tr("风险"), lambda i: i.risk),
            Column(self.tr("应访日期"), lambda i: i.due),
            Column(overdue, lambda i: i.days_overdue or "", True),
        ]
        service_cols = [
            who[0],
            Column(self.tr("服务"), lambda i: i.kind),
            Column(self.tr("责任人"), lambda i: i.owner_name),
            Column(self.tr("期限"), lambda i: i.due_on),
            Column(overdue, lambda i: i.days_overdue, True),
        ]
        adult_cols = [
            *who,
            Column(self.tr("阶段"), lambda i: i.step),
            Column(self.tr("满18岁日期"), lambda i: i.due),
            Column(self.tr("已满天数"), lambda i: i.days_overdue or "", True),
        ]
        category_cols = [
            *who,
            Column(self.tr("类别"), lambda i: i.category),
            Column(self.tr("事项"), lambda i: i.kind),
            Column(self.tr("日期"), lambda i: i.on),
            Column(self.tr("依据"), lambda i: i.reason),
        ]
        leave_cols = [
            *who,
            Column(self.tr("建议"), lambda i: i.reason),
            Column(self.tr("离册日期"), lambda i: i.on),
            Column(self.tr("依据"), lambda i: i.text),
        ]
        self.models: dict[str, ListTableModel] = {}
        for key, label, cols, by_case in (
            ("urgent", "紧急", case_cols, True),
            ("to_verify", "待核实", case_cols, True),
            ("to_assess", "待评估", case_cols, True),
            ("to_plan", "待制定计划", case_cols, True),
            ("visits_due", "回访到期/逾期", visit_cols, True),
            ("services_overdue", "服务逾期", service_cols, True),
            ("categories", "类别复核", category_cols, False),
            ("turning_18", "将满18岁", adult_cols, True),
            ("leaving", "离册建议", leave_cols, False),
        ):
            model: ListTableModel = ListTableModel(cols)
            view = QTableView()
            view.setObjectName(f"list_{key}")
            view.setModel(model)
            configure_view(view, min_rows=WORK_LIST_ROWS)
            for col, width in enumerate((80, 96, 80, 70, 50)):
                view.setColumnWidth(col, width)

            def opener(row: int, m: ListTableModel = model, case: bool = by_case) -> None:
                item = m.row(row)
                if case:
                    open_case(item.case_id)
                else:
                    open_child(item.child_id)

            view.doubleClicked.connect(lambda i, o=opener: o(i.row()))
            view.activated.connect(lambda i, o=opener: o(i.row()))
            self.models[key] = model
            self.tabs.addTab(view, self.tr(label))
        self.export_button = QPushButton(self.tr("导出Excel"))
        self.export_button.setToolTip(self.tr("导出的每名儿童都记入档案查阅记录"))
        export_menu = QMenu(self.export_button)
        for key, label in EXPORTS:
            export_menu.addAction(self.tr(label), lambda k=key: self.export_excel(k))
        self.export_button.setMenu(export_menu)
        self.tabs.setCornerWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.figures)
        layout.addWidget(self.tabs, 1)
        RefreshWhenSeen(ctx, self, CHILD_TABLES, self.refresh)
        self.refresh()

    def export_excel(self, key: str) -> object:
        """导出Excel: the whole work list (masked as on screen, each child logged)."""
        from ui.export import export_list

        return export_list(self.ctx, self, key)

    @property
    def today(self) -> date:
        return self.fixed_today or date.today()

    def refresh(self) -> None:
        actor = self.ctx.actor
        assert actor is not None
        today = self.today
        ws = self.ctx.ws

        def load() -> tuple[worklists.WorkLists, worklists.Figures]:
            # Grows with the register (20,000 children: about half a second): on the runner.
            with ws.reader(actor) as s:
                return (
                    worklists.work_lists(s, actor, today=today),
                    worklists.figures(s, actor, today=today),
                )

        self.ctx.runner.submit(load, on_done=lambda result: self._loaded(*result))

    def _loaded(self, lists: worklists.WorkLists, figures: worklists.Figures) -> None:
        self.figures.setText(
            self.tr(
                "在册儿童 {0} 名（{1}）　在办个案 {2} 件，其中紧急 {3} 件　本月回访 已访 {4} / 应访 {5}"
            ).format(
                figures.children,
                figures.scoped_to,
                sum(figures.open_cases_by_step.values()),
                figures.urgent_open,
                figures.visits_done_in_month,
                figures.visits_due_in_month,
            )
        )
        for key in self.models:
            self._show(key, getattr(lists, key))

    def _show(self, key: str, rows: Sequence[object]) -> None:
        self.models[key].set_rows(rows)
        index = self.tabs.indexOf(self.tabs.findChild(QTableView, f"list_{key}"))
        base = self.tabs.tabText(index).split("（")[0]
        self.tabs.setTabText(index, f"{base}（{len(rows)}）")
