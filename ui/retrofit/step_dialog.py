"""One step on a case (资格审核, 提交评估, 审批, 开工, 完工, 验收, 撤回…): the date, the reason
when the step needs one, and the step's own fields. The service decides; a refusal is shown here
and the dialog stays open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.dates import InvalidDate
from caseworker.domain.errors import CaseworkerError
from caseworker.domain.retrofit import TRANSITIONS, Action
from caseworker.services.retrofit import cases, contractors
from caseworker.services.retrofit.cases import CaseInfo, StepRequest
from ui.context import AppContext
from ui.widgets.dialogs import ok_cancel, save_and_accept
from ui.widgets.fields import ERROR_STYLE, DateField

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


REASON_LABELS: dict[Action, str] = {
    Action.REJECT: "不予受理的原因*",
    Action.RETURN: "退回的原因*",
    Action.FAIL: "验收发现的问题*",
    Action.WITHDRAW: "撤回的原因*",
    Action.TERMINATE: "终止的原因*",
    Action.SUBMIT: "评估意见",
}


class StepDialog(QDialog):
    def __init__(
        self,
        ctx: AppContext,
        case: CaseInfo,
        action: Action,
        parent: QWidget | None = None,
        summary: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.case = case
        self.action = action
        self.result_info: CaseInfo | None = None
        self.setWindowTitle(self.tr("{0} — {1}").format(action.value, case.name))
        form = QFormLayout()
        head = QLabel(
            self.tr("{0}　{1}　现在：{2}").format(case.case_no, case.name, case.step.value)
        )
        head.setStyleSheet("font-weight: bold;")
        form.addRow(head)
        # The figures being decided on (審批: the money), a row each: a wrapped sentence was cut
        # off by the dialog's height (issue 18).
        self.summary: dict[str, QLabel] = {}
        for label, value in summary or []:
            shown = QLabel(value)
            shown.setStyleSheet("font-weight: bold;")
            self.summary[label] = shown
            form.addRow(label + "：", shown)
        self.on = DateField(date.today())
        form.addRow(self.tr("日期"), self.on)
        self.contractor = QComboBox()
        self.start = DateField(date.today())
        self.planned_end = DateField(date.today() + timedelta(days=14))
        if action is Action.START:
            actor = ctx.actor
            assert actor is not None
            for c in ctx.read(lambda s: contractors.listing(s, actor)):
                self.contractor.addItem(c.name, c.id)
            form.addRow(self.tr("施工单位*"), self.contractor)
            form.addRow(self.tr("开工日期*"), self.start)
            form.addRow(self.tr("计划完工*"), self.planned_end)
        self.signed_by = QLineEdit(case.name)
        if action is Action.ACCEPT:
            form.addRow(self.tr("验收单签字人*"), self.signed_by)
            note = QLabel(self.tr("老人或家属已在打印的验收单上签字后再确认。"))
            note.setStyleSheet("color: #555;")
            form.addRow(note)
        self.reason = QLineEdit()
        if TRANSITIONS[action].needs_reason or action in REASON_LABELS:
            form.addRow(self.tr(REASON_LABELS.get(action, "说明")), self.reason)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        buttons = ok_cancel(self, action.value, self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(460, 0)

    def request(self) -> StepRequest:
        try:
            on = self.on.value()
            start = self.start.value()
            planned = self.planned_end.value()
        except InvalidDate as exc:
            raise CaseworkerError(str(exc)) from None
        return StepRequest(
            self.action,
            on=on,
            reason=self.reason.text(),
            contractor_id=self.contractor.currentData(),
            start=start,
            planned_end=planned,
            signed_by=self.signed_by.text(),
        )

    def save(self) -> None:
        def write() -> Callable[[Session, Any], CaseInfo]:
            request, case_id = self.request(), self.case.id
            return lambda s, a: cases.act(s, a, case_id, request)

        self.result_info = save_and_accept(self, self.ctx, self.error, write)[1]
