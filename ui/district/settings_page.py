"""设置 (区级业务员): the district settings (visit intervals, the household subsidy cap, …) and
the retrofit catalogue (prices, caps, new items, retiring an item), each with when it was last
changed and by whom. A change takes effect on the day picked in *生效日期* (today by default:
at once; a past day cannot be picked and is refused by the service); one dated later is listed
under *待生效的修改* until its day and may be cancelled there. Every change is the command
line's service (`caseworker.district.rules`), journaled as the clerk; a refused value is one
line in red and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caseworker.district import rules
from caseworker.domain.dates import InvalidDate
from caseworker.domain.errors import CaseworkerError, ValidationError
from caseworker.domain.retrofit import Part, yuan
from caseworker.services import dated
from ui.context import AppContext
from ui.district.dashboard import local
from ui.messages import show_error
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.fields import ERROR_STYLE, DateField, heading
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
PENDING_COLUMNS = ("参数或项目", "修改为", "生效日期", "设置人", "设置时间")
EFFECT = (
    "修改从所选的生效日期起在区里和各街道生效（默认今天，即时生效），随下一个数据包发给各街道；"
    "以后生效的修改列在“待生效的修改”里，生效前可以取消。已审批的改造户保持审批时的价格。"
)


def _changed(c: rules.Changed) -> tuple[str, str]:
    return (local(c.at) if c.at else "从未修改", c.by or "—")


class _Tab(QWidget):
    """What both tabs share: a message line, the day a change takes effect, the pending
    changes with their cancel button, and saving through the writer."""

    def load(self) -> None:  # each tab reads its rows
        raise NotImplementedError

    def cancel_pending(self) -> None:  # each tab cancels through its own service
        raise NotImplementedError

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.message = QLabel()
        self.message.setWordWrap(True)
        # typed as the office's date fields are (2027-01-01, 2027/1/1, 1.1 …): a spin-box
        # date edit took "2027-01-01" typed over it as 2026-12-0 and saved the change at once
        self.effective = DateField(dated.today())
        self.effective_label = QLabel(self.tr("生效日期(&E)："))
        self.effective_label.setBuddy(self.effective)
        self.pending_rows: list[Any] = []
        self.pending = read_only_table(PENDING_COLUMNS, (200, 260, 90, 80, 130))
        self.pending.setMaximumHeight(120)
        self.pending.itemSelectionChanged.connect(self._pending_selected)
        self.cancel_button = QPushButton(self.tr("取消所选的待生效修改(&X)"))
        self.cancel_button.clicked.connect(self.cancel_pending)
        self.cancel_button.setEnabled(False)
        self.pending_label = QLabel(self.tr("待生效的修改："))

    def set_up(self, table: QTableWidget, edit_rows: list[tuple[list[QWidget], bool]]) -> None:
        """The tab's table over its rows of editing fields (each with a stretch at its end
        or not), the message line and the pending changes; its reads go to the runner with a
        busy note over the table."""
        self.rows: list[Any] = []
        self.table = table
        table.itemSelectionChanged.connect(self._selected)
        layout = QVBoxLayout(self)
        layout.addWidget(table, 1)
        for widgets, stretch in edit_rows:
            row = QHBoxLayout()
            for w in widgets:
                row.addWidget(w)
            if stretch:
                row.addStretch()
            layout.addLayout(row)
        layout.addWidget(self.message)
        head = QHBoxLayout()
        head.addWidget(self.pending_label)
        head.addStretch()
        head.addWidget(self.cancel_button)
        layout.addLayout(head)
        layout.addWidget(self.pending)
        self.reader = BackgroundRead(self.ctx, self, BusyOverlay(table).set_busy)

    def read(self, fetch: Callable[[Any, Any], Any], shown: Callable[[Any], None]) -> None:
        """`fetch(hub, actor)` on the runner (the rows and the pending changes), then `shown`."""
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        self.reader.start(lambda _s: fetch(hub, actor), shown)

    def fill(
        self,
        found: tuple[list[Any], list[Any]],
        pending_cells: Callable[[Any], tuple[str, ...]],
        cells: Callable[[Any], tuple[str, ...]],
        select: int = -1,
    ) -> None:
        """The rows and the pending changes read; the row chosen stays chosen (or `select`)."""
        rows, waiting = found
        self.show_pending(waiting, pending_cells)
        keep = select if select >= 0 else self.table.currentRow()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            for j, value in enumerate(cells(r)):
                self.table.setItem(i, j, self.item(r, j, value))
        if rows:
            self.table.selectRow(keep if 0 <= keep < len(rows) else 0)
        self._selected()

    def item(self, row: Any, column: int, text: str) -> QTableWidgetItem:
        """A cell of the table (a tab may mark one)."""
        return QTableWidgetItem(text)

    def current(self) -> Any:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _selected(self) -> None:  # each tab shows the chosen row in its fields
        raise NotImplementedError

    def effective_day(self) -> date | None:
        """The day typed; None for today (at once) or an empty field. InvalidDate or
        ValidationError (one Chinese line) when it is not a date or is a past day."""
        day = self.effective.value()
        today = dated.today()
        if day is not None and day < today:
            raise ValidationError(self.tr("生效日期不能早于今天（{0}）").format(today))
        return None if day is None or day == today else day

    def refused_day(self) -> bool:
        """Say what is wrong with the typed day, if anything: then nothing is saved."""
        try:
            self.effective_day()
        except (ValidationError, InvalidDate) as exc:
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText(str(exc))
            self.effective.setFocus()
            return True
        return False

    def when(self) -> str:
        day = self.effective_day()
        return self.tr("即日起生效") if day is None else self.tr("自 {0} 起生效").format(day)

    def show_pending(self, rows: list[Any], cells: Callable[[Any], tuple[str, ...]]) -> None:
        self.pending_rows = rows
        self.pending.setRowCount(len(rows))
        for i, r in enumerate(rows):
            for j, value in enumerate(cells(r)):
                self.pending.setItem(i, j, QTableWidgetItem(value))
        self.pending_label.setText(
            self.tr("待生效的修改：{0} 项").format(len(rows))
            if rows
            else self.tr("待生效的修改：无")
        )
        self._pending_selected()

    def chosen_pending(self) -> Any:
        row = self.pending.currentRow()
        return self.pending_rows[row] if 0 <= row < len(self.pending_rows) else None

    def _pending_selected(self) -> None:
        self.cancel_button.setEnabled(self.chosen_pending() is not None)

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
    rows: list[rules.SettingRow]

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.value = QLineEdit()
        self.value.setMaxLength(20)
        self.value.setFixedWidth(120)
        self.value.returnPressed.connect(self.save_value)
        self.save_button = QPushButton(self.tr("保存(&S)"))
        self.save_button.clicked.connect(self.save_value)
        self.chosen = QLabel()
        label = QLabel(self.tr("新值(&N)："))
        label.setBuddy(self.value)
        edit = [self.chosen, label, self.value, self.effective_label, self.effective]
        self.set_up(
            read_only_table(SETTING_COLUMNS, (220, 110, 90, 130, 140)),
            [([*edit, self.save_button], True)],
        )
        self.load()

    def load(self) -> None:
        self.read(
            lambda hub, actor: (rules.setting_rows(hub, actor), rules.pending_settings(hub, actor)),
            self._show,
        )

    def _show(self, found: tuple[list[rules.SettingRow], list[Any]]) -> None:
        def cells(r: rules.SettingRow) -> tuple[str, ...]:
            v = r.value
            span = f"{v.minimum}–{v.maximum}{v.unit}" if v.minimum is not None else ""
            if isinstance(v.default, bool):
                span = "是 / 否"
            return (
                v.label,
                f"{_shown(v.value)}{v.unit}",
                f"{_shown(v.default)}{v.unit}",
                span,
                *_changed(r.changed),
            )

        self.fill(
            found,
            lambda p: (
                p.label,
                f"{_shown(p.value)}{p.unit}",
                p.effective_from.isoformat(),
                p.changed_by or "—",
                local(p.changed_at),
            ),
            cells,
        )

    def item(self, row: rules.SettingRow, column: int, text: str) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        v = row.value
        item.setToolTip(v.key)
        if column == 1 and v.value != v.default:  # changed from the default: in bold
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        return item

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
        if self.refused_day():
            return
        day = self.effective_day()
        if self.save(
            # refused if another clerk changed it since this screen read it
            lambda: rules.set_setting(hub, actor, key, raw, expected=shown, effective=day),  # type: ignore[arg-type]
            self.tr("已保存：{0}，{1}（随下一个数据包发给各街道）").format(
                r.value.label, self.when()
            ),
        ):
            self.load()

    def cancel_pending(self) -> None:
        p = self.chosen_pending()
        if p is None:
            return
        hub, actor = self.ctx.ws, self.ctx.actor
        key, day = p.key, p.effective_from
        if self.save(
            lambda: rules.cancel_setting(hub, actor, key, day),  # type: ignore[arg-type]
            self.tr("已取消：{0} 自 {1} 起的修改").format(p.label, day.isoformat()),
        ):
            self.load()


class CatalogueTab(_Tab):
    rows: list[rules.CatalogueRow]

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
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
        price_label = QLabel(self.tr("单价(&J)："))
        price_label.setBuddy(self.price)
        cap_label = QLabel(self.tr("补贴上限："))
        cap_label.setBuddy(self.cap)
        edit = [self.chosen, price_label, self.price, cap_label, self.cap]
        edit += [self.effective_label, self.effective, self.price_button, self.retire_button]
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
        code_label = QLabel(self.tr("新项目 编号(&B)："))
        code_label.setBuddy(self.new_code)
        add = [code_label, self.new_code, self.new_part, QLabel(self.tr("名称：")), self.new_name]
        add += [QLabel(self.tr("单位：")), self.new_unit, QLabel(self.tr("单价：")), self.new_price]
        add += [self.new_basic, QLabel(self.tr("上限：")), self.new_cap, self.add_button]
        self.set_up(
            read_only_table(ITEM_COLUMNS, (55, 80, 200, 55, 90, 130, 65, 130)),
            [(edit, True), (add, False)],
        )
        self.load()

    def load(self, select_code: str = "") -> None:
        self.read(
            lambda hub, actor: (
                rules.catalogue_rows(hub, actor),
                rules.pending_catalogue(hub, actor),
            ),
            lambda found: self._show(found, select_code),
        )

    def _show(
        self, found: tuple[list[rules.CatalogueRow], list[Any]], select_code: str = ""
    ) -> None:
        codes = [r.item.code for r in found[0]]
        self.fill(
            found,
            lambda p: (
                f"{p.code} {p.name}",
                p.change,
                p.effective_from.isoformat(),
                p.changed_by or "—",
                local(p.changed_at),
            ),
            lambda r: (
                r.item.code,
                r.item.part.value,
                r.item.name,
                r.item.unit,
                yuan(r.item.price_fen),
                yuan(r.item.cap_fen) if r.item.basic else "（可选项目）",
                "已停用" if r.item.retired else "在用",
                *_changed(r.changed),
            ),
            codes.index(select_code) if select_code in codes else -1,
        )

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
        if self.refused_day():
            return
        day = self.effective_day()
        if self.save(
            lambda: rules.set_price(hub, actor, code, price, cap, expected=shown, effective=day),  # type: ignore[arg-type]
            self.tr("已保存 {0} 的价格，{1}（随下一个数据包发给各街道）").format(code, self.when()),
        ):
            self.load(code)

    def toggle_retired(self) -> None:
        r = self.current()
        if r is None:
            return
        hub, actor = self.ctx.ws, self.ctx.actor
        code, restore, shown = r.item.code, r.item.retired, r.item
        if self.refused_day():
            return
        day = self.effective_day()
        done = (
            self.tr("已恢复使用 {0}，{1}")
            if restore
            else self.tr("已停用 {0}，{1}（已用过它的改造户不受影响）")
        )
        if self.save(
            lambda: rules.retire(
                hub,  # type: ignore[arg-type]
                actor,  # type: ignore[arg-type]
                code,
                restore=restore,
                expected=shown,
                effective=day,
            ),
            done.format(code, self.when()),
        ):
            self.load(code)

    def cancel_pending(self) -> None:
        p = self.chosen_pending()
        if p is None:
            return
        hub, actor = self.ctx.ws, self.ctx.actor
        code, day = p.code, p.effective_from
        if self.save(
            lambda: rules.cancel_catalogue(hub, actor, code, day),  # type: ignore[arg-type]
            self.tr("已取消：{0} {1} 自 {2} 起的修改").format(code, p.name, day.isoformat()),
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
        title = heading(self.tr("全区参数与改造项目目录"))
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
