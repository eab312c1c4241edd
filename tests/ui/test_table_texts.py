"""A list model given its cells' texts (made on the reader thread, `texts_of`) paints them without
calling a column's getter on the UI thread; the roles it has nothing for are answered before any
lookup (冲突's page of 200 rows, s31: data() was 0.70 s of the UI thread's CPU, now 0.21 s)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ui.widgets.table_models import Column, ListTableModel, texts_of


def test_texts_made_off_the_ui_thread_are_painted_as_given(qtbot) -> None:
    calls: list[int] = []

    def value(n: int) -> str:
        calls.append(n)
        return f"第{n}条记录被覆盖的内容"

    columns = (Column("编号", lambda n: f"#{n}"), Column("内容", value, align_right=True))
    rows = list(range(3))
    texts = texts_of(columns, rows)  # on the reader thread
    assert texts[1] == ["#1", "第1条记录被覆盖的内容"]
    calls.clear()
    model: ListTableModel[int] = ListTableModel(columns)
    model.set_rows(rows, texts)
    index = model.index(2, 1)
    assert model.data(index) == "第2条记录被覆盖的内容"
    assert model.data(index, Qt.ItemDataRole.ToolTipRole) == "第2条记录被覆盖的内容"
    assert model.data(index, Qt.ItemDataRole.TextAlignmentRole) == int(
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    )
    assert model.data(index, Qt.ItemDataRole.BackgroundRole) is None
    assert calls == []  # nothing formatted while painting
    # rows without texts (or texts of other rows) are formatted as before
    model.set_rows([7])
    assert model.data(model.index(0, 1)) == "第7条记录被覆盖的内容" and calls == [7]
    model.set_rows([8, 9], texts)
    assert model.data(model.index(0, 0)) == "#8"
