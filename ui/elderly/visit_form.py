"""探访记录: the visit form, laid out like the paper form, for typing back signed forms fast.

Keyboard: Tab walks the form in paper order; on a tick-box row digits 1-9 tick a choice (0
clears); Enter (Ctrl+Enter in a multi-line field) or Ctrl+S saves a draft; Ctrl+Shift+S
completes (asks first: a completed visit is locked); Ctrl+Shift+N completes and returns to the
roster's search for the next form; Esc cancels (asks when something was typed).

A completed visit opens read-only. "更正" amends one field with a reason; amended fields are
marked and the original value stays visible in their tooltip and in the list of corrections.
"""

from __future__ import annotations

import itertools
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.dates import InvalidDate
from caseworker.domain.elderly import MajorChange
from caseworker.domain.errors import CaseworkerError, ValidationError
from caseworker.domain.roles import Permission
from caseworker.domain.visit_form import (
    AREAS,
    CHOICE_FIELDS,
    REFERRAL_TARGETS,
    TEXT_FIELDS,
    Method,
    as_text,
)
from caseworker.services.elderly import roster, schedule, visits
from caseworker.services.elderly.roster import ResidentInfo
from caseworker.services.elderly.visits import ReferralDraft, VisitDraft, VisitInfo
from ui.context import AppContext
from ui.widgets.fields import (
    ChoiceRow,
    DateField,
    ErrorLabel,
    FieldErrors,
    MultiLineField,
    fmt_date,
    fmt_local,
)
from ui.widgets.screen import fit_to_screen

AMENDED_STYLE = "background: #fff3c4;"
VISITOR_SEPARATORS = ("、", "，", ",", " ", "　", ";", "；")


def split_visitors(text: str) -> tuple[str, ...]:
    for sep in VISITOR_SEPARATORS[1:]:
        text = text.replace(sep, "、")
    return tuple(p for p in text.split("、") if p)


class VisitForm(QDialog):
    """A new visit (`visit` None), a draft to finish, or a completed visit to read and amend.

    After `exec()`, `saved` is the stored visit (None when cancelled) and `next_requested` is
    True when the person asked for the next form (Ctrl+Shift+N)."""

    amended = Signal()

    def __init__(  # noqa: C901
        self,
        ctx: AppContext,
        parent: QWidget | None,
        resident: ResidentInfo,
        visit: VisitInfo | None = None,
        *,
        today: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident = resident
        self.visit = visit
        self.today = today or date.today()
        self.saved: VisitInfo | None = None
        self.next_requested = False
        self.read_only = visit is not None and visit.locked
        self.errors = FieldErrors()
        self.pending: list[ReferralDraft] = []
        self._next_touched = False
        actor = ctx.actor
        assert actor is not None
        self.staff = ctx.read(lambda s: roster.staff_choices(s, actor))
        title = self.tr("探访记录 — {0}").format(resident.name)
        if visit is not None and visit.voided:
            title += self.tr("（已作废）")
        elif visit is not None:
            title += self.tr("（已完成，只读）") if self.read_only else self.tr("（草稿）")
        self.setWindowTitle(title)
        # Read-only fields look read-only (grey), not like empty boxes waiting for typing.
        self.setStyleSheet(
            'QLineEdit[readOnly="true"], QPlainTextEdit[readOnly="true"]'
            " { background: #eef0f3; color: #222; }"
        )

        # -- fields, created in paper order (which is also the tab order) ----------------------
        self.visit_date = DateField(self.today)
        self.method = ChoiceRow([m.value for m in Method])
        self.visitors = QLineEdit(actor.display_name)
        self.visitors.setPlaceholderText(self.tr("多人用、或空格分开"))
        self.choices: dict[str, ChoiceRow] = {}
        self.texts: dict[str, MultiLineField] = {}
        area_boxes: dict[str, QGroupBox] = {}
        for key, label in AREAS:
            box = QGroupBox(label)
            form = QFormLayout(box)
            form.setContentsMargins(6, 4, 6, 4)
            form.setVerticalSpacing(2)
            for cf in CHOICE_FIELDS:
                if cf.area == key:
                    row = ChoiceRow(cf.choices, cf.multi)
                    self.choices[cf.name] = row
                    form.addRow(
                        (self.tr("{0}（可多选）：") if cf.multi else self.tr("{0}：")).format(
                            cf.label
                        ),
                        self.errors.add(cf.name, row),
                    )
            for name, area, text_label in TEXT_FIELDS:
                if area == key:
                    field = MultiLineField(lines=1)
                    self.texts[name] = field
                    form.addRow(self.tr("{0}：").format(text_label), self.errors.add(name, field))
            area_boxes[key] = box
        self.problems = MultiLineField(lines=2)
        self.actions = MultiLineField(lines=2)
        self.texts["problems"] = self.problems
        self.texts["actions"] = self.actions
        self.ref_target = QComboBox()
        for target in REFERRAL_TARGETS:
            self.ref_target.addItem(target, target)
        self.ref_due = DateField()
        self.ref_owner = QComboBox()
        self.ref_owner.addItem(self.tr("（跟进人）"), None)
        for s in self.staff:
            self.ref_owner.addItem(s.name, s.id)
        self.ref_text = QLineEdit()
        self.ref_text.setPlaceholderText(self.tr("转介事项"))
        self.ref_add = QPushButton(self.tr("添加转介"))
        self.ref_add.setAutoDefault(False)
        self.ref_add.clicked.connect(self.add_referral)
        self.ref_list = QListWidget()
        self.ref_list.setMaximumHeight(64)
        self.ref_error = ErrorLabel()
        self.next_visit = DateField()
        self.next_hint = QLabel()
        self.next_hint.setStyleSheet("color: #555;")
        self.general_error = ErrorLabel()

        # -- layout ----------------------------------------------------------------------------
        head = QLabel(
            self.tr("{0}　{1}　{2} 岁　{3}　{4}　等级：{5}　上次探访：{6}　应访：{7}").format(
                resident.name,
                resident.sex,
                resident.age,
                resident.community_name,
                resident.address,
                resident.tier.value,
                fmt_date(resident.last_visit_on) or self.tr("无"),
                fmt_date(resident.next_due) or self.tr("—"),
            )
        )
        head.setStyleSheet("font-weight: bold;")
        head.setWordWrap(True)
        basics = QHBoxLayout()
        basics.addWidget(QLabel(self.tr("探访日期*：")))
        basics.addWidget(self.errors.add("visit_date", self.visit_date))
        basics.addSpacing(12)
        basics.addWidget(QLabel(self.tr("方式*：")))
        basics.addWidget(self.errors.add("method", self.method))
        basics.addSpacing(12)
        basics.addWidget(QLabel(self.tr("探访人*：")))
        basics.addWidget(self.errors.add("visitors", self.visitors), 1)
        # A major change found on this visit makes a visit due within 24 hours (on the same
        # row as the visit's basics: the form keeps its height).
        basics.addSpacing(12)
        basics.addWidget(QLabel(self.tr("重大变化：")))
        self.changes: dict[str, QCheckBox] = {}
        for kind in MajorChange:
            box = QCheckBox(self.tr(kind.value))
            box.setToolTip(self.tr("完成探访时登记：24 小时内应再次探访，并建议调为高风险"))
            self.changes[kind.value] = box
            basics.addWidget(box)
        left = QVBoxLayout()
        left.addWidget(area_boxes["health"])
        left.addWidget(area_boxes["living"])
        left.addStretch()
        right = QVBoxLayout()
        for key in ("family", "safety", "needs"):
            right.addWidget(area_boxes[key])
        after = QGroupBox(self.tr("六、问题与处理"))
        after_form = QFormLayout(after)
        after_form.setContentsMargins(6, 4, 6, 4)
        after_form.setVerticalSpacing(2)
        after_form.addRow(self.tr("发现的问题："), self.errors.add("problems", self.problems))
        after_form.addRow(self.tr("采取的措施："), self.errors.add("actions", self.actions))
        ref_row = QHBoxLayout()
        for w in (self.ref_target, self.ref_due, self.ref_owner):
            ref_row.addWidget(w)
        ref_row.addWidget(self.ref_text, 1)
        ref_row.addWidget(self.ref_add)
        ref_box = QWidget()
        ref_col = QVBoxLayout(ref_box)
        ref_col.setContentsMargins(0, 0, 0, 0)
        ref_col.setSpacing(2)
        ref_col.addLayout(ref_row)
        ref_col.addWidget(self.ref_error)
        ref_col.addWidget(self.ref_list)
        after_form.addRow(self.tr("转介："), ref_box)
        next_row = QHBoxLayout()
        next_row.addWidget(self.errors.add("next_visit_on", self.next_visit))
        next_row.addWidget(self.next_hint, 1)
        after_form.addRow(self.tr("下次探访："), next_row)
        right.addWidget(after)
        right.addStretch()
        grid = QGridLayout()
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addLayout(basics)
        body_layout.addLayout(grid)
        self.amend_box = QGroupBox(self.tr("更正记录（原记录保留）"))
        self.amend_list = QListWidget()
        self.amend_list.setMaximumHeight(80)
        QVBoxLayout(self.amend_box).addWidget(self.amend_list)
        body_layout.addWidget(self.amend_box)
        body_layout.addStretch(1)  # spare height goes below the form, not between its rows
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)

        self.draft_button = QPushButton(self.tr("保存草稿"))
        self.draft_button.setToolTip("Enter / Ctrl+S")
        self.complete_button = QPushButton(self.tr("完成并锁定"))
        self.complete_button.setToolTip("Ctrl+Shift+S")
        self.next_button = QPushButton(self.tr("完成并录下一份"))
        self.next_button.setToolTip("Ctrl+Shift+N")
        self.amend_button = QPushButton(self.tr("更正…"))
        self.void_button = QPushButton(self.tr("作废…"))
        self.void_button.setToolTip(
            self.tr("录入有误（如重复录入、录错老人）时由科长作废，记录保留")
        )
        self.void_button.clicked.connect(self.void)
        self.void_button.setAutoDefault(False)
        self.cancel_button = QPushButton(self.tr("关闭") if self.read_only else self.tr("取消"))
        for b in (self.draft_button, self.complete_button, self.next_button, self.amend_button):
            b.setAutoDefault(False)
        self.cancel_button.setAutoDefault(False)
        self.draft_button.clicked.connect(self.save_draft)
        self.complete_button.clicked.connect(lambda: self.complete())
        self.next_button.clicked.connect(lambda: self.complete(next_form=True))
        self.amend_button.clicked.connect(self.amend)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        hint = QLabel(
            self.tr("Tab 下一项　数字键勾选　Enter 保存草稿　Ctrl+Shift+S 完成　Esc 取消")
            if not self.read_only
            else self.tr("已完成的探访记录不能直接修改；如有错误请点“更正”并写明原因。")
        )
        hint.setStyleSheet("color: #666;")
        buttons.addWidget(hint, 1)
        for b in (
            self.draft_button,
            self.complete_button,
            self.next_button,
            self.amend_button,
            self.void_button,
        ):
            buttons.addWidget(b)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(head)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.general_error)
        layout.addLayout(buttons)

        for field in self.texts.values():
            field.submit.connect(self.save_draft)
        self.visit_date.editingFinished.connect(self._propose_next)
        self.next_visit.textEdited.connect(lambda _t: setattr(self, "_next_touched", True))
        self._set_tab_order()
        self.load(visit)
        self._clean = self._snapshot()
        fit_to_screen(self, 1300, 900)

    # -- loading and state -----------------------------------------------------------------------
    def _set_tab_order(self) -> None:
        chain: list[QWidget] = [self.visit_date, self.method, self.visitors]
        chain += list(self.changes.values())
        for key, _label in AREAS:
            chain += [self.choices[cf.name] for cf in CHOICE_FIELDS if cf.area == key]
            chain += [self.texts[n] for n, area, _l in TEXT_FIELDS if area == key]
        chain += [self.problems, self.actions, self.ref_target, self.ref_due, self.ref_owner]
        chain += [self.ref_text, self.ref_add, self.next_visit, self.draft_button]
        for a, b in itertools.pairwise(chain):
            QWidget.setTabOrder(a, b)

    def load(self, visit: VisitInfo | None) -> None:
        self.visit = visit
        if visit is None:
            self.method.set_value(Method.HOME.value)
            self._propose_next()
        else:
            self._fill(visit.values)
            self.ref_list.clear()
            for r in visit.referrals:
                self.ref_list.addItem(
                    self.tr("{0}　期限 {1}　{2}　{3}（{4}）").format(
                        r.target, fmt_date(r.due_on), r.owner_name, r.description, r.status.value
                    )
                )
        self.read_only = visit is not None and visit.locked
        self._apply_read_only()
        self._mark_amendments()
        self.visit_date.setFocus()

    def _fill(self, v: VisitDraft) -> None:
        self.visit_date.set_value(v.visit_date)
        self.method.set_value(Method(v.method).value)
        self.visitors.setText("、".join(v.visitors))
        for name, row in self.choices.items():
            row.set_value(getattr(v, name))
        for name, field in self.texts.items():
            field.setPlainText(getattr(v, name))
        self.next_visit.set_value(v.next_visit_on)
        self._next_touched = v.next_visit_on is not None

    def _apply_read_only(self) -> None:
        ro = self.read_only
        for box in self.changes.values():
            box.setEnabled(not ro)
        for w in (self.visit_date, self.visitors, self.next_visit, self.ref_text):
            w.setReadOnly(ro)
        for w in (self.next_visit, self.ref_due, self.ref_text):
            w.setPlaceholderText("" if ro else w.placeholderText())
        for field in self.texts.values():
            field.setReadOnly(ro)
        for row in [self.method, *self.choices.values()]:
            row.set_read_only(ro)
        for w in (self.ref_target, self.ref_due, self.ref_owner, self.ref_add):
            w.setEnabled(not ro)
        self.draft_button.setVisible(not ro)
        self.complete_button.setVisible(not ro)
        self.next_button.setVisible(not ro)
        voided = bool(self.visit and self.visit.voided)
        self.amend_button.setVisible(ro and not voided)
        self.void_button.setVisible(ro and not voided and self.ctx.can(Permission.ELDERLY_VOID))
        self.cancel_button.setText(self.tr("关闭") if ro else self.tr("取消"))
        self.amend_box.setVisible(bool(self.visit and self.visit.amendments))
        self.setStyleSheet(self.styleSheet())  # re-apply: the read-only look follows the state

    def widget_for(self, field: str) -> QWidget | None:
        entry = self.errors.fields.get(field)
        return entry[0] if entry else None

    def _mark_amendments(self) -> None:
        self.amend_list.clear()
        self.amended_fields: set[str] = set()  # fields shown marked as amended
        if self.visit is None:
            return
        by_field: dict[str, list[visits.AmendmentInfo]] = {}
        for a in self.visit.amendments:
            by_field.setdefault(a.field, []).append(a)
            self.amend_list.addItem(
                self.tr("{0}：“{1}” 改为 “{2}”　原因：{3}　{4} {5}").format(
                    a.field_label,
                    a.old_value,
                    a.new_value,
                    a.reason,
                    a.amended_by,
                    fmt_local(a.amended_at),  # type: ignore[arg-type]
                )
            )
        for field, items in by_field.items():
            widget = self.widget_for(field)
            if widget is None:
                continue
            original = getattr(self.visit.original, field)
            shown = as_text(original)
            widget.setStyleSheet(AMENDED_STYLE)
            widget.setToolTip(
                self.tr("已更正。原记录：{0}\n{1}").format(
                    shown or self.tr("（空）"),
                    "\n".join(f"→ {a.new_value}（{a.reason}）" for a in items),
                )
            )
            self.amended_fields.add(field)

    # -- values ----------------------------------------------------------------------------------
    def _date(self, field: DateField, name: str) -> date | None:
        try:
            return field.value()
        except InvalidDate as exc:
            raise ValidationError(str(exc), field=name) from None

    def draft(self) -> VisitDraft:
        """What is typed, as a VisitDraft; ValidationError (with the field) for a bad date."""
        visit_on = self._date(self.visit_date, "visit_date")
        if visit_on is None:
            raise ValidationError(self.tr("请填写探访日期"), field="visit_date")
        if not self.method.value():
            raise ValidationError(self.tr("请选择探访方式"), field="method")
        names = split_visitors(self.visitors.text())
        actor = self.ctx.actor
        mine = actor is not None and actor.display_name in names
        return VisitDraft(
            resident_id=self.resident.id,
            visit_date=visit_on,
            method=Method(self.method.value()),
            visitors=names,
            visitor_staff_id=actor.staff_id if mine and actor else None,
            next_visit_on=self._date(self.next_visit, "next_visit_on"),
            **{name: row.value() for name, row in self.choices.items()},
            **{name: field.text() for name, field in self.texts.items()},
        )

    def _snapshot(self) -> tuple:
        return (
            self.visit_date.text(),
            self.method.value(),
            self.visitors.text(),
            self.next_visit.text(),
            tuple(r.value() for r in self.choices.values()),
            tuple(f.text() for f in self.texts.values()),
            len(self.pending),
        )

    def is_dirty(self) -> bool:
        return not self.read_only and self._snapshot() != self._clean

    def _propose_next(self) -> None:
        if self.read_only or self._next_touched:
            return
        try:
            visit_on = self.visit_date.value()
        except InvalidDate as exc:
            self.errors.show("visit_date", str(exc))
            return
        if visit_on is None:
            return
        actor = self.ctx.actor
        assert actor is not None
        rid = self.resident.id
        proposed = self.ctx.read(lambda s: schedule.propose_next_visit(s, actor, rid, visit_on))
        self.next_visit.set_value(proposed)
        self.next_hint.setText(self.tr("按“{0}”等级建议，可修改").format(self.resident.tier.value))

    # -- referrals -------------------------------------------------------------------------------
    def add_referral(self) -> None:
        self.ref_error.say("")
        try:
            due = self.ref_due.value()
        except InvalidDate as exc:
            self.ref_error.say(str(exc))
            self.ref_due.setFocus()
            return
        if due is None:
            self.ref_error.say(self.tr("请填写转介的办理期限"))
            self.ref_due.setFocus()
            return
        draft = ReferralDraft(
            self.ref_target.currentData(),
            due,
            self.ref_text.text(),
            self.ref_owner.currentData(),
        )
        self.pending.append(draft)
        self.ref_list.addItem(
            self.tr("{0}　期限 {1}　{2}　{3}（待保存）").format(
                draft.target, fmt_date(due), self.ref_owner.currentText(), draft.description
            )
        )
        self.ref_text.clear()
        self.ref_due.clear()
        self.ref_target.setFocus()

    # -- saving ----------------------------------------------------------------------------------
    def _show_refusal(self, exc: CaseworkerError) -> None:
        field = getattr(exc, "field", None)
        if field in ("target", "due_on", "owner_staff_id", "description"):
            self.ref_error.say(str(exc))
            return
        self.errors.explain(exc, self.general_error.say)

    def _write(self, complete: bool) -> bool:
        self.errors.clear()
        self.general_error.say("")
        self.ref_error.say("")
        if self.ref_text.text().strip() or self.ref_due.text().strip():
            self.add_referral()  # typed but not added: do not lose it
            if self.ref_error.text():
                return False
        try:
            draft = self.draft()
            refs = tuple(self.pending)
            vid = self.visit.id if self.visit else None
            today = self.today
            if complete:
                found = tuple(MajorChange(k) for k, box in self.changes.items() if box.isChecked())

                def job(s, a) -> VisitInfo:
                    return visits.complete(
                        s, a, draft, visit_id=vid, referrals=refs, changes=found, today=today
                    )

            else:

                def job(s, a) -> VisitInfo:
                    info = visits.save_draft(s, a, draft, visit_id=vid, today=today)
                    for ref in refs:
                        visits.add_referral(s, a, info.id, ref)
                    return visits.get(s, a, info.id)

            self.saved = self.ctx.write_wait(job, parent=self)
        except CaseworkerError as exc:
            self._show_refusal(exc)
            return False
        self.pending.clear()
        return True

    def save_draft(self) -> None:
        if self.read_only:
            return
        if self._write(complete=False):
            self.accept()

    def warnings(self) -> list[str]:
        """What looks like a mistake (a visit already on file that day or week, blank areas)."""
        try:
            draft = self.draft()
        except CaseworkerError:
            return []  # the save itself will point at the field
        actor = self.ctx.actor
        assert actor is not None
        vid = self.visit.id if self.visit else None
        return self.ctx.read(
            lambda s: visits.warnings(s, actor, draft, visit_id=vid, today=self.today)
        )

    def complete(self, *, next_form: bool = False) -> None:
        if self.read_only:
            return
        lock = self.tr("完成后这条探访记录将锁定，以后只能通过“更正”修改（原记录保留）。")
        found = self.warnings()
        if found:
            # Something looks wrong: say it, and make "No" the default (Enter does not lock).
            answer = QMessageBox.warning(
                self,
                self.tr("完成探访记录 — 请先核对"),
                self.tr("请注意：\n{0}\n\n{1}\n仍然完成吗？").format(
                    "\n".join(f"• {w}" for w in found), lock
                ),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
        else:
            answer = QMessageBox.question(
                self,
                self.tr("完成探访记录"),
                lock + self.tr("\n请确认已按签字的纸质表录入无误。确定完成吗？"),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.Yes,
            )
        if answer != QMessageBox.StandardButton.Yes:
            return
        if self._write(complete=True):
            self.next_requested = next_form
            self.accept()

    def amend(self) -> None:
        from ui.elderly.amend_dialog import AmendDialog

        if self.visit is None:
            return
        dialog = AmendDialog(self.ctx, self, self.visit)
        if dialog.exec() and dialog.result_info is not None:
            self.saved = dialog.result_info
            self.load(dialog.result_info)
            self.amended.emit()

    def void(self) -> None:
        """A supervisor voids a completed visit entered in error; the reason is kept."""
        if self.visit is None or not self.ctx.can(Permission.ELDERLY_VOID):
            return
        vid = self.visit.id
        reason, ok = QInputDialog.getText(
            self,
            self.tr("作废探访记录"),
            self.tr(
                "作废后这条记录保留在历史中，标为“已作废”，不再计入探访率和下次应访日期。\n"
                "请写明作废原因（例如“同一张纸质表重复录入”）："
            ),
        )
        if not ok:
            return
        try:
            info = self.ctx.write_wait(
                lambda s, a: visits.void(s, a, vid, reason, today=self.today),
                parent=self,
            )
        except CaseworkerError as exc:
            QMessageBox.warning(self, self.tr("没有作废"), str(exc))
            return
        self.saved = info
        self.load(info)
        self.setWindowTitle(self.tr("探访记录 — {0}（已作废）").format(self.resident.name))
        self.amended.emit()

    # -- keys ------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Handled here rather than with QShortcut: key events the fields do not use come up to
        # the form whichever field has focus, and this works the same in tests (offscreen).
        ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        if ctrl and event.key() == Qt.Key.Key_S:
            if shift:
                self.complete()
            else:
                self.save_draft()
            return
        if ctrl and shift and event.key() == Qt.Key.Key_N:
            self.complete(next_form=True)
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.focusWidget() is self.ref_add or self.focusWidget() in (
                self.ref_text,
                self.ref_due,
            ):
                self.add_referral()
                return
            self.save_draft()
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        if self.is_dirty():
            answer = QMessageBox.question(
                self,
                self.tr("放弃录入"),
                self.tr("已录入的内容还没有保存，确定放弃吗？"),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.is_dirty():
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)
