"""A child's page: details in full (opening it is logged), categories with their reasons and
dates, parents and guardians, conditions with evidence, cases (the timeline is on the case
page), visits and the record's history. Buttons lead to every form the child needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.children import ChildCategory
from caseworker.domain.roles import Role
from caseworker.services.children import register
from caseworker.services.children.register import ChildDetail
from ui.children.common import CHILD_TABLES
from ui.context import AppContext
from ui.widgets.audit_page import change_columns
from ui.widgets.table_models import Column, ListTableModel, configure_view


def _table(columns: list[Column], widths: tuple[int, ...]) -> tuple[QTableView, ListTableModel]:
    model: ListTableModel = ListTableModel(columns)
    view = QTableView()
    view.setModel(model)
    configure_view(view)
    for col, width in enumerate(widths):
        view.setColumnWidth(col, width)
    return view, model


def visits_table(
    tr: Callable[[str], str], *, child_seen: bool
) -> tuple[QTableView, ListTableModel]:
    """A child's 回访 (on the child's page, and a case's own on the case page): the same rows,
    the case page without 见到儿童 (its visits are all to the child of the case)."""
    seen = [Column(tr("见到儿童"), lambda v: v.child_seen)] if child_seen else []
    columns = [
        Column(tr("日期"), lambda v: v.visit_date),
        Column(tr("方式"), lambda v: v.method),
        Column(tr("回访人"), lambda v: v.visitor_name),
        *seen,
        Column(tr("安全隐患"), lambda v: v.safety_concern),
        Column(tr("情况"), lambda v: v.notes),
    ]
    return _table(columns, (86, 50, 70, 60, 60) if child_seen else (86, 50, 70, 60))


class ChildPage(QWidget):
    back = Signal()
    open_case = Signal(str)
    action = Signal(str, str)  # (what, id): edit, guardian, condition, end_condition, report,
    #                                  visit, print_file, remove_category

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.child_id: str | None = None
        self.detail: ChildDetail | None = None
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        secret = QLabel(self.tr("保密"))
        secret.setStyleSheet("color: #b00020; border: 1px solid #b00020; padding: 1px 6px;")
        back = QPushButton(self.tr("← 返回台账"))
        back.setToolTip("Esc")
        back.clicked.connect(self.back)
        head = QHBoxLayout()
        head.addWidget(back)
        head.addWidget(self.title)
        head.addWidget(secret)
        head.addStretch()
        self.facts = QGridLayout()
        self.fact_labels: dict[str, QLabel] = {}
        for i, (key, label) in enumerate(
            [
                ("id_number", "身份证号"),
                ("birth", "出生日期/年龄"),
                ("community", "社区/村"),
                ("address", "住址"),
                ("phone", "电话"),
                ("school", "学校"),
                ("living", "居住情况"),
                ("director", "儿童主任"),
                ("categories", "已登记类别"),
                ("notes", "备注"),
            ]
        ):
            value = QLabel()
            value.setWordWrap(True)
            value.setObjectName(f"fact_{key}")
            self.fact_labels[key] = value
            self.facts.addWidget(QLabel(self.tr(label) + "："), i // 2, (i % 2) * 2)
            self.facts.addWidget(value, i // 2, (i % 2) * 2 + 1)
        self.facts.setColumnStretch(1, 1)
        self.facts.setColumnStretch(3, 1)
        self.warning = QLabel()
        self.warning.setStyleSheet("color: #b06000;")
        self.warning.setWordWrap(True)

        self.findings_view, self.findings = _table(
            [
                Column(self.tr("类别"), lambda f: f.category.value),
                Column(self.tr("是否符合"), lambda f: "符合" if f.holds else "—"),
                Column(self.tr("自何日"), lambda f: f.eligible_from),
                Column(self.tr("状态"), lambda f: f.state),
                Column(self.tr("依据"), lambda f: f.reason),
            ],
            (130, 60, 86, 70),
        )
        self.guardians_view, self.guardians = _table(
            [
                Column(self.tr("关系"), lambda g: g.relation),
                Column(self.tr("姓名"), lambda g: g.name),
                Column(self.tr("电话"), lambda g: g.phone),
                Column(self.tr("同住"), lambda g: g.lives_with_child),
                Column(self.tr("实际监护人"), lambda g: g.is_guardian),
                Column(self.tr("住址"), lambda g: g.address),
            ],
            (60, 80, 110, 40, 70),
        )
        self.conditions_view, self.conditions = _table(
            [
                Column(self.tr("对象"), lambda c: c.subject),
                Column(self.tr("情形"), lambda c: c.kind),
                Column(self.tr("起始"), lambda c: c.start_on),
                Column(self.tr("截止/结束"), lambda c: c.ended_on or c.end_on),
                Column(self.tr("认定"), lambda c: c.status.reason),
                Column(
                    self.tr("证明材料"),
                    lambda c: (
                        f"{c.evidence_kind} {c.evidence_issuer} {c.evidence_number} {c.evidence_date}"
                    ),
                ),
                Column(self.tr("说明"), lambda c: c.evidence_description),
            ],
            (70, 90, 86, 86, 260, 240),
        )
        self.cases_view, self.cases = _table(
            [
                Column(self.tr("报告日期"), lambda c: c.reported_on),
                Column(self.tr("来源"), lambda c: c.source),
                Column(self.tr("阶段"), lambda c: c.step.value),
                Column(self.tr("风险"), lambda c: c.risk),
                Column(self.tr("紧急"), lambda c: "、".join(c.urgent_reasons)),
                Column(self.tr("下次回访"), lambda c: c.next_visit_due),
                Column(self.tr("结案"), lambda c: f"{c.closed_on or ''} {c.close_reason}".strip()),
            ],
            (86, 80, 70, 40, 90, 86),
        )
        self.cases_view.doubleClicked.connect(self._open_case_row)
        self.cases_view.activated.connect(self._open_case_row)
        self.visits_view, self.visits = visits_table(self.tr, child_seen=True)
        self.history_view, self.history = _table(change_columns(self.tr), (130, 80, 50, 90, 160))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.findings_view, self.tr("类别认定"))
        self.tabs.addTab(self.guardians_view, self.tr("父母/监护人"))
        self.tabs.addTab(self.conditions_view, self.tr("情形与证明"))
        self.tabs.addTab(self.cases_view, self.tr("个案"))
        self.tabs.addTab(self.visits_view, self.tr("回访"))
        self.tabs.addTab(self.history_view, self.tr("修改记录"))

        self.buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        for key, text in (
            ("edit", "修改资料"),
            ("guardian", "添加父母/监护人"),
            ("condition", "登记情形"),
            ("end_condition", "情形结束"),
            ("confirm", "确认新符合的类别"),
            ("remove_category", "复核移除类别"),
            ("report", "发现报告（新个案）"),
            ("visit", "登记回访"),
            ("leave", "离册…"),
            ("print_file", "打印档案"),
        ):
            button = QPushButton(self.tr(text))
            button.setObjectName(f"button_{key}")
            button.clicked.connect(lambda _c=False, k=key: self._act(k))
            self.buttons[key] = button
            bar.addWidget(button)
        bar.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(self.facts)
        layout.addWidget(self.warning)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bar)
        QShortcut(QKeySequence("Esc"), self, self.back)
        QShortcut(QKeySequence("Alt+Left"), self, self.back)
        for key, seq in (
            ("edit", "Ctrl+E"),
            ("report", "Ctrl+Shift+R"),
            ("visit", "Ctrl+N"),
            ("print_file", "Ctrl+P"),
        ):
            self.buttons[key].setToolTip(seq)
            QShortcut(QKeySequence(seq), self, lambda k=key: self._act(k))
        ctx.on_changed(self, self._on_changed)

    def show_child(self, child_id: str) -> None:
        """Open (and log) the child's page."""
        actor = self.ctx.actor
        assert actor is not None
        self.child_id = child_id
        self._show(self.ctx.write_wait(lambda s, a: register.detail(s, a, child_id), parent=self))

    def refresh(self) -> None:
        if self.child_id is None:
            return
        cid = self.child_id
        self._show(
            self.ctx.write_wait(lambda s, a: register.detail(s, a, cid, action=None), parent=self)
        )

    def _on_changed(self, tables: frozenset[str]) -> None:
        if tables & CHILD_TABLES and self.child_id and self.isVisible():
            self.refresh()

    def _show(self, d: ChildDetail) -> None:
        self.detail = d
        c = d.child
        self.title.setText(f"{c.name}　{c.sex}　{c.age} 岁")
        f = self.fact_labels
        f["id_number"].setText(c.id_number)
        f["birth"].setText(f"{c.birth_date}（{c.age} 岁，{c.turns_18_on} 满 18 周岁）")
        f["community"].setText(c.community_name)
        f["address"].setText(c.address)
        f["phone"].setText(c.phone)
        f["school"].setText(f"{c.school} {c.grade}".strip())
        f["living"].setText(c.living_arrangement)
        f["director"].setText(c.director_name or "")
        f["categories"].setText(
            "、".join(sorted(x.value for x in c.categories)) or self.tr("（无）")
        )
        f["notes"].setText(c.notes)
        notes = [c.age_warning, c.categories_note]
        if not c.on_register:
            notes.insert(0, self.tr("已于 {0} 离册（{1}）").format(c.left_on, c.left_reason))
        elif d.leave_proposal is not None:
            notes.insert(0, self.tr("建议离册：{0}").format(d.leave_proposal.text))
        self.warning.setText("　".join(n for n in notes if n))
        review = {x.category for x in d.categories.review.to_review}
        new = {x.category for x in d.categories.review.to_add}
        rows = []
        for x in d.categories.findings:
            if not (x.holds or x.eligible_from or x.category in c.categories):
                continue
            state = "待复核" if x.category in review else "新符合" if x.category in new else ""
            if not x.holds and x.eligible_from:
                state = "即将符合"
            elif x.holds and not state:
                state = "已登记"
            rows.append(_FindingRow(x.category, x.holds, x.eligible_from, x.reason, state))
        self.findings.set_rows(rows)
        self.guardians.set_rows(d.guardians)
        self.conditions.set_rows(d.conditions)
        self.cases.set_rows(d.cases)
        self.visits.set_rows(d.visits)
        self.history.set_rows(d.history)
        self.buttons["confirm"].setEnabled(bool(new))
        self.buttons["remove_category"].setEnabled(bool(review))
        self.buttons["end_condition"].setEnabled(bool(d.conditions))
        # 离册 (and 恢复在册) close or reopen the register: the child supervisor's, as closing
        self.buttons["leave"].setText(self.tr("离册…") if c.on_register else self.tr("恢复在册…"))
        self.buttons["leave"].setEnabled(self.can_supervise())

    def selected_condition(self) -> str | None:
        index = self.conditions_view.currentIndex()
        if not index.isValid():
            return None
        return self.conditions.row(index.row()).id

    def selected_case(self) -> str | None:
        index = self.cases_view.currentIndex()
        rows = self.cases.rows
        if index.isValid():
            return rows[index.row()].id
        open_ = [c for c in rows if c.step.value != "结案"]
        return open_[0].id if open_ else None

    def _open_case_row(self, index: QModelIndex) -> None:
        self.open_case.emit(self.cases.row(index.row()).id)

    def _act(self, key: str) -> None:
        if self.child_id:
            self.action.emit(key, self.child_id)

    def can_supervise(self) -> bool:
        return self.ctx.actor is not None and self.ctx.actor.role is Role.CHILD_SUPERVISOR


@dataclass(frozen=True)
class _FindingRow:
    """One line of the categories table."""

    category: ChildCategory
    holds: bool
    eligible_from: date | None
    reason: str
    state: str
