"""A resident's page: details (full ID number, birth date, sex and age derived from it), tier and
status with their actions, visit history, referrals, and the record's change history."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain import schedule as rules
from caseworker.domain.elderly import Category
from caseworker.domain.errors import NotFound
from caseworker.domain.roles import Permission
from caseworker.services.audit import AuditRow
from caseworker.services.elderly import roster
from caseworker.services.elderly.roster import ResidentDetail, ResidentInfo
from caseworker.services.elderly.visits import ReferralInfo, VisitSummary
from ui.context import AppContext
from ui.elderly.common import ELDERLY_TABLES
from ui.messages import show_error
from ui.widgets.audit_page import change_columns
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.fields import fmt_date
from ui.widgets.table_models import Column, ListTableModel, configure_view


def _label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ResidentPage(QWidget):
    back = Signal()
    new_visit = Signal(str)  # resident id
    open_visit = Signal(str, str)  # resident id, visit id
    edit_requested = Signal(str)
    print_form = Signal(str)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.detail: ResidentDetail | None = None
        self.resident_id: str | None = None
        can_edit = ctx.can(Permission.ELDERLY_EDIT)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.back_button = QPushButton(self.tr("← 返回台账"))
        self.back_button.setToolTip("Esc / Alt+←")
        self.back_button.clicked.connect(self.back)
        self.visit_button = QPushButton(self.tr("登记探访"))
        self.visit_button.setToolTip("Ctrl+N")
        self.edit_button = QPushButton(self.tr("编辑资料"))
        self.tier_button = QPushButton(self.tr("调整等级"))
        self.status_button = QPushButton(self.tr("变更状态"))
        self.print_button = QPushButton(self.tr("打印探访表"))
        self.change_button = QPushButton(self.tr("重大变化…"))
        self.change_button.setToolTip(self.tr("跌倒、住院、失去照料人、家属联系不上"))
        self.change_button.clicked.connect(self.record_change)
        self.visit_button.clicked.connect(self._new_visit)
        self.edit_button.clicked.connect(lambda: self.edit_requested.emit(self.resident_id or ""))
        self.tier_button.clicked.connect(self.change_tier)
        self.status_button.clicked.connect(self.change_status)
        self.print_button.clicked.connect(lambda: self.print_form.emit(self.resident_id or ""))
        edits = (
            self.visit_button,
            self.edit_button,
            self.tier_button,
            self.status_button,
            self.change_button,
        )
        for b in edits:
            b.setEnabled(can_edit)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addSpacing(8)
        top.addWidget(self.title, 1)
        for b in (*edits, self.print_button):
            top.addWidget(b)

        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setVerticalSpacing(4)
        for key, text in (
            ("id_number", self.tr("身份证号")),
            ("birth", self.tr("出生日期")),
            ("sex_age", self.tr("性别/年龄")),
            ("community", self.tr("社区/村")),
            ("address", self.tr("住址")),
            ("phone", self.tr("电话")),
            ("categories", self.tr("类别")),
            ("tier", self.tr("探访等级")),
            ("status", self.tr("状态")),
            ("schedule", self.tr("探访")),
            ("living", self.tr("居住情况")),
            ("health", self.tr("健康状况")),
            ("supporter", self.tr("赡养人")),
            ("emergency", self.tr("紧急联系人")),
            ("assigned", self.tr("责任人")),
            ("enrolled", self.tr("登记日期")),
            ("notes", self.tr("备注")),
        ):
            self.fields[key] = _label()
            form.addRow(text + "：", self.fields[key])
        details = QWidget()
        details.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(details)
        scroll.setMinimumWidth(400)
        scroll.setMaximumWidth(460)

        self.visits_model: ListTableModel[VisitSummary] = ListTableModel(
            [
                Column(self.tr("探访日期"), lambda v: v.visit_date),
                Column(self.tr("方式"), lambda v: v.method),
                Column(self.tr("探访人"), lambda v: v.visitors),
                Column(self.tr("状态"), lambda v: v.status_text),
                Column(self.tr("更正"), lambda v: self.tr("有更正") if v.amended else ""),
                Column(self.tr("下次探访"), lambda v: v.next_visit_on),
                Column(self.tr("发现的问题"), lambda v: v.problems.replace("\n", " ")),
            ]
        )
        self.visits_view = self._table(self.visits_model, (96, 48, 110, 60, 56, 96))
        self.visits_view.doubleClicked.connect(lambda i: self._open_visit(i.row()))
        self.visits_view.activated.connect(lambda i: self._open_visit(i.row()))
        self.referrals_model: ListTableModel[ReferralInfo] = ListTableModel(
            [
                Column(self.tr("去向"), lambda r: r.target),
                Column(self.tr("期限"), lambda r: r.due_on),
                Column(self.tr("跟进人"), lambda r: r.owner_name),
                Column(self.tr("状态"), lambda r: r.status.value),
                Column(self.tr("事项"), lambda r: r.description),
                Column(self.tr("办理结果"), lambda r: r.outcome),
            ]
        )
        self.referrals_view = self._table(self.referrals_model, (110, 96, 80, 64, 200))
        self.referrals_view.doubleClicked.connect(lambda i: self._referral(i.row()))
        self.history_model: ListTableModel[AuditRow] = ListTableModel(change_columns(self.tr))
        self.history_view = self._table(self.history_model, (130, 110, 50, 90, 160))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.visits_view, self.tr("探访记录"))
        self.tabs.addTab(self.referrals_view, self.tr("转介"))
        self.tabs.addTab(self.history_view, self.tr("变更记录"))

        body = QHBoxLayout()
        body.addWidget(scroll)
        body.addWidget(self.tabs, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        QShortcut(QKeySequence("Ctrl+N"), self, self._new_visit)
        QShortcut(QKeySequence("Alt+Left"), self, self.back.emit)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.back.emit)
        ctx.on_changed(self, self._on_changed)
        self.can_edit = can_edit
        self._focus_first_visit = False
        self.busy = BusyOverlay(self.tabs, self.tr("正在加载，请稍候…"))
        self.reader = BackgroundRead(ctx, self, self._set_busy)

    @staticmethod
    def _table(model, widths: tuple[int, ...]) -> QTableView:
        view = QTableView()
        view.setModel(model)
        configure_view(view)
        for col, width in enumerate(widths):
            view.setColumnWidth(col, width)
        return view

    # -- data ------------------------------------------------------------------------------------
    def show_resident(self, resident_id: str) -> None:
        """Show this resident: the page comes at once with a busy note, the details (a few
        hundred visits and their history at most) are read on the runner."""
        if resident_id != self.resident_id:
            self.detail = None
            self.title.setText(self.tr("正在加载…"))
            for label in self.fields.values():
                label.clear()
            for model in (self.visits_model, self.referrals_model, self.history_model):
                model.set_rows([])
            for i, text in enumerate((self.tr("探访记录"), self.tr("转介"), self.tr("变更记录"))):
                self.tabs.setTabText(i, text)  # not the last resident's counts meanwhile
        self.resident_id = resident_id
        self._focus_first_visit = True
        self.visits_view.setFocus()
        self.refresh()

    def _on_changed(self, tables: frozenset[str]) -> None:
        if self.resident_id and tables & ELDERLY_TABLES:
            self.refresh()

    def refresh(self) -> None:
        actor = self.ctx.actor
        rid = self.resident_id
        assert actor is not None and rid is not None
        self.reader.start(lambda s: roster.detail(s, actor, rid), self._arrived, self._not_found)

    def _set_busy(self, busy: bool) -> None:
        self.busy.set_busy(busy)
        for b in (
            self.visit_button,
            self.edit_button,
            self.tier_button,
            self.status_button,
            self.change_button,
        ):
            b.setEnabled(self.can_edit and not busy)
        self.print_button.setEnabled(not busy)

    def _not_found(self, exc: BaseException) -> None:
        if not isinstance(exc, NotFound):
            show_error(self, exc)
            return
        self.detail = None
        self.title.setText(self.tr("找不到这位老人（可能已被删除）"))

    def _arrived(self, detail: ResidentDetail) -> None:
        if detail.resident.id != self.resident_id:
            return
        self.detail = detail
        self._show(detail.resident)
        waiting = [c for c in detail.changes if not c.answered]
        if waiting:  # a major change waits for its visit within 24 hours
            c = waiting[0]
            text = self.tr("重大变化：{0}（{1} 获知），{2} 前应探访").format(
                c.kind, fmt_date(c.known_on), fmt_date(c.due)
            )
            if detail.change_proposal:
                text += "；" + detail.change_proposal
            self.fields["tier"].setText(self.fields["tier"].text() + "\n" + text)
            self.fields["tier"].setStyleSheet("color: #b00020;")
        else:
            self.fields["tier"].setStyleSheet("")
        self.visits_model.set_rows(detail.visits)
        self.referrals_model.set_rows(detail.referrals)
        self.history_model.set_rows(detail.history)
        open_refs = sum(1 for r in detail.referrals if r.status.is_open)
        self.tabs.setTabText(0, self.tr("探访记录（{0}）").format(len(detail.visits)))
        self.tabs.setTabText(1, self.tr("转介（待办 {0}）").format(open_refs))
        self.tabs.setTabText(2, self.tr("变更记录（{0}）").format(len(detail.history)))
        if self._focus_first_visit:
            self._focus_first_visit = False
            if self.visits_model.rowCount():
                self.visits_view.setCurrentIndex(self.visits_model.index(0, 0))

    def _show(self, r: ResidentInfo) -> None:
        today = date.today()
        self.title.setText(
            self.tr("{0}　{1}　{2} 岁　{3}").format(r.name, r.sex, r.age, r.status.value)
        )
        f = self.fields
        f["id_number"].setText(r.id_number)
        f["birth"].setText(fmt_date(r.birth_date))  # one date spelling everywhere
        f["sex_age"].setText(self.tr("{0}　{1} 岁").format(r.sex, r.age))
        f["community"].setText(r.community_name)
        f["address"].setText(r.address)
        f["phone"].setText(r.phone)
        f["categories"].setText("、".join(c.value for c in Category if c in r.categories) or "—")
        if r.tier_reason:
            tier = self.tr("{0}（调整原因：{1}；系统建议 {2}）").format(
                r.tier.value, r.tier_reason, r.suggested_tier.value
            )
        else:
            tier = self.tr("{0}（{1}）").format(r.tier.value, r.suggested_reason)
        f["tier"].setText(tier)
        status = r.status.value
        if r.status_date:
            status += self.tr("（{0}）").format(fmt_date(r.status_date))
        if r.status_note:
            status += " " + r.status_note
        f["status"].setText(status)
        overdue = rules.days_overdue(r.next_due, today)
        sched = self.tr("上次 {0}；下次应访 {1}").format(
            fmt_date(r.last_visit_on) or self.tr("无"), fmt_date(r.next_due) or self.tr("不安排")
        )
        if overdue:
            sched += self.tr("（已逾期 {0} 天）").format(overdue)
        f["schedule"].setText(sched)
        f["schedule"].setStyleSheet("color: #b00020;" if overdue else "")
        f["living"].setText(r.living_arrangement)
        f["health"].setText(r.health_notes)
        supporter = r.supporter_name
        if r.supporter_relation:
            supporter += f"（{r.supporter_relation}）"
        f["supporter"].setText(" ".join(p for p in (supporter, r.supporter_phone) if p))
        f["emergency"].setText(" ".join(p for p in (r.emergency_name, r.emergency_phone) if p))
        f["assigned"].setText(r.assigned_staff_name or "")
        f["enrolled"].setText(fmt_date(r.enrolled_on))
        f["notes"].setText(r.notes)

    @property
    def resident(self) -> ResidentInfo | None:
        return self.detail.resident if self.detail else None

    # -- actions ---------------------------------------------------------------------------------
    def _new_visit(self) -> None:
        if self.resident_id and self.visit_button.isEnabled():
            self.new_visit.emit(self.resident_id)

    def _open_visit(self, row: int) -> None:
        if self.resident_id and 0 <= row < self.visits_model.rowCount():
            self.open_visit.emit(self.resident_id, self.visits_model.row(row).id)

    def change_tier(self) -> None:
        from ui.elderly.resident_actions import TierDialog

        if self.resident:
            TierDialog(self.ctx, self, self.resident).exec()

    def record_change(self) -> None:
        from ui.elderly.resident_actions import ChangeDialog

        if self.resident:
            ChangeDialog(self.ctx, self, self.resident).exec()

    def change_status(self) -> None:
        from ui.elderly.resident_actions import StatusDialog

        if self.resident:
            StatusDialog(self.ctx, self, self.resident).exec()

    def _referral(self, row: int) -> None:
        from ui.elderly.resident_actions import ReferralDialog

        if 0 <= row < self.referrals_model.rowCount() and self.ctx.can(Permission.ELDERLY_EDIT):
            ReferralDialog(self.ctx, self, self.referrals_model.row(row)).exec()
