"""新增老人 / 编辑资料: the resident form.

The ID number is checked as soon as it is typed: a wrong check digit, an impossible date or an
age under 60 is said under the field; a number already on the roster opens that person instead
of creating a twin. A refusal from the service keeps the dialog open with the message beside the
field at fault; nothing is saved half-way (one transaction on the DB worker).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain import idnumber
from caseworker.domain.dates import InvalidDate
from caseworker.domain.elderly import CHOSEN_CATEGORIES, LIVING_ARRANGEMENTS, Category
from caseworker.domain.errors import CaseworkerError, ValidationError
from caseworker.services import accounts
from caseworker.services.elderly import roster
from caseworker.services.elderly.roster import ResidentDraft, ResidentInfo
from ui.context import AppContext
from ui.widgets.dialogs import save_cancel
from ui.widgets.fields import DateField, FieldErrors, MultiLineField


class ResidentDialog(QDialog):
    """`exec()`; afterwards `result_info` is the saved (or already registered) resident and
    `existing` tells whether it was someone already on the roster."""

    def __init__(
        self, ctx: AppContext, parent: QWidget | None, resident: ResidentInfo | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident = resident
        self.today = date.today()
        self.result_info: ResidentInfo | None = None
        self.existing = False
        self.setWindowTitle(self.tr("编辑老人资料") if resident else self.tr("新增老人"))
        r = resident
        self.errors = FieldErrors()
        self.id_number = QLineEdit(r.id_number if r else "")
        self.id_number.setMaxLength(24)
        self.id_number.setPlaceholderText(self.tr("18 位，末位可为 X；15 位旧号自动升级"))
        self.id_facts = QLabel()
        self.id_facts.setStyleSheet("color: #1f5fa8;")
        self.name = QLineEdit(r.name if r else "")
        self.community = QComboBox()
        for c in ctx.read(accounts.communities):
            self.community.addItem(c.name, c.id)
        if r:
            self.community.setCurrentIndex(max(0, self.community.findData(r.community_id)))
        self.phone = QLineEdit(r.phone if r else "")
        self.address = QLineEdit(r.address if r else "")
        self.enrolled_on = DateField(r.enrolled_on if r else self.today)
        self.categories: dict[Category, QCheckBox] = {}
        cat_box = QWidget()
        cat_grid = QGridLayout(cat_box)
        cat_grid.setContentsMargins(0, 0, 0, 0)
        for i, cat in enumerate(CHOSEN_CATEGORIES):
            box = QCheckBox(cat.value)
            box.setChecked(bool(r and cat in r.categories))
            self.categories[cat] = box
            cat_grid.addWidget(box, i // 3, i % 3)
        self.suggestion = QLabel()
        self.suggestion.setStyleSheet("color: #555;")
        self.living = QComboBox()
        self.living.addItem(self.tr("（未填）"), "")
        for text in LIVING_ARRANGEMENTS:
            self.living.addItem(text, text)
        if r:
            self.living.setCurrentIndex(max(0, self.living.findData(r.living_arrangement)))
        self.health = MultiLineField(r.health_notes if r else "", lines=2)
        self.supporter_name = QLineEdit(r.supporter_name if r else "")
        self.supporter_relation = QLineEdit(r.supporter_relation if r else "")
        self.supporter_phone = QLineEdit(r.supporter_phone if r else "")
        self.emergency_name = QLineEdit(r.emergency_name if r else "")
        self.emergency_phone = QLineEdit(r.emergency_phone if r else "")
        self.assigned = QComboBox()
        self.assigned.addItem(self.tr("（未指定）"), None)
        actor = ctx.actor
        assert actor is not None
        for s in ctx.read(lambda s: roster.staff_choices(s, actor)):
            self.assigned.addItem(s.name, s.id)
        if r and r.assigned_staff_id:
            self.assigned.setCurrentIndex(max(0, self.assigned.findData(r.assigned_staff_id)))
        elif r is None and actor.staff_id:
            self.assigned.setCurrentIndex(max(0, self.assigned.findData(actor.staff_id)))
        self.notes = MultiLineField(r.notes if r else "", lines=2)

        e = self.errors
        left = QFormLayout()
        id_col = QWidget()
        id_layout = QVBoxLayout(id_col)
        id_layout.setContentsMargins(0, 0, 0, 0)
        id_layout.setSpacing(1)
        id_layout.addWidget(e.add("id_number", self.id_number))
        id_layout.addWidget(self.id_facts)
        left.addRow(self.tr("身份证号*："), id_col)
        left.addRow(self.tr("姓名*："), e.add("name", self.name))
        left.addRow(self.tr("社区/村*："), e.add("community_id", self.community))
        left.addRow(self.tr("住址："), e.add("address", self.address))
        left.addRow(self.tr("联系电话："), e.add("phone", self.phone))
        left.addRow(self.tr("类别："), e.add("categories", cat_box))
        left.addRow("", self.suggestion)
        left.addRow(self.tr("居住情况："), e.add("living_arrangement", self.living))
        left.addRow(self.tr("健康状况："), e.add("health_notes", self.health))
        right = QFormLayout()
        right.addRow(self.tr("赡养人："), e.add("supporter_name", self.supporter_name))
        right.addRow(self.tr("与老人关系："), e.add("supporter_relation", self.supporter_relation))
        right.addRow(self.tr("赡养人电话："), e.add("supporter_phone", self.supporter_phone))
        right.addRow(self.tr("紧急联系人："), e.add("emergency_name", self.emergency_name))
        right.addRow(self.tr("紧急联系电话："), e.add("emergency_phone", self.emergency_phone))
        right.addRow(self.tr("责任人："), e.add("assigned_staff_id", self.assigned))
        right.addRow(self.tr("登记日期："), e.add("enrolled_on", self.enrolled_on))
        right.addRow(self.tr("备注："), e.add("notes", self.notes))
        left_box = QGroupBox(self.tr("基本情况"))
        left_box.setLayout(left)
        right_box = QGroupBox(self.tr("联系人与管理"))
        right_box.setLayout(right)
        columns = QHBoxLayout()
        columns.addWidget(left_box, 3)
        columns.addWidget(right_box, 2)
        self.general_error = QLabel()
        self.general_error.setStyleSheet("color: #b00020;")
        self.general_error.setWordWrap(True)
        buttons = save_cancel(self, self.save)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(self.general_error)
        layout.addWidget(QLabel(self.tr("* 为必填。高龄由年龄自动判断。Enter 保存，Esc 取消。")))
        layout.addWidget(buttons)
        self.health.submit.connect(self.save)
        self.notes.submit.connect(self.save)
        self.id_number.editingFinished.connect(self.check_id)
        self.id_number.textChanged.connect(self._id_typed)
        for box in self.categories.values():
            box.toggled.connect(lambda _on: self._update_suggestion())
        self._update_suggestion()
        self._update_id_facts()
        self.setMinimumWidth(900)

    # -- live checks -----------------------------------------------------------------------------
    def _id_typed(self, text: str) -> None:
        self.errors.fields["id_number"][1].say("")
        self._update_id_facts()
        compact = idnumber.normalise(text)
        if self.resident is None and len(compact) == 18:
            self.check_id()

    def _update_id_facts(self) -> None:
        try:
            parsed = idnumber.parse(self.id_number.text(), today=self.today)
        except idnumber.InvalidIdNumber:
            self.id_facts.setText("")
            return
        self.id_facts.setText(
            self.tr("出生 {0:%Y-%m-%d}　性别 {1}　{2} 岁").format(
                parsed.birth_date, parsed.sex, parsed.age_on(self.today)
            )
        )

    def check_id(self) -> bool:
        """Say at the field what is wrong with the ID; open the person when already registered.
        Returns True when the dialog closed because the person exists."""
        if self.result_info is not None:
            return True
        text = self.id_number.text()
        if not text.strip():
            return False
        try:
            roster.parse_roster_id(text, self.today)
        except ValidationError as exc:
            self.errors.fields["id_number"][1].say(str(exc))
            return False
        if self.resident is not None:
            return False
        actor = self.ctx.actor
        assert actor is not None
        found = self.ctx.read(lambda s: roster.find_by_id_number(s, actor, text))
        if found is None:
            return False
        # Set before the box: while it is open, leaving the field calls this again (editing
        # finished), which must not show the box a second time.
        self.result_info, self.existing = found, True
        QMessageBox.information(
            self,
            self.tr("已在台账中"),
            self.tr("身份证号 {0} 已登记为 {1}（{2}）。将打开此人的页面，不会重复登记。").format(
                found.id_number_masked, found.name, found.community_name
            ),
        )
        self.accept()
        return True

    def _update_suggestion(self) -> None:
        from caseworker.domain.elderly import suggest_tier

        picked = [c for c, b in self.categories.items() if b.isChecked()]
        s = suggest_tier(picked)
        self.suggestion.setText(self.tr("建议探访等级：{0}（{1}）").format(s.tier.value, s.reason))

    # -- save ------------------------------------------------------------------------------------
    def draft(self) -> ResidentDraft:
        """The typed values; InvalidDate (as ValidationError on the field) for a bad date."""
        try:
            enrolled = self.enrolled_on.value()
        except InvalidDate as exc:
            raise ValidationError(str(exc), field="enrolled_on") from None
        return ResidentDraft(
            name=self.name.text(),
            id_number=self.id_number.text(),
            community_id=self.community.currentData() or "",
            phone=self.phone.text(),
            address=self.address.text(),
            categories=frozenset(c for c, b in self.categories.items() if b.isChecked()),
            living_arrangement=self.living.currentData() or "",
            health_notes=self.health.text(),
            supporter_name=self.supporter_name.text(),
            supporter_relation=self.supporter_relation.text(),
            supporter_phone=self.supporter_phone.text(),
            emergency_name=self.emergency_name.text(),
            emergency_phone=self.emergency_phone.text(),
            assigned_staff_id=self.assigned.currentData(),
            notes=self.notes.text(),
            enrolled_on=enrolled,
        )

    def odd_phones(self) -> list[str]:
        """Phone numbers that do not look like a mobile or landline number."""
        from caseworker.domain.phones import oddity

        fields = (
            (self.tr("联系电话"), self.phone),
            (self.tr("赡养人电话"), self.supporter_phone),
            (self.tr("紧急联系电话"), self.emergency_phone),
        )
        return [f"{label}：{problem}" for label, w in fields if (problem := oddity(w.text()))]

    def save(self) -> None:
        self.errors.clear()
        self.general_error.setText("")
        if self.resident is None and self.check_id():
            return
        odd = self.odd_phones()
        if odd:
            answer = QMessageBox.warning(
                self,
                self.tr("电话号码请核对"),
                self.tr("{0}\n\n号码确实如此（如外地或老式号码）可以照样保存。仍然保存吗？").format(
                    "\n".join(odd)
                ),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        try:
            draft = self.draft()
            if self.resident is None:
                result = self.ctx.write_wait(
                    lambda s, a: roster.register(s, a, draft, today=self.today),
                    parent=self,
                )
                self.result_info, self.existing = result.resident, not result.created
            else:
                rid = self.resident.id
                self.result_info = self.ctx.write_wait(
                    lambda s, a: roster.update(s, a, rid, draft, today=self.today),
                    parent=self,
                )
        except CaseworkerError as exc:
            self.errors.explain(exc, self.general_error.setText)
            return
        self.accept()

    def keyPressEvent(self, event) -> None:  # Enter saves from any single-line field
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.save()
            return
        super().keyPressEvent(event)
