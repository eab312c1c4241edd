"""Resource paths that work from source and from the frozen installer, and the bundled font."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

FONT_FILE = "fonts/wqy-microhei.ttc"
UI_FONT_POINT_SIZE = 10


def resource_path(relative: str) -> Path:
    """`resources/<relative>`: beside the sources, or inside the PyInstaller bundle."""
    base = getattr(sys, "_MEIPASS", None)
    root = Path(base) if base else Path(__file__).resolve().parent.parent
    return root / "resources" / relative


def register_font(app: QGuiApplication) -> str:
    """Register the bundled CJK font and make it the application font; returns its family."""
    font_id = QFontDatabase.addApplicationFont(str(resource_path(FONT_FILE)))
    if font_id < 0:
        raise RuntimeError(f"cannot load bundled font {resource_path(FONT_FILE)}")
    family = QFontDatabase.applicationFontFamilies(font_id)[0]
    font = QFont(family, UI_FONT_POINT_SIZE)
    app.setFont(font)
    return family
