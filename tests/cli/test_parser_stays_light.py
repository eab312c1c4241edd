"""The login window waits for the command line's parser (`caseworker gui` is a command): building
it must not load the core (SQLAlchemy, the models, the services), and help still names the lists."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from caseworker.cli import build_parser
build_parser()
heavy = ("sqlalchemy", "db", "caseworker.services", "caseworker.workspace", "PySide6")
print("LOADED", sorted(m for m in sys.modules if m.split(".")[0] in heavy
      or m.startswith(heavy)))
"""


def test_building_the_parser_loads_no_core() -> None:
    r = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "LOADED []" in r.stdout, r.stdout


def test_export_help_still_names_every_list() -> None:
    from caseworker.services.exports import LISTS

    r = subprocess.run(
        [sys.executable, "-m", "caseworker", "export", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    text = "".join(r.stdout.split())  # argparse wraps the names across lines
    assert "列表：" in text
    assert all(name in text for name in LISTS)
