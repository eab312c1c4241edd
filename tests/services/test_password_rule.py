"""A password of only blanks or one repeated character is refused (issue 20, item 8): twelve
spaces used to be accepted while 12345678 was refused. The rule is said in the dialogs."""

from __future__ import annotations

import pytest

from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.workspace import Workspace
from tests.conftest import STAFF_PASSWORD


@pytest.mark.parametrize(
    "password",
    [" " * 12, "\t" * 10, "　" * 9, "a" * 12, "1" * 12, "!" * 10, "好" * 8, "aaaaaaaaaaaa "],
)
def test_blank_or_one_repeated_character_is_refused(
    office_ws: Workspace, admin: Actor, password: str
) -> None:
    with pytest.raises(ValidationError) as refused, office_ws.writer(admin) as s:
        accounts.create_staff(
            s, admin, accounts.StaffDraft("zg9", "李专干", Role.CASEWORKER), password
        )
    assert refused.value.field == "password"
    with pytest.raises(ValidationError), office_ws.writer(admin) as s:
        staff = accounts.create_staff(
            s, admin, accounts.StaffDraft("zg8", "李专干", Role.CASEWORKER), STAFF_PASSWORD
        )
        accounts.reset_password(s, admin, staff.id, password)


def test_a_password_with_letters_digits_and_spaces_is_still_taken(
    office_ws: Workspace, admin: Actor
) -> None:
    with office_ws.writer(admin) as s:
        accounts.create_staff(
            s, admin, accounts.StaffDraft("zg7", "李专干", Role.CASEWORKER), "my pass 2026"
        )


def test_the_dialogs_say_the_rule(qtbot) -> None:
    from ui.login import ChangePasswordDialog

    dialog = ChangePasswordDialog(None, lambda old, new: None)
    qtbot.addWidget(dialog)
    assert "空格" in dialog.rule.text() and "同一个字符" in dialog.rule.text()
