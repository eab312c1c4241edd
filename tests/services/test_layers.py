"""The headless core runs without Qt: the commands of a district server never load PySide6."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
from caseworker.cli import main
rc = main(["check", "--workspace", sys.argv[1]])
loaded = sorted(m for m in sys.modules if m.startswith(("PySide6", "ui")))
print("LOADED", loaded)
sys.exit(rc)
"""


def test_check_command_loads_no_qt(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "LOADED []" in r.stdout


def test_import_contracts_hold() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run(
        [str(exe)], capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[2]
    )
    assert r.returncode == 0, r.stdout + r.stderr
    # no Qt in the core, the database layer, the shared screen parts (two), and the layers
    assert "Contracts: 5 kept, 0 broken" in r.stdout
    assert "(6 ignored imports)" in r.stdout  # the listed seams: a new one is a decision
