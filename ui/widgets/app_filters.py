"""The application's event filters written in Python, and making widgets without them.

An application-wide event filter is called for every event of every widget, and each call from
Qt into Python costs a few microseconds: a page of 45 widgets received about 4,000 events while
being made and shown, and the two filters (ui/widgets/screen.py's ScreenFitter, ui/idle.py's
IdleWatcher) made it 3-5 times slower to build (20 ms alone, 90 ms with them; issue 9's stalls).
`install`/`remove` keep the list; `building()` takes them off while widgets are being made in
one synchronous step and puts them back after. Nothing they watch happens then: no input can
arrive and no window is shown while the UI thread runs the constructors (a constructor that
opened a modal dialog would run its event loop unwatched: none does).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication
from shiboken6 import isValid

_filters: list[QObject] = []
_depth = [0]


def install(event_filter: QObject) -> None:
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(event_filter)
    if event_filter not in _filters:
        _filters.append(event_filter)


def remove(event_filter: QObject) -> None:
    app = QApplication.instance()
    if app is not None and isValid(event_filter):
        app.removeEventFilter(event_filter)
    if event_filter in _filters:
        _filters.remove(event_filter)


def installed() -> list[QObject]:
    return [f for f in _filters if isValid(f)]


@contextmanager
def building() -> Iterator[None]:
    """Make widgets without the application's Python event filters (see above)."""
    app = QApplication.instance()
    _depth[0] += 1
    paused = installed() if _depth[0] == 1 and app is not None else []
    for f in paused:
        app.removeEventFilter(f)  # type: ignore[union-attr]
    try:
        yield
    finally:
        _depth[0] -= 1
        for f in paused:
            if f in _filters and isValid(f):  # not removed for good meanwhile
                app.installEventFilter(f)  # type: ignore[union-attr]
