"""The 工作台 panel for programme 1: major changes waiting for their visit within 24 hours
(first), my visits due this week, overdue (with days), open referral follow-ups, and the
month's visit rate per community. Filters by community and visitor; a
double-click (or Enter) opens the resident; refreshes when an elderly table changes.

The panel's lists are read on the background runner behind a busy note (they grow with the
roster); each is one page from SQL with its count: 转介待跟进 shows `REFERRAL_PAGE` at a time and
加载更多 reads the next."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain import schedule as rules
from caseworker.services import accounts, settings
from caseworker.services.elderly import changes, roster, schedule
from caseworker.services.elderly.changes import ChangeItem
from caseworker.services.elderly.schedule import CommunityRate, DueRow, ReferralRow
from ui.context import AppContext
from ui.elderly.common import ELDERLY_TABLES
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.refresh import RefreshWhenSeen
from ui.widgets.table_models import WORK_LIST_ROWS, Column, ListTableModel, configure_view

LIST_LIMIT = 500  # a work list longer than this is read from the roster's filters instead
REFERRAL_PAGE = 200  # open referrals per page (5,623 were open at a 100,000-resident office)


class _List(QTableView):
    def __init__(self, model, widths: tuple[int, ...], open_row: Callable[[int], None]) -> None:
        super().__init__()
        self.setModel(model)
        configure_view(self, min_rows=WORK_LIST_ROWS)
        for col, width in enumerate(widths):
            self.setColumnWidth(col, width)
        self.doubleClicked.connect(lambda i: open_row(i.row()))
        self.activated.connect(lambda i: open_row(i.row()))


class WorkListsPanel(QGroupBox):
    def __init__(
        self,
        ctx: AppContext,
        open_resident: Callable[[str], None],
        print_flow: Callable[[str], None] | None = None,
        *,
        today: date | None = None,
    ) -> None:
        super().__init__(self.tr("老年人探访"))
        self.ctx = ctx
        self.open_resident = open_resident
        self.fixed_today = today
        actor = ctx.actor
        assert actor is not None
        self.community = QComboBox()
        self.community.addItem(self.tr("全部社区/村"), None)
        for c in ctx.read(accounts.communities):
            self.community.addItem(c.name, c.id)
        self.visitor = QComboBox()
        self.visitor.addItem(self.tr("全部责任人"), None)
        for s in ctx.read(lambda s: roster.staff_choices(s, actor)):
            self.visitor.addItem(s.name, s.id)
        if actor.staff_id is not None:
            mine = self.visitor.findData(actor.staff_id)
            if mine >= 0:
                self.visitor.setItemText(mine, self.tr("我（{0}）").format(actor.display_name))
                self.visitor.setCurrentIndex(mine)
        self.community.currentIndexChanged.connect(lambda _i: self.refresh())
        self.visitor.currentIndexChanged.connect(lambda _i: self.refresh())

        due_cols: list[Column[DueRow]] = [
            Column(self.tr("姓名"), lambda r: r.name),
            Column(self.tr("社区/村"), lambda r: r.community_name),
            Column(self.tr("住址"), lambda r: r.address),
            Column(self.tr("电话"), lambda r: r.phone),
            Column(self.tr("等级"), lambda r: r.tier),
            Column(self.tr("上次探访"), lambda r: r.last_visit_on),
            Column(self.tr("应访日期"), lambda r: r.next_due),
            Column(self.tr("逾期天数"), lambda r: r.days_overdue or "", align_right=True),
            Column(self.tr("责任人"), lambda r: r.assigned_staff_name),
        ]
        widths = (70, 90, 170, 100, 50, 86, 86, 64)
        self.week_model: ListTableModel[DueRow] = ListTableModel(due_cols)
        self.overdue_model: ListTableModel[DueRow] = ListTableModel(due_cols)
        self.referral_model: ListTableModel[ReferralRow] = ListTableModel(
            [
                Column(self.tr("姓名"), lambda r: r.resident_name),
                Column(self.tr("社区/村"), lambda r: r.community_name),
                Column(self.tr("转介去向"), lambda r: r.target),
                Column(self.tr("期限"), lambda r: r.due_on),
                Column(self.tr("逾期天数"), lambda r: r.days_overdue or "", align_right=True),
                Column(self.tr("状态"), lambda r: r.status),
                Column(self.tr("跟进人"), lambda r: r.owner_name),
                Column(self.tr("事项"), lambda r: r.description),
            ]
        )
        self.rates_model: ListTableModel[CommunityRate] = ListTableModel(
            [
                Column(self.tr("社区/村"), lambda r: r.community_name),
                Column(self.tr("应访"), lambda r: r.due, align_right=True),
                Column(self.tr("已访"), lambda r: r.visited, align_right=True),
                Column(self.tr("探访率"), lambda r: r.rate_text, align_right=True),
            ]
        )
        # Major changes (跌倒, 住院…) no visit has answered: a visit within 24 hours, so first.
        self.change_model: ListTableModel[ChangeItem] = ListTableModel(
            [
                Column(self.tr("姓名"), lambda r: r.name),
                Column(self.tr("社区/村"), lambda r: r.community_name),
                Column(self.tr("重大变化"), lambda r: r.kind),
                Column(self.tr("获知日期"), lambda r: r.known_on),
                Column(self.tr("应访日期"), lambda r: r.due),
                Column(self.tr("逾期天数"), lambda r: r.days_overdue or "", align_right=True),
                Column(self.tr("等级"), lambda r: r.tier),
                Column(self.tr("建议"), lambda r: r.proposal),
                Column(self.tr("电话"), lambda r: r.phone),
                Column(self.tr("责任人"), lambda r: r.assigned_staff_name),
            ]
        )
        self.change_view = _List(
            self.change_model, (70, 90, 80, 86, 86, 64, 50, 110, 100), self._open_change
        )
        self.week_view = _List(self.week_model, widths, self._open_due(self.week_model))
        self.overdue_view = _List(self.overdue_model, widths, self._open_due(self.overdue_model))
        self.referral_view = _List(
            self.referral_model, (70, 90, 110, 86, 64, 60, 70), self._open_referral
        )
        self.rates_view = QTableView()
        self.rates_view.setModel(self.rates_model)
        configure_view(self.rates_view)
        for col, width in enumerate((96, 48, 48)):
            self.rates_view.setColumnWidth(col, width)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.change_view, self.tr("重大变化"))
        self.tabs.addTab(self.week_view, self.tr("本周应访"))
        self.tabs.addTab(self.overdue_view, self.tr("逾期未访"))
        self.referral_more = QPushButton(self.tr("加载更多"))
        self.referral_more.clicked.connect(self.more_referrals)
        self.referral_total = 0
        self.referral_late = 0
        referral_tab = QWidget()
        referral_col = QVBoxLayout(referral_tab)
        referral_col.setContentsMargins(0, 0, 0, 0)
        referral_col.addWidget(self.referral_view)
        referral_col.addWidget(self.referral_more)
        self.tabs.addTab(referral_tab, self.tr("转介待跟进"))
        self.rates_title = QLabel()
        self.rates_title.setStyleSheet("font-weight: bold;")
        rates_box = QWidget()
        rates_col = QVBoxLayout(rates_box)
        rates_col.setContentsMargins(0, 0, 0, 0)
        rates_col.addWidget(self.rates_title)
        from ui.widgets.charts import ChartView

        # This month's rate per community against the district's target, at a glance.
        self.rates_chart = ChartView(self)
        self.rates_chart.setMinimumSize(200, 110)
        self.rates_chart.setMaximumHeight(190)
        rates_col.addWidget(self.rates_chart)
        rates_col.addWidget(self.rates_view, 1)
        rates_box.setFixedWidth(300)
        self.rates_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        filters = QHBoxLayout()
        filters.addWidget(QLabel(self.tr("社区/村：")))
        filters.addWidget(self.community)
        filters.addWidget(QLabel(self.tr("责任人：")))
        filters.addWidget(self.visitor)
        filters.addStretch()
        if print_flow is not None:
            print_button = QPushButton(self.tr("打印…"))
            menu = QMenu(print_button)
            # Printed from here with this panel's filters (责任人=我 prints my forms only) and
            # this page as parent: the window stays on 工作台.
            menu.addAction(self.tr("本月应访老人的探访记录表"), lambda: self.print_("month"))
            menu.addAction(self.tr("本月探访路线表"), lambda: self.print_("route"))
            menu.addAction(self.tr("空白探访记录表"), lambda: self.print_("blank"))
            print_button.setMenu(menu)
            filters.addWidget(print_button)
        self.export_button = QPushButton(self.tr("导出Excel"))
        export_menu = QMenu(self.export_button)
        for key, text in (
            ("elderly-due", self.tr("本月应访名单")),
            ("elderly-overdue", self.tr("逾期未访名单")),
            ("elderly-referrals", self.tr("转介待跟进")),
        ):
            export_menu.addAction(text, lambda k=key: self.export_excel(k))
        self.export_button.setMenu(export_menu)
        filters.addWidget(self.export_button)
        body = QHBoxLayout()
        body.addWidget(self.tabs, 1)
        body.addWidget(rates_box)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(body, 1)
        self.busy = BusyOverlay(self.tabs)
        self.loader = BackgroundRead(ctx, self, self.busy.set_busy)
        self.more_loader = BackgroundRead(ctx, self)
        RefreshWhenSeen(ctx, self, ELDERLY_TABLES | {"community", "staff"}, self.refresh)
        self.refresh()

    def print_(self, kind: str) -> None:
        from ui.elderly.print_jobs import print_flow

        print_flow(
            self.ctx,
            self,
            kind,
            community_id=self.community.currentData(),
            visitor_id=self.visitor.currentData(),
        )

    def export_excel(self, key: str) -> object:
        """导出Excel: a work list for the community chosen above."""
        from caseworker.services.exports import ExportFilter
        from ui.export import export_list

        cid = self.community.currentData()
        words = self.community.currentText() if cid else ""
        flt = ExportFilter(community_id=cid, description=words)
        return export_list(self.ctx, self, key, flt)

    @property
    def today(self) -> date:
        return self.fixed_today or date.today()

    def _open_due(self, model: ListTableModel[DueRow]) -> Callable[[int], None]:
        def open_row(row: int) -> None:
            if 0 <= row < model.rowCount():
                self.open_resident(model.row(row).resident_id)

        return open_row

    def _open_change(self, row: int) -> None:
        if 0 <= row < self.change_model.rowCount():
            self.open_resident(self.change_model.row(row).resident_id)

    def _open_referral(self, row: int) -> None:
        if 0 <= row < self.referral_model.rowCount():
            self.open_resident(self.referral_model.row(row).resident_id)

    def refresh(self) -> None:
        """Read the panel's lists on the runner; `_show` fills them in."""
        actor = self.ctx.actor
        assert actor is not None
        today = self.today
        week_end = rules.week_of(today)[1]
        cid, vid = self.community.currentData(), self.visitor.currentData()

        def load(s):  # one read session for the whole panel
            return (
                # Due from today to Sunday: the overdue ones are on their own tab.
                schedule.due_list(
                    s,
                    actor,
                    week_end,
                    community_id=cid,
                    visitor_id=vid,
                    since=today,
                    limit=LIST_LIMIT,
                    today=today,
                ),
                schedule.due_count(
                    s, actor, week_end, community_id=cid, visitor_id=vid, since=today
                ),
                schedule.overdue_list(
                    s, actor, community_id=cid, visitor_id=vid, limit=LIST_LIMIT, today=today
                ),
                schedule.overdue_count(s, actor, community_id=cid, visitor_id=vid, today=today),
                schedule.open_referrals(
                    s, actor, community_id=cid, owner_id=vid, today=today, limit=REFERRAL_PAGE
                ),
                schedule.open_referral_counts(
                    s, actor, community_id=cid, owner_id=vid, today=today
                ),
                schedule.visit_rates(s, actor, today, today=today),
                int(settings.get(s, "report.visit_rate_target")) / 100,
                changes.open_changes(
                    s, actor, community_id=cid, visitor_id=vid, today=today, limit=LIST_LIMIT
                ),
            )

        self.loader.start(load, lambda result: self._show(today, week_end, cid, *result))

    def _show(
        self,
        today: date,
        week_end: date,
        cid: str | None,
        week: list[DueRow],
        week_n: int,
        overdue: list[DueRow],
        overdue_n: int,
        refs: list[ReferralRow],
        ref_counts: tuple[int, int],
        rates: list[CommunityRate],
        target: float,
        changed: list[ChangeItem],
    ) -> None:
        from caseworker.services.reports import Chart

        shown = [r for r in rates if r.community_id is not None]
        self.rates_chart.set_chart(
            Chart(
                "bar",
                self.tr("本月各社区探访率"),
                tuple(r.community_name for r in shown),
                tuple(r.rate for r in shown),
                target,
            )
        )
        self.week_model.set_rows(week)
        self.overdue_model.set_rows(overdue)
        self.referral_model.set_rows(refs)
        self.referral_total, self.referral_late = ref_counts
        if cid:
            rates = [r for r in rates if r.community_id in (cid, None)][:1]
        self.rates_model.set_rows(rates)
        had_changes = self.change_model.rowCount() > 0
        self.change_model.set_rows(changed)
        at = self.tabs.indexOf
        self.tabs.setTabText(
            at(self.change_view), self.tr("重大变化·24小时内应访（{0}）").format(len(changed))
        )
        self.tabs.setTabToolTip(
            at(self.change_view),
            self.tr("跌倒、住院、失去照料人、家属联系不上：获知后 24 小时内探访，并建议调为高风险"),
        )
        if changed and not had_changes:  # something new to do at once: show it first
            self.tabs.setCurrentWidget(self.change_view)
        elif not changed and self.tabs.currentWidget() is self.change_view:
            self.tabs.setCurrentWidget(self.week_view)
        self.tabs.setTabText(
            at(self.week_view),
            self.tr("本周应访（{0:%m-%d}至{1:%m-%d}：{2}）").format(today, week_end, week_n),
        )
        self.tabs.setTabToolTip(
            at(self.week_view),
            self.tr(
                "今天到本周日（{0:%Y-%m-%d}）应探访、尚未逾期的老人；逾期的见“逾期未访”"
            ).format(week_end),
        )
        self.tabs.setTabText(at(self.overdue_view), self.tr("逾期未访（{0}）").format(overdue_n))
        self.tabs.setTabText(
            at(self.referral_view.parentWidget()),
            self.tr("转介待跟进（{0}，超期 {1}）").format(self.referral_total, self.referral_late),
        )
        self._referral_more_state()
        self.rates_title.setText(self.tr("{0}年{1}月探访率").format(today.year, today.month))

    def _referral_more_state(self) -> None:
        shown = self.referral_model.rowCount()
        self.referral_more.setVisible(shown < self.referral_total)
        self.referral_more.setText(
            self.tr("加载更多（已显示 {0} / {1}）").format(shown, self.referral_total)
        )

    def more_referrals(self) -> None:
        """The next page of open referrals, read on the runner, added below those shown."""
        actor = self.ctx.actor
        assert actor is not None
        today, offset = self.today, self.referral_model.rowCount()
        cid, vid = self.community.currentData(), self.visitor.currentData()

        def shown(rows: list[ReferralRow]) -> None:
            self.referral_model.set_rows(self.referral_model.rows + rows)
            self._referral_more_state()

        self.more_loader.start(
            lambda s: schedule.open_referrals(
                s,
                actor,
                community_id=cid,
                owner_id=vid,
                today=today,
                limit=REFERRAL_PAGE,
                offset=offset,
            ),
            shown,
        )

    def rate_of(self, community_id: str | None) -> CommunityRate | None:
        return next((r for r in self.rates_model.rows if r.community_id == community_id), None)
