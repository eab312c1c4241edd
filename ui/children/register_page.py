"""儿童台账: the child register. Search as you type, filters, SQL sort on header click, paged rows
with the ID number and address masked; only the children the person may see are ever queried.

Keyboard: Ctrl+F search; Down moves into the list; Enter opens the child (straight away when one
child matches); Ctrl+Shift+A adds a child.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QMenu, QPushButton, QWidget

from caseworker.domain.children import ChildCategory
from caseworker.domain.roles import Role
from caseworker.services import accounts
from caseworker.services.children import search
from caseworker.services.children.search import ChildQuery, ChildRow
from ui.children.common import CHILD_TABLES
from ui.context import AppContext
from ui.widgets.list_page import ListPage
from ui.widgets.table_models import Column, Index, PagedTableModel


class RegisterModel(PagedTableModel[ChildRow]):
    """Children with an open urgent case in red."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            return QBrush(QColor("#b00020")) if self.rows[index.row()].urgent else None
        return super().data(index, role)


class RegisterPage(ListPage[ChildRow]):
    open_child = Signal(str)
    add_child = Signal()
    keys_requested = Signal()
    view_log_requested = Signal()
    print_blank = Signal()
    print_month = Signal()

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(
            ctx,
            self.tr("儿童台账"),
            self.tr(
                "搜索：姓名（或拼音、首字母）、父母/监护人姓名、住址、身份证号（或后几位）、电话"
                "　Ctrl+F"
            ),
            CHILD_TABLES,
        )
        actor = ctx.actor
        assert actor is not None
        self.today = date.today()
        secret = QLabel(self.tr("保密"))
        secret.setStyleSheet("color: #b00020; border: 1px solid #b00020; padding: 1px 6px;")
        self.community = QComboBox()
        communities = ctx.read(accounts.communities)
        if actor.community_id:
            communities = [c for c in communities if c.id == actor.community_id]
        else:
            self.community.addItem(self.tr("全部社区/村"), None)
        for c in communities:
            self.community.addItem(c.name, c.id)
        self.category = QComboBox()
        self.category.addItem(self.tr("全部类别"), None)
        for cat in ChildCategory:
            self.category.addItem(cat.value, cat.value)
        # On the register today (the default), or those who left it or turned 18 (离册)
        self.register_state = QComboBox()
        self.register_state.addItem(self.tr("在册"), "在册")
        self.register_state.addItem(self.tr("离册/已满18岁"), "离册")
        self.register_state.addItem(self.tr("全部"), "")
        self.open_only = QCheckBox(self.tr("只看有在办个案"))
        for box in (self.community, self.category, self.register_state):
            box.currentIndexChanged.connect(lambda _i: self.reload())
        self.open_only.toggled.connect(lambda _on: self.reload())
        self.columns: list[Column[ChildRow]] = [
            Column(self.tr("姓名"), lambda r: r.name, sort_key="name"),
            Column(self.tr("性别"), lambda r: r.sex, sort_key="sex"),
            Column(self.tr("年龄"), lambda r: r.age_on(self.today), True, sort_key="age"),
            Column(self.tr("身份证号"), lambda r: r.id_number_masked, sort_key="id_number"),
            Column(self.tr("社区/村"), lambda r: r.community_name, sort_key="community"),
            Column(self.tr("住址"), lambda r: r.address_masked, sort_key="address"),
            # No category recorded yet (one about to hold, or under review): said, not a blank cell.
            Column(
                self.tr("类别"), lambda r: r.categories or self.tr("（无）"), sort_key="categories"
            ),
            Column(self.tr("学校"), lambda r: r.school, sort_key="school"),
            Column(self.tr("在办个案"), lambda r: r.open_cases or "", True, sort_key="open_cases"),
            Column(self.tr("紧急"), lambda r: "紧急" if r.urgent else ""),
            Column(self.tr("儿童主任"), lambda r: r.director_name),
        ]
        self.set_up_list(
            RegisterModel(self.columns, lambda: 0, lambda _o, _l: []),
            (70, 40, 40, 140, 96, 110, 210, 110, 60, 40),
            "name",
        )

        self.add_button = QPushButton(self.tr("新增儿童"))
        self.add_button.setToolTip("Ctrl+Shift+A")
        self.add_button.clicked.connect(self.add_child)
        open_button = QPushButton(self.tr("打开"))
        open_button.clicked.connect(lambda: self._open_row(self.view.currentIndex().row()))
        blank = QPushButton(self.tr("空白回访表"))
        blank.clicked.connect(self.print_blank)
        month = QPushButton(self.tr("本月回访表"))
        month.clicked.connect(self.print_month)
        self.export_button = QPushButton(self.tr("导出Excel"))
        self.export_button.setToolTip(
            self.tr("身份证号和住址隐去，同列表；导出的每名儿童都记入档案查阅记录")
        )
        export_menu = QMenu(self.export_button)
        export_menu.addAction(self.tr("儿童台账（按查找和筛选条件）"), self.export_excel)
        export_menu.addAction(self.tr("个案一览"), self.export_cases)
        self.export_button.setMenu(export_menu)
        buttons: list[QWidget] = [self.add_button, open_button, blank, month, self.export_button]
        if actor.role is Role.CHILD_SUPERVISOR:
            keys_button = QPushButton(self.tr("密钥授权"))
            keys_button.clicked.connect(self.keys_requested)
            log_button = QPushButton(self.tr("档案查阅记录"))
            log_button.clicked.connect(self.view_log_requested)
            buttons += [keys_button, log_button]
        self.lay_out(
            [self.community, self.category, self.register_state, self.open_only],
            buttons,
            self.tr("Enter 打开　列表中身份证号和住址已隐去，打开档案可见全文（会记录查阅）"),
            beside_heading=(secret,),
        )
        QShortcut(QKeySequence("Ctrl+Shift+A"), self, self.add_child)
        self.reload()

    def query(self) -> ChildQuery:
        return ChildQuery(
            text=self.search.text(),
            community_id=self.community.currentData(),
            category=self.category.currentData(),
            open_case_only=self.open_only.isChecked(),
            sort=self.sort_key,
            descending=self.descending,
            register=self.register_state.currentData(),
        )

    def export_excel(self) -> object:
        """导出Excel: the register as searched and filtered now (masked, logged per child)."""
        from caseworker.services.exports import ExportFilter
        from ui.export import export_list

        words = self.described([self.community, self.category], [self.open_only])
        flt = ExportFilter(children=self.query(), description=words)
        return export_list(self.ctx, self, "children-register", flt)

    def export_cases(self) -> object:
        from caseworker.services.exports import ExportFilter
        from ui.export import export_list

        cid = self.community.currentData()
        words = self.community.currentText() if cid else ""
        flt = ExportFilter(community_id=cid, description=words)
        return export_list(self.ctx, self, "children-cases", flt)

    def reload(self) -> None:
        """Count and read the first page on the runner (the shared list loader)."""
        actor = self.ctx.actor
        assert actor is not None
        q = self.query()
        self.read(
            q.text,
            lambda s, cap: search.count(s, actor, q, cap=cap),
            lambda s, offset, limit: search.page(s, actor, q, offset, limit),
            lambda s, cap, limit: search.first_page(s, actor, q, limit, cap=cap),
            self.tr("共 {0} 名儿童"),
        )

    def open_id(self, row_id: str) -> None:
        self.open_child.emit(row_id)
