"""Small dialogs on a resident's page: change the tier (with a reason), change the status (with
its date), record a major change, and move a referral along (its outcome may report a major
change). Each stays open with the service's reason on refusal."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.dates import InvalidDate
from caseworker.domain.elderly import MajorChange, Status, Tier
from caseworker.domain.errors import CaseworkerError, ValidationError
from caseworker.domain.visit_form import ReferralStatus
from caseworker.services.elderly import changes, roster, visits
from caseworker.services.elderly.roster import ResidentInfo
from caseworker.services.elderly.visits import ReferralInfo
from ui.context import AppContext
from ui.widgets.dialogs import save_cancel
from ui.widgets.fields import DateField, ErrorLabel, FieldErrors


class _FormDialog(QDialog):
    """A form with Save/Cancel, field errors and a general error line."""

    def __init__(self, parent: QWidget | None, title: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.errors = FieldErrors()
        self.general = ErrorLabel()
        self.form = QFormLayout()
        buttons = save_cancel(self, self.save)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addLayout(self.form)
        self.layout_.addWidget(self.general)
        self.layout_.addWidget(buttons)
        self.setMinimumWidth(520)

    def save(self) -> None:
        self.errors.clear()
        self.general.say("")
        try:
            self.apply()
        except CaseworkerError as exc:
            self.errors.explain(exc, self.general.say)
            return
        self.accept()

    def apply(self) -> None:
        raise NotImplementedError


class TierDialog(_FormDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None, resident: ResidentInfo) -> None:
        super().__init__(parent, self.tr("调整探访等级"))
        self.ctx = ctx
        self.resident = resident
        self.tier = QComboBox()
        for t in Tier:
            self.tier.addItem(t.value, t.value)
        self.tier.setCurrentIndex(self.tier.findData(resident.tier.value))
        self.reason = QLineEdit(resident.tier_reason)
        self.reason.setPlaceholderText(self.tr("与系统建议不同时必须写明原因"))
        suggestion = QLabel(
            self.tr("系统建议：{0}（{1}）").format(
                resident.suggested_tier.value, resident.suggested_reason
            )
        )
        suggestion.setWordWrap(True)
        self.form.addRow(self.tr("当前等级："), QLabel(resident.tier.value))
        self.form.addRow("", suggestion)
        self.form.addRow(self.tr("调整为："), self.errors.add("tier", self.tier))
        self.form.addRow(self.tr("调整原因："), self.errors.add("tier_reason", self.reason))

    def apply(self) -> None:
        tier, reason, rid = Tier(self.tier.currentData()), self.reason.text(), self.resident.id
        self.ctx.write_wait(
            lambda s, a: roster.set_tier(s, a, rid, tier, reason),
            parent=self,
        )


class StatusDialog(_FormDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None, resident: ResidentInfo) -> None:
        super().__init__(parent, self.tr("变更状态"))
        self.ctx = ctx
        self.resident = resident
        self.status = QComboBox()
        for s in Status:
            self.status.addItem(s.value, s.value)
        self.status.setCurrentIndex(self.status.findData(resident.status.value))
        self.on = DateField(date.today())
        self.note = QLineEdit(resident.status_note)
        self.note.setPlaceholderText(self.tr("如：住院医院、迁往何处"))
        self.form.addRow(self.tr("状态："), self.errors.add("status", self.status))
        self.form.addRow(self.tr("日期*："), self.errors.add("status_date", self.on))
        self.form.addRow(self.tr("说明："), self.errors.add("status_note", self.note))
        self.form.addRow("", QLabel(self.tr("迁出、去世后不再安排探访，历史记录保留。")))

    def apply(self) -> None:
        try:
            on = self.on.value()
        except InvalidDate as exc:
            raise ValidationError(str(exc), field="status_date") from None
        if on is None:
            raise ValidationError(self.tr("请填写日期"), field="status_date")
        status, note, rid = Status(self.status.currentData()), self.note.text(), self.resident.id
        self.ctx.write_wait(
            lambda s, a: roster.set_status(s, a, rid, status, on, note),
            parent=self,
        )


class ChangeDialog(_FormDialog):
    """登记重大变化 by itself (a phone call, a neighbour): a visit is due the next day; the
    高风险 tier is proposed and, ticked (the default below 高风险), set in the same write."""

    def __init__(self, ctx: AppContext, parent: QWidget | None, resident: ResidentInfo) -> None:
        super().__init__(parent, self.tr("登记重大变化"))
        self.ctx = ctx
        self.resident = resident
        self.kind = QComboBox()
        for k in MajorChange:
            self.kind.addItem(k.value, k.value)
        self.known_on = DateField(date.today())
        self.occurred_on = DateField()
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("如：在家中跌倒，已送医；老伴去世，无人照料"))
        self.raise_tier = QCheckBox(self.tr("同时将探访等级调为高风险"))
        self.raise_tier.setChecked(resident.tier is not Tier.HIGH_RISK)
        self.raise_tier.setEnabled(resident.tier is not Tier.HIGH_RISK)
        self.form.addRow(self.tr("重大变化："), self.errors.add("kind", self.kind))
        self.form.addRow(self.tr("获知日期*："), self.errors.add("known_on", self.known_on))
        self.form.addRow(self.tr("发生日期："), self.errors.add("occurred_on", self.occurred_on))
        self.form.addRow(self.tr("说明："), self.errors.add("note", self.note))
        self.form.addRow("", self.raise_tier)
        self.form.addRow("", QLabel(self.tr("获知后 24 小时内（次日前）应上门探访。")))

    def apply(self) -> None:
        try:
            known, occurred = self.known_on.value(), self.occurred_on.value()
        except InvalidDate as exc:
            raise ValidationError(str(exc), field="known_on") from None
        if known is None:
            raise ValidationError(self.tr("请填写获知日期"), field="known_on")
        kind, note, rid = MajorChange(self.kind.currentData()), self.note.text(), self.resident.id
        raise_tier = self.raise_tier.isChecked()

        def job(s, a) -> None:  # type: ignore[no-untyped-def]
            changes.record(s, a, rid, kind, known, occurred_on=occurred, note=note)
            if raise_tier:
                roster.set_tier(s, a, rid, Tier.HIGH_RISK, f"重大变化：{kind.value}")

        self.ctx.write_wait(job, parent=self)


class ReferralDialog(_FormDialog):
    """待办 → 办理中 → 已办结 (closing needs the outcome)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None, referral: ReferralInfo) -> None:
        super().__init__(parent, self.tr("转介办理"))
        self.ctx = ctx
        self.referral = referral
        self.status = QComboBox()
        for s in ReferralStatus:
            self.status.addItem(s.value, s.value)
        self.status.setCurrentIndex(self.status.findData(referral.status.value))
        self.outcome = QLineEdit(referral.outcome)
        self.closed_on = DateField(referral.closed_on or date.today())
        self.form.addRow(
            self.tr("转介："),
            QLabel(
                self.tr("{0}　{1}　期限 {2}").format(
                    referral.target, referral.description, referral.due_on
                )
            ),
        )
        self.change = QComboBox()
        self.change.addItem(self.tr("无"), None)
        for k in MajorChange:
            self.change.addItem(k.value, k.value)
        self.change.setToolTip(self.tr("办理结果反映出重大变化时选择：24 小时内应探访"))
        self.form.addRow(self.tr("状态："), self.errors.add("status", self.status))
        self.form.addRow(self.tr("办理结果："), self.errors.add("outcome", self.outcome))
        self.form.addRow(self.tr("办结日期："), self.errors.add("closed_on", self.closed_on))
        self.form.addRow(self.tr("结果中的重大变化："), self.errors.add("changes", self.change))

    def apply(self) -> None:
        try:
            closed = self.closed_on.value()
        except InvalidDate as exc:
            raise ValidationError(str(exc), field="closed_on") from None
        status, outcome = ReferralStatus(self.status.currentData()), self.outcome.text()
        rid = self.referral.id
        change = MajorChange(self.change.currentData()) if self.change.currentData() else None
        self.ctx.write_wait(
            lambda s, a: visits.update_referral(
                s, a, rid, status, outcome, closed_on=closed, change=change
            ),
            parent=self,
        )
