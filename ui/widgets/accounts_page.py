"""The accounts page both applications show: the office's 账号管理 (its staff) and the district
console's 账号 (the bureau's people). A list of the accounts with the buttons above it acting on
the account chosen; 停用/启用 (asked first) and 重置密码 (a temporary password the person must
change at the next login) work the same in both. A page gives its account service and how its
accounts are listed, and adds its own buttons (new account, edit, role)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.errors import CaseworkerError
from ui.widgets.fields import heading
from ui.widgets.table_models import Column, ListTableModel, configure_view

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ui.context import AppContext


class AccountService(Protocol):
    """What both account services offer (caseworker.services.accounts at an office,
    caseworker.district.accounts at the hub)."""

    def set_disabled(self, s: Session, a: Any, account_id: str, disabled: bool, /) -> object: ...

    def reset_password(self, s: Session, a: Any, account_id: str, password: str, /) -> object: ...


A = TypeVar("A")  # an account row: id, username, display_name, disabled


class AccountsPage(QWidget, Generic[A]):
    def __init__(
        self,
        ctx: AppContext,
        columns: list[Column[A]],
        service: AccountService,
        list_accounts: Callable[[Session, Any], list[A]],
        title: str = "",
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.service = service
        self.list_accounts = list_accounts
        self.title = title
        self.model: ListTableModel[A] = ListTableModel(columns)
        self.view = QTableView()
        self.view.setModel(self.model)
        configure_view(self.view)

    # -- building --------------------------------------------------------------------------------
    def lay_out(self, buttons: list[tuple[str, Callable[[], object]]], note: str = "") -> None:
        """The title, the buttons (text, what it does) in a row above the list, a note below."""
        self.buttons: list[QPushButton] = []
        row = QHBoxLayout()
        for text, act in buttons:
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, a=act: a())
            row.addWidget(button)
            self.buttons.append(button)
        row.addStretch()
        layout = QVBoxLayout(self)
        if self.title:
            layout.addWidget(heading(self.title))
        layout.addLayout(row)
        layout.addWidget(self.view, 1)
        if note:
            label = QLabel(note)
            label.setWordWrap(True)
            label.setStyleSheet("color: #555;")
            layout.addWidget(label)
        self.refresh()

    # -- the list --------------------------------------------------------------------------------
    @property
    def rows(self) -> list[A]:
        return self.model.rows

    def refresh(self) -> None:
        """A few dozen accounts at most: one indexed read on the UI thread."""
        actor = self.ctx.actor
        assert actor is not None
        keep = self.selected()
        self.model.set_rows(self.ctx.read(lambda s: self.list_accounts(s, actor)))
        self.view.resizeColumnsToContents()
        ids = [r.id for r in self.model.rows]
        if ids:
            self.view.selectRow(ids.index(keep.id) if keep is not None and keep.id in ids else 0)

    def selected(self) -> A | None:
        index = self.view.currentIndex()
        rows = self.model.rows
        return rows[index.row()] if index.isValid() and index.row() < len(rows) else None

    def write(self, fn: Callable[[Session, Any], object], done: str = "") -> bool:
        """Save through the writer, then list again; a refusal is said in one line."""
        try:
            self.ctx.write_wait(fn, parent=self)
        except CaseworkerError as exc:
            QMessageBox.warning(self, self.tr("无法完成"), str(exc))
            return False
        finally:
            self.refresh()
        if done:
            QMessageBox.information(self, self.tr("完成"), done)
        return True

    # -- what every accounts page does -----------------------------------------------------------
    def toggle(self) -> None:
        account = self.selected()
        if account is None:
            return
        verb = self.tr("启用") if account.disabled else self.tr("停用")
        answer = QMessageBox.question(
            self,
            verb,
            self.tr("确定要{0}账号“{1}”（{2}）吗？").format(
                verb, account.display_name, account.username
            ),
        )
        if answer == QMessageBox.StandardButton.Yes:
            disable, account_id = not account.disabled, account.id
            self.write(lambda s, a: self.service.set_disabled(s, a, account_id, disable))

    def reset(self) -> None:
        account = self.selected()
        if account is None:
            return
        password, ok = QInputDialog.getText(
            self,
            self.tr("重置密码"),
            self.tr("为“{0}”设置临时密码（本人下次登录须修改）：").format(account.display_name),
            QLineEdit.EchoMode.Password,
        )
        if ok:
            account_id = account.id
            self.write(
                lambda s, a: self.service.reset_password(s, a, account_id, password),
                self.tr("密码已重置。"),
            )
