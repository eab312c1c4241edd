"""Regenerate the programme 1 screenshots at 1366x768 (run under Xvfb, see docs/elderly-ui.md).

Xvfb :99 -screen 0 1366x768x24 &
DISPLAY=:99 .venv/bin/python docs/screenshots/capture.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

OUT = Path(__file__).resolve().parent


def settle(app: QApplication, seconds: float = 0.4) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def fill_screen(app: QApplication, window: QWidget) -> None:
    """Xvfb has no window manager to maximise: take the whole screen, as maximised would."""
    window.show()
    window.setGeometry(app.primaryScreen().availableGeometry())


def shoot(app: QApplication, name: str, window: QWidget | None = None) -> None:
    settle(app)
    screen = app.primaryScreen()
    screen.grabWindow(0).save(str(OUT / name))
    print("saved", OUT / name, screen.size().toTuple(), window.size().toTuple() if window else "")


def main() -> None:
    app = QApplication(sys.argv)
    from caseworker import demo
    from caseworker.services.elderly import roster
    from caseworker.workspace import Workspace
    from ui.app import Controller
    from ui.elderly.print_jobs import PrintJob, build
    from ui.elderly.print_preview import PrintPreview, merge_pdfs
    from ui.elderly.visit_form import VisitForm
    from ui.resources import register_font
    from ui.tasks import SyncRunner

    register_font(app)
    root = Path(tempfile.mkdtemp()) / "ws"
    with Workspace.open(root) as ws:
        demo.build(ws, residents=2000, seed=1)
    settings = QSettings(str(root.parent / "s.ini"), QSettings.Format.IniFormat)
    c = Controller(root, SyncRunner(), settings)
    c.start()
    c._authenticate("zhuangan1", "demo1234")
    w = c.window
    assert w is not None and c.ctx is not None
    fill_screen(app, w)
    shoot(app, "home.png", w)
    page = w.page("elderly")
    page.roster.overdue.setChecked(True)
    shoot(app, "roster.png", w)
    rid = page.roster.model.row(2).id
    page.roster.overdue.setChecked(False)
    actor = c.ctx.actor
    busiest = c.ctx.read(
        lambda s: max(
            (r.id for r in page.roster.model.rows[:60]),
            key=lambda i: len(roster.detail(s, actor, i).visits),
        )
    )
    page.open_resident(busiest)
    shoot(app, "resident.png", w)
    info = c.ctx.read(lambda s: roster.get(s, actor, rid))
    form = VisitForm(c.ctx, w, info)
    fill_screen(app, form)
    form.problems.setPlainText("卫生间地面湿滑，无扶手")
    form.choices["health_communication"].set_value("正常")
    form.choices["safety_hazards"].set_value("跌倒风险")
    shoot(app, "visit-form.png", form)
    form.hide()
    out = build(c.ctx, PrintJob("selection", resident_ids=(rid,)))
    preview = PrintPreview(w, merge_pdfs(out.parts), out.title, out.filename, out.summary)
    fill_screen(app, preview)
    shoot(app, "print-preview.png", preview)
    preview.done(0)
    c._close_main()
    c.shutdown()


if __name__ == "__main__":
    main()
