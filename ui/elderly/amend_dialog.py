"""更正探访记录: correct one field of a completed visit, with the reason. The original stays."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.dates import InvalidDate
from caseworker.domain.errors import CaseworkerError, ValidationError
from caseworker.domain.visit_form import FIELDS_BY_NAME, Method
from caseworker.services.elderly import visits
from caseworker.services.elderly.visits import AMENDABLE, FIELD_LABELS, VisitInfo
from ui.context import AppContext
from ui.widgets.dialogs import save_cancel
from ui.widgets.fields import ChoiceRow, DateField, ErrorLabel, FieldErrors


class AmendDialog(QDialog):
    """Pick the field, type the new value and the reason; `result_info` is the amended visit."""

    def __init__(self, ctx: AppContext, parent: QWidget | None, visit: VisitInfo) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.visit = visit
        self.result_info: VisitInfo | None = None
        self.setWindowTitle(self.tr("更正探访记录"))
        self.field = QComboBox()
        for name in AMENDABLE:
            self.field.addItem(FIELD_LABELS.get(name, name), name)
        self.current = QLabel()
        self.current.setWordWrap(True)
        self.date_value = DateField()
        self.text_value = QLineEdit()
        self.choice_stack = QStackedWidget()
        self.choice_rows: dict[str, ChoiceRow] = {"method": ChoiceRow([m.value for m in Method])}
        for name, cf in FIELDS_BY_NAME.items():
            self.choice_rows[name] = ChoiceRow(cf.choices, cf.multi)
        for row in self.choice_rows.values():
            self.choice_stack.addWidget(row)
        self.editors = QStackedWidget()
        for w in (self.date_value, self.text_value, self.choice_stack):
            self.editors.addWidget(w)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("例如：录入时看错纸质表，按签字原件更正"))
        self.errors = FieldErrors()
        self.general = ErrorLabel()
        form = QFormLayout()
        form.addRow(self.tr("更正项目："), self.field)
        form.addRow(self.tr("现在的记录："), self.current)
        form.addRow(self.tr("改为："), self.errors.add("value", self.editors))
        form.addRow(self.tr("更正原因*："), self.errors.add("reason", self.reason))
        buttons = save_cancel(self, self.save, save_text="保存更正")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(
            QLabel(self.tr("原记录不会被覆盖：更正单独保存，注明原因、更正人和时间。"))
        )
        layout.addWidget(self.general)
        layout.addWidget(buttons)
        self.field.currentIndexChanged.connect(lambda _i: self._field_changed())
        self._field_changed()
        self.setMinimumWidth(640)

    def name(self) -> str:
        return str(self.field.currentData())

    def select_field(self, name: str) -> None:
        self.field.setCurrentIndex(self.field.findData(name))

    def _field_changed(self) -> None:
        from ui.elderly.visit_form import as_text

        name = self.name()
        value = getattr(self.visit.values, name)
        self.current.setText(as_text(value) or self.tr("（空）"))
        if name in visits.DATE_FIELDS:
            self.editors.setCurrentWidget(self.date_value)
            self.date_value.set_value(value)
        elif name in self.choice_rows:
            self.editors.setCurrentWidget(self.choice_stack)
            self.choice_stack.setCurrentWidget(self.choice_rows[name])
            self.choice_rows[name].set_value(as_text(value))
        else:
            self.editors.setCurrentWidget(self.text_value)
            self.text_value.setText(as_text(value))

    def new_value(self) -> object:
        from ui.elderly.visit_form import split_visitors

        name = self.name()
        if name in visits.DATE_FIELDS:
            try:
                return self.date_value.value()
            except InvalidDate as exc:
                raise ValidationError(str(exc), field="value") from None
        if name == "method":
            text = self.choice_rows[name].value()
            if not text:
                raise ValidationError(self.tr("请选择探访方式"), field="value")
            return Method(text)
        if name in self.choice_rows:
            return self.choice_rows[name].value()
        if name == "visitors":
            return split_visitors(self.text_value.text())
        return self.text_value.text()

    def save(self) -> None:
        self.errors.clear()
        self.general.say("")
        name = self.name()
        try:
            value = self.new_value()
            reason = self.reason.text()
            vid = self.visit.id
            today = date.today()
            self.result_info = self.ctx.write_wait(
                lambda s, a: visits.amend(s, a, vid, {name: value}, reason, today=today),
                parent=self,
            )
        except ValidationError as exc:
            target = "reason" if exc.field == "reason" else "value"
            self.errors.show(target, str(exc))
            return
        except CaseworkerError as exc:
            self.general.say(str(exc))
            return
        self.accept()
