"""One accounts page for both applications (issue 22): the office's 账号管理 and the console's 账号
are the same widget (`ui.widgets.accounts_page.AccountsPage`); 停用/启用 asks first and 重置密码
sets a temporary password, through each application's own account service."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox

from caseworker.district import accounts
from caseworker.domain.roles import DistrictRole
from db.models import DistrictStaff
from tests.sync.helpers import make_world
from tests.ui.test_district_console import _add, _log_in
from ui.widgets.accounts_page import AccountsPage


@pytest.fixture
def world(tmp_path: Path):
    w = make_world(tmp_path, ["110101001"])
    yield w
    w.close()


def test_the_console_disables_and_resets_an_account_on_the_shared_page(
    world, controller, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(world, "yewu", "李业务", DistrictRole.CLERK)
    controller.start()
    _log_in(controller, qtbot, "admin")
    page = controller.window.page("accounts")
    assert isinstance(page, AccountsPage)
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda _p, _t, text, *a, **k: asked.append(text) or QMessageBox.StandardButton.Yes,
    )
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    page.view.selectRow(next(i for i, r in enumerate(page.rows) if r.username == "yewu"))
    page.toggle_button.click()
    assert asked and "停用" in asked[0] and "李业务" in asked[0]  # asked first, as at an office
    assert next(r for r in page.rows if r.username == "yewu").disabled
    assert page.selected() is not None and page.selected().username == "yewu"  # still chosen
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Temp2026pass", True))
    page.reset_button.click()
    with world.hub.reader() as s:
        yewu = s.query(DistrictStaff).filter_by(username="yewu").one()
        assert yewu.must_change_password and yewu.disabled
    page.toggle_button.click()  # 启用 again: the temporary password is the one that logs in
    assert "启用" in asked[1]
    with world.hub.writer(accounts.LOGIN) as s:
        result = accounts.authenticate(s, "yewu", "Temp2026pass")
        assert result.actor is not None and result.must_change_password
    assert [r.username for r in page.rows] == ["admin", "yewu"]
