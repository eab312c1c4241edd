"""A 统计报表 on screen, one programme (section) at a time: its headline figures, its two charts,
its tables (the total row in bold), its footnotes and 保密 line. It draws the very `Report` the
PDF and the .xlsx are written from, so screen and paper agree; the office's 统计报表 and the
district console's show a report through it alike (an office's rows are communities, the
district's are offices with the district total)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caseworker.services import reports
from ui.widgets.charts import ChartView


def cell_text(value: object, kind: str) -> str:
    """A table cell as the PDF prints it: rates with one decimal, "—" where nobody was due."""
    if value is None or value == "":
        return "—" if kind == "percent" else ""
    if kind == "percent":
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    if kind == "float":
        return f"{float(value):,.2f}"  # type: ignore[arg-type]
    return str(value)


class ReportView(QWidget):
    """The report's title, a chooser of its sections (Alt+C), and the chosen section."""

    def __init__(self, parent: QWidget | None = None, *, tables_height: int = 260) -> None:
        super().__init__(parent)
        self.report: reports.Report | None = None
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.title.setWordWrap(True)
        # One programme on screen at a time (the PDF and the .xlsx hold them all).
        self.section = QComboBox()
        self.section.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.section.setToolTip(self.tr("选择项目；导出的PDF和Excel包含全部项目"))
        self.section.currentIndexChanged.connect(self._show_section)
        self.section_label = QLabel(self.tr("项目(&C)："))
        self.section_label.setBuddy(self.section)
        title_row = QHBoxLayout()
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.section_label)
        title_row.addWidget(self.section)
        self.headline = QGridLayout()
        self.bar = ChartView(self, self.tr("没有图表"))
        self.line = ChartView(self, self.tr("没有图表"))
        charts = QHBoxLayout()
        charts.addWidget(self.bar, 1)
        charts.addWidget(self.line, 1)
        self.tables = QTabWidget()
        self.tables.setMinimumHeight(tables_height)
        # The section's definitions (as the PDF prints them under it)
        self.footnotes = QLabel()
        self.footnotes.setWordWrap(True)
        self.footnotes.setStyleSheet("color: #555;")
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addLayout(self.headline)
        body_layout.addLayout(charts, 1)
        body_layout.addWidget(self.tables, 1)
        body_layout.addWidget(self.footnotes)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(title_row)
        layout.addWidget(scroll, 1)

    def show_report(self, report: reports.Report) -> None:
        """Show `report`, on the section shown before when it has it (else its first)."""
        keep = self.section.currentText()
        self.report = report
        self.title.setText(report.title)
        self.section.blockSignals(True)
        self.section.clear()
        for section in report.sections:
            self.section.addItem(section.title)
        self.section.blockSignals(False)
        many = len(report.sections) > 1
        self.section.setVisible(many)
        self.section_label.setVisible(many)
        at = max(0, self.section.findText(keep))
        self.section.setCurrentIndex(at)
        self._show_section(at)

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
        section = report.sections[index]
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
            self.tables.addTab(_table(t), t.title)
        notes = [f"{i}. {text}" for i, text in enumerate(section.footnotes, 1)]
        secret = self.tr("保密：儿童关爱统计仅限工作使用。") if section.confidential else ""
        self.footnotes.setText(
            "\n".join([secret, self.tr("注："), *notes] if notes else [secret]).strip()
        )


def _table(t: reports.ReportTable) -> QTableWidget:
    w = QTableWidget(len(t.rows), len(t.columns))
    w.setHorizontalHeaderLabels([c.header for c in t.columns])
    w.verticalHeader().hide()
    w.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for r, row in enumerate(t.rows):
        for c, (value, col) in enumerate(zip(row, t.columns, strict=False)):
            item = QTableWidgetItem(cell_text(value, col.kind))
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
    return w
