"""First start through the real wizard, then the login dialog, then the main window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from caseworker.workspace import Workspace
from tests.ui.conftest import log_in, type_text


def press_next(qtbot, wizard: QWizard) -> None:
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)


def test_wizard_creates_office_and_admin_then_login(tmp_path: Path, make_controller, qtbot) -> None:
    controller = make_controller(tmp_path / "new")
    controller.start()
    wizard = controller.wizard
    assert wizard is not None and wizard.isVisible()
    assert not controller.login.isVisible()
    assert wizard.choice_page.enroll.isChecked()  # 登记 (recommended) is the default choice
    wizard.choice_page.new.setChecked(True)
    press_next(qtbot, wizard)
    type_text(qtbot, wizard.office_page.name, "和平街道办事处")
    qtbot.keyClicks(wizard.office_page.code, "110105002")
    type_text(qtbot, wizard.office_page.district, "朝阳区")
    press_next(qtbot, wizard)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()  # no community yet
    wizard.communities_page.text.setPlainText("和平里社区\n安贞社区\n柳芳村")
    press_next(qtbot, wizard)
    page = wizard.admin_page
    type_text(qtbot, page.display, "王主任")
    qtbot.keyClicks(page.password, "short")
    qtbot.keyClicks(page.again, "short")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    assert wizard.isVisible()  # refused: the service's reason is shown, nothing written
    assert "至少 8 位" in page.message.text()
    page.password.setText("Heping2026")
    page.again.setText("Heping2026")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.login.isVisible())
    assert controller.login.office.text() == "和平街道办事处"
    log_in(controller, qtbot, "admin", "Heping2026")
    assert controller.window is not None and controller.window.isVisible()
    assert "和平街道办事处" in controller.window.windowTitle()
    assert "王主任" in controller.window.user_label.text()
    with Workspace.open(tmp_path / "new") as ws:  # stored for real
        assert ws.is_initialised()


def test_wizard_demo_choice_fills_the_workspace(tmp_path: Path, make_controller, qtbot) -> None:
    controller = make_controller(tmp_path / "try")
    controller.start()
    wizard = controller.wizard
    wizard.choice_page.demo.setChecked(True)
    press_next(qtbot, wizard)
    assert wizard.currentPage() is wizard.demo_page
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.login.isVisible())
    assert "demo1234" in controller.login.hint.text()
    log_in(controller, qtbot, "zhuangan1", "demo1234")
    assert controller.window is not None and controller.window.isVisible()


def test_cancelling_the_wizard_writes_nothing(tmp_path: Path, make_controller, qtbot) -> None:
    controller = make_controller(tmp_path / "cancel")
    controller.start()
    controller.wizard.reject()
    with Workspace.open(tmp_path / "cancel") as ws:
        assert not ws.is_initialised()
