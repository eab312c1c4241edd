"""Every window fits the screen it opens on (`QScreen.availableGeometry`: without the taskbar).

Office PCs are often 1366x768 with a 40 px Windows taskbar, so about 728 px are usable. Windows
ask for a size with `fit_to_screen`; `ScreenFitter`, installed on the application, shrinks and
moves any window that would still reach past the usable area when it is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

TITLE_BAR = 32  # the window manager's title bar above the client area (Windows 10/11: ~31 px)
FRAME_SIDES = 16  # left + right borders (Windows 10/11 draws ~8 px of shadow on each side)
_override: QRect | None = None  # tests set an office screen (1366x728) here


def available(widget: QWidget | None = None) -> QRect:
    """The usable area of the screen `widget` is on (the primary screen otherwise)."""
    if _override is not None:
        return QRect(_override)
    screen = widget.screen() if widget is not None else None
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def set_available_override(area: QRect | None) -> None:
    """For tests: pretend the usable screen area is `area`."""
    global _override
    _override = None if area is None else QRect(area)


def _frame(widget: QWidget) -> tuple[int, int]:
    """Extra width and height the window frame adds (the title bar at least)."""
    geo, frame = widget.geometry(), widget.frameGeometry()
    return max(frame.width() - geo.width(), FRAME_SIDES), max(
        frame.height() - geo.height(), TITLE_BAR
    )


def clamp(widget: QWidget) -> None:
    """Shrink and move `widget` (a window) so that it and its frame are on the usable area."""
    if widget.windowState() & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
        return
    area = available(widget)
    extra_w, extra_h = _frame(widget)
    width = min(widget.width(), area.width() - extra_w)
    height = min(widget.height(), area.height() - extra_h)
    if (width, height) != (widget.width(), widget.height()):
        widget.resize(width, height)
    frame = widget.frameGeometry()
    x = min(max(frame.x(), area.left()), area.right() + 1 - (width + extra_w))
    y = min(max(frame.y(), area.top()), area.bottom() + 1 - (height + extra_h))
    if (x, y) != (frame.x(), frame.y()):
        widget.move(x, y)  # move() places the frame's top-left corner


def fit_to_screen(widget: QWidget, width: int, height: int) -> None:
    """Resize to `width` x `height`, or less when the screen is smaller, and centre it."""
    area = available(widget)
    extra_w, extra_h = _frame(widget)
    w, h = min(width, area.width() - extra_w), min(height, area.height() - extra_h)
    widget.resize(w, h)
    widget.move(
        area.left() + (area.width() - w - extra_w) // 2,
        area.top() + (area.height() - h - extra_h) // 2,
    )


class ScreenFitter(QObject):
    """Application event filter: a window being shown is kept on the usable screen area."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Show
            and isinstance(watched, QWidget)
            and watched.isWindow()
            and not isinstance(watched, QMessageBox)  # sizes itself after this event
            and watched.windowType() in (Qt.WindowType.Window, Qt.WindowType.Dialog)
        ):
            clamp(watched)
        return False


def install(app: QApplication) -> ScreenFitter:
    from ui.widgets import app_filters

    fitter = ScreenFitter(app)
    app_filters.install(fitter)  # paused while pages are built (ui/widgets/app_filters.py)
    return fitter
