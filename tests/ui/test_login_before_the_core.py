"""A cold start's login window is usable before the core is imported (issue 23): the login's
facts are read in plain SQL (caseworker/first_look.py), and SQLAlchemy, `db.schema` and the
programmes' tables load on the runner behind the login window, ahead of the login itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from caseworker.workspace import Workspace

# The real start (`caseworker gui` through the command line), offscreen, with the real threaded
# runner: at the moment 登录 is enabled it prints what is imported, then quits. The runner has
# no job queued at that moment (the open is submitted after the window is made usable), so the
# list does not depend on timing.
PROBE = r"""
import sys
import ui.login as login

heavy = ("sqlalchemy", "alembic", "db.schema", "db.models", "db.elderly", "db.children",
         "db.retrofit", "db.sync_models", "caseworker.workspace", "caseworker.services",
         "reportlab")
original = login.LoginDialog.set_ready


def set_ready(self, office_name, hint=""):
    loaded = sorted(m for m in sys.modules if m in heavy or m.startswith(
        tuple(h + "." for h in heavy)))
    original(self, office_name, hint)
    print("USABLE", self.login_button.isEnabled(), office_name, flush=True)
    print("LOADED", loaded, flush=True)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    QTimer.singleShot(0, QApplication.instance().quit)


login.LoginDialog.set_ready = set_ready
from caseworker.cli import main

sys.exit(main(["gui", "--workspace", sys.argv[1]]))
"""


def _start(root: Path, tmp_path: Path) -> str:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    r = subprocess.run(
        [sys.executable, "-c", PROBE, str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def test_login_is_usable_before_sqlalchemy_and_the_models(demo_root: Path, tmp_path: Path) -> None:
    out = _start(demo_root, tmp_path)
    assert "USABLE True" in out, out
    assert "LOADED []" in out, out


def test_a_workspace_to_migrate_is_opened_before_the_login(tmp_path: Path) -> None:
    """A file below the schema head is opened (migrated, backup first) before the login is
    usable: the plain read trusts only a file at this program's head."""
    import sqlite3

    from caseworker import demo

    root = tmp_path / "old"
    with Workspace.open(root) as ws:
        demo.build(ws, residents=5, seed=1)
    con = sqlite3.connect(root / "caseworker.sqlite3")
    con.execute("UPDATE alembic_version SET version_num = 'older'")
    con.commit()
    con.close()
    # Not a revision this program knows: the open refuses it, so the login never becomes usable.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    probe = PROBE.replace(
        "from caseworker.cli import main",
        "from PySide6.QtWidgets import QMessageBox\n"
        "QMessageBox.critical = staticmethod(lambda *a, **k: print('REFUSED', a[2], flush=True))\n"
        "from caseworker.cli import main",
    )
    r = subprocess.run(
        [sys.executable, "-c", probe, str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert "USABLE" not in r.stdout, r.stdout
    assert "REFUSED" in r.stdout, r.stdout + r.stderr[-2000:]


def test_a_login_waiting_behind_the_warm_up_skips_the_section_pages(monkeypatch) -> None:
    """A login typed before the warm-up ended does not wait for the pages 工作台 does not need;
    they are imported after the main window is shown (`Controller._open_main`)."""
    from ui import warmup

    imported: list[str] = []
    monkeypatch.setattr(warmup.importlib, "import_module", imported.append)
    for name in warmup.MAIN_WINDOW_MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert warmup.import_main_window_modules(lambda: True) == len(imported)
    assert not warmup.SECTION_PAGES & set(imported), imported
    assert {"ui.main_window", "ui.pages.home", "ui.elderly.page"} <= set(imported)
    imported.clear()
    warmup.import_main_window_modules()  # no login waiting: everything
    assert imported == list(warmup.MAIN_WINDOW_MODULES)
