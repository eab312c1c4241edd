"""Qt's own strings are Chinese: message-box buttons, a text field's context menu, dialogs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit, QMessageBox

from ui.resources import install_qt_translations


@pytest.fixture
def chinese_qt(qapp: QApplication):
    assert install_qt_translations(qapp)
    yield
    translator = qapp.property("caseworker_qt_translator")
    qapp.removeTranslator(translator)


def test_message_box_buttons_are_chinese(chinese_qt) -> None:
    box = QMessageBox()
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    texts = {
        box.button(b).text()
        for b in (QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No)
    }
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts), texts
    ok = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    assert ok.button(QDialogButtonBox.StandardButton.Cancel).text().startswith("取消")


def test_a_text_fields_context_menu_is_chinese(chinese_qt) -> None:
    field = QLineEdit("王小红")
    menu = field.createStandardContextMenu()
    words = [a.text() for a in menu.actions() if a.text()]
    assert any("复制" in w for w in words) and any("粘贴" in w for w in words), words
    menu.deleteLater()


def test_without_the_translation_qt_would_be_english(qapp: QApplication) -> None:
    # The check above can fail: untranslated, Qt says "&Yes".
    assert QCoreApplication.translate("QPlatformTheme", "&Yes") == "&Yes"
