"""儿童统计 (区未保中心): each office's children's figures, numbers only, as the command line's
`caseworker-district children` gives them; no child's name or record reaches the district."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QTableWidgetItem, QVBoxLayout, QWidget

from caseworker.district import console
from ui.context import AppContext
from ui.widgets.busy import BackgroundRead, BusyOverlay
from ui.widgets.table_models import read_only_table

COLUMNS = ("代码", "街道", "在册儿童", "按类别", "在办个案", "紧急个案", "按风险等级")


class ChildFiguresPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        title = QLabel(self.tr("儿童关爱统计（只有数字）"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.table = read_only_table([self.tr(c) for c in COLUMNS], (90, 150, 80, 300, 80, 80))
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.table, 1)
        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.table).set_busy)
        hub, actor = ctx.ws, ctx.actor
        assert actor is not None
        self.reader.start(lambda _s: console.child_figures(hub, actor), self._show)  # type: ignore[arg-type]

    def _show(self, rows: list[Any]) -> None:
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            values = (
                r.office_code,
                r.office_name,
                str(r.children),
                "，".join(f"{k} {v}" for k, v in r.by_category.items()),
                str(r.open_cases),
                str(r.urgent_open),
                "，".join(f"{k} {v}" for k, v in r.open_by_risk.items()),
            )
            for j, value in enumerate(values):
                self.table.setItem(i, j, QTableWidgetItem(value))


class ReportPage(QWidget):
    """统计报表 (区级业务员, 统计员): the district report for a month, quarter or year on screen
    a programme at a time (its headline figures, charts, and tables of every office with the
    district total: `ui.widgets.report_view`, the office's view), and PDF or Excel written off
    the UI thread."""

    def __init__(self, ctx: AppContext) -> None:
        from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton

        from ui.widgets.report_view import ReportView

        super().__init__()
        self.ctx = ctx
        self.report: Any = None
        title = QLabel(self.tr("全区统计报表"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.period = QLineEdit()
        self.period.setPlaceholderText(
            self.tr("2026-12（月）、2026-Q4（季度）或 2026（年）；空为本月")
        )
        self.period.setMaxLength(10)
        self.period.returnPressed.connect(self.build)
        self.build_button = QPushButton(self.tr("统计(&G)"))
        self.pdf_button = QPushButton(self.tr("导出 PDF(&P)…"))
        self.xlsx_button = QPushButton(self.tr("导出 Excel(&X)…"))
        self.build_button.clicked.connect(self.build)
        self.pdf_button.clicked.connect(lambda: self.export(".pdf"))
        self.xlsx_button.clicked.connect(lambda: self.export(".xlsx"))
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("期间：")))
        row.addWidget(self.period, 1)
        for b in (self.build_button, self.pdf_button, self.xlsx_button):
            row.addWidget(b)
        # every office side by side with the district total, a programme at a time, as the
        # office's 统计报表 shows its communities (the same view, the same `Report`)
        self.heading = QLabel()  # what went wrong, when a period cannot be counted
        self.heading.setStyleSheet("color: #b00020;")
        self.heading.setWordWrap(True)
        self.heading.hide()
        self.view = ReportView(tables_height=200)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(self.heading)
        layout.addWidget(self.view, 1)
        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.view).set_busy)
        self._exports(False)
        self.build()

    def _exports(self, on: bool) -> None:
        self.pdf_button.setEnabled(on)
        self.xlsx_button.setEnabled(on)

    def build(self) -> None:
        from ui.messages import show_error

        hub, actor, text = self.ctx.ws, self.ctx.actor, self.period.text()
        assert actor is not None
        self._exports(False)
        self.reader.start(
            lambda _s: console.district_report(hub, actor, text),  # type: ignore[arg-type]
            self._show,
            lambda exc: (
                self.heading.setText(str(exc)),
                self.heading.show(),
                show_error(self, exc),
            ),
        )

    def _show(self, report: Any) -> None:
        self.report = report
        self.heading.hide()
        self.view.show_report(report)
        self._exports(True)

    def export(self, suffix: str) -> None:
        from caseworker.domain.errors import CaseworkerError
        from ui.messages import show_error
        from ui.progress import run_with_progress
        from ui.widgets import file_dialogs

        report = self.report
        if report is None:
            return
        pattern = (
            self.tr("PDF 文件 (*.pdf)") if suffix == ".pdf" else self.tr("Excel 文件 (*.xlsx)")
        )
        out = file_dialogs.save_path(
            self.window(),
            "district_report",
            self.tr("保存统计报表"),
            f"{report.title}{suffix}",
            pattern,
            None,
            suffix,
        )
        if out is None:
            return
        try:
            written = run_with_progress(
                self.ctx.runner,
                lambda: console.write_report(report, out),
                self,
                self.tr("正在生成…"),
            )
        except CaseworkerError as exc:
            show_error(self, exc)
            return
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.information(self, self.tr("统计报表"), self.tr("已保存：{0}").format(written))
