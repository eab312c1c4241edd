"""First start in a real window: both wizard paths end at the login, and the login works."""

from __future__ import annotations

from pathlib import Path

from tests.screen.driver import inside
from tests.screen.steps import log_in


def test_new_office_path_ends_at_the_login(launch, tmp_path: Path, shots: Path) -> None:
    app = launch(tmp_path / "empty-ws")
    wizard = app.wait_window("SetupWizard", timeout=40)
    assert inside(wizard["frame"], app.ask("available()")), wizard
    app.wait_active("SetupWizard")
    # 新建: the second choice. Arrow keys move between the radio buttons, Enter goes on.
    app.click("controller.wizard.choice_page.new")
    app.shot(shots / "first-start.png", wizard)
    app.key("Return")
    app.wait_for("controller.wizard.currentId() == 1", what="街道信息")
    app.type("Hepingjie")  # the name: typed here in letters, Chinese is typed by an input method
    app.ask("controller.wizard.office_page.name.setText('和平街道办事处')")
    app.key("Tab")
    app.type("abc")  # not a street code
    app.key("Tab")
    app.ask("controller.wizard.office_page.district.setText('朝阳区')")
    app.key("Return")
    app.wait_for(
        "controller.wizard.office_page.message.text() != ''", what="the street code refused"
    )
    assert app.ask("controller.wizard.currentId()") == 1
    app.click("controller.wizard.office_page.code")
    app.key("ctrl+a")
    app.type("110105001")
    app.key("Return")
    app.wait_for("controller.wizard.currentId() == 2", what="社区和村")
    app.ask("controller.wizard.communities_page.text.setPlainText('和平里社区\\n柳芳村')")
    app.click_button("下一步 >")
    app.wait_for("controller.wizard.currentId() == 3", what="管理员")
    app.click("controller.wizard.admin_page.display")
    app.ask("controller.wizard.admin_page.display.setText('张管理')")
    app.key("Tab")
    app.type("Admin2026")
    app.key("Tab")
    app.type("Admin2026")
    app.click_button("完成")
    # The login comes next, in the same run of the application.
    app.wait_window("LoginDialog", timeout=60)
    log_in(app, "admin", "Admin2026")
    assert app.ask("controller.window.office_name") == "和平街道办事处"


def test_demo_path_ends_at_the_login(launch, tmp_path: Path) -> None:
    app = launch(tmp_path / "empty-ws")
    app.wait_window("SetupWizard", timeout=40)
    app.wait_active("SetupWizard")
    app.ask("controller.demo_residents = 60")  # a smaller demo: the path is what is tested
    app.click("controller.wizard.choice_page.demo")
    app.key("Return")
    app.wait_for("controller.wizard.currentId() == 4", what="生成演示数据")
    app.click_button("完成")
    app.wait_window("LoginDialog", timeout=120)
    log_in(app, "zhuangan1")
