"""Bar and line charts of rates drawn with QPainter (no QtCharts, which needs PySide6-Addons).

They draw the same `Chart` values the PDF draws with reportlab: 0-100% axis, the target as a
dashed line, bars below the target in red."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from caseworker.services.reports import Chart

BAR = QColor("#3b6ea5")
LOW = QColor("#c0504d")
TARGET = QColor("#e08a00")
GRID = QColor("#d9d9d9")


class ChartWidget(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chart: Chart | None = None
        self.setMinimumSize(320, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(480, 260)

    def set_chart(self, chart: Chart | None) -> None:
        self.chart = chart
        self.setToolTip(
            ""
            if chart is None
            else "\n".join(
                f"{label}：{'—' if v is None else f'{v * 100:.1f}%'}"
                for label, v in zip(chart.labels, chart.values, strict=True)
            )
        )
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), Qt.GlobalColor.white)
        chart = self.chart
        if chart is None:
            p.end()
            return
        font = QFont(self.font())
        font.setPointSizeF(10)
        font.setBold(True)
        p.setFont(font)
        p.setPen(Qt.GlobalColor.black)
        p.drawText(QRectF(0, 4, self.width(), 20), Qt.AlignmentFlag.AlignCenter, chart.title)
        small = QFont(self.font())
        small.setPointSizeF(7.5)
        p.setFont(small)
        many = len(chart.labels) > 6
        left, top, right = 40.0, 44.0, 12.0
        bottom = 58.0 if many else 30.0
        w = max(10.0, self.width() - left - right)
        h = max(10.0, self.height() - top - bottom)

        def y_of(rate: float) -> float:
            return top + h * (1 - max(0.0, min(1.0, rate)))

        for step in range(0, 101, 20):
            y = y_of(step / 100)
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(left, y), QPointF(left + w, y))
            p.setPen(Qt.GlobalColor.darkGray)
            p.drawText(QRectF(0, y - 8, left - 4, 16), Qt.AlignmentFlag.AlignRight, f"{step}%")
        n = max(1, len(chart.values))
        slot = w / n
        centers = [left + slot * (i + 0.5) for i in range(n)]
        if chart.kind == "bar":
            bar_w = max(4.0, slot * 0.6)
            for x, v in zip(centers, chart.values, strict=False):
                if v is None:
                    p.setPen(Qt.GlobalColor.darkGray)
                    p.drawText(
                        QRectF(x - 20, y_of(0) - 16, 40, 14), Qt.AlignmentFlag.AlignCenter, "—"
                    )
                    continue
                low = chart.target is not None and v < chart.target
                p.fillRect(
                    QRectF(x - bar_w / 2, y_of(v), bar_w, y_of(0) - y_of(v)), LOW if low else BAR
                )
                p.setPen(Qt.GlobalColor.black)
                p.drawText(
                    QRectF(x - 30, y_of(v) - 15, 60, 14),
                    Qt.AlignmentFlag.AlignCenter,
                    f"{v * 100:.0f}%",
                )
        else:
            path = QPainterPath()
            started = False
            for x, v in zip(centers, chart.values, strict=False):
                if v is None:
                    started = False
                    continue
                pt = QPointF(x, y_of(v))
                if started:
                    path.lineTo(pt)
                else:
                    path.moveTo(pt)
                    started = True
            p.setPen(QPen(BAR, 2))
            p.drawPath(path)
            p.setBrush(BAR)
            for x, v in zip(centers, chart.values, strict=False):
                if v is not None:
                    p.drawEllipse(QPointF(x, y_of(v)), 3, 3)
        if chart.target is not None:
            pen = QPen(TARGET, 1.2, Qt.PenStyle.DashLine)
            p.setPen(pen)
            y = y_of(chart.target)
            p.drawLine(QPointF(left, y), QPointF(left + w, y))
            p.drawText(
                QRectF(left, y - 15, w, 14),
                Qt.AlignmentFlag.AlignRight,
                f"目标 {chart.target * 100:.0f}%",
            )
        p.setPen(Qt.GlobalColor.black)
        p.drawLine(QPointF(left, y_of(0)), QPointF(left + w, y_of(0)))
        for x, label in zip(centers, chart.labels, strict=False):
            if many:
                p.save()
                p.translate(x + 4, y_of(0) + 6)
                p.rotate(-35)
                p.drawText(QRectF(-90, -8, 90, 16), Qt.AlignmentFlag.AlignRight, label)
                p.restore()
            else:
                p.drawText(
                    QRectF(x - slot / 2, y_of(0) + 4, slot, 16), Qt.AlignmentFlag.AlignCenter, label
                )
        p.end()
