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
    for name in ("caseworker_qt_translator", "caseworker_qt_gaps"):
        qapp.removeTranslator(qapp.property(name))


def test_what_qts_translation_lacks_is_filled_and_nothing_else_is_touched(chinese_qt) -> None:
    tr = QCoreApplication.translate
    # Left in English by qtbase_zh_CN: the file dialog's folder type and labels.
    assert tr("QAbstractFileIconProvider", "Folder") == "文件夹"
    assert tr("QFileDialog", "Files of &type:") == "文件类型(&T)："
    # Strings nobody translates come back as they are (a null answer, not an empty one),
    # and Qt's own translation still answers first.
    assert tr("Caseworker", "导出Excel") == "导出Excel"
    assert tr("QShortcut", "Ctrl") != ""
    assert tr("QFileDialog", "&Open").startswith("打开")


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


@pytest.mark.parametrize(
    ("env", "changed"),
    [
        ({}, True),
        ({"LANG": "C.UTF-8"}, True),
        ({"LC_ALL": "C", "LANG": "POSIX"}, True),
        ({"LANG": "en_US.UTF-8"}, False),  # a locale the person chose is theirs
        ({"LC_ALL": "zh_TW.UTF-8"}, False),
    ],
)
def test_qts_own_dates_are_chinese_on_a_linux_without_a_locale(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], changed: bool
) -> None:
    from ui import resources

    for name in ("LC_ALL", "LC_MESSAGES", "LC_TIME", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(resources.sys, "platform", "linux")
    assert resources.default_to_chinese_dates() is changed
    if changed:
        assert resources.os.environ["LANG"] == "zh_CN.UTF-8"
        assert "LC_ALL" not in resources.os.environ
    else:
        assert {k: resources.os.environ.get(k) for k in env} == env
