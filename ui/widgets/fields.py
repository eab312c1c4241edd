"""Form fields every programme's screens share: typed date fields (with their weekday), text
boxes, tick-box choice rows, errors shown next to the field at fault, and date formatting."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.dates import InvalidDate, parse_date
from caseworker.domain.errors import CaseworkerError, ValidationError
from ui.messages import tr

ERROR_STYLE = "color: #b00020;"


def heading(text: str) -> QLabel:
    """A page's title, as every page shows it."""
    label = QLabel(text)
    label.setStyleSheet("font-size: 14pt; font-weight: bold;")
    return label


def fmt_date(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def fmt_local(value: datetime | None) -> str:
    """A stored timestamp (naive UTC) as local time, as people read it."""
    if value is None:
        return ""
    return value.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")


WEEKDAYS = "一二三四五六日"


class DateField(QLineEdit):
    """A date typed as people write it (2026-11-29, 2026/11/29, 2026年11月29日, 20261129, or
    this year's 11.29 / 11-29 / 1129). While typing, the date understood is shown beside the
    field (with the weekday); on leaving the field it is written back as 2026-11-29."""

    def __init__(self, value: date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(tr("如 2026-11-29 或 11.29"))
        self.setMaximumWidth(160)
        self.set_value(value)
        self.textEdited.connect(self._show_reading)

    def reading(self) -> str:
        """What the typed text is understood as ("" when empty or not a date)."""
        try:
            value = self.value()
        except InvalidDate:
            return ""
        if value is None:
            return ""
        return tr("即 {0}（星期{1}）").format(fmt_date(value), WEEKDAYS[value.weekday()])

    def _show_reading(self, _text: str) -> None:
        text = self.reading()
        self.setToolTip(text)
        if text and self.isVisible():
            QToolTip.showText(self.mapToGlobal(self.rect().bottomLeft()), text, self)
        else:
            QToolTip.hideText()

    def set_value(self, value: date | None) -> None:
        self.setText(fmt_date(value))

    def value(self) -> date | None:
        """The date, None when empty; InvalidDate (Chinese message) when it is not a date."""
        if not self.text().strip():
            return None
        return parse_date(self.text())

    def focusOutEvent(self, event: QFocusEvent) -> None:
        # Show the date in one spelling once typed, so the person sees what was understood.
        try:
            value = self.value()
        except InvalidDate:
            pass
        else:
            if value is not None:
                self.set_value(value)
        super().focusOutEvent(event)


class MultiLineField(QPlainTextEdit):
    """Free text over a few lines; Tab moves on (it never types a tab), Ctrl+Enter submits."""

    submit = Signal()

    def __init__(self, text: str = "", lines: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlainText(text)
        self.setTabChangesFocus(True)
        height = self.fontMetrics().lineSpacing() * lines + 12
        self.setFixedHeight(height)

    def text(self) -> str:
        return self.toPlainText()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.submit.emit()
            return
        super().keyPressEvent(event)


class ChoiceRow(QWidget):
    """The paper form's tick boxes for one question. Keyboard: Tab lands on the row, digits
    1-9 tick the n-th choice (one choice only unless `multi`), 0 or Delete clears."""

    changed = Signal()

    def __init__(self, choices: Sequence[str], multi: bool = False) -> None:
        super().__init__()
        self.choices = tuple(choices)
        self.multi = multi
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.boxes: list[QCheckBox] = []
        row = QHBoxLayout(self)
        row.setContentsMargins(2, 0, 2, 0)
        row.setSpacing(10)
        for i, choice in enumerate(self.choices, start=1):
            box = QCheckBox(f"{i} {choice}" if i < 10 else choice)
            box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            box.toggled.connect(lambda on, b=box: self._toggled(b, on))
            self.boxes.append(box)
            row.addWidget(box)
        row.addStretch()
        self.setObjectName("choiceRow")
        self.setStyleSheet("#choiceRow:focus { background: #dce8f7; border-radius: 3px; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._busy = False

    def _toggled(self, box: QCheckBox, on: bool) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            if on and not self.multi:
                for other in self.boxes:
                    if other is not box:
                        other.setChecked(False)
            if on and self.multi:
                none = self.choices.index("无") if "无" in self.choices else -1
                if none >= 0:
                    if box is self.boxes[none]:
                        for i, other in enumerate(self.boxes):
                            if i != none:
                                other.setChecked(False)
                    else:
                        self.boxes[none].setChecked(False)
        finally:
            self._busy = False
        self.changed.emit()

    def value(self) -> str:
        """The ticked choices joined by "、" (as stored), "" when none."""
        return "、".join(c for c, b in zip(self.choices, self.boxes, strict=True) if b.isChecked())

    def set_value(self, value: str) -> None:
        picked = {p for p in value.split("、") if p}
        self._busy = True
        try:
            for choice, box in zip(self.choices, self.boxes, strict=True):
                box.setChecked(choice in picked)
        finally:
            self._busy = False
        self.changed.emit()

    def set_read_only(self, read_only: bool) -> None:
        for box in self.boxes:
            box.setEnabled(not read_only)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if text.isdigit() and text != "0":
            n = int(text) - 1
            if n < len(self.boxes) and self.boxes[n].isEnabled():
                self.boxes[n].toggle()
            return
        if event.key() in (Qt.Key.Key_0, Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            if all(b.isEnabled() for b in self.boxes):
                self.set_value("")
            return
        super().keyPressEvent(event)


class ErrorLabel(QLabel):
    """Red text under a field; hidden while there is nothing to say."""

    def __init__(self) -> None:
        super().__init__()
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(True)
        self.hide()

    def say(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))


def with_error(field: QWidget, error: ErrorLabel) -> QWidget:
    """A field with its error label below it, for a form row."""
    box = QWidget()
    col = QVBoxLayout(box)
    col.setContentsMargins(0, 0, 0, 0)
    col.setSpacing(1)
    col.addWidget(field)
    col.addWidget(error)
    col.addStretch()
    return box


def _edit_signals(widget: QWidget) -> list[Any]:
    """The signals that say a person changed `widget`'s value."""
    for attr in ("textEdited", "currentIndexChanged", "toggled", "valueChanged"):
        signal = getattr(widget, attr, None)
        if signal is not None:
            return [signal]
    if hasattr(widget, "textChanged"):  # QPlainTextEdit
        return [widget.textChanged]  # type: ignore[attr-defined]
    boxes = getattr(widget, "boxes", None)  # Checks: a row of check boxes
    return [b.toggled for b in boxes] if boxes else []


class FieldErrors:
    """Field name → (widget, error label): show a service's refusal next to the field at fault."""

    def __init__(self) -> None:
        self.fields: dict[str, tuple[QWidget, ErrorLabel]] = {}

    def add(self, name: str, widget: QWidget) -> QWidget:
        """Register `widget` for `name`; returns the widget wrapped with its error label."""
        label = ErrorLabel()
        label.setObjectName(f"error_{name}")
        self.fields[name] = (widget, label)
        # A message about the value goes once the value is changed (issue 18: a corrected ID
        # number kept its error until 保存 was pressed again).
        for signal in _edit_signals(widget):
            signal.connect(lambda *_args, lab=label: lab.say(""))
        return with_error(widget, label)

    def clear(self) -> None:
        for _widget, label in self.fields.values():
            label.say("")

    def message(self, name: str) -> str:
        entry = self.fields.get(name)
        return entry[1].text() if entry and not entry[1].isHidden() else ""

    def show(self, name: str | None, message: str) -> bool:
        """Put `message` beside field `name` and focus it; False when there is no such field."""
        entry = self.fields.get(name or "")
        if entry is None:
            return False
        widget, label = entry
        label.say(message)
        widget.setFocus()
        return True

    def show_error(self, exc: ValidationError) -> bool:
        return self.show(exc.field, str(exc))

    def explain(self, exc: CaseworkerError, general: Callable[[str], None]) -> None:
        """A service's refusal beside the field it names, else through `general` (the
        dialog's message under the form)."""
        if not (isinstance(exc, ValidationError) and self.show_error(exc)):
            general(str(exc))
