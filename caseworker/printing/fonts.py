"""The bundled CJK font: where it is (from source or a frozen build) and its reportlab name."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

FONT_NAME = "WQYMicroHei"
FONT_FILE = Path("fonts") / "wqy-microhei.ttc"


def resources_dir() -> Path:
    """`resources/` beside the source tree, or inside a PyInstaller bundle."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def font_path() -> Path:
    return resources_dir() / FONT_FILE


@functools.cache
def register() -> str:
    """Register the TrueType font with reportlab once; returns its name. reportlab embeds
    TrueType fonts as subsets, so a PDF carries only the characters it uses."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT_NAME, str(font_path()), subfontIndex=0))
    return FONT_NAME
