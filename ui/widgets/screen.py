"""Every window fits the screen it opens on (`QScreen.availableGeometry`: without the taskbar).

Office PCs are often 1366x768 with a 40 px Windows taskbar, so about 728 px are usable. Windows
ask for a size with `fit_to_screen`; `ScreenFitter`, installed on the application, shrinks and
moves any window that would still reach past the usable area when it is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

# A main window smaller than this is never kept (issue 18: one came back at 200x235 after
# 切换用户, was saved so, and opened so at every later start).
USEFUL_WIDTH, USEFUL_HEIGHT = 960, 560
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


def _useful(rect: QRect, area: QRect) -> bool:
    """A window rectangle worth keeping: big enough to work in (USEFUL_*, or 60% of a smaller
    screen) and at least half of it on the screen."""
    big_enough = rect.width() >= min(USEFUL_WIDTH, area.width() * 3 // 5) and rect.height() >= min(
        USEFUL_HEIGHT, area.height() * 3 // 5
    )
    on_screen = area.intersected(rect)
    return (
        big_enough and on_screen.width() * on_screen.height() >= rect.width() * rect.height() // 2
    )


def save_geometry(settings: QSettings, key: str, window: QWidget) -> bool:
    """Remember `window`'s geometry under `key`, unless it is not worth restoring (hidden,
    minimised, or its normal size too small to work in): then the last good one stays."""
    if not window.isVisible() or window.isMinimized():
        return False
    if not _useful(window.normalGeometry(), available(window)):
        return False
    settings.setValue(key, window.saveGeometry())
    return True


def restore_geometry(settings: QSettings, key: str, window: QWidget) -> bool:
    """Put back the geometry saved under `key` when it fits this screen and is big enough to
    work in; False (and nothing changed worth keeping) otherwise, for the caller's default."""
    blob = settings.value(key)
    if not isinstance(blob, QByteArray | bytes) or not window.restoreGeometry(QByteArray(blob)):
        return False
    area = available(window)
    normal = window.normalGeometry() if window.isMaximized() else window.geometry()
    if not _useful(normal, area):
        return False
    clamp(window)
    return True


class ScreenFitter(QObject):
    """Application event filter: a window being shown is kept on the usable screen area, and
    again once the window manager has put its frame around it (only then is the frame's real
    height known: Windows' title bar is about 31 px, openbox's about 20)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Show
            and isinstance(watched, QWidget)
            and watched.isWindow()
            and not isinstance(watched, QMessageBox)  # sizes itself after this event
            and watched.windowType() in (Qt.WindowType.Window, Qt.WindowType.Dialog)
        ):
            clamp(watched)
            QTimer.singleShot(150, watched, lambda w=watched: _clamp_if_shown(w))
        return False


def _clamp_if_shown(widget: QWidget) -> None:
    if widget.isVisible():
        clamp(widget)


def install(app: QApplication) -> ScreenFitter:
    from ui.widgets import app_filters

    fitter = ScreenFitter(app)
    app_filters.install(fitter)  # paused while pages are built (ui/widgets/app_filters.py)
    return fitter
