"""Resource paths that work from source and from the frozen installer, the bundled font, and
Qt's own Chinese translations (message-box buttons, context menus, file and print dialogs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QIcon

FONT_FILE = "fonts/wqy-microhei.ttc"
ICON_FILES = ("icons/caseworker.ico", "icons/caseworker.png")  # packaging/make_icons.py draws them
QT_TRANSLATION = "qtbase_zh_CN"  # from the PySide6 wheel; build_installer.py bundles it
UI_FONT_POINT_SIZE = 10


def resource_path(relative: str) -> Path:
    """`resources/<relative>`: beside the sources, or inside the PyInstaller bundle."""
    base = getattr(sys, "_MEIPASS", None)
    root = Path(base) if base else Path(__file__).resolve().parent.parent
    return root / "resources" / relative


def install_icon(app: QGuiApplication) -> QIcon:
    """The application's icon on every window and in the taskbar. Run from source on Windows,
    the process also names itself, or the taskbar would group it under Python's icon (the
    frozen program's own .exe carries the icon)."""
    icon = QIcon()
    for name in ICON_FILES:
        path = resource_path(name)
        if path.exists():
            icon.addFile(str(path))
    app.setWindowIcon(icon)
    if sys.platform == "win32" and not getattr(sys, "frozen", False):
        import ctypes

        ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID("Caseworker.Desktop")
    return icon


def register_font(app: QGuiApplication) -> str:
    """Register the bundled CJK font and make it the application font; returns its family."""
    font_id = QFontDatabase.addApplicationFont(str(resource_path(FONT_FILE)))
    if font_id < 0:
        raise RuntimeError(f"cannot load bundled font {resource_path(FONT_FILE)}")
    family = QFontDatabase.applicationFontFamilies(font_id)[0]
    font = QFont(family, UI_FONT_POINT_SIZE)
    app.setFont(font)
    return family


def default_to_chinese_dates() -> bool:
    """On Linux with no locale set (C or POSIX), Qt's own widgets write dates and sizes the C
    way ("6 12 2026", "1 bytes" in the file dialog): make Qt's system locale Chinese for this
    process before QApplication starts. A locale the person set is left alone; Windows needs
    nothing."""
    if not sys.platform.startswith("linux"):
        return False

    def unset(name: str) -> bool:
        value = os.environ.get(name, "")
        return value in ("", "C", "POSIX") or value.startswith("C.")

    if not all(unset(name) for name in ("LC_ALL", "LC_MESSAGES", "LC_TIME", "LANG")):
        return False
    os.environ.pop("LC_ALL", None)  # a C here would override LANG
    os.environ["LANG"] = "zh_CN.UTF-8"
    return True


# What qtbase_zh_CN leaves in English in Qt's own file dialog (seen on Linux, where Qt draws it).
QT_GAPS: dict[tuple[str, str], str] = {
    ("QAbstractFileIconProvider", "Folder"): "文件夹",
    ("QAbstractFileIconProvider", "File"): "文件",
    ("QAbstractFileIconProvider", "Drive"): "驱动器",
    ("QAbstractFileIconProvider", "%1 File"): "%1 文件",
    ("QFileSystemModel", "Folder"): "文件夹",
    ("QFileSystemModel", "File"): "文件",
    ("QFileSystemModel", "Drive"): "驱动器",
    ("QFileSystemModel", "%1 File"): "%1 文件",
    ("QFileDialog", "&Look in:"): "查找范围(&L)：",
    ("QFileDialog", "Files of &type:"): "文件类型(&T)：",
}
GAPS_DEBUG_ENV = "CASEWORKER_QT_GAPS_DEBUG"  # print what still reaches the gap translator


class _QtGaps(QTranslator):
    """Consulted after Qt's own Chinese translation (installed before it, so asked last)."""

    def translate(  # type: ignore[override]
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str | None:
        text = QT_GAPS.get((context, source))
        if text is None and os.environ.get(GAPS_DEBUG_ENV) and context.startswith("Q"):
            print(f"QT-GAP {context!r} {source!r}", file=sys.stderr, flush=True)
        return text  # None (a null string), not "": "" would be taken as the translation

    def isEmpty(self) -> bool:
        return False


def install_qt_translations(app: QCoreApplication) -> bool:
    """Load Qt's Simplified Chinese strings (是/否/确定, 复制/粘贴, the file and print dialogs).

    Looked for in resources/translations (the installer puts it there) and then in the Qt
    installation of the PySide6 wheel. The translator is kept on the application (a translator
    that is garbage-collected stops translating). Returns False when none was found.
    """
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    gaps = _QtGaps(app)
    app.installTranslator(gaps)  # first installed, last asked
    app.setProperty("caseworker_qt_gaps", gaps)
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
