"""Letting go of a window safely.

A top-level widget made without a parent belongs to its Python wrapper: dropping the last
reference deletes the C++ object at once. Dropped inside one of its own signals (a lock dialog
accepted from its Enter key, a main window closed from its own menu), Qt returns into a deleted
object and the process dies in native code (issue 18's lock-screen crash). `retire` hides the
window, keeps the wrapper alive and lets Qt delete it from the event loop, where nothing of it is
on the stack any more.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

_retiring: dict[int, QWidget] = {}


def retire(widget: QWidget | None) -> None:
    """Hide `widget` and delete it once control is back in the event loop."""
    if widget is None:
        return
    key = id(widget)
    if key in _retiring:
        return
    _retiring[key] = widget
    widget.destroyed.connect(lambda _obj=None, k=key: _retiring.pop(k, None))
    widget.hide()
    widget.deleteLater()


def retiring() -> int:
    """How many widgets wait for deletion (tests check that none is kept for ever)."""
    return len(_retiring)
