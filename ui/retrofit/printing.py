"""Printing a case: the PDF is written on the background runner by the same path as the
command line (caseworker.services.retrofit.forms.print_case), into a file of the exports folder
that lives as long as its preview."""

from __future__ import annotations

import secrets

from PySide6.QtWidgets import QWidget

from caseworker.domain.errors import CaseworkerError
from caseworker.services.retrofit import forms
from caseworker.services.retrofit.forms import TITLES, CasePrint
from db.photo_store import PhotoStore
from ui.context import AppContext
from ui.messages import show_error, tr
from ui.progress import run_with_progress
from ui.widgets.print_preview import PrintPreview


def build(ctx: AppContext, kind: str, case_id: str | None) -> CasePrint:
    """One case's form (`case_id` None: the blank one) written to a new preview file in the
    workspace's exports/; the caller removes it once its preview is closed."""
    actor = ctx.actor
    assert actor is not None
    folder = ctx.ws.paths.exports
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{ctx.ws.paths.PREVIEW_PREFIX}{secrets.token_hex(4)}.pdf"
    return forms.print_case(ctx.ws, actor, kind, case_id, PhotoStore(ctx.ws.paths.photos), out)


def print_blank(ctx: AppContext, parent: QWidget, kind: str) -> None:
    """A blank assessment checklist (the catalogue with prices) or a blank acceptance form."""
    _print(ctx, parent, kind, None, tr("空白表"))


def print_case(ctx: AppContext, parent: QWidget, kind: str, case_id: str) -> None:
    _print(ctx, parent, kind, case_id, tr(TITLES[kind]))


def _print(ctx: AppContext, parent: QWidget, kind: str, case_id: str | None, title: str) -> None:
    try:
        made = run_with_progress(
            ctx.runner, lambda: build(ctx, kind, case_id), parent, tr("正在生成…")
        )
    except CaseworkerError as exc:
        show_error(parent, exc)
        return
    preview = None
    try:
        preview = PrintPreview(parent, made.path, title, made.filename, folder=ctx.ws.paths.exports)
        preview.exec()
    finally:
        if preview is not None:
            preview.doc.close()  # Windows: an open file cannot be removed
        made.path.unlink(missing_ok=True)
    # freed when closed: parented to the page, it would keep its document and its widgets for
    # as long as the window lives (as ui/elderly/print_jobs.py does)
    preview.deleteLater()
