"""Cold start: process start to the login window and to the main window on a demo workspace,
beside the floor of a bare PySide6 window started the same way (median of several runs)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import Result

RUNS = 7
BARE = """
import time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
w = QWidget(); w.setWindowTitle("bare"); w.resize(380, 240); w.show()
QTimer.singleShot(0, lambda: (print(f"PROBE bare {time.time():.6f}", flush=True), app.quit()))
app.exec()
"""


def _once(cmd: list[str], env: dict[str, str]) -> float:
    start = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    for line in out.stdout.splitlines():
        if line.startswith("PROBE "):
            return float(line.split()[2]) - start
    raise RuntimeError(f"no probe line from {cmd}: {out.stdout}\n{out.stderr}")


def _median(cmd: list[str], env: dict[str, str]) -> float:
    _once(cmd, env)  # warm the OS file cache: we measure our start-up, not the disk
    return statistics.median(_once(cmd, env) for _ in range(RUNS))


def run() -> list[Result]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen" if not env.get("DISPLAY") else "xcb")
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "caseworker",
                "demo",
                "--workspace",
                str(ws),
                "--residents",
                "2000",
            ],
            check=True,
            capture_output=True,
        )
        gui = [sys.executable, "-m", "caseworker", "gui", "--workspace", str(ws)]
        bare = _median([sys.executable, "-c", BARE], env) * 1000
        login = _median(gui, dict(env, CASEWORKER_STARTUP_PROBE="login")) * 1000
        main_window = (
            _median(
                gui,
                dict(env, CASEWORKER_STARTUP_PROBE="main", CASEWORKER_PROBE_LOGIN="admin:demo1234"),
            )
            * 1000
        )
    note = f"{env['QT_QPA_PLATFORM']}, median of {RUNS}"
    return [
        Result("start: bare PySide6 window (floor)", bare, None, "", True, note),
        Result("start: login window", login, bare, "<= 3x floor", login <= 3 * bare, note),
        Result(
            "start: main window (2,000-resident demo, login included)",
            main_window,
            bare,
            "",
            True,
            note,
        ),
    ]
