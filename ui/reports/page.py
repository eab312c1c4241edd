"""统计报表: choose a month, quarter or year; see the figures and charts; save as PDF or Excel.

The report is computed on the background runner (the roster and visit history are read once);
the screen, the PDF and the .xlsx are drawn from that one `Report`, so they always agree.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain import periods
from caseworker.services import reports
from ui.context import AppContext
from ui.messages import show_error
from ui.progress import run_with_progress
from ui.reports.charts import ChartWidget
from ui.widgets import file_dialogs


def _cell(value: object, kind: str) -> str:
    if value is None or value == "":
        return "—" if kind == "percent" else ""
    if kind == "percent":
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    if kind == "float":
        return f"{float(value):,.2f}"  # type: ignore[arg-type]
    return str(value)


class ReportsPage(QWidget):
    def __init__(self, ctx: AppContext, today: date | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.today = today or date.today()
        self.report: reports.Report | None = None
        heading = QLabel(self.tr("统计报表"))
        heading.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.kind = QComboBox()
        for key, text in (("month", "月报"), ("quarter", "季报"), ("year", "年报")):
            self.kind.addItem(self.tr(text), key)
        self.year = QSpinBox()
        self.year.setRange(2000, self.today.year)
        self.year.setValue(self.today.year)
        self.year.setSuffix(self.tr(" 年"))
        self.month = QComboBox()
        for m in range(1, 13):
            self.month.addItem(self.tr("{0} 月").format(m), m)
        self.month.setCurrentIndex(self.today.month - 1)
        self.quarter = QComboBox()
        for q in range(1, 5):
            self.quarter.addItem(self.tr("第 {0} 季度").format(q), q)
        self.quarter.setCurrentIndex((self.today.month - 1) // 3)
        self.kind.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self.generate_button = QPushButton(self.tr("统计"))
        self.generate_button.clicked.connect(self.generate)
        self.pdf_button = QPushButton(self.tr("导出PDF"))
        self.pdf_button.clicked.connect(lambda: self.save("pdf"))
        self.xlsx_button = QPushButton(self.tr("导出Excel"))
        self.xlsx_button.clicked.connect(lambda: self.save("xlsx"))
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addSpacing(12)
        for w in (self.kind, self.year, self.month, self.quarter, self.generate_button):
            top.addWidget(w)
        top.addStretch()
        top.addWidget(self.pdf_button)
        top.addWidget(self.xlsx_button)

        self.title = QLabel()
        self.title.setStyleSheet("font-size: 12pt; font-weight: bold;")
        # One programme on screen at a time (the PDF and the .xlsx hold them all).
        self.section = QComboBox()
        self.section.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.section.setToolTip(self.tr("选择项目；导出的PDF和Excel包含全部项目"))
        self.section.currentIndexChanged.connect(self._show_section)
        title_row = QHBoxLayout()
        title_row.addWidget(self.title)
        title_row.addStretch()
        title_row.addWidget(self.section)
        self.headline = QGridLayout()
        self.bar = ChartWidget()
        self.line = ChartWidget()
        charts = QHBoxLayout()
        charts.addWidget(self.bar, 1)
        charts.addWidget(self.line, 1)
        self.tables = QTabWidget()
        self.tables.setMinimumHeight(260)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addLayout(title_row)
        body_layout.addLayout(self.headline)
        body_layout.addLayout(charts, 1)
        body_layout.addWidget(self.tables, 1)
        # The section's definitions (as the PDF prints them under it)
        self.footnotes = QLabel()
        self.footnotes.setWordWrap(True)
        self.footnotes.setStyleSheet("color: #555;")
        body_layout.addWidget(self.footnotes)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self._kind_changed()
        self._set_enabled()
        # Open on this month's figures (computed on the runner once the page is shown).
        QTimer.singleShot(0, self.generate)

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.month.setVisible(kind == "month")
        self.quarter.setVisible(kind == "quarter")

    def period(self) -> periods.Period:
        kind, y = self.kind.currentData(), self.year.value()
        if kind == "month":
            return periods.month(date(y, self.month.currentData(), 1))
        if kind == "quarter":
            return periods.quarter(y, self.quarter.currentData())
        return periods.year(y)

    def _set_enabled(self) -> None:
        for b in (self.pdf_button, self.xlsx_button):
            b.setEnabled(self.report is not None)

    def generate(self) -> None:
        actor = self.ctx.actor
        assert actor is not None
        period, today = self.period(), self.today

        def job(progress=None) -> reports.Report:  # type: ignore[no-untyped-def]
            with self.ctx.ws.reader(actor) as session:
                return reports.build(session, actor, period, today=today, progress=progress)

        try:
            report = run_with_progress(
                self.ctx.runner, job, self, self.tr("正在统计…"), cancellable=True
            )
        except Exception as exc:
            show_error(self, exc)
            return
        self.show_report(report)

    def show_report(self, report: reports.Report) -> None:
        self.report = report
        self._set_enabled()
        self.title.setText(report.title)
        self.section.blockSignals(True)
        self.section.clear()
        for section in report.sections:
            self.section.addItem(section.title)
        self.section.blockSignals(False)
        self.section.setVisible(len(report.sections) > 1)
        self._show_section(0)

    def _show_section(self, index: int) -> None:
        """Headline, charts and tables of one section of the report shown."""
        report = self.report
        if report is None or not 0 <= index < len(report.sections):
            return
        while self.headline.count():
            item = self.headline.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.tables.clear()
        for section in report.sections[index : index + 1]:
            for col, (label, value) in enumerate(section.headline):
                name = QLabel(label)
                name.setStyleSheet("color: #777;")
                name.setAlignment(Qt.AlignmentFlag.AlignCenter)
                figure = QLabel(value)
                figure.setStyleSheet("font-size: 15pt;")
                figure.setAlignment(Qt.AlignmentFlag.AlignCenter)
                self.headline.addWidget(name, 0, col)
                self.headline.addWidget(figure, 1, col)
                name.show()  # added to a page already shown: not shown by the layout
                figure.show()
            charts = {c.kind: c for c in section.charts}
            self.bar.set_chart(charts.get("bar"))
            self.line.set_chart(charts.get("line"))
            for t in section.tables:
                w = QTableWidget(len(t.rows), len(t.columns))
                w.setHorizontalHeaderLabels([c.header for c in t.columns])
                w.verticalHeader().hide()
                w.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
                for r, row in enumerate(t.rows):
                    for c, (value, col) in enumerate(zip(row, t.columns, strict=False)):
                        item = QTableWidgetItem(_cell(value, col.kind))
                        if c:
                            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                        if t.total and r == len(t.rows) - 1:
                            font = item.font()
                            font.setBold(True)
                            item.setFont(font)
                        w.setItem(r, c, item)
                w.resizeColumnsToContents()
                if t.note:
                    w.setToolTip(t.note)
                self.tables.addTab(w, t.title)
            notes = [f"{i}. {text}" for i, text in enumerate(section.footnotes, 1)]
            secret = self.tr("保密：儿童关爱统计仅限工作使用。") if section.confidential else ""
            self.footnotes.setText(
                "\n".join([secret, self.tr("注："), *notes] if notes else [secret]).strip()
            )

    def save(self, kind: str) -> Path | None:
        report = self.report
        if report is None:
            return None
        pattern = "PDF (*.pdf)" if kind == "pdf" else "Excel (*.xlsx)"
        path = file_dialogs.save_path(
            self,
            "report",
            self.tr("保存统计报表"),
            f"{report.title}.{kind}",
            pattern,
            self.ctx.ws.paths.exports,
            suffix=f".{kind}",
        )
        if path is None:
            return None

        def job() -> Path:
            if kind == "pdf":
                from caseworker.printing.report_pdf import write_pdf

                return write_pdf(report, path)
            from caseworker.services.reports.output import write_xlsx

            return write_xlsx(report, path)

        try:
            out = run_with_progress(self.ctx.runner, job, self, self.tr("正在保存…"))
        except Exception as exc:
            show_error(self, exc)
            return None
        QMessageBox.information(self, self.tr("统计报表"), self.tr("已保存：\n{0}").format(out))
        return out
