"""设置 (区级业务员): the district settings (visit intervals, the household subsidy cap, …) and
the retrofit catalogue (prices, caps, new items, retiring an item), each with when it was last
changed and by whom. Every change is the command line's service (`caseworker.district.rules`),
journaled as the clerk; a refused value is one line in red and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caseworker.district import rules
from caseworker.domain.errors import CaseworkerError
from caseworker.domain.retrofit import Part, yuan
from ui.context import AppContext
from ui.district.dashboard import local
from ui.messages import show_error
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.table_models import read_only_table

SETTING_COLUMNS = ("参数", "当前值", "默认值", "允许范围", "最后修改", "修改人")
ITEM_COLUMNS = (
    "编号",
    "类别",
    "名称",
    "单位",
    "单价（元）",
    "补贴上限（元/单位）",
    "状态",
    "最后修改",
    "修改人",
)
EFFECT = (
    "修改在保存时生效，并随下一个数据包发给各街道；已审批的改造户保持审批时的价格。"
    "系统不支持预定以后某天生效的修改。"
)


def _changed(c: rules.Changed) -> tuple[str, str]:
    return (local(c.at) if c.at else "从未修改", c.by or "—")


class _Tab(QWidget):
    """What both tabs share: a message line and saving through the writer."""

    def load(self) -> None:  # each tab reads its rows
        raise NotImplementedError

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.message = QLabel()
        self.message.setWordWrap(True)

    def save(self, fn: Callable[[], Any], done: str) -> bool:
        from ui.progress import run_with_progress

        try:
            run_with_progress(self.ctx.runner, fn, self, self.tr("正在保存…"))
        except CaseworkerError as exc:
            self.message.setStyleSheet("color: #b00020;")
            self.message.setText(str(exc))
            if isinstance(exc, rules.Stale):
                self.load()  # the value as it is now, for the clerk to look at again
            return False
        except Exception as exc:
            show_error(self, exc)
            return False
        self.message.setStyleSheet("color: #1b7f3b;")
        self.message.setText(done)
        self.ctx.changed.emit(frozenset({"setting", "retrofit_catalogue_item"}))
        return True


def _shown(value: object) -> str:
    """A value as the clerk reads and types it: a yes/no setting as 是 or 否."""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


class SettingsTab(_Tab):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.rows: list[rules.SettingRow] = []
        self.table = read_only_table(SETTING_COLUMNS, (220, 110, 90, 130, 140))
        self.table.itemSelectionChanged.connect(self._selected)
        self.value = QLineEdit()
        self.value.setMaxLength(20)
        self.value.setFixedWidth(120)
        self.value.returnPressed.connect(self.save_value)
        self.save_button = QPushButton(self.tr("保存(&S)"))
        self.save_button.clicked.connect(self.save_value)
        self.chosen = QLabel()
        edit = QHBoxLayout()
        label = QLabel(self.tr("新值(&N)："))
        label.setBuddy(self.value)
        for w in (self.chosen, label, self.value, self.save_button):
            edit.addWidget(w)
        edit.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(edit)
        layout.addWidget(self.message)
        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.table).set_busy)
        self.load()

    def load(self) -> None:
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        self.reader.start(lambda _s: rules.setting_rows(hub, actor), self._show)  # type: ignore[arg-type]

    def _show(self, rows: list[rules.SettingRow]) -> None:
        keep = self.table.currentRow()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            v = r.value
            span = f"{v.minimum}–{v.maximum}{v.unit}" if v.minimum is not None else ""
            if isinstance(v.default, bool):
                span = "是 / 否"
            values = (
                v.label,
                f"{_shown(v.value)}{v.unit}",
                f"{_shown(v.default)}{v.unit}",
                span,
                *_changed(r.changed),
            )
            for j, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(v.key)
                if j == 1 and v.value != v.default:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(i, j, item)
        if rows:
            self.table.selectRow(keep if 0 <= keep < len(rows) else 0)
        self._selected()

    def current(self) -> rules.SettingRow | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _selected(self) -> None:
        r = self.current()
        self.save_button.setEnabled(r is not None)
        self.chosen.setText(r.value.label if r else "")
        self.value.setText(_shown(r.value.value) if r else "")

    def save_value(self) -> None:
        r = self.current()
        if r is None:
            return
        hub, actor = self.ctx.ws, self.ctx.actor
        key, raw, shown = r.value.key, self.value.text(), r.value.value
        if self.save(
            # refused if another clerk changed it since this screen read it
            lambda: rules.set_setting(hub, actor, key, raw, expected=shown),  # type: ignore[arg-type]
            self.tr("已保存：{0}（随下一个数据包发给各街道）").format(r.value.label),
        ):
            self.load()


class CatalogueTab(_Tab):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.rows: list[rules.CatalogueRow] = []
        self.table = read_only_table(ITEM_COLUMNS, (55, 80, 200, 55, 90, 130, 65, 130))
        self.table.itemSelectionChanged.connect(self._selected)
        self.price = QLineEdit()
        self.cap = QLineEdit()
        for field in (self.price, self.cap):
            field.setMaxLength(12)
            field.setFixedWidth(90)
            field.returnPressed.connect(self.save_price)
        self.price_button = QPushButton(self.tr("保存价格(&P)"))
        self.price_button.clicked.connect(self.save_price)
        self.retire_button = QPushButton(self.tr("停用(&D)"))
        self.retire_button.clicked.connect(self.toggle_retired)
        self.chosen = QLabel()
        edit = QHBoxLayout()
        price_label = QLabel(self.tr("单价(&J)："))
        price_label.setBuddy(self.price)
        cap_label = QLabel(self.tr("补贴上限："))
        cap_label.setBuddy(self.cap)
        for w in (
            self.chosen,
            price_label,
            self.price,
            cap_label,
            self.cap,
            self.price_button,
            self.retire_button,
        ):
            edit.addWidget(w)
        edit.addStretch()
        # a new item
        self.new_code = QLineEdit()
        self.new_code.setMaxLength(8)
        self.new_code.setFixedWidth(60)
        self.new_part = QComboBox()
        for p in Part:
            self.new_part.addItem(p.value, p.value)
        self.new_name = QLineEdit()
        self.new_name.setMaxLength(60)
        self.new_unit = QLineEdit()
        self.new_unit.setMaxLength(8)
        self.new_unit.setFixedWidth(50)
        self.new_price = QLineEdit()
        self.new_price.setMaxLength(12)
        self.new_price.setFixedWidth(80)
        self.new_basic = QCheckBox(self.tr("基础项目"))
        self.new_cap = QLineEdit()
        self.new_cap.setMaxLength(12)
        self.new_cap.setFixedWidth(80)
        self.add_button = QPushButton(self.tr("新增项目(&A)"))
        self.add_button.clicked.connect(self.add_item)
        add = QHBoxLayout()
        code_label = QLabel(self.tr("新项目 编号(&B)："))
        code_label.setBuddy(self.new_code)
        for w in (
            code_label,
            self.new_code,
            self.new_part,
            QLabel(self.tr("名称：")),
            self.new_name,
            QLabel(self.tr("单位：")),
            self.new_unit,
            QLabel(self.tr("单价：")),
            self.new_price,
            self.new_basic,
            QLabel(self.tr("上限：")),
            self.new_cap,
            self.add_button,
        ):
            add.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(edit)
        layout.addLayout(add)
        layout.addWidget(self.message)
        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.table).set_busy)
        self.load()

    def load(self, select_code: str = "") -> None:
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        self.reader.start(
            lambda _s: rules.catalogue_rows(hub, actor),  # type: ignore[arg-type]
            lambda rows: self._show(rows, select_code),
        )

    def _show(self, rows: list[rules.CatalogueRow], select_code: str = "") -> None:
        keep = self.table.currentRow()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            it = r.item
            values = (
                it.code,
                it.part.value,
                it.name,
                it.unit,
                yuan(it.price_fen),
                yuan(it.cap_fen) if it.basic else "（可选项目）",
                "已停用" if it.retired else "在用",
                *_changed(r.changed),
            )
            for j, value in enumerate(values):
                self.table.setItem(i, j, QTableWidgetItem(value))
        codes = [r.item.code for r in rows]
        if select_code in codes:
            keep = codes.index(select_code)
        if rows:
            self.table.selectRow(keep if 0 <= keep < len(rows) else 0)
        self._selected()

    def current(self) -> rules.CatalogueRow | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _selected(self) -> None:
        r = self.current()
        for w in (self.price_button, self.retire_button, self.price):
            w.setEnabled(r is not None)
        self.cap.setEnabled(r is not None and r.item.basic)
        if r is None:
            self.chosen.setText("")
            return
        self.chosen.setText(f"{r.item.code} {r.item.name}")
        self.price.setText(yuan(r.item.price_fen).replace(",", ""))
        self.cap.setText(yuan(r.item.cap_fen).replace(",", "") if r.item.basic else "")
        self.retire_button.setText(
            self.tr("恢复使用(&D)") if r.item.retired else self.tr("停用(&D)")
        )

    def save_price(self) -> None:
        r = self.current()
        if r is None:
            return
        hub, actor = self.ctx.ws, self.ctx.actor
        code, price, shown = r.item.code, self.price.text(), r.item
        cap = self.cap.text() if r.item.basic else ""
        if self.save(
            lambda: rules.set_price(hub, actor, code, price, cap, expected=shown),  # type: ignore[arg-type]
            self.tr("已保存 {0} 的价格（随下一个数据包发给各街道）").format(code),
        ):
            self.load(code)

    def toggle_retired(self) -> None:
        r = self.current()
        if r is None:
            return
        hub, actor = self.ctx.ws, self.ctx.actor
        code, restore, shown = r.item.code, r.item.retired, r.item
        done = (
            self.tr("已恢复使用 {0}")
            if restore
            else self.tr("已停用 {0}（已用过它的改造户不受影响）")
        )
        if self.save(
            lambda: rules.retire(hub, actor, code, restore=restore, expected=shown),  # type: ignore[arg-type]
            done.format(code),
        ):
            self.load(code)

    def add_item(self) -> None:
        hub, actor = self.ctx.ws, self.ctx.actor
        values = {
            "code": self.new_code.text(),
            "part": self.new_part.currentData(),
            "name": self.new_name.text(),
            "unit": self.new_unit.text(),
            "price": self.new_price.text(),
            "basic": self.new_basic.isChecked(),
            "cap": self.new_cap.text(),
        }
        code = values["code"].strip().upper()
        if self.save(
            lambda: rules.add_item(hub, actor, **values),  # type: ignore[arg-type]
            self.tr("已新增 {0}（随下一个数据包发给各街道）").format(code),
        ):
            for w in (self.new_code, self.new_name, self.new_unit, self.new_price, self.new_cap):
                w.clear()
            self.new_basic.setChecked(False)
            self.load(code)


class SettingsPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        title = QLabel(self.tr("全区参数与改造项目目录"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        note = QLabel(self.tr(EFFECT))
        note.setWordWrap(True)
        self.tabs = QTabWidget()
        self.settings = SettingsTab(ctx)
        self.catalogue = CatalogueTab(ctx)
        self.tabs.addTab(self.settings, self.tr("全区参数"))
        self.tabs.addTab(self.catalogue, self.tr("改造项目目录"))
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(note)
        layout.addWidget(self.tabs, 1)
