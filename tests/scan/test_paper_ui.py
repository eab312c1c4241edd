"""A keyboard-wedge scanner's code plus Enter opens its form; ordinary typing does not."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from caseworker.domain import form_code


@pytest.fixture
def window(qtbot, monkeypatch):
    from ui import paper_codes

    opened: list[str] = []
    monkeypatch.setattr(
        paper_codes, "open_code", lambda ctx, parent, code, page=None: opened.append(code)
    )
    w = QWidget()
    search = QLineEdit()
    other = QLineEdit()
    lay = QVBoxLayout(w)
    lay.addWidget(search)
    lay.addWidget(other)
    qtbot.addWidget(w)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    paper_codes.install(None, w)  # type: ignore[arg-type]
    return w, search, opened


def test_code_typed_into_the_search_box_opens_it(qtbot, window) -> None:
    _w, search, opened = window
    code = form_code.encode("123", "000000004711", 1)
    search.setFocus()
    qtbot.keyClicks(search, code)
    qtbot.keyClick(search, Qt.Key.Key_Return)
    assert opened == [code] and search.text() == ""


def test_a_number_that_is_not_a_code_is_left_alone(qtbot, window) -> None:
    _w, search, opened = window
    code = form_code.encode("123", "000000004711", 1)
    search.setFocus()
    qtbot.keyClicks(search, code[:-1] + str((int(code[-1]) + 1) % 10))
    qtbot.keyClick(search, Qt.Key.Key_Return)
    assert opened == [] and len(search.text()) == 20
