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


def main() -> None:
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
        bare = _median([sys.executable, "-c", BARE], env)
        login = _median(gui, dict(env, CASEWORKER_STARTUP_PROBE="login"))
        main_window = _median(
            gui, dict(env, CASEWORKER_STARTUP_PROBE="main", CASEWORKER_PROBE_LOGIN="admin:demo1234")
        )
    print(f"platform: {env['QT_QPA_PLATFORM']}, median of {RUNS} runs after one warm-up")
    print(f"{'what':<36}{'ms':>8}{'× floor':>10}")
    print(f"{'bare PySide6 window (floor)':<36}{bare * 1000:>8.0f}{1:>10.2f}")
    print(f"{'login window':<36}{login * 1000:>8.0f}{login / bare:>10.2f}")
    print(
        f"{'main window (login included)':<36}{main_window * 1000:>8.0f}{main_window / bare:>10.2f}"
    )
    print("target: login window within 3x the floor")


if __name__ == "__main__":
    main()
