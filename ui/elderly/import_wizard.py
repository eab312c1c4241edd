"""导入台账: file → column mapping → preview and row-level report → apply, with progress.

Reading and applying run on the background runner (a 20,000-row workbook takes seconds);
the preview's rows sit in a plain table model (no per-row items). Applying takes a backup
first and writes everything or nothing; importing the same file again says nothing changed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.errors import ValidationError
from caseworker.domain.roster_columns import ELDERLY
from caseworker.services import accounts
from caseworker.services.elderly import roster_import as ri
from ui.context import AppContext
from ui.elderly.common import ELDERLY_TABLES
from ui.messages import show_error
from ui.progress import run_with_progress
from ui.widgets import file_dialogs
from ui.widgets.table_models import Column, ListTableModel, configure_view

STEPS = ("选择文件", "列对应", "预览与报告", "完成")
ROW_COLORS = {
    ri.RowStatus.REJECTED: "#f8cbad",
    ri.RowStatus.DUPLICATE: "#fce4d6",
    ri.RowStatus.UPDATE: "#fff2cc",
    ri.RowStatus.MARKED: "#fff2cc",
    ri.RowStatus.NEW: "#e2efda",
}


class _RowsModel(ListTableModel[ri.RowReading]):
    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        if role == Qt.ItemDataRole.BackgroundRole and index.isValid():
            color = ROW_COLORS.get(self.rows[index.row()].status)
            return QBrush(QColor(color)) if color else None
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid():
            return super().data(index, Qt.ItemDataRole.DisplayRole) or None  # long reasons
        return super().data(index, role)


class ImportWizard(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.preview: ri.ImportPreview | None = None
        self.result: ri.ImportResult | None = None
        self.mapping: dict[str, str] = {}
        self.community_map: dict[str, str] = {}  # the file's community name → office community
        self.setWindowTitle(self.tr("导入台账"))
        self.resize(980, 620)
        self.step_label = QLabel()
        self.step_label.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.pages = QStackedWidget()
        self.pages.addWidget(self._file_page())
        self.pages.addWidget(self._mapping_page())
        self.pages.addWidget(self._preview_page())
        self.pages.addWidget(self._done_page())
        self.back_button = QPushButton(self.tr("上一步"))
        self.next_button = QPushButton(self.tr("下一步"))
        self.next_button.setDefault(True)
        self.cancel_button = QPushButton(self.tr("取消"))
        self.back_button.clicked.connect(self._back)
        self.next_button.clicked.connect(self._next)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch()
        for b in (self.back_button, self.next_button, self.cancel_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.step_label)
        layout.addWidget(self.pages, 1)
        layout.addLayout(buttons)
        self._show(0)

    # -- pages -----------------------------------------------------------------------------------
    def _file_page(self) -> QWidget:
        page = QWidget()
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(self.tr("台账文件：.xlsx、.xls 或 .csv"))
        browse = QPushButton(self.tr("浏览…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.policy_group = QButtonGroup(page)
        layout = QVBoxLayout(page)
        layout.addWidget(
            QLabel(
                self.tr(
                    "选择本街道现有的 Excel 台账。可以有标题行、合并的表头，"
                    "可以每个社区一张工作表，也可以用一栏写社区。导入前会先预览，不会直接写入。"
                )
            )
        )
        layout.addLayout(row)
        layout.addSpacing(12)
        layout.addWidget(QLabel(self.tr("文件中已在台账的老人：")))
        for policy in ri.ExistingPolicy:
            button = QRadioButton(self.tr(ri.POLICY_LABELS[policy]))
            button.setProperty("policy", policy.value)
            self.policy_group.addButton(button)
            layout.addWidget(button)
            if policy is ri.ExistingPolicy.UPDATE:
                button.setChecked(True)
        layout.addStretch()
        return page

    def _mapping_page(self) -> QWidget:
        page = QWidget()
        self.mapping_table = QTableWidget(0, 3)
        self.mapping_table.setHorizontalHeaderLabels(
            [self.tr("工作表"), self.tr("表头"), self.tr("导入为")]
        )
        self.mapping_table.horizontalHeader().setStretchLastSection(True)
        self.mapping_table.setColumnWidth(0, 160)
        self.mapping_table.setColumnWidth(1, 220)
        self.sheets_label = QLabel()
        self.sheets_label.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addWidget(
            QLabel(self.tr("每一栏是怎样理解的（可以改正；改后按“下一步”重新预览）："))
        )
        layout.addWidget(self.mapping_table, 1)
        layout.addWidget(self.sheets_label)
        return page

    def _preview_page(self) -> QWidget:
        page = QWidget()
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.filter = QComboBox()
        self.filter.addItem(self.tr("全部行"), None)
        for s in ri.RowStatus:
            self.filter.addItem(s.value, s.value)
        self.filter.currentIndexChanged.connect(lambda _i: self._fill_rows())
        self.report_button = QPushButton(self.tr("保存报告（Excel）…"))
        self.report_button.clicked.connect(self._save_report)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("显示：")))
        top.addWidget(self.filter)
        top.addStretch()
        top.addWidget(self.report_button)
        self.rows_model = _RowsModel(
            [
                Column(self.tr("工作表"), lambda r: r.sheet),
                Column(self.tr("行"), lambda r: r.row, True),
                Column(self.tr("结果"), lambda r: r.status.value),
                Column(self.tr("姓名"), lambda r: r.name),
                Column(self.tr("身份证号"), lambda r: r.id_number),
                Column(self.tr("出生日期"), lambda r: r.birth_date),
                Column(self.tr("性别"), lambda r: r.sex),
                Column(self.tr("社区/村"), lambda r: r.community_name),
                Column(
                    self.tr("原因 / 变化"),
                    lambda r: (
                        r.reason
                        or "；".join(f"{c.label}：{c.old or '（空）'} → {c.new}" for c in r.changes)
                    ),
                ),
                Column(self.tr("提示"), lambda r: "；".join(r.warnings)),
            ]
        )
        self.rows_view = QTableView()
        self.rows_view.setModel(self.rows_model)
        configure_view(self.rows_view)
        for col, width in enumerate((100, 44, 110, 70, 150, 86, 40, 96, 320)):
            self.rows_view.setColumnWidth(col, width)
        # Names the file gives communities that none of the office's matched (a sheet called
        # 一片区): each can be mapped to one of the office's, and the preview read again.
        self.communities_box = QGroupBox(
            self.tr("文件中的社区名不是本街道的社区/村：请指定对应哪个")
        )
        self.communities_table = QTableWidget(0, 3)
        self.communities_table.setHorizontalHeaderLabels(
            [self.tr("文件中的名称"), self.tr("行数"), self.tr("对应本街道的")]
        )
        self.communities_table.horizontalHeader().setStretchLastSection(True)
        self.communities_table.setColumnWidth(0, 200)
        self.communities_table.setColumnWidth(1, 60)
        self.communities_table.setMaximumHeight(140)
        self.remap_button = QPushButton(self.tr("按此对应重新预览"))
        self.remap_button.clicked.connect(self._remap_communities)
        box_layout = QHBoxLayout(self.communities_box)
        box_layout.addWidget(self.communities_table, 1)
        box_layout.addWidget(self.remap_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.communities_box.hide()
        layout = QVBoxLayout(page)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.communities_box)
        layout.addLayout(top)
        layout.addWidget(self.rows_view, 1)
        return page

    def _fill_communities(self) -> None:
        assert self.preview is not None
        unknown = self.preview.unknown_communities
        self.communities_box.setVisible(bool(unknown))
        self.communities_table.setRowCount(len(unknown))
        self.community_combos: list[tuple[str, QComboBox]] = []
        choices = self.ctx.read(accounts.communities) if unknown else []
        for i, (name, rows) in enumerate(unknown):
            for c, text in ((0, name), (1, str(rows))):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.communities_table.setItem(i, c, item)
            combo = QComboBox()
            combo.addItem(self.tr("（不导入这些行）"), "")
            for community in choices:
                combo.addItem(community.name, community.id)
            self.communities_table.setCellWidget(i, 2, combo)
            self.community_combos.append((name, combo))

    def _remap_communities(self) -> None:
        chosen = {name: combo.currentData() for name, combo in self.community_combos}
        self.community_map.update({k: v for k, v in chosen.items() if v})
        if self._run_preview(mapping=self.mapping):
            self._fill_preview()
            self._show(2)

    def _done_page(self) -> QWidget:
        page = QWidget()
        self.done_label = QLabel()
        self.done_label.setWordWrap(True)
        self.done_label.setStyleSheet("font-size: 11pt;")
        layout = QVBoxLayout(page)
        layout.addWidget(self.done_label)
        layout.addStretch()
        return page

    # -- flow ------------------------------------------------------------------------------------
    def _show(self, step: int) -> None:
        self.pages.setCurrentIndex(step)
        self.step_label.setText(
            "　›　".join(
                f"【{self.tr(s)}】" if i == step else self.tr(s) for i, s in enumerate(STEPS)
            )
        )
        self.back_button.setEnabled(0 < step < 3)
        self.next_button.setText(
            {2: self.tr("导入"), 3: self.tr("关闭")}.get(step, self.tr("下一步"))
        )
        self.cancel_button.setVisible(step < 3)
        if step == 2 and self.preview is not None:
            self.next_button.setEnabled(self.preview.to_write > 0)
        else:
            self.next_button.setEnabled(True)

    def _back(self) -> None:
        self._show(max(0, self.pages.currentIndex() - 1))

    def _next(self) -> None:
        step = self.pages.currentIndex()
        if step == 0:
            if self._run_preview(mapping={}):
                self._fill_mapping()
                self._show(1)
        elif step == 1:
            if self._run_preview(mapping=self._mapping()):
                self._fill_preview()
                self._show(2)
        elif step == 2:
            self._apply()
        else:
            self.accept()

    def _browse(self) -> None:
        path = file_dialogs.open_path(
            self,
            "roster",
            self.tr("选择台账文件"),
            self.tr("台账 (*.xlsx *.xls *.csv);;所有文件 (*)"),
        )
        if path is not None:
            self.path_edit.setText(str(path))

    def path(self) -> Path:
        return Path(self.path_edit.text().strip())

    def options(self, mapping: dict[str, str]) -> ri.ImportOptions:
        checked = self.policy_group.checkedButton()
        policy = ri.ExistingPolicy(checked.property("policy")) if checked else "update"
        return ri.ImportOptions(
            policy=ri.ExistingPolicy(policy), mapping=mapping, communities=dict(self.community_map)
        )

    def _run_preview(self, mapping: dict[str, str]) -> bool:
        if not self.path_edit.text().strip():
            show_error(self, ValidationError(self.tr("请先选择台账文件")))
            return False
        actor = self.ctx.actor
        assert actor is not None
        path, options = self.path(), self.options(mapping)

        def job(progress=None) -> ri.ImportPreview:  # type: ignore[no-untyped-def]
            with self.ctx.ws.reader(actor) as session:
                return ri.preview(session, actor, path, options, progress=progress)

        try:
            self.preview = run_with_progress(
                self.ctx.runner, job, self, self.tr("正在读取台账…"), cancellable=True
            )
        except Exception as exc:
            show_error(self, exc)
            return False
        self.mapping = mapping
        return True

    def _fill_mapping(self) -> None:
        assert self.preview is not None
        rows = [(s.name, c) for s in self.preview.sheets for c in s.columns]
        self.mapping_table.setRowCount(len(rows))
        self.mapping_combos: list[tuple[str, QComboBox]] = []
        for i, (sheet, col) in enumerate(rows):
            for c, text in ((0, sheet), (1, col.label)):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.mapping_table.setItem(i, c, item)
            combo = QComboBox()
            combo.addItem(self.tr("（不导入）"), "")
            for spec in ELDERLY.columns:
                combo.addItem(spec.label, spec.field)
            combo.setCurrentIndex(max(0, combo.findData(col.field or "")))
            self.mapping_table.setCellWidget(i, 2, combo)
            self.mapping_combos.append((col.label, combo))
        notes = [
            f"工作表“{s.name}”："
            + (f"表头在第 {s.header_row} 行。" if s.header_row else "")
            + s.note
            for s in self.preview.sheets
        ]
        self.sheets_label.setText("\n".join(notes))

    def _mapping(self) -> dict[str, str]:
        """The person's choices where they differ from what was read."""
        assert self.preview is not None
        auto = {c.label: c.field or "" for s in self.preview.sheets for c in s.columns if c.auto}
        chosen = dict(self.mapping)
        for label, combo in getattr(self, "mapping_combos", []):
            value = combo.currentData() or ""
            if auto.get(label) != value:
                chosen[label] = value
        return chosen

    def _fill_preview(self) -> None:
        p = self.preview
        assert p is not None
        c = p.counts
        self.summary_label.setText(
            self.tr("{0}：{1}。导入将新增 {2} 人、更新 {3} 人；未导入的行请看原因，"
                    "可保存报告在 Excel 中改正后再次导入。").format(
                p.file_name, p.summary(), c[ri.RowStatus.NEW], c[ri.RowStatus.UPDATE]
            )
        )  # fmt: skip
        self._fill_communities()
        self._fill_rows()

    def _fill_rows(self) -> None:
        if self.preview is None:
            return
        wanted = self.filter.currentData()
        rows = [
            r
            for r in self.preview.rows
            if r.reason != "空行" and (wanted is None or r.status.value == wanted)
        ]
        self.rows_model.set_rows(rows)

    def _save_report(self) -> None:
        if self.preview is None:
            return
        path = file_dialogs.save_path(
            self,
            "import-report",
            self.tr("保存导入报告"),
            f"导入报告-{Path(self.preview.file_name).stem}.xlsx",
            "Excel (*.xlsx)",
            self.ctx.ws.paths.exports,
            suffix=".xlsx",
        )
        if path is None:
            return
        try:
            ri.save_report(self.preview, path)
        except Exception as exc:
            show_error(self, exc)
            return
        self.report_button.setText(self.tr("报告已保存：{0}").format(path.name))

    def _apply(self) -> None:
        assert self.preview is not None
        actor = self.ctx.actor
        assert actor is not None
        path, options, previewed = self.path(), self.options(self.mapping), self.preview

        def job(progress=None) -> ri.ImportResult:  # type: ignore[no-untyped-def]
            return ri.apply_file(
                self.ctx.ws,
                actor,
                path,
                options,
                progress=progress,
                expect_fingerprint=previewed.fingerprint,
                previewed=previewed,
            )

        try:
            self.result = run_with_progress(
                self.ctx.runner, job, self, self.tr("正在导入，请勿关闭…")
            )
        except Exception as exc:
            show_error(self, exc)
            return
        self.ctx.changed.emit(ELDERLY_TABLES)
        text = self.result.message()
        if self.result.backup is not None:
            text += "\n\n" + self.tr("导入前已备份数据库：{0}").format(self.result.backup.name)
        self.done_label.setText(text)
        self._show(3)
