"""Steps a person takes, shared by the real-window tests: log in, lock, go to a page."""

from __future__ import annotations

from tests.screen.driver import RunningApp

PASSWORD = "demo1234"


def log_in(app: RunningApp, user: str, password: str = PASSWORD) -> dict:
    """Type the user name and password into the login window and press Enter; the main
    window's facts once it is up."""
    app.wait_for(
        "controller.login.isVisible() and controller.login.login_button.isEnabled()",
        timeout=40,
        what="the login window, ready",
    )
    app.wait_active("LoginDialog")
    app.click("controller.login.username")
    app.key("ctrl+a")
    app.type(user)
    app.key("Tab")
    app.type(password)
    app.key("Return")
    return app.wait_window("MainWindow", timeout=40)


def go_to(app: RunningApp, key: str) -> None:
    """Open a section of the main window (home, elderly, retrofit, …) with its Ctrl+N key."""
    index = app.ask(f"controller.window.section_index({key!r})")
    app.key(f"ctrl+{index + 1}")
    app.wait_for(
        f"controller.window.stack.currentIndex() == {index} and "
        f"controller.window.current_page() is not None and controller.window.current_page().isVisible()",
        what=f"page {key}",
    )
