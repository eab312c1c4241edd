"""Regenerate the programme 2 screenshots at 1366x768 (offscreen is enough: widgets are grabbed).

QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/capture_retrofit.py [WORKSPACE]
(without WORKSPACE a fresh demo workspace of 2,000 residents is made first).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

OUT = Path(__file__).resolve().parent


def settle(app: QApplication, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def shoot(app: QApplication, widget: QWidget, name: str) -> None:
    widget.resize(1366, 768)
    widget.show()
    settle(app)
    widget.grab().save(str(OUT / name))
    print("saved", OUT / name)


def main() -> None:
    app = QApplication(sys.argv)
    from caseworker import demo
    from caseworker.domain.retrofit import Step
    from caseworker.services.retrofit import cases, search
    from caseworker.workspace import Workspace
    from ui.app import Controller
    from ui.elderly.print_preview import PrintPreview
    from ui.resources import register_font
    from ui.retrofit.assessment_editor import AssessmentEditor
    from ui.retrofit.printing import build_pdf
    from ui.tasks import SyncRunner

    register_font(app)
    if len(sys.argv) > 1:
        root = Path(sys.argv[1])
    else:
        root = Path(tempfile.mkdtemp()) / "ws"
        with Workspace.open(root) as ws:
            demo.build(ws, residents=2000, seed=1)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    c = Controller(root, SyncRunner(), settings)
    c.start()
    c._authenticate("kezhang", "demo1234")
    w = c.window
    assert w is not None and c.ctx is not None
    actor = c.ctx.actor
    home = w.page("home")
    shoot(app, w, "retrofit-home.png")
    del home
    page = w.page("retrofit")
    shoot(app, w, "retrofit-list.png")
    page.tabs.setCurrentWidget(page.queue)
    shoot(app, w, "retrofit-queue.png")

    def first(step: Step, photos: bool = False) -> str:
        def pick(s):
            for r in search.page(s, actor, search.CaseQuery(step=step), 0, 200):
                d = cases.detail(s, actor, r.id)
                if not photos or len(d.photos) >= 3:
                    return r.id
            raise SystemExit(f"no case at {step}")

        return c.ctx.read(pick)

    done = first(Step.COMPLETED, photos=True)
    page.open_case(done)
    shoot(app, w, "retrofit-case.png")
    eligible = first(Step.ELIGIBLE)
    page.open_case(eligible)
    detail = c.ctx.read(lambda s: cases.detail(s, actor, eligible))
    editor = AssessmentEditor(c.ctx, detail, w)
    for code in ("R01", "R13", "R17", "R14"):
        editor.add_line(editor.by_code[code])
    editor.table.item(0, 3).setText("12.5")
    editor.table.item(1, 3).setText("3")
    shoot(app, editor, "retrofit-assessment.png")
    editor.reject()
    data, name = build_pdf(c.ctx, "acceptance", done)
    preview = PrintPreview(w, data, "验收单", name)
    shoot(app, preview, "retrofit-print-preview.png")
    preview.done(0)
    QTimer.singleShot(0, app.quit)
    c._close_main()
    c.shutdown()


if __name__ == "__main__":
    main()
