"""Every file and folder dialog of the application: where it starts, what it remembers, and its
words in Chinese.

- A save starts in the folder last used for that kind of file (an export, a PDF, a report…),
  else in the workspace's `exports/`; never in the program's own folder, where a relative name
  would land.
- An open starts where that kind was last opened from, else in the given folder or the home
  folder.
- On Windows the system's own dialog is used (it speaks the system's language); where Qt draws
  its own (Linux), the labels Qt's Chinese translation lacks are set here.

`ask` is the one place a dialog runs: offscreen tests replace it; the real-window suite types
into the dialog itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QFileDialog, QLineEdit, QWidget

SETTINGS_GROUP = "folders"


class Mode(Enum):
    SAVE = "save"
    OPEN = "open"
    OPEN_MANY = "open_many"
    FOLDER = "folder"


@dataclass(frozen=True)
class Request:
    """What the dialog is asked: `folder` is where it starts, `name` the suggested file name."""

    mode: Mode
    kind: str
    title: str
    folder: Path
    name: str = ""
    pattern: str = ""


def _tr(text: str) -> str:
    return QCoreApplication.translate("Caseworker", text)


def last_folder(kind: str) -> Path | None:
    value = QSettings().value(f"{SETTINGS_GROUP}/{kind}")
    if not value:
        return None
    folder = Path(str(value))
    return folder if folder.is_dir() else None  # a stick taken out, a folder deleted


def remember(kind: str, chosen: Path) -> None:
    folder = chosen if chosen.is_dir() else chosen.parent
    QSettings().setValue(f"{SETTINGS_GROUP}/{kind}", str(folder))


def _start(kind: str, default: Path | None) -> Path:
    for candidate in (last_folder(kind), default):
        if candidate is not None and candidate.is_dir():
            return candidate
    return Path.home()


def _make(parent: QWidget | None, request: Request) -> QFileDialog:
    dialog = QFileDialog(parent, request.title, str(request.folder), request.pattern)
    if request.mode is Mode.SAVE:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        if request.name:
            dialog.selectFile(request.name)
        accept = _tr("保存")
    elif request.mode is Mode.FOLDER:
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        accept = _tr("选择")
    else:
        dialog.setFileMode(
            QFileDialog.FileMode.ExistingFiles
            if request.mode is Mode.OPEN_MANY
            else QFileDialog.FileMode.ExistingFile
        )
        accept = _tr("打开")
    # Qt's zh_CN translation leaves these in English in its own dialog (Linux).
    labels = {
        QFileDialog.DialogLabel.LookIn: _tr("查找范围："),
        QFileDialog.DialogLabel.FileName: _tr("文件名："),
        QFileDialog.DialogLabel.FileType: _tr("文件类型："),
        QFileDialog.DialogLabel.Accept: accept,
        QFileDialog.DialogLabel.Reject: _tr("取消"),
    }
    for label, text in labels.items():
        dialog.setLabelText(label, text)
    return dialog


def ask(parent: QWidget | None, request: Request) -> list[Path]:
    """Run the dialog; the chosen paths (empty: cancelled). Tests replace this function."""
    dialog = _make(parent, request)
    try:
        if not dialog.exec():
            return []
        return [Path(p) for p in dialog.selectedFiles() if p]
    finally:
        dialog.deleteLater()


def _run(parent: QWidget | None, request: Request) -> list[Path]:
    chosen = ask(parent, request)
    if chosen:
        remember(request.kind, chosen[0])
    return chosen


def save_path(
    parent: QWidget | None,
    kind: str,
    title: str,
    name: str,
    pattern: str,
    default_folder: Path | None,
    suffix: str = "",
) -> Path | None:
    """Where to save a file called `name` (a bare name; the folder is chosen here). With
    `suffix` (".xlsx"), a name typed without it gets it."""
    request = Request(Mode.SAVE, kind, title, _start(kind, default_folder), name, pattern)
    chosen = _run(parent, request)
    if not chosen:
        return None
    path = chosen[0]
    if suffix and path.suffix.lower() != suffix:
        path = path.with_name(path.name + suffix)
    return path


def open_path(
    parent: QWidget | None, kind: str, title: str, pattern: str, default_folder: Path | None = None
) -> Path | None:
    chosen = _run(
        parent, Request(Mode.OPEN, kind, title, _start(kind, default_folder), "", pattern)
    )
    return chosen[0] if chosen else None


def open_paths(
    parent: QWidget | None, kind: str, title: str, pattern: str, default_folder: Path | None = None
) -> list[Path]:
    return _run(
        parent, Request(Mode.OPEN_MANY, kind, title, _start(kind, default_folder), "", pattern)
    )


def choose_into(field: QLineEdit, kind: str, title: str, pattern: str) -> None:
    """A 选择文件… button beside a path field: the chosen file's path goes into the field (the
    enrollment file, in the first-start wizard and on the 数据同步 page)."""
    path = open_path(field.window(), kind, title, pattern)
    if path is not None:
        field.setText(str(path))


def choose_enrollment(field: QLineEdit) -> None:
    choose_into(
        field, "enrollment", _tr("选择登记文件"), _tr("登记文件 (*.cwenroll);;所有文件 (*)")
    )


def folder_path(
    parent: QWidget | None, kind: str, title: str, default_folder: Path | None = None
) -> Path | None:
    chosen = _run(parent, Request(Mode.FOLDER, kind, title, _start(kind, default_folder)))
    return chosen[0] if chosen else None
