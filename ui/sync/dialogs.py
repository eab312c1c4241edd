"""Dialogs of the sync page: the import preview, and enrolling with the district's file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from caseworker.services.audit import TABLE_LABELS
from caseworker.sync.office import ImportPreview
from ui.widgets import file_dialogs
from ui.widgets.dialogs import ok_cancel


def counts_text(counts: dict[str, int]) -> str:
    """{"elderly_visit": 3} → "探访记录 3"; empty → "无"."""
    parts = [f"{TABLE_LABELS.get(t, t)} {n}" for t, n in sorted(counts.items()) if n]
    return "，".join(parts) if parts else "无"


class ImportPreviewDialog(QDialog):
    """What importing would do, before anything is written."""

    def __init__(self, parent: QWidget | None, path: Path, preview: ImportPreview) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("导入数据包 — 预览"))
        self.setMinimumWidth(460)
        form = QFormLayout()
        form.addRow(self.tr("文件："), QLabel(path.name))
        form.addRow(self.tr("发送方："), QLabel(preview.sender_name))
        form.addRow(self.tr("生成时间："), QLabel(f"{preview.created_at:%Y-%m-%d %H:%M}"))
        form.addRow(self.tr("修改条数："), QLabel(str(preview.changes)))
        form.addRow(self.tr("其中新的："), QLabel(str(preview.new_changes)))
        form.addRow(self.tr("将新增："), self._wrap(counts_text(preview.added)))
        form.addRow(self.tr("将更新："), self._wrap(counts_text(preview.updated)))
        form.addRow(self.tr("将列入冲突："), self._wrap(counts_text(preview.conflicts)))
        if preview.photos:
            form.addRow(
                self.tr("照片："), QLabel(self.tr("{0} 张（已核对）").format(preview.photos))
            )
        if preview.refused:
            form.addRow(
                self.tr("不采用："), QLabel(self.tr("{0} 条（见冲突列表）").format(preview.refused))
            )
        # The import backs the database up only when the bundle carries changes (photos alone
        # or acknowledgements alone touch no record).
        backup = self.tr("导入前会自动备份数据库；") if preview.changes else ""
        note = QLabel(
            backup + self.tr("导入要么全部完成，要么完全不做。被覆盖的值会保留在冲突列表中。")
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(ok_cancel(self, self.tr("导入")))

    @staticmethod
    def _wrap(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        return label


class EnrollDialog(QDialog):
    """The district's enrollment file and its passphrase."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("在区民政局登记"))
        self.path = QLineEdit()
        browse = QPushButton(self.tr("选择文件…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(self.tr("登记文件："), row)
        form.addRow(self.tr("口令："), self.passphrase)
        note = QLabel(
            self.tr(
                "已经录入的数据都会保留。区民政局需用“已有数据的街道”方式生成登记文件，"
                "街道代码须与本工作区一致。"
            )
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(ok_cancel(self, self.tr("登记")))

    def _browse(self) -> None:
        file_dialogs.choose_enrollment(self.path)
