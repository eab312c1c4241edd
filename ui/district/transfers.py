"""转移 (区级业务员): find a person district-wide by name, pinyin initials or ID number (a page at
a time, read off the UI thread), see which office holds which programmes' records of theirs,
choose the office and community they move to and why, preview what moves, then confirm.

The preview and the move are the command line's `caseworker-district transfer --person`
(`caseworker.district.people.move` → `transfer.transfer_person`): the preview is the very same
work rolled back. 确认转移 is enabled only by a preview of the same choices, so what is confirmed
is what was shown. A refusal (no reason, the same office, …) is one line in red and changes
nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caseworker.district import console, people, transfer
from caseworker.domain.errors import CaseworkerError
from ui.context import AppContext
from ui.district.dashboard import local
from ui.messages import show_error
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.table_models import read_only_table

PEOPLE_COLUMNS = ("姓名", "身份证号", "所在街道", "项目")
RECORD_COLUMNS = ("项目", "街道", "社区或村", "档案号")
LOG_COLUMNS = ("时间", "经办人", "姓名", "身份证号", "转出街道", "转入", "记录数", "原因")


class TransfersPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.page = people.PeoplePage("", 0, [], False)
        self.records: list[people.PersonRecord] = []
        self.previewed: tuple[str, str, str, str] | None = None  # the choices last previewed
        title = QLabel(self.tr("转移"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("姓名、拼音首字母（如 wxh）或身份证号，回车查找"))
        self.search.setMaxLength(40)
        self.search.returnPressed.connect(lambda: self.find(0))
        self.search.installEventFilter(self)
        self.find_button = QPushButton(self.tr("查找"))
        self.find_button.clicked.connect(lambda: self.find(0))
        self.prev_button = QPushButton(self.tr("上一页"))
        self.next_button = QPushButton(self.tr("下一页"))
        self.prev_button.clicked.connect(lambda: self.find(max(0, self.page.offset - people.PAGE)))
        self.next_button.clicked.connect(lambda: self.find(self.page.offset + people.PAGE))
        self.count = QLabel()
        bar = QHBoxLayout()
        label = QLabel(self.tr("查找人员(&S)："))
        label.setBuddy(self.search)
        for w in (label, self.search, self.find_button, self.count):
            bar.addWidget(w)
        bar.addStretch()
        bar.addWidget(self.prev_button)
        bar.addWidget(self.next_button)

        self.people_table = read_only_table(PEOPLE_COLUMNS, (90, 170, 220))
        self.people_table.itemSelectionChanged.connect(self._person_selected)
        self.records_table = read_only_table(RECORD_COLUMNS, (90, 140, 120))
        self.records_table.setMaximumHeight(150)
        left = QVBoxLayout()
        left.addWidget(self.people_table, 1)
        left.addWidget(QLabel(self.tr("此人的记录：")))
        left.addWidget(self.records_table)

        self.office = QComboBox()
        self.community = QComboBox()
        self.reason = QLineEdit()
        self.reason.setMaxLength(people.REASON_MAX)
        self.reason.setPlaceholderText(self.tr("例如：迁居到新街道"))
        self.office.currentIndexChanged.connect(self._office_chosen)
        for signal in (
            self.office.currentIndexChanged,
            self.community.currentIndexChanged,
            self.reason.textChanged,
        ):
            signal.connect(self._choices_changed)
        form = QFormLayout()
        form.addRow(self.tr("转入街道(&O)："), self.office)
        form.addRow(self.tr("社区或村(&C)："), self.community)
        form.addRow(self.tr("转移原因(&R)："), self.reason)
        self.preview_button = QPushButton(self.tr("预览(&P)"))
        self.confirm_button = QPushButton(self.tr("确认转移(&T)"))
        self.preview_button.clicked.connect(lambda: self.run(dry_run=True))
        self.confirm_button.clicked.connect(lambda: self.run(dry_run=False))
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.confirm_button)
        buttons.addStretch()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.outcome = QPlainTextEdit()
        self.outcome.setReadOnly(True)
        self.outcome.setPlaceholderText(
            self.tr("选好人员、转入街道、社区和原因后先“预览”：会转移哪些记录、原街道保留什么。")
        )
        box = QGroupBox(self.tr("转到"))
        right = QVBoxLayout(box)
        right.addLayout(form)
        right.addLayout(buttons)
        right.addWidget(self.message)
        right.addWidget(self.outcome, 1)
        box.setMinimumWidth(420)

        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addWidget(box, 2)
        move = QWidget()
        move_layout = QVBoxLayout(move)
        move_layout.setContentsMargins(0, 4, 0, 0)
        move_layout.addLayout(bar)
        move_layout.addLayout(body, 1)
        self.log = TransferLogTab(ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(move, self.tr("转移人员"))
        self.tabs.addTab(self.log, self.tr("转移记录"))
        self.tabs.currentChanged.connect(
            lambda i: self.log.load(0) if self.tabs.widget(i) is self.log else None
        )
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)

        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.people_table).set_busy)
        self.records_reader = BackgroundRead(ctx, self, BusyOverlay(self.records_table).set_busy)
        hub, actor = ctx.ws, ctx.actor
        assert actor is not None
        self.office.addItem(self.tr("（请选择）"), "")
        for code, name in ctx.read(lambda _s: console.offices_for_queues(hub, actor)):  # type: ignore[arg-type]
            self.office.addItem(f"{code} {name}", code)
        self.setTabOrder(self.search, self.people_table)
        self.setTabOrder(self.people_table, self.office)
        self.setTabOrder(self.office, self.community)
        self.setTabOrder(self.community, self.reason)
        self.setTabOrder(self.reason, self.preview_button)
        self.setTabOrder(self.preview_button, self.confirm_button)
        self.search.setFocus()
        self._show_page(self.page)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """↓ in the search field goes to the people found."""
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and self.people_table.rowCount()
        ):
            self.people_table.setFocus()
            return True
        return super().eventFilter(watched, event)

    # -- finding ---------------------------------------------------------------------------------

    def find(self, offset: int) -> None:
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        text = self.search.text()
        self.reader.start(
            lambda _s: people.find_people(hub, actor, text, offset=offset),  # type: ignore[arg-type]
            self._show_page,
            self._failed,
        )

    def _show_page(self, page: people.PeoplePage) -> None:
        self.page = page
        self.people_table.setRowCount(len(page.rows))
        for i, p in enumerate(page.rows):
            values = (p.name, p.masked, "、".join(p.offices), "、".join(p.programmes))
            for j, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.people_table.setItem(i, j, item)
        end = page.offset + len(page.rows)
        if page.rows:
            self.count.setText(self.tr("第 {0}–{1} 人").format(page.offset + 1, end))
        elif page.text:
            self.count.setText(self.tr("没有找到"))
        else:
            self.count.setText("")
        self.prev_button.setEnabled(page.offset > 0)
        self.next_button.setEnabled(page.more)
        if page.rows:
            self.people_table.selectRow(0)
        self._person_selected()

    def person(self) -> people.PersonRow | None:
        row = self.people_table.currentRow()
        return self.page.rows[row] if 0 <= row < len(self.page.rows) else None

    def _person_selected(self) -> None:
        p = self.person()
        self._choices_changed()
        if p is None:
            self.records = []
            self.records_table.setRowCount(0)
            return
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        number = p.id_number
        self.records_reader.start(
            lambda _s: people.person_records(hub, actor, number),  # type: ignore[arg-type]
            self._show_records,
            self._failed,
        )

    def _show_records(self, records: list[people.PersonRecord]) -> None:
        self.records = records
        self.records_table.setRowCount(len(records))
        for i, r in enumerate(records):
            values = (r.programme, r.office_name, r.community, r.label)
            for j, value in enumerate(values):
                self.records_table.setItem(i, j, QTableWidgetItem(value))

    # -- choosing --------------------------------------------------------------------------------

    def _office_chosen(self) -> None:
        code = self.office.currentData()
        self.community.clear()
        if not code:
            return
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        names = self.ctx.read(lambda _s: people.communities(hub, actor, code))  # type: ignore[arg-type]
        self.community.addItems(names)

    def choices(self) -> tuple[str, str, str, str] | None:
        p = self.person()
        if p is None:
            return None
        return (
            p.id_number,
            self.office.currentData() or "",
            self.community.currentText(),
            self.reason.text(),
        )

    def _choices_changed(self, *_args: Any) -> None:
        """A changed choice needs a new preview before 确认转移."""
        current = self.choices()
        self.preview_button.setEnabled(current is not None)
        self.confirm_button.setEnabled(current is not None and current == self.previewed)

    # -- preview and move ------------------------------------------------------------------------

    def run(self, *, dry_run: bool) -> None:
        chosen = self.choices()
        if chosen is None:
            return
        if not dry_run and chosen != self.previewed:
            return  # only what was previewed is confirmed
        number, code, community, reason = chosen
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        self.message.setText("")
        try:
            from ui.progress import run_with_progress

            done: transfer.Transferred = run_with_progress(
                self.ctx.runner,
                lambda: people.move(
                    hub,  # type: ignore[arg-type]
                    actor,
                    number,
                    code,
                    community,
                    reason,
                    dry_run=dry_run,
                ),
                self,
                self.tr("正在预览…") if dry_run else self.tr("正在转移…"),
            )
        except CaseworkerError as exc:
            self.previewed = None
            self._refused(str(exc))
            return
        except Exception as exc:
            self.previewed = None
            self._choices_changed()
            show_error(self, exc)
            return
        lines = transfer.describe(done)
        if dry_run:
            self.previewed = chosen
            self.confirm_button.setEnabled(True)
            self.confirm_button.setFocus()  # keyboard first: Space confirms what was just read
            lines.append(self.tr("（预览，还没有做任何改动；核对无误后按“确认转移”）"))
            self.message.setStyleSheet("color: #1f5fa8;")
            self.message.setText(self.tr("预览如下，确认后才会转移。"))
        else:
            self.previewed = None
            lines.append(self.tr("将随下一个数据包发给转入和转出的街道。"))
            self.message.setStyleSheet("color: #1b7f3b;")
            self.message.setText(self.tr("已转移，原因已记入区级转移记录。"))
            self.ctx.changed.emit(frozenset({"elderly_resident", "retrofit_case", "child"}))
            self._person_selected()  # the records as they are now
            self.find(self.page.offset)
            self.search.setFocus()  # ready for the next person
        self.outcome.setPlainText("\n".join(lines))
        self._choices_changed()

    def _refused(self, text: str) -> None:
        self.message.setStyleSheet("color: #b00020;")
        self.message.setText(text)
        self.outcome.setPlainText("")
        self._choices_changed()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, CaseworkerError):
            self._refused(str(exc))
        else:
            show_error(self, exc)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)


class TransferLogTab(QWidget):
    """转移记录: who moved whom, from and to where, and why (the hub's sync_transfer_log),
    newest first, a page at a time."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.offset = 0
        self.rows: list[people.LogRow] = []
        self.table = read_only_table(LOG_COLUMNS, (130, 80, 80, 160, 90, 150, 60))
        self.prev_button = QPushButton(self.tr("上一页"))
        self.next_button = QPushButton(self.tr("下一页"))
        self.prev_button.clicked.connect(lambda: self.load(max(0, self.offset - people.PAGE)))
        self.next_button.clicked.connect(lambda: self.load(self.offset + people.PAGE))
        self.count = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(self.count)
        bar.addStretch()
        bar.addWidget(self.prev_button)
        bar.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.table).set_busy)

    def load(self, offset: int) -> None:
        hub, actor = self.ctx.ws, self.ctx.actor
        assert actor is not None
        self.reader.start(
            lambda _s: people.transfer_log(hub, actor, offset=offset),  # type: ignore[arg-type]
            lambda found: self._show(offset, *found),
        )

    def _show(self, offset: int, rows: list[people.LogRow], more: bool) -> None:
        self.offset, self.rows = offset, rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            values = (
                local(r.at),
                r.by,
                r.name,
                r.masked,
                r.from_offices,
                r.to,
                str(r.records),
                r.reason,
            )
            for j, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(i, j, item)
        self.count.setText(
            self.tr("第 {0}–{1} 条").format(offset + 1, offset + len(rows))
            if rows
            else self.tr("还没有转移记录")
        )
        self.prev_button.setEnabled(offset > 0)
        self.next_button.setEnabled(more)
