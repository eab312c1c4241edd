"""A month's visit forms printed from the window: written in parts on the background runner
behind a progress dialog that counts pages, with a cancel that leaves no file and records no
printed form (offscreen, the real TaskRunner thread, a real demo workspace)."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton
from sqlalchemy import func, select

from caseworker.printing import in_parts, visit_forms
from caseworker.services.elderly import forms
from db.models import PrintedForm
from tests.ui.test_elderly_ui import page, worker_session  # noqa: F401
from ui.elderly import print_jobs
from ui.tasks import TaskRunner


def _rows(ctx) -> int:
    return ctx.read(lambda s: int(s.scalar(select(func.count()).select_from(PrintedForm)) or 0))


@pytest.fixture
def threaded(worker_session, monkeypatch):  # noqa: F811
    """The session's context on a real runner thread (the tests' SyncRunner would finish the
    job before the dialog could show), with parts of two pages."""
    ctx = worker_session.ctx
    runner = TaskRunner()
    monkeypatch.setattr(ctx, "runner", runner)
    monkeypatch.setattr(in_parts, "PART_PAGES", 2)
    yield ctx, runner
    runner.shutdown()


def test_month_forms_progress_and_cancel(threaded, qtbot, monkeypatch) -> None:
    ctx, runner = threaded
    month = date.today().replace(day=1)
    due = ctx.read(lambda s: len(forms.month_forms(s, ctx.actor, month)))
    assert due >= 5
    exports = ctx.ws.paths.exports
    exports.mkdir(parents=True, exist_ok=True)
    files_before = set(exports.iterdir())
    rows_before = _rows(ctx)

    # the second part waits until the test has pressed 取消 in the dialog
    gate = threading.Event()
    rendered: list[int] = []
    real = visit_forms.render_visit_forms

    def render(*args: Any, **kw: Any) -> bytes:
        rendered.append(1)
        if len(rendered) == 2:
            gate.wait(60)
        return real(*args, **kw)

    monkeypatch.setattr(visit_forms, "render_visit_forms", render)
    seen: dict[str, Any] = {}

    def look() -> None:
        shown = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QProgressDialog) and w.isVisible() and w.value() >= 2
        ]
        if not shown:
            timer.start(50)
            return
        dialog = shown[0]
        seen.update(label=dialog.labelText(), value=dialog.value(), maximum=dialog.maximum())
        button = dialog.findChild(QPushButton)
        assert button is not None and button.text() == "取消"
        button.click()
        gate.set()

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(look)
    timer.start(50)
    job = print_jobs.PrintJob("month", month=month)
    assert print_jobs.generate(ctx, None, job) is None
    gate.set()
    assert seen["maximum"] == due and seen["value"] == 2
    assert f"2 / {due} 页" in seen["label"]
    assert len(rendered) == 2  # stopped after the part under way, not at the end
    assert set(exports.iterdir()) == files_before  # no PDF, no .part
    assert _rows(ctx) == rows_before

    # not cancelled: progress reaches every page, the file is whole, each page's code recorded
    monkeypatch.setattr(visit_forms, "render_visit_forms", real)
    calls: list[tuple[int, int]] = []
    submit = runner.submit

    def counting(fn: Any, **kw: Any) -> Any:
        report = kw["on_progress"]

        def progressed(done: int, total: int, text: str) -> None:
            calls.append((done, total))
            report(done, total, text)

        return submit(fn, **{**kw, "on_progress": progressed})

    monkeypatch.setattr(runner, "submit", counting)
    out = print_jobs.generate(ctx, None, job)
    assert out is not None and out.file is not None
    assert calls[-1] == (due, due)
    assert len(PdfReader(out.file, strict=True).pages) == due
    assert _rows(ctx) == rows_before + due
    out.file.unlink()


def test_childrens_month_forms_progress_cancel_and_preview(
    demo_root, make_controller, qtbot, monkeypatch
) -> None:
    """The children's month, as the elderly month above: parts rendered on the runner behind a
    cancellable dialog counting forms; a cancel leaves no file, no code and no view-log row; a
    whole run opens the preview on the file, which is removed once the preview closes."""
    from caseworker.printing import children_forms
    from caseworker.services.children import forms as child_forms
    from db.children import ChildViewLog
    from tests.ui.test_children_ui import _session
    from ui.widgets.print_preview import PrintPreview

    controller = _session(demo_root, make_controller, qtbot, "dudao")
    ctx = controller.ctx
    runner = TaskRunner()
    monkeypatch.setattr(ctx, "runner", runner)
    monkeypatch.setattr(in_parts, "PART_PAGES", 2)
    try:
        page = controller.window.page("children")
        due = ctx.read(lambda s: len(child_forms.visit_form_data(s, ctx.actor, date.today()).forms))
        assert due >= 3

        def logged() -> int:
            return ctx.read(
                lambda s: int(
                    s.scalar(
                        select(func.count())
                        .select_from(ChildViewLog)
                        .where(ChildViewLog.action == "打印回访表")
                    )
                    or 0
                )
            )

        exports = ctx.ws.paths.exports
        exports.mkdir(parents=True, exist_ok=True)
        files_before = set(exports.iterdir())
        rows_before, logged_before = _rows(ctx), logged()
        gate = threading.Event()
        rendered: list[int] = []
        real = children_forms._render

        def render(*args: Any, **kw: Any) -> Any:
            rendered.append(1)
            if len(rendered) == 2:
                gate.wait(60)
            return real(*args, **kw)

        monkeypatch.setattr(children_forms, "_render", render)
        seen: dict[str, Any] = {}

        def look() -> None:
            shown = [
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, QProgressDialog) and w.isVisible() and w.value() >= 2
            ]
            if not shown:
                timer.start(50)
                return
            dialog = shown[0]
            seen.update(label=dialog.labelText(), maximum=dialog.maximum())
            button = dialog.findChild(QPushButton)
            assert button is not None and button.text() == "取消"
            button.click()
            gate.set()

        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(look)
        timer.start(50)
        previews: list[PrintPreview] = []
        monkeypatch.setattr(PrintPreview, "exec", lambda self: previews.append(self) or 0)
        page.print_visit_forms(blank=False)
        gate.set()
        assert previews == [] and seen["maximum"] == due
        assert f"2 / {due} 份" in seen["label"]
        assert len(rendered) == 2  # stopped after the part under way
        assert set(exports.iterdir()) == files_before
        assert (_rows(ctx), logged()) == (rows_before, logged_before)

        # not cancelled: the preview opens on the whole file; each form's code and view logged
        monkeypatch.setattr(children_forms, "_render", real)
        pages: list[int] = []

        def opened(self: PrintPreview) -> int:
            previews.append(self)
            pages.append(len(PdfReader(self.source, strict=True).pages))
            return 0

        monkeypatch.setattr(PrintPreview, "exec", opened)
        page.print_visit_forms(blank=False)
        assert pages == [due] and "回访记录表" in previews[0].windowTitle()
        assert (_rows(ctx), logged()) == (rows_before + due, logged_before + due)
        assert set(exports.iterdir()) == files_before  # the file went with its preview
    finally:
        runner.shutdown()
