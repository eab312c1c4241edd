"""The application form (改造申请): who applies, their household categories, and the
eligibility rule's answer shown live with its reason. Also corrects an application."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain import idnumber
from caseworker.domain.dates import InvalidDate
from caseworker.domain.errors import CaseworkerError
from caseworker.domain.retrofit import CHOSEN_HOUSEHOLD_CATEGORIES, eligibility
from caseworker.services import accounts
from caseworker.services.retrofit import cases
from caseworker.services.retrofit.cases import ApplicationDraft, CaseInfo
from ui.context import AppContext
from ui.widgets.dialogs import save_and_accept, save_cancel
from ui.widgets.fields import ERROR_STYLE, DateField

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class ApplicationDialog(QDialog):
    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        draft: ApplicationDraft | None = None,
        case: CaseInfo | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.case = case
        self.result_info: CaseInfo | None = None
        self.resident_id = draft.resident_id if draft else case.resident_id if case else None
        self.setWindowTitle(self.tr("改造申请") if case is None else self.tr("修改申请信息"))
        self.name = QLineEdit()
        self.id_number = QLineEdit()
        self.id_hint = QLabel()
        self.community = QComboBox()
        for c in ctx.read(accounts.communities):
            self.community.addItem(c.name, c.id)
        self.phone = QLineEdit()
        self.address = QLineEdit()
        self.contact_name = QLineEdit()
        self.contact_phone = QLineEdit()
        self.applied_on = DateField(date.today())
        self.note = QLineEdit()
        self.boxes: dict[str, QCheckBox] = {}
        cats = QWidget()
        grid = QGridLayout(cats)
        grid.setContentsMargins(0, 0, 0, 0)
        for n, c in enumerate(CHOSEN_HOUSEHOLD_CATEGORIES):
            box = QCheckBox(c.value)
            box.toggled.connect(lambda _on: self._update_rule())
            self.boxes[c.value] = box
            grid.addWidget(box, n // 3, n % 3)
        self.rule = QLabel()
        self.rule.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("姓名*"), self.name)
        form.addRow(self.tr("身份证号*"), self.id_number)
        form.addRow("", self.id_hint)
        form.addRow(self.tr("社区/村*"), self.community)
        form.addRow(self.tr("住址*"), self.address)
        form.addRow(self.tr("联系电话"), self.phone)
        form.addRow(self.tr("家属/联系人"), self.contact_name)
        form.addRow(self.tr("联系人电话"), self.contact_phone)
        form.addRow(self.tr("家庭类别"), cats)
        form.addRow(self.tr("补贴资格"), self.rule)
        form.addRow(self.tr("申请日期"), self.applied_on)
        form.addRow(self.tr("申请说明"), self.note)
        buttons = save_cancel(self, self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.id_number.textChanged.connect(lambda _t: self._update_rule())
        if case is not None:
            self._fill(
                ApplicationDraft(
                    case.name,
                    case.id_number,
                    case.community_id,
                    case.phone,
                    case.address,
                    case.contact_name,
                    case.contact_phone,
                    case.categories,
                    case.application_note,
                    case.applied_on,
                )
            )
            self.applied_on.setEnabled(False)
        elif draft is not None:
            self._fill(draft)
        self._update_rule()
        self.resize(560, 0)

    def _fill(self, d: ApplicationDraft) -> None:
        self.name.setText(d.name)
        self.id_number.setText(d.id_number)
        i = self.community.findData(d.community_id)
        if i >= 0:
            self.community.setCurrentIndex(i)
        self.phone.setText(d.phone)
        self.address.setText(d.address)
        self.contact_name.setText(d.contact_name)
        self.contact_phone.setText(d.contact_phone)
        self.note.setText(d.note)
        if d.applied_on:
            self.applied_on.set_value(d.applied_on)
        for c in d.categories:
            if c.value in self.boxes:
                self.boxes[c.value].setChecked(True)

    def categories(self) -> frozenset:
        return frozenset(c for c in CHOSEN_HOUSEHOLD_CATEGORIES if self.boxes[c.value].isChecked())

    def _update_rule(self) -> None:
        try:
            parsed = idnumber.parse(self.id_number.text())
        except idnumber.InvalidIdNumber as exc:
            self.id_hint.setText(str(exc) if self.id_number.text().strip() else "")
            self.rule.setText(self.tr("填写身份证号后自动判断"))
            return
        today = date.today()
        self.id_hint.setText(
            self.tr("{0}，{1}，{2} 岁").format(
                parsed.birth_date.isoformat(), parsed.sex, parsed.age_on(today)
            )
        )
        result = eligibility(self.categories(), parsed.birth_date, today)
        mark = self.tr("✔ 符合政府补贴条件：") if result.eligible else self.tr("✘ 不符合补贴条件：")
        self.rule.setText(mark + result.reason)
        self.rule.setStyleSheet("color: #2e7d32;" if result.eligible else "color: #8d6e00;")

    def draft(self) -> ApplicationDraft:
        try:
            applied = self.applied_on.value()
        except InvalidDate as exc:
            raise CaseworkerError(str(exc)) from None
        return ApplicationDraft(
            name=self.name.text(),
            id_number=self.id_number.text(),
            community_id=self.community.currentData() or "",
            phone=self.phone.text(),
            address=self.address.text(),
            contact_name=self.contact_name.text(),
            contact_phone=self.contact_phone.text(),
            categories=self.categories(),
            note=self.note.text(),
            applied_on=applied,
            resident_id=self.resident_id,
        )

    def save(self) -> None:
        def write() -> Callable[[Session, Any], CaseInfo]:
            draft, case = self.draft(), self.case
            if case is None:
                return lambda s, a: cases.apply(s, a, draft)
            return lambda s, a: cases.update_application(s, a, case.id, draft)

        self.result_info = save_and_accept(self, self.ctx, self.error, write)[1]
