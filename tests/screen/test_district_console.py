"""区级平台 in a real window (issue 24): the demo district's console on Xvfb at 1366x768 with a
40 px panel — log in by the keyboard, every section the clerk has fits the usable area, the
stick's bundle taken in, people found in 转移 by the keyboard, the lock screen, and exit code 0.
Screenshots of 工作台, 收件, 转移 and 设置."""

from __future__ import annotations

from tests.screen.driver import inside
from tests.screen.steps import PASSWORD


def _log_in(app, user: str) -> dict:
    app.wait_for(
        "controller.login.isVisible() and controller.login.login_button.isEnabled()",
        timeout=60,
        what="the login window, ready",
    )
    app.wait_active("LoginDialog")
    login = app.wait_window("LoginDialog")
    assert inside(login["frame"], app.ask("available()")), login
    app.click("controller.login.username")
    app.key("ctrl+a")
    app.type(user)
    app.key("Tab")
    app.type(PASSWORD)
    app.key("Return")
    return app.wait_window("DistrictWindow", timeout=40)


def test_the_clerks_round_in_a_real_window(launch, district_home, shots) -> None:
    app = launch(district_home, district=True)
    window = _log_in(app, "yewu")
    area = app.ask("available()")
    assert area == [0, 0, 1366, 728]
    assert inside(window["frame"], area), window
    keys = app.ask("controller.window.section_keys()")
    assert keys == ["dashboard", "inbox", "outbox", "queues", "transfers", "settings", "report"]
    app.wait_for("len(controller.window.page('dashboard').rows) == 4", what="工作台's offices")
    app.shot(shots / "district-dashboard.png")
    for i, key in enumerate(keys):
        app.key(f"ctrl+{i + 1}")
        app.wait_for(f"controller.window.stack.currentIndex() == {i}", what=key)
        frame = app.wait_window("DistrictWindow")["frame"]
        assert inside(frame, area), (key, frame)
    # 收件: the stick's folder typed into the real folder dialog, then 全部导入 by the keyboard
    app.key("ctrl+2")
    stick = district_home / "demo-stick"
    (stick / "110105009-坏文件.cwbundle").write_bytes(b"not a bundle")  # a bad file on the stick
    app.key("alt+d")
    app.wait_active("QFileDialog")
    app.key("ctrl+a")
    app.type(str(stick))
    app.key("Return")
    app.wait_for("len(controller.window.page('inbox').previews) == 2", what="the previews")
    app.wait_for("controller.window.page('inbox').ingest_button.hasFocus()")
    app.key("space")
    app.wait_for("len(controller.window.page('inbox').results) == 2", timeout=60, what="the ingest")
    refused = app.ask("[bool(r.refused) for r in controller.window.page('inbox').results]")
    assert refused == [False, True]  # the bad file is refused, the good one still came in
    app.shot(shots / "district-inbox.png")
    # 转移: people found by the keyboard (pinyin), ↓ to the list; 设置 with its values
    app.key("ctrl+5")
    app.click("controller.window.page('transfers').search")
    app.type("w")
    app.key("Return")
    app.wait_for("len(controller.window.page('transfers').page.rows) > 0", what="people found")
    app.key("Down")
    app.wait_for("controller.window.page('transfers').people_table.hasFocus()")
    app.shot(shots / "district-transfers.png")
    app.key("ctrl+6")
    app.wait_for("len(controller.window.page('settings').settings.rows) > 0", what="settings")
    app.shot(shots / "district-settings.png")
    # the lock screen: Esc does not open it, the password does
    app.key("ctrl+l")
    app.wait_active("LockDialog")
    app.key("Escape")
    assert app.ask("controller.lock_dialog is not None")
    app.type(PASSWORD)
    app.key("Return")
    app.wait_for("controller.lock_dialog is None and controller.window.isVisible()")
    assert app.quit() == 0
