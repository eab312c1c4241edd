"""A case's page (opening it is logged): what was seen, verification and assessment, the timeline
of every step, the plan's services and the visits; the buttons are the steps the case allows."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.children import CaseAction
from caseworker.domain.roles import Role
from caseworker.services.children import cases
from caseworker.services.children.cases import CaseDetail
from ui.children.child_page import _table, visits_table
from ui.children.common import CHILD_TABLES
from ui.context import AppContext
from ui.widgets.table_models import Column

SUPERVISOR_ACTIONS = {CaseAction.ASSESS, CaseAction.PLAN, CaseAction.CLOSE, CaseAction.REOPEN}


class CasePage(QWidget):
    back = Signal()
    action = Signal(str, str)  # (CaseAction value | "finish_service" | "print_summary", id)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.case_id: str | None = None
        self.detail: CaseDetail | None = None
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.urgent = QLabel()
        self.urgent.setStyleSheet("color: white; background: #b00020; padding: 2px 8px;")
        back = QPushButton(self.tr("← 返回儿童档案"))
        back.setToolTip("Esc")
        back.clicked.connect(self.back)
        head = QHBoxLayout()
        head.addWidget(back)
        head.addWidget(self.title)
        head.addWidget(self.urgent)
        head.addStretch()
        self.texts: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, label in (
            ("summary", "个案"),
            ("seen", "发现的情况"),
            ("verify", "核实情况"),
            ("assess", "评估意见"),
        ):
            value = QLabel()
            value.setWordWrap(True)
            value.setObjectName(f"text_{key}")
            self.texts[key] = value
            form.addRow(self.tr(label) + "：", value)
        top = QWidget()
        top.setLayout(form)
        self.events_view, self.events = _table(
            [
                Column(self.tr("日期"), lambda e: e.on_date),
                Column(self.tr("事项"), lambda e: e.action),
                Column(self.tr("之后阶段"), lambda e: e.step_after),
                Column(self.tr("经办人"), lambda e: e.actor_name),
                Column(self.tr("说明"), lambda e: e.note),
            ],
            (86, 90, 70, 90),
        )
        self.services_view, self.services = _table(
            [
                Column(self.tr("服务"), lambda s: s.kind),
                Column(self.tr("内容"), lambda s: s.description),
                Column(self.tr("责任人"), lambda s: s.owner_name),
                Column(self.tr("期限"), lambda s: s.due_on),
                Column(self.tr("状态"), lambda s: s.status),
                Column(self.tr("结果"), lambda s: s.outcome),
            ],
            (80, 220, 70, 86, 60),
        )
        self.visits_view, self.visits = visits_table(self.tr, child_seen=False)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.events_view, self.tr("个案经过"))
        self.tabs.addTab(self.services_view, self.tr("帮扶计划"))
        self.tabs.addTab(self.visits_view, self.tr("回访"))
        split = QSplitter()
        split.setOrientation(split.orientation().Vertical)
        split.addWidget(top)
        split.addWidget(self.tabs)
        self.buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        for key, text in (
            (CaseAction.VERIFY.value, "核实"),
            (CaseAction.ASSESS.value, "风险评估"),
            (CaseAction.PLAN.value, "帮扶计划"),
            (CaseAction.VISIT.value, "登记回访"),
            ("finish_service", "服务办结"),
            (CaseAction.CLOSE.value, "结案"),
            (CaseAction.REOPEN.value, "重新开案"),
            ("print_summary", "打印个案摘要"),
        ):
            button = QPushButton(self.tr(text))
            button.setObjectName(f"case_{key}")
            button.clicked.connect(lambda _c=False, k=key: self._act(k))
            self.buttons[key] = button
            bar.addWidget(button)
        bar.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(split, 1)
        layout.addLayout(bar)
        QShortcut(QKeySequence("Esc"), self, self.back)
        ctx.on_changed(self, self._on_changed)

    def show_case(self, case_id: str) -> None:
        self.case_id = case_id
        self._show(self.ctx.write_wait(lambda s, a: cases.detail(s, a, case_id), parent=self))

    def refresh(self) -> None:
        if self.case_id:
            cid = self.case_id
            self._show(
                self.ctx.write_wait(lambda s, a: cases.detail(s, a, cid, action=None), parent=self)
            )

    def _on_changed(self, tables: frozenset[str]) -> None:
        if tables & CHILD_TABLES and self.case_id and self.isVisible():
            self.refresh()

    def _show(self, d: CaseDetail) -> None:
        self.detail = d
        c = d.case
        self.title.setText(self.tr("{0} 的个案　{1}").format(c.child_name, c.step.value))
        self.urgent.setText(self.tr("紧急：") + "、".join(c.urgent_reasons))
        self.urgent.setVisible(c.urgent)
        due = f"，下次回访 {c.next_visit_due}" if c.next_visit_due else ""
        self.texts["summary"].setText(
            f"{c.reported_on} {c.source}报告{('，风险' + c.risk) if c.risk else ''}"
            f"{('，需求：' + '、'.join(c.needs)) if c.needs else ''}{due}"
            f"{('，' + str(c.closed_on) + ' 结案：' + c.close_reason) if c.closed_on else ''}"
        )
        self.texts["seen"].setText(d.seen_text)
        self.texts["verify"].setText(d.verify_notes)
        self.texts["assess"].setText(d.assessment_notes)
        self.events.set_rows(d.events)
        self.services.set_rows(d.services)
        self.visits.set_rows(d.visits)
        supervisor = self.ctx.actor is not None and self.ctx.actor.role is Role.CHILD_SUPERVISOR
        for action in CaseAction:
            button = self.buttons.get(action.value)
            if button is None:
                continue
            allowed = action in d.allowed and (supervisor or action not in SUPERVISOR_ACTIONS)
            button.setEnabled(allowed)
        self.buttons["finish_service"].setEnabled(any(s.status == "待办" for s in d.services))

    def selected_service(self) -> str | None:
        index = self.services_view.currentIndex()
        rows = self.services.rows
        if index.isValid():
            return rows[index.row()].id
        open_ = [s for s in rows if s.status == "待办"]
        return open_[0].id if open_ else None

    def _act(self, key: str) -> None:
        if self.case_id:
            self.action.emit(key, self.case_id)
