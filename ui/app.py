"""Application entry: QApplication, font, workspace, login, main window."""

from __future__ import annotations

from pathlib import Path


def run(workspace: Path | None) -> int:
    raise NotImplementedError("the GUI arrives in the next commit")
