"""Resource paths that work from source and from the frozen installer, the bundled font, and
Qt's own Chinese translations (message-box buttons, context menus, file and print dialogs)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

FONT_FILE = "fonts/wqy-microhei.ttc"
QT_TRANSLATION = "qtbase_zh_CN"  # from the PySide6 wheel; build_installer.py bundles it
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


def install_qt_translations(app: QCoreApplication) -> bool:
    """Load Qt's Simplified Chinese strings (是/否/确定, 复制/粘贴, the file and print dialogs).

    Looked for in resources/translations (the installer puts it there) and then in the Qt
    installation of the PySide6 wheel. The translator is kept on the application (a translator
    that is garbage-collected stops translating). Returns False when none was found.
    """
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    translator = QTranslator(app)
    for folder in (
        resource_path("translations"),
        Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
    ):
        if translator.load(QT_TRANSLATION, str(folder)):
            app.installTranslator(translator)
            app.setProperty("caseworker_qt_translator", translator)
            return True
    return False
