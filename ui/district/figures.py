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
    """统计报表 (区级业务员, 统计员): the district report for a month, quarter or year, its
    headline figures and a programme's charts on screen (the very `Chart`s the PDF draws), and
    PDF or Excel written off the UI thread."""

    def __init__(self, ctx: AppContext) -> None:
        from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QPushButton

        from ui.widgets.charts import ChartView

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
        self.heading = QLabel()
        self.table = read_only_table([self.tr("项目"), self.tr("全区")], (360,))
        # the charts of one programme at a time (Alt+C chooses it), as the PDF prints them
        self.section_box = QComboBox()
        self.section_box.currentIndexChanged.connect(self._show_charts)
        which = QLabel(self.tr("图表(&C)："))
        which.setBuddy(self.section_box)
        chart_head = QHBoxLayout()
        chart_head.addWidget(which)
        chart_head.addWidget(self.section_box)
        chart_head.addStretch()
        self.charts = [ChartView(self, self.tr("正在统计…")) for _ in range(2)]
        chart_row = QHBoxLayout()
        for view in self.charts:
            chart_row.addWidget(view, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addLayout(chart_head)
        layout.addLayout(chart_row, 1)
        self.reader = BackgroundRead(ctx, self, BusyOverlay(self.table).set_busy)
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
            lambda exc: (self.heading.setText(str(exc)), show_error(self, exc)),
        )

    def _show(self, report: Any) -> None:
        self.report = report
        self.heading.setText(report.title)
        lines = [(f"{s.title}：{k}", v) for s in report.sections for k, v in s.headline]
        self.table.setRowCount(len(lines))
        for i, (k, v) in enumerate(lines):
            self.table.setItem(i, 0, QTableWidgetItem(k))
            self.table.setItem(i, 1, QTableWidgetItem(str(v)))
        keep = self.section_box.currentText()
        self.section_box.blockSignals(True)
        self.section_box.clear()
        self.section_box.addItems([s.title for s in report.sections if s.charts])
        self.section_box.blockSignals(False)
        at = self.section_box.findText(keep)
        self.section_box.setCurrentIndex(max(0, at))
        self._show_charts()
        self._exports(True)

    def _show_charts(self, *_args: Any) -> None:
        title = self.section_box.currentText()
        charts: tuple[Any, ...] = ()
        if self.report is not None:
            for s in self.report.sections:
                if s.title == title:
                    charts = s.charts
        for view, chart in zip(self.charts, (*charts, None, None), strict=False):
            view.empty_text = self.tr("没有图表")
            view.set_chart(chart)

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
