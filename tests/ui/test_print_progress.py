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
