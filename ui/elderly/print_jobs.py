"""What to print and building the PDF on the background runner (with progress and cancel):
pre-filled forms for a selection or for everyone due in a month (per community), the blank
form, and the month's route sheets. The result opens in the in-app preview."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.errors import CaseworkerError
from caseworker.domain.schedule import parse_month
from caseworker.services import accounts
from ui.context import AppContext
from ui.messages import tr
from ui.progress import run_with_progress
from ui.widgets.dialogs import ok_cancel
from ui.widgets.fields import ErrorLabel

KINDS = ("selection", "month", "route", "blank")


@dataclass(frozen=True)
class PrintJob:
    kind: str
    month: date | None = None
    community_id: str | None = None
    community_name: str = ""
    resident_ids: tuple[str, ...] = ()
    assigned_staff_id: str | None = None
    assigned_name: str = ""


@dataclass(frozen=True)
class Printout:
    parts: tuple[bytes, ...]  # one PDF, or one per community (route sheets), merged for preview
    title: str
    filename: str
    summary: str
    # visit forms: written in parts to a file in the workspace's exports/ (a month's forms of a
    # whole district do not fit in memory as one PDF); removed when the preview closes
    file: Path | None = None


class PrintOptions(QDialog):
    """Month and community for the month's forms or route sheets."""

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None,
        kind: str,
        *,
        community_id: str | None = None,
        visitor_id: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle(
            self.tr("打印本月探访路线表") if kind == "route" else self.tr("打印应访老人探访记录表")
        )
        self.month = QLineEdit(f"{date.today():%Y-%m}")
        self.community = QComboBox()
        self.community.addItem(self.tr("全部社区/村"), None)
        for c in ctx.read(accounts.communities):
            self.community.addItem(c.name, c.id)
        self.community.setCurrentIndex(max(0, self.community.findData(community_id)))
        from caseworker.services.elderly import roster

        actor = ctx.actor
        assert actor is not None
        self.visitor = QComboBox()
        self.visitor.addItem(self.tr("全部责任人"), None)
        for person in ctx.read(lambda s: roster.staff_choices(s, actor)):
            self.visitor.addItem(person.name, person.id)
        self.visitor.setCurrentIndex(max(0, self.visitor.findData(visitor_id)))
        self.error = ErrorLabel()
        form = QFormLayout()
        form.addRow(self.tr("月份（YYYY-MM）："), self.month)
        form.addRow(self.tr("社区/村："), self.community)
        form.addRow(self.tr("责任人："), self.visitor)
        buttons = ok_cancel(self, "生成预览", self._ok)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _ok(self) -> None:
        try:
            parse_month(self.month.text())
        except ValueError as exc:
            self.error.say(str(exc))
            self.month.setFocus()
            return
        self.accept()

    def job(self) -> PrintJob:
        return PrintJob(
            self.kind,
            month=parse_month(self.month.text()),
            community_id=self.community.currentData(),
            community_name=self.community.currentText() if self.community.currentData() else "",
            assigned_staff_id=self.visitor.currentData(),
            assigned_name=self.visitor.currentText() if self.visitor.currentData() else "",
        )


def build(ctx: AppContext, job: PrintJob, progress: Any = None) -> Printout:
    """Read the data and render the PDF (runs on the background runner)."""
    from caseworker.printing.route_sheet import render_route_sheet
    from caseworker.printing.visit_forms import render_blank_form
    from caseworker.services import paper
    from caseworker.services.elderly import forms

    def step(text: str) -> None:
        if progress is not None:
            progress(0, 0, text)

    actor = ctx.actor
    assert actor is not None
    if job.kind == "blank":
        stamp = paper.issue_one(ctx.ws.engine, actor, "elderly_visit_blank")
        return Printout(
            (render_blank_form(stamp),), tr("空白探访记录表"), tr("空白探访记录表") + ".pdf", ""
        )
    step(tr("正在读取名单…"))
    with ctx.ws.reader(actor) as s:
        if job.kind == "selection":
            data = forms.selection_forms(s, actor, job.resident_ids)
        elif job.kind == "month":
            assert job.month is not None
            data = forms.month_forms(
                s,
                actor,
                job.month,
                community_id=job.community_id,
                assigned_staff_id=job.assigned_staff_id,
            )
        else:
            assert job.month is not None
            sheets = forms.route_sheets(
                s,
                actor,
                job.month,
                community_id=job.community_id,
                assigned_staff_id=job.assigned_staff_id,
            )
    where = job.community_name or tr("全部社区")
    if job.assigned_name:
        where += tr("（责任人 {0}）").format(job.assigned_name)
    month = tr("{0}年{1}月").format(job.month.year, job.month.month) if job.month else ""
    if job.kind == "route":
        if not sheets:
            raise CaseworkerError(
                tr("{0}{1}没有应探访的老人，没有路线表可打印").format(month, where)
            )
        parts = []
        for i, sheet in enumerate(sheets):
            if progress is not None:
                progress(i, len(sheets), tr("正在生成 {0} 的路线表…").format(sheet.community_name))
            stamp = paper.issue_one(
                ctx.ws.engine, actor, "elderly_route", None, paper.period_of(job.month)
            )
            parts.append(render_route_sheet(sheet, stamp))
        people = sum(len(sheet.rows) for sheet in sheets)
        return Printout(
            tuple(parts),
            tr("{0}探访路线表").format(month),
            tr("探访路线表-{0}-{1}").format(month, where) + ".pdf",
            tr("{0} 个社区，{1} 人").format(len(sheets), people),
        )
    if not data:
        raise CaseworkerError(
            tr("没有选中老人")
            if job.kind == "selection"
            else tr("{0}{1}没有应探访的老人").format(month, where)
        )
    file = write_forms(ctx, data, job.month, progress)
    if job.kind == "selection":
        names = "、".join(f.resident_name for f in data[:3]) + (tr("等") if len(data) > 3 else "")
        return Printout(
            (),
            tr("探访记录表"),
            tr("探访记录表-{0}").format(names) + ".pdf",
            tr("{0} 人：{1}").format(len(data), names),
            file,
        )
    return Printout(
        (),
        tr("{0}探访记录表").format(month),
        tr("探访记录表-{0}-{1}").format(month, where) + ".pdf",
        tr("{0}，{1} 人（每人一页）").format(where, len(data)),
        file,
    )


def write_forms(ctx: AppContext, data: Sequence[Any], month: date | None, progress: Any) -> Path:
    """The visit forms of `data` written in parts (caseworker.printing.in_parts) to a new file in
    the workspace's exports/, with progress in pages; their codes are recorded once the file is
    whole. Cancelled (progress raises): no file and no printed_form row."""
    import secrets

    from caseworker.services.elderly import forms

    actor = ctx.actor
    assert actor is not None
    folder = ctx.ws.paths.exports
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{ctx.ws.paths.PREVIEW_PREFIX}{secrets.token_hex(4)}.pdf"

    def pages(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total, tr("正在生成探访记录表：{0} / {1} 页").format(done, total))

    forms.print_forms(
        ctx.ws, actor, data, month or date.today().replace(day=1), out, progress=pages
    )
    return out


def generate(ctx: AppContext, parent: QWidget | None, job: PrintJob) -> Printout | None:
    """Build on the runner behind a cancellable progress dialog; None when refused/cancelled."""
    from ui.tasks import Cancelled

    def run(progress: Any = None) -> Printout:
        return build(ctx, job, progress)

    try:
        return run_with_progress(ctx.runner, run, parent, tr("正在生成 PDF…"), cancellable=True)
    except Cancelled:
        return None
    except CaseworkerError as exc:
        QMessageBox.information(parent, tr("无法打印"), str(exc))
        return None


def print_flow(
    ctx: AppContext,
    parent: QWidget | None,
    kind: str,
    resident_ids: Sequence[str] = (),
    *,
    community_id: str | None = None,
    visitor_id: str | None = None,
) -> None:
    """Ask what is needed (month, community, person responsible: defaults from the caller's
    filters), build the PDF, open the preview (print or save from there)."""
    from ui.widgets.print_preview import PrintPreview, merge_pdfs

    if kind in ("month", "route"):
        options = PrintOptions(ctx, parent, kind, community_id=community_id, visitor_id=visitor_id)
        accepted = options.exec()
        job = options.job() if accepted else None
        options.deleteLater()  # parented to the page: it would live as long as the window
        if job is None:
            return
    else:
        job = PrintJob(kind, resident_ids=tuple(resident_ids))
    out = generate(ctx, parent, job)
    if out is None:
        return
    pdf = out.file or merge_pdfs(out.parts)
    preview = None
    try:
        preview = PrintPreview(
            parent, pdf, out.title, out.filename, out.summary, folder=ctx.ws.paths.exports
        )
        preview.exec()
    finally:
        if out.file is not None:  # the forms' file lives as long as its preview
            if preview is not None:
                preview.doc.close()  # Windows: an open file cannot be removed
            out.file.unlink(missing_ok=True)
    # Freed when closed: each preview kept its whole PDF (a month's forms: megabytes) and its
    # widgets for as long as the main window lived (benchmarks/bench_session.py).
    preview.deleteLater()
