"""Printing a case: the PDF is built on the background runner, then opens in the preview."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from caseworker.domain.errors import CaseworkerError
from caseworker.services.retrofit.photo_store import PhotoStore
from ui.context import AppContext
from ui.messages import show_error, tr
from ui.progress import run_with_progress
from ui.widgets.print_preview import PrintPreview

TITLES = {"assessment": "入户评估表", "acceptance": "验收单", "file": "改造档案"}


def build_pdf(ctx: AppContext, kind: str, case_id: str) -> tuple[bytes, str]:
    """(PDF bytes, file name) for one case; runs in a read session."""
    from caseworker.printing import retrofit_forms as pdf
    from caseworker.services import paper
    from caseworker.services.retrofit import forms

    actor = ctx.actor
    assert actor is not None
    store = PhotoStore(ctx.ws.paths.photos)
    with ctx.ws.reader(actor) as s:
        data = forms.case_form(s, actor, case_id, store, full_id=kind == "file")
    render = {
        "assessment": pdf.render_assessment,
        "acceptance": pdf.render_acceptance,
        "file": pdf.render_file,
    }[kind]
    if kind == "file":  # the household's file is an archive print, not a form to type back
        return render(data), f"{data.case_no}-{TITLES[kind]}.pdf"
    stamp = paper.issue_one(ctx.ws.engine, actor, f"retrofit_{kind}", case_id)
    if kind == "acceptance":  # its tick boxes flow with the items: where they landed is kept
        layout: pdf.Layout = []
        made = pdf.render_acceptance(data, stamp, layout)
        paper.record_layout(ctx.ws.engine, stamp.form_id, layout)
        return made, f"{data.case_no}-{TITLES[kind]}.pdf"
    return render(data, stamp), f"{data.case_no}-{TITLES[kind]}.pdf"


def build_blank(ctx: AppContext, kind: str) -> tuple[bytes, str]:
    """A blank assessment checklist (the catalogue with prices) or a blank acceptance form."""
    from caseworker.printing import retrofit_forms as pdf
    from caseworker.services import paper
    from caseworker.services.retrofit import forms

    actor = ctx.actor
    assert actor is not None
    with ctx.ws.reader(actor) as s:
        office, lines = forms.blank_catalogue(s, actor)
    stamp = paper.issue_one(ctx.ws.engine, actor, f"retrofit_{kind}_blank")
    if kind == "assessment":
        return pdf.render_blank_assessment(lines, office, stamp), "空白入户评估表.pdf"
    blank = pdf.RetrofitFormData(office_name=office)
    layout: pdf.Layout = []
    made = pdf.render_acceptance(blank, stamp, layout)
    paper.record_layout(ctx.ws.engine, stamp.form_id, layout)
    return made, "空白验收单.pdf"


def print_blank(ctx: AppContext, parent: QWidget, kind: str) -> None:
    data, filename = run_with_progress(
        ctx.runner, lambda: build_blank(ctx, kind), parent, tr("正在生成…")
    )
    _preview(PrintPreview(parent, data, tr("空白表"), filename, folder=ctx.ws.paths.exports))


def print_case(ctx: AppContext, parent: QWidget, kind: str, case_id: str) -> None:
    try:
        result = run_with_progress(
            ctx.runner, lambda: build_pdf(ctx, kind, case_id), parent, tr("正在生成…")
        )
    except CaseworkerError as exc:
        show_error(parent, exc)
        return
    data, filename = result
    _preview(PrintPreview(parent, data, tr(TITLES[kind]), filename, folder=ctx.ws.paths.exports))


def _preview(preview: PrintPreview) -> None:
    """Show a preview, then free it: parented to the page, it would keep its whole PDF and its
    widgets for as long as the window lives (as ui/elderly/print_jobs.py does)."""
    preview.exec()
    preview.deleteLater()
