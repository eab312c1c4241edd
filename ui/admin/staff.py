"""账号管理: add, edit, disable/enable staff and reset passwords (administrators only)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.errors import CaseworkerError
from caseworker.domain.roles import COMMUNITY_SCOPED, Role
from caseworker.services import accounts
from caseworker.services.accounts import CommunityInfo, StaffDraft, StaffInfo
from ui.context import AppContext
from ui.widgets.accounts_page import AccountsPage
from ui.widgets.dialogs import ok_cancel
from ui.widgets.table_models import Column

STAFF_TABLES = frozenset({"staff"})


class StaffDialog(QDialog):
    """New account (with a first password) or an existing one's name, role and community."""

    def __init__(
        self,
        parent: QWidget | None,
        communities: list[CommunityInfo],
        staff: StaffInfo | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("编辑账号") if staff else self.tr("新增账号"))
        self.username = QLineEdit(staff.username if staff else "")
        self.username.setEnabled(staff is None)
        self.display = QLineEdit(staff.display_name if staff else "")
        self.phone = QLineEdit(staff.phone if staff else "")
        self.role = QComboBox()
        for role in Role:
            self.role.addItem(role.label, role)
        if staff:
            self.role.setCurrentIndex(list(Role).index(staff.role))
        else:
            self.role.setCurrentIndex(list(Role).index(Role.CASEWORKER))
        self.community = QComboBox()
        self.community.addItem(self.tr("（不限）"), None)
        for c in communities:
            self.community.addItem(c.name, c.id)
        if staff and staff.community_id:
            self.community.setCurrentIndex(max(0, self.community.findData(staff.community_id)))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(self.tr("登录名*："), self.username)
        form.addRow(self.tr("姓名*："), self.display)
        form.addRow(self.tr("角色*："), self.role)
        form.addRow(self.tr("所在社区："), self.community)
        form.addRow(self.tr("电话："), self.phone)
        if staff is None:
            form.addRow(self.tr("初始密码*："), self.password)
            form.addRow(QLabel(self.tr("首次登录时本人须修改密码。")))
        buttons = ok_cancel(self, self.tr("保存"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.role.currentIndexChanged.connect(self._role_changed)
        self._role_changed()

    def _role_changed(self) -> None:
        scoped = self.role.currentData() in COMMUNITY_SCOPED
        self.community.setToolTip(self.tr("儿童主任只能看到本社区的儿童") if scoped else "")

    def draft(self) -> StaffDraft:
        return StaffDraft(
            self.username.text(),
            self.display.text(),
            Role(self.role.currentData()),  # Qt hands the enum back as its plain value
            self.community.currentData(),
            self.phone.text(),
        )


class StaffPage(AccountsPage[StaffInfo]):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(
            ctx,
            [
                Column(self.tr("登录名"), lambda s: s.username),
                Column(self.tr("姓名"), lambda s: s.display_name),
                Column(self.tr("角色"), lambda s: s.role.label),
                Column(self.tr("所在社区"), lambda s: s.community_name or ""),
                Column(
                    self.tr("状态"), lambda s: self.tr("已停用") if s.disabled else self.tr("在用")
                ),
                Column(self.tr("最近登录"), lambda s: s.last_login_at),
            ],
            accounts,
            accounts.list_staff,
        )
        self.view.doubleClicked.connect(lambda _i: self.edit())
        self.lay_out(
            [
                (self.tr("新增账号"), self.add),
                (self.tr("编辑"), self.edit),
                (self.tr("停用/启用"), self.toggle),
                (self.tr("重置密码"), self.reset),
            ]
        )
        self.add_button, self.edit_button, self.toggle_button, self.reset_button = self.buttons
        ctx.on_changed(self, lambda t: self.refresh() if t & STAFF_TABLES else None)

    def _communities(self) -> list[CommunityInfo]:
        return self.ctx.read(accounts.communities)

    def add(self) -> None:
        dialog = StaffDialog(self, self._communities())
        while dialog.exec():
            draft, password = dialog.draft(), dialog.password.text()
            try:
                self.ctx.write_wait(
                    lambda s, a, d=draft, p=password: accounts.create_staff(s, a, d, p),
                    parent=self,
                )
                return
            except CaseworkerError as exc:
                QMessageBox.warning(self, self.tr("无法保存"), str(exc))

    def edit(self) -> None:
        staff = self.selected()
        if staff is None:
            return
        dialog = StaffDialog(self, self._communities(), staff)
        while dialog.exec():
            draft = dialog.draft()
            try:
                self.ctx.write_wait(
                    lambda s, a, d=draft: accounts.update_staff(s, a, staff.id, d),
                    parent=self,
                )
                return
            except CaseworkerError as exc:
                QMessageBox.warning(self, self.tr("无法保存"), str(exc))
