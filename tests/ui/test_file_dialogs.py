"""Where file dialogs start and what they remember (the dialog itself answered by the test; the
real Qt dialog is driven in tests/screen/test_files_and_photos.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from caseworker.domain.roles import Actor
from caseworker.workspace import Workspace
from tests.ui.test_excel_reports_ui import _ctx, popups  # noqa: F401
from ui.widgets import file_dialogs


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> tuple[list[file_dialogs.Request], list[Path]]:
    requests: list[file_dialogs.Request] = []
    answers: list[Path] = []

    def ask(parent, request: file_dialogs.Request) -> list[Path]:
        requests.append(request)
        return [answers.pop(0)] if answers else []

    monkeypatch.setattr(file_dialogs, "ask", ask)
    return requests, answers


def test_an_export_starts_in_exports_then_in_the_folder_last_used(
    office_ws: Workspace,
    worker: Actor,
    qtbot,
    tmp_path: Path,
    popups,  # noqa: F811
    asked,
) -> None:
    from ui.export import export_list

    requests, answers = asked
    ctx = _ctx(office_ws, worker)
    stick = tmp_path / "stick"
    stick.mkdir()
    answers.append(stick / "名单")  # typed without .xlsx
    written = export_list(ctx, None, "elderly-roster")
    assert written == stick / "名单.xlsx" and written.exists()
    assert requests[0].folder == office_ws.paths.exports
    assert requests[0].mode is file_dialogs.Mode.SAVE
    assert requests[0].name.startswith("老年人台账-") and requests[0].name.endswith(".xlsx")
    # The next export starts where the last one went; a report (another kind) does not.
    export_list(ctx, None, "elderly-roster")
    assert requests[1].folder == stick
    assert file_dialogs.last_folder("report") is None
    # The stick taken out: back to exports/, not to a folder that is gone.
    for f in stick.iterdir():
        f.unlink()
    stick.rmdir()
    export_list(ctx, None, "elderly-roster")
    assert requests[2].folder == office_ws.paths.exports


def test_cancelling_a_save_writes_nothing(
    office_ws: Workspace,
    worker: Actor,
    qtbot,
    popups,  # noqa: F811
    asked,
) -> None:
    from ui.export import export_list

    ctx = _ctx(office_ws, worker)
    assert export_list(ctx, None, "elderly-roster") is None
    assert list(office_ws.paths.exports.iterdir()) == []


def test_qt_dialog_labels_are_chinese(qtbot) -> None:
    request = file_dialogs.Request(
        file_dialogs.Mode.SAVE, "pdf", "另存为 PDF", Path.home(), "表.pdf", "PDF 文件 (*.pdf)"
    )
    dialog = file_dialogs._make(None, request)
    qtbot.addWidget(dialog)
    for label, text in (
        (file_dialogs.QFileDialog.DialogLabel.LookIn, "查找范围："),
        (file_dialogs.QFileDialog.DialogLabel.FileType, "文件类型："),
        (file_dialogs.QFileDialog.DialogLabel.Accept, "保存"),
    ):
        assert dialog.labelText(label) == text
