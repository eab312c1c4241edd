"""导出Excel: ask where to save, write the list on the background runner, say how many rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from caseworker.services import exports
from ui.context import AppContext
from ui.messages import show_error
from ui.messages import tr as _tr
from ui.progress import run_with_progress
from ui.widgets import file_dialogs


def default_folder(ctx: AppContext) -> Path:
    return ctx.ws.paths.exports


def export_list(
    ctx: AppContext, parent: QWidget | None, key: str, flt: exports.ExportFilter | None = None
) -> Path | None:
    """Export list `key` with the screen's filter; returns the file written (None: cancelled)."""
    actor = ctx.actor
    assert actor is not None
    spec = exports.LISTS[key]
    path = file_dialogs.save_path(
        parent,
        "export",
        _tr("导出Excel"),
        f"{spec.title}-{date.today():%Y%m%d}.xlsx",
        _tr("Excel 文件 (*.xlsx)"),
        default_folder(ctx),
        suffix=".xlsx",
    )
    if path is None:
        return None

    def job(progress=None) -> exports.ExportResult:  # type: ignore[no-untyped-def]
        if spec.logged:  # a child list: the export is a view, logged per child
            with ctx.ws.writer(actor) as session:
                return exports.export(session, actor, key, path, flt, progress=progress)
        with ctx.ws.reader(actor) as session:
            return exports.export(session, actor, key, path, flt, progress=progress)

    try:
        result = run_with_progress(ctx.runner, job, parent, _tr("正在导出…"), cancellable=True)
    except Exception as exc:  # shown to the person; nothing half-written is left
        show_error(parent, exc)
        return None
    QMessageBox.information(
        parent,
        _tr("导出Excel"),
        _tr("已导出“{0}” {1} 行：\n{2}").format(result.title, result.rows, result.path),
    )
    return result.path
