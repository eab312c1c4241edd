"""施工单位: the office's register of construction firms (name, contact, licence number), with a
dialog to add or change one. Deactivated firms stay on old cases but are not offered again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.roles import Permission
from caseworker.services.retrofit import contractors
from caseworker.services.retrofit.contractors import ContractorDraft, ContractorInfo
from ui.context import AppContext
from ui.widgets.dialogs import save_and_accept, save_cancel
from ui.widgets.fields import ERROR_STYLE
from ui.widgets.table_models import Column, ListTableModel, configure_view

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class ContractorDialog(QDialog):
    def __init__(
        self, ctx: AppContext, parent: QWidget | None, info: ContractorInfo | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.info = info
        self.result_info: ContractorInfo | None = None
        self.setWindowTitle(self.tr("施工单位") if info is None else self.tr("修改施工单位"))
        self.name = QLineEdit(info.name if info else "")
        self.contact = QLineEdit(info.contact_name if info else "")
        self.phone = QLineEdit(info.phone if info else "")
        self.licence = QLineEdit(info.licence_no if info else "")
        self.active = QCheckBox(self.tr("在用"))
        self.active.setChecked(info.active if info else True)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        form = QFormLayout()
        form.addRow(self.tr("名称*"), self.name)
        form.addRow(self.tr("联系人"), self.contact)
        form.addRow(self.tr("电话"), self.phone)
        form.addRow(self.tr("资质/执照编号"), self.licence)
        form.addRow("", self.active)
        buttons = save_cancel(self, self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def save(self) -> None:
        draft = ContractorDraft(
            self.name.text(),
            self.contact.text(),
            self.phone.text(),
            self.licence.text(),
            self.active.isChecked(),
        )
        info = self.info

        def write() -> Callable[[Session, Any], ContractorInfo]:
            if info is None:
                return lambda s, a: contractors.add(s, a, draft)
            return lambda s, a: contractors.update(s, a, info.id, draft)

        self.result_info = save_and_accept(self, self.ctx, self.error, write)[1]


class ContractorsPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.model: ListTableModel[ContractorInfo] = ListTableModel(
            [
                Column(self.tr("名称"), lambda c: c.name),
                Column(self.tr("联系人"), lambda c: c.contact_name),
                Column(self.tr("电话"), lambda c: c.phone),
                Column(self.tr("资质/执照编号"), lambda c: c.licence_no),
                Column(self.tr("在用"), lambda c: c.active),
            ]
        )
        self.view = QTableView()
        self.view.setModel(self.model)
        configure_view(self.view)
        for col, width in enumerate((260, 90, 130, 180)):
            self.view.setColumnWidth(col, width)
        self.view.doubleClicked.connect(lambda _i: self.edit())
        self.add_button = QPushButton(self.tr("新增施工单位"))
        self.add_button.clicked.connect(self.add)
        self.edit_button = QPushButton(self.tr("修改"))
        self.edit_button.clicked.connect(self.edit)
        can_edit = ctx.can(Permission.RETROFIT_EDIT)
        self.add_button.setEnabled(can_edit)
        self.edit_button.setEnabled(can_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.edit_button)
        self.export_button = QPushButton(self.tr("导出Excel"))
        self.export_button.clicked.connect(self.export_excel)
        buttons.addWidget(self.export_button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        ctx.on_changed(
            self, lambda tables: self.reload() if "retrofit_contractor" in tables else None
        )
        self.reload()

    def reload(self) -> None:
        actor = self.ctx.actor
        assert actor is not None
        self.model.set_rows(
            self.ctx.read(lambda s: contractors.listing(s, actor, include_inactive=True))
        )

    def export_excel(self) -> object:
        from ui.export import export_list

        return export_list(self.ctx, self, "retrofit-contractors")

    def add(self) -> None:
        ContractorDialog(self.ctx, self).exec()

    def edit(self) -> None:
        row = self.view.currentIndex().row()
        if 0 <= row < self.model.rowCount() and self.edit_button.isEnabled():
            ContractorDialog(self.ctx, self, self.model.row(row)).exec()
