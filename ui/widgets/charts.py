"""A report chart on screen: the bars or the line of a `caseworker.domain.report.Chart` (rates
0..1, None where nobody was due), drawn with QPainter in the application's bundled font.

PySide6's QtCharts is not part of the wheels the application installs (PySide6-Essentials), so
the chart is drawn here; it is the same `Chart` the PDF draws with reportlab, so screen and
paper show the same numbers. The widget takes the keyboard focus (Left/Right step through the
points, the value is shown in a tooltip and in `current_text()`), names every value in its
accessible description and in `values_text()`, and shows the value under the mouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from caseworker.services.reports import Chart

BAR = QColor("#3b6ea5")
LOW = QColor("#c0504d")  # a bar below the target
TARGET = QColor("#e08a00")
CURRENT = QColor("#f2c94c")  # the point the keyboard or the mouse is on
AXIS = QColor("#777777")


def percent(value: float | None) -> str:
    """A rate as the report prints it: one decimal, "—" where nobody was due."""
    return "—" if value is None else f"{value * 100:.1f}%"


@dataclass(frozen=True)
class Drawn:
    """One point as drawn: its label, its value and where it is (for hover and the tests)."""

    label: str
    value: float | None
    rect: QRectF  # its column of the plot (hover finds the point by it)
    mark: QRectF  # the bar, or a small square around the line's point (empty: no value)


class ChartView(QWidget):
    """One chart; `set_chart(None)` shows `empty_text` instead."""

    def __init__(self, parent: QWidget | None = None, empty_text: str = "没有数据") -> None:
        super().__init__(parent)
        self.chart: Chart | None = None
        self.empty_text = empty_text
        self.drawn: list[Drawn] = []
        self.plot = QRectF()  # where 0..100% was drawn last
        self.current = -1  # the point the keyboard is on (-1: none)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(260, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(self.tr("图表"))

    def sizeHint(self) -> QSize:
        return QSize(520, 240)

    # -- data --------------------------------------------------------------------------------

    def set_chart(self, chart: Chart | None) -> None:
        self.chart = chart
        self.current = -1
        self.drawn = []
        if chart is None:
            self.setAccessibleName(self.tr("图表"))
            self.setAccessibleDescription(self.empty_text)
        else:
            self.setAccessibleName(chart.title)
            self.setAccessibleDescription(self.values_text())
        self.update()

    def values_text(self) -> str:
        """Every value as text, one per line (screen readers, and the tooltip of the chart)."""
        c = self.chart
        if c is None:
            return self.empty_text
        lines = [c.title]
        lines += [
            f"{label}：{percent(value)}" for label, value in zip(c.labels, c.values, strict=True)
        ]
        if c.target is not None:
            lines.append(f"目标：{c.target * 100:.0f}%")
        return "\n".join(lines)

    def current_text(self) -> str:
        c = self.chart
        if c is None or not 0 <= self.current < len(c.labels):
            return ""
        return f"{c.labels[self.current]}：{percent(c.values[self.current])}"

    # -- keyboard and mouse --------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        c = self.chart
        key = event.key()
        if (
            c is None
            or not c.labels
            or key
            not in (
                Qt.Key.Key_Left,
                Qt.Key.Key_Right,
                Qt.Key.Key_Home,
                Qt.Key.Key_End,
            )
        ):
            super().keyPressEvent(event)
            return
        last = len(c.labels) - 1
        if key == Qt.Key.Key_Home:
            self.current = 0
        elif key == Qt.Key.Key_End:
            self.current = last
        elif key == Qt.Key.Key_Left:
            self.current = last if self.current <= 0 else self.current - 1
        else:
            self.current = 0 if self.current >= last else self.current + 1
        self._announce()
        self.update()

    def _announce(self) -> None:
        text = self.current_text()
        self.setAccessibleDescription(text or self.values_text())
        if text and self.isVisible():
            self.repaint()  # `drawn` holds this point's place before the tooltip is placed
            where = self.drawn[self.current].mark.center() if self.drawn else QPointF(0, 0)
            QToolTip.showText(self.mapToGlobal(where.toPoint()), text, self)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.current = -1
        self.update()
        super().focusOutEvent(event)

    def index_at(self, pos: QPointF) -> int:
        """The point under `pos` (a bar's whole column, or the nearest line point), or -1."""
        for i, d in enumerate(self.drawn):
            if d.rect.left() - 2 <= pos.x() <= d.rect.right() + 2:
                return i
        return -1

    def event(self, event: QEvent) -> bool:
        # Qt's own tooltip (the mouse at rest): the value under it, else every value as text
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            i = self.index_at(QPointF(event.pos()))
            d = self.drawn[i] if i >= 0 else None
            text = self.values_text() if d is None else f"{d.label}：{percent(d.value)}"
            QToolTip.showText(event.globalPos(), text, self)
            return True
        return super().event(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        i = self.index_at(event.position())
        if i >= 0:
            d = self.drawn[i]
            QToolTip.showText(
                self.mapToGlobal(event.position().toPoint()) + QPoint(8, 8),
                f"{d.label}：{percent(d.value)}",
                self,
            )
        else:
            QToolTip.hideText()
        super().mouseMoveEvent(event)

    # -- drawing --------------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: C901
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        fm = QFontMetrics(self.font())
        c = self.chart
        if c is None:
            p.setPen(AXIS)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            p.end()
            self.drawn = []
            return
        title_h = fm.height() + 6
        p.setPen(self.palette().text().color())
        p.drawText(QRectF(0, 2, self.width(), title_h), Qt.AlignmentFlag.AlignHCenter, c.title)
        n = max(1, len(c.labels))
        small = self.font()
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.8))
        sfm = QFontMetrics(small)
        left = sfm.horizontalAdvance("100%") + 10
        plot_w = self.width() - left - 12
        # Long or many labels are turned 45°: they need the height of the longest one.
        widest = max((sfm.horizontalAdvance(label) for label in c.labels), default=0)
        slanted = widest > plot_w / n - 4
        label_h = int(widest * 0.72) + sfm.height() if slanted else sfm.height() + 4
        label_h = min(label_h, self.height() // 3)
        # a turned label longer than its room is cut at its end ("朝阳门外…": the names of
        # offices differ at their start; the whole text is in the tooltip and
        # values_text), and the plot moves right so that the first one is not cut off
        room = max(sfm.height(), int((label_h - sfm.height()) / 0.72)) if slanted else widest
        if slanted:
            left = max(left, int(min(widest, room) * 0.72) - int(plot_w / n / 2) + 4)
            plot_w = self.width() - left - 12
        plot = QRectF(left, title_h + 6, plot_w, self.height() - title_h - 6 - label_h - 6)
        if plot.height() < 20 or plot.width() < 20:
            p.end()
            self.drawn = []
            return
        p.setFont(small)
        # axis and grid at 0, 20 … 100%
        for step in range(0, 101, 20):
            y = plot.bottom() - plot.height() * step / 100
            p.setPen(QPen(QColor("#e4e4e4") if step else AXIS, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(AXIS)
            p.drawText(
                QRectF(0, y - sfm.height() / 2, left - 4, sfm.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{step}%",
            )
        slot = plot.width() / n
        drawn: list[Drawn] = []
        points: list[QPointF | None] = []
        for i, (label, value) in enumerate(zip(c.labels, c.values, strict=True)):
            x = plot.left() + slot * i
            h = 0.0 if value is None else plot.height() * min(max(value, 0.0), 1.0)
            if c.kind == "bar":
                bw = max(2.0, slot * 0.7)
                rect = QRectF(x + (slot - bw) / 2, plot.bottom() - h, bw, h)
                colour = BAR
                if c.target is not None and value is not None and value < c.target:
                    colour = LOW
                if i == self.current:
                    colour = CURRENT
                p.fillRect(rect, colour)
                p.setPen(self.palette().text().color())
                if sfm.horizontalAdvance("100%") < slot:  # the value on the bar, when it fits
                    text = "—" if value is None else f"{value * 100:.0f}%"
                    p.drawText(
                        QRectF(x, rect.top() - sfm.height() - 1, slot, sfm.height()),
                        Qt.AlignmentFlag.AlignHCenter,
                        text,
                    )
                column = QRectF(x, plot.top(), slot, plot.height())
                drawn.append(Drawn(label, value, column, rect))
            else:
                centre = QPointF(x + slot / 2, plot.bottom() - h)
                points.append(None if value is None else centre)
                mark = QRectF() if value is None else QRectF(centre.x() - 3, centre.y() - 3, 6, 6)
                drawn.append(Drawn(label, value, QRectF(x, plot.top(), slot, plot.height()), mark))
            # the category label under its slot, turned when it does not fit
            p.setPen(AXIS)
            if slanted:
                p.save()
                p.translate(x + slot / 2 + sfm.height() / 2, plot.bottom() + 4)
                p.rotate(-45)
                p.drawText(
                    QRectF(-room - 2, -sfm.height(), room, sfm.height()),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    sfm.elidedText(label, Qt.TextElideMode.ElideRight, room),
                )
                p.restore()
            else:
                p.drawText(
                    QRectF(x, plot.bottom() + 3, slot, sfm.height()),
                    Qt.AlignmentFlag.AlignHCenter,
                    label,
                )
        if c.kind == "line":
            # a month without figures is a gap in the line, as in the PDF
            p.setPen(QPen(BAR, 2))
            for a, b in pairwise(points):
                if a is not None and b is not None:
                    p.drawLine(a, b)
            for i, pt in enumerate(points):
                if pt is not None:
                    p.setBrush(CURRENT if i == self.current else BAR)
                    p.drawEllipse(pt, 3.5, 3.5)
        if c.target is not None:
            y = plot.bottom() - plot.height() * min(c.target, 1.0)
            p.setPen(QPen(TARGET, 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.drawText(
                QRectF(plot.left(), y - sfm.height() - 1, plot.width(), sfm.height()),
                Qt.AlignmentFlag.AlignRight,
                f"目标 {c.target * 100:.0f}%",
            )
        if self.hasFocus():
            p.setPen(QPen(self.palette().highlight().color(), 1, Qt.PenStyle.DotLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        p.end()
        self.drawn = drawn
        self.plot = plot
