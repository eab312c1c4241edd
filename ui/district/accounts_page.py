"""账号 (区级管理员): the bureau's accounts on the hub — new account, disable or enable, reset a
password, change a role — through `caseworker.district.accounts` (journaled as the admin)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QInputDialog,
    QWidget,
)

from caseworker.district import accounts
from caseworker.domain.errors import CaseworkerError
from caseworker.domain.roles import DISTRICT_ROLE_LABELS, DistrictRole
from ui.context import AppContext
from ui.district.dialogs import NewAccountDialog
from ui.widgets.accounts_page import AccountsPage as SharedAccountsPage
from ui.widgets.table_models import Column


class AccountsPage(SharedAccountsPage[accounts.AccountInfo]):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(
            ctx,
            [
                Column(self.tr("登录名"), lambda r: r.username),
                Column(self.tr("姓名"), lambda r: r.display_name),
                Column(self.tr("角色"), lambda r: r.role_label),
                Column(self.tr("电话"), lambda r: r.phone),
                Column(
                    self.tr("状态"), lambda r: self.tr("已停用") if r.disabled else self.tr("启用")
                ),
                Column(self.tr("最近登录"), lambda r: r.last_login_at),
            ],
            accounts,
            accounts.list_accounts,
            self.tr("账号：区民政局的工作人员"),
        )
        self.lay_out(
            [
                (self.tr("新建账号(&N)…"), self.new_account),
                (self.tr("停用/启用(&T)"), self.toggle),
                (self.tr("重置密码(&P)…"), self.reset),
                (self.tr("更改角色(&R)…"), self.change_role),
            ],
            self.tr(
                "区级管理员：街道、设备、密钥和账号；区级业务员：收发数据包、转移、更正、冲突、"
                "重复人员、参数和改造目录；统计员：统计报表；区未保中心：儿童统计和密钥恢复。"
            ),
        )
        self.new_button, self.toggle_button, self.reset_button, self.role_button = self.buttons

    def current(self) -> accounts.AccountInfo | None:
        return self.selected()

    def _write(self, fn, parent: QWidget | None = None) -> str | None:
        try:
            self.ctx.write_wait(fn, parent=parent or self)
        except CaseworkerError as exc:
            return str(exc)
        return None

    def new_account(self) -> None:
        def apply(username: str, name: str, role: DistrictRole, phone: str, pw: str) -> str | None:
            draft = accounts.AccountDraft(username, name, role, phone)
            return self._write(lambda s, a: accounts.create_account(s, a, draft, pw), dialog)

        dialog = NewAccountDialog(None, apply)
        if dialog.exec():
            self.refresh()

    def change_role(self) -> None:
        r = self.current()
        if r is None:
            return
        labels = [DISTRICT_ROLE_LABELS[role] for role in DistrictRole]
        label, ok = QInputDialog.getItem(
            self,
            self.tr("更改角色"),
            self.tr("{0} 的角色：").format(r.display_name),
            labels,
            labels.index(r.role_label),
            False,
        )
        if not ok:
            return
        role = list(DistrictRole)[labels.index(label)]
        self.write(lambda s, a: accounts.set_role(s, a, r.id, role))
