"""Pieces the 儿童关爱 screens share: the tables they listen to, a keyboard-first form dialog that
saves through a service on the DB worker and shows a refusal beside the field at fault."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.dates import InvalidDate
from caseworker.domain.errors import CaseworkerError
from ui.context import AppContext
from ui.widgets.dialogs import save_cancel
from ui.widgets.fields import DateField, ErrorLabel, FieldErrors, MultiLineField

# The programme 3 tables its views show: a view refreshes when `ctx.changed` (the tables a
# write actually wrote) names one. The view log is left out: opening a page writes it, and that
# must not make every other view reload.
CHILD_TABLES = frozenset(
    {
        "child",
        "child_guardian",
        "child_condition",
        "child_case",
        "child_case_event",
        "child_plan_service",
        "child_visit",
    }
)
CONFIDENTIAL = "保密"


def combo(items: Iterable[tuple[str, Any]], current: Any = None) -> QComboBox:
    box = QComboBox()
    for label, data in items:
        box.addItem(label, data)
    if current is not None:
        index = box.findData(current)
        if index >= 0:
            box.setCurrentIndex(index)
    return box


class Checks(QWidget):
    """Several tick boxes in a row; `value()` is the set of ticked labels."""

    def __init__(self, labels: Sequence[str], checked: Iterable[str] = ()) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        on = set(checked)
        self.boxes = []
        for label in labels:
            box = QCheckBox(label)
            box.setChecked(label in on)
            self.boxes.append(box)
            row.addWidget(box)
        row.addStretch()

    def value(self) -> frozenset[str]:
        return frozenset(b.text() for b in self.boxes if b.isChecked())


class FormDialog(QDialog):
    """Fields in the paper form's order; 保存 (Enter in a line, Ctrl+S anywhere) runs `submit`
    on the DB worker in one transaction; a ValidationError lands beside its field, nothing saved."""

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None,
        title: str,
        submit: Callable[[Any, Any, dict[str, Any]], Any],
        *,
        note: str = "",
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.submit = submit
        self.result_value: Any = None
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.errors = FieldErrors()
        self.widgets: dict[str, QWidget] = {}
        self.general = ErrorLabel()
        self.general.setObjectName("general_error")
        layout = QVBoxLayout(self)
        if note:
            label = QLabel(note)
            label.setWordWrap(True)
            label.setStyleSheet("color: #555;")
            layout.addWidget(label)
        layout.addLayout(self.form)
        layout.addWidget(self.general)
        self.buttons = save_cancel(self)
        layout.addWidget(self.buttons)
        QShortcut(QKeySequence("Ctrl+S"), self, self.accept)
        self.setMinimumWidth(560)

    def add(self, name: str, label: str, widget: QWidget) -> QWidget:
        widget.setObjectName(name)
        self.widgets[name] = widget
        self.form.addRow(label, self.errors.add(name, widget))
        if isinstance(widget, MultiLineField):
            widget.submit.connect(self.accept)
        return widget

    def value(self, name: str) -> Any:
        w = self.widgets[name]
        if isinstance(w, DateField):
            return w.value()
        if isinstance(w, MultiLineField):
            return w.toPlainText()
        if isinstance(w, QLineEdit):
            return w.text()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QSpinBox):
            return w.value() or None
        if isinstance(w, Checks):
            return w.value()
        raise TypeError(name)

    def values(self) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        for name in self.widgets:
            try:
                out[name] = self.value(name)
            except InvalidDate as exc:
                self.errors.show(name, str(exc))
                return None
        return out

    def accept(self) -> None:
        self.errors.clear()
        self.general.say("")
        values = self.values()
        if values is None:
            return
        try:
            self.result_value = self.ctx.write_wait(
                lambda s, a: self.submit(s, a, values), parent=self
            )
        except CaseworkerError as exc:
            self.errors.explain(exc, self.general.say)
            return
        super().accept()
