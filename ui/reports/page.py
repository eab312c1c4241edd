"""统计报表: choose a month, quarter or year; see the figures and charts; save as PDF or Excel.

The report is computed on the background runner (the roster and visit history are read once);
the screen, the PDF and the .xlsx are drawn from that one `Report`, so they always agree.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain import periods
from caseworker.services import reports
from ui.context import AppContext
from ui.messages import show_error
from ui.progress import run_with_progress
from ui.widgets import file_dialogs
from ui.widgets.report_view import ReportView


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

        # the report shown a programme at a time, as the district console shows its own
        self.view = ReportView()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
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
        self.view.show_report(report)

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
