"""Set-up, login with lockout, staff administration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.workspace import Workspace
from db.base import utcnow
from db.models import JournalEntry, Staff
from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, login


def attempt(ws: Workspace, username: str, password: str, now=None) -> accounts.LoginResult:
    with ws.writer(Actor.system("login")) as s:
        return accounts.authenticate(s, username, password, now=now)


def test_initialise_refuses_a_second_time_and_bad_input(
    office_ws: Workspace, system: Actor
) -> None:
    with pytest.raises(ValidationError, match="已经设置过"), office_ws.writer(system) as s:
        accounts.initialise_office(
            s,
            system,
            office_code="110105001",
            office_name="x",
            district_name="y",
            community_names=["a"],
            admin=accounts.StaffDraft("a", "b", Role.ADMIN),
            admin_password="abc12345",
        )


def test_initialise_validates_before_writing(workspace: Workspace, system: Actor) -> None:
    with pytest.raises(ValidationError, match="社区名称重复"), workspace.writer(system) as s:
        accounts.initialise_office(
            s,
            system,
            office_code="110105001",
            office_name="某街道",
            district_name="某区",
            community_names=["甲社区", "甲社区"],
            admin=accounts.StaffDraft("a", "管理", Role.ADMIN),
            admin_password="abc12345",
        )
    with pytest.raises(ValidationError, match="至少 8 位"), workspace.writer(system) as s:
        accounts.initialise_office(
            s,
            system,
            office_code="110105001",
            office_name="某街道",
            district_name="某区",
            community_names=["甲社区"],
            admin=accounts.StaffDraft("a", "管理", Role.ADMIN),
            admin_password="ab1",
        )
    assert not workspace.is_initialised()


def test_login_and_lockout_after_repeated_failures(office_ws: Workspace) -> None:
    assert attempt(office_ws, "worker", STAFF_PASSWORD).actor is not None
    for i in range(4):
        r = attempt(office_ws, "worker", "wrong")
        assert r.actor is None
        assert f"再错 {4 - i} 次" in r.message
    r = attempt(office_ws, "worker", "wrong")
    assert "已锁定" in r.message
    # Even the right password is refused while locked ...
    r = attempt(office_ws, "worker", STAFF_PASSWORD)
    assert r.actor is None and "分钟后再试" in r.message
    # ... and accepted once the lock has run out.
    later = utcnow() + timedelta(minutes=16)
    assert attempt(office_ws, "worker", STAFF_PASSWORD, now=later).actor is not None


def test_unknown_user_gets_the_same_message_as_wrong_password(office_ws: Workspace) -> None:
    assert attempt(office_ws, "nobody", "x").message == "用户名或密码错误"
    assert attempt(office_ws, "worker", "x").message.startswith("用户名或密码错误")


def test_login_bookkeeping_is_not_journaled(office_ws: Workspace) -> None:
    with office_ws.reader() as s:
        before = len(list(s.scalars(select(JournalEntry))))
    attempt(office_ws, "worker", "wrong")
    attempt(office_ws, "worker", STAFF_PASSWORD)
    with office_ws.reader() as s:
        assert len(list(s.scalars(select(JournalEntry)))) == before


def test_disabled_account_cannot_log_in_and_keeps_its_name_in_journal(
    office_ws: Workspace, admin: Actor, worker: Actor
) -> None:
    from caseworker.services import settings

    with office_ws.writer(admin) as s:
        accounts.reset_password(s, admin, worker.staff_id, "Newpass2026")  # journaled by admin
    with office_ws.writer(admin) as s:
        accounts.set_disabled(s, admin, worker.staff_id, True)
    r = attempt(office_ws, "worker", "Newpass2026")
    assert r.actor is None and "已停用" in r.message
    with office_ws.reader() as s:
        names = set(s.scalars(select(JournalEntry.actor_name)))
    assert "张管理" in names
    del settings


def test_reset_password_forces_a_change_at_next_login(
    office_ws: Workspace, admin: Actor, worker: Actor
) -> None:
    with office_ws.writer(admin) as s:
        accounts.reset_password(s, admin, worker.staff_id, "Temp12345")
    r = attempt(office_ws, "worker", "Temp12345")
    assert r.actor is not None and r.must_change_password
    with office_ws.writer(r.actor) as s:
        accounts.change_own_password(s, r.actor, "Temp12345", "Mine12345")
    r = attempt(office_ws, "worker", "Mine12345")
    assert r.actor is not None and not r.must_change_password


def test_only_admins_manage_staff(office_ws: Workspace, worker: Actor) -> None:
    with pytest.raises(PermissionDenied), office_ws.writer(worker) as s:
        accounts.create_staff(
            s, worker, accounts.StaffDraft("x", "某人", Role.CASEWORKER), "abc12345"
        )


def test_child_director_needs_a_community(office_ws: Workspace, admin: Actor) -> None:
    with pytest.raises(ValidationError, match="必须指定所在社区"), office_ws.writer(admin) as s:
        accounts.create_staff(
            s, admin, accounts.StaffDraft("ct", "某人", Role.CHILD_DIRECTOR), "abc12345"
        )
    with office_ws.reader() as s:
        community = accounts.communities(s)[0]
    with office_ws.writer(admin) as s:
        info = accounts.create_staff(
            s,
            admin,
            accounts.StaffDraft("ct", "某人", Role.CHILD_DIRECTOR, community.id),
            "abc12345",
        )
    assert info.community_name == community.name and info.must_change_password


def test_last_admin_cannot_be_disabled_or_demoted(office_ws: Workspace, admin: Actor) -> None:
    with pytest.raises(ValidationError, match="自己"), office_ws.writer(admin) as s:
        accounts.set_disabled(s, admin, admin.staff_id, True)
    with pytest.raises(ValidationError, match="至少要保留"), office_ws.writer(admin) as s:
        accounts.update_staff(
            s, admin, admin.staff_id, accounts.StaffDraft("admin", "张管理", Role.CASEWORKER)
        )
    with office_ws.reader() as s:
        row = s.get(Staff, admin.staff_id)
        assert row is not None and row.role == "admin"


def test_duplicate_username_refused(office_ws: Workspace, admin: Actor) -> None:
    with pytest.raises(ValidationError, match="已被使用"), office_ws.writer(admin) as s:
        accounts.create_staff(
            s, admin, accounts.StaffDraft("Worker", "重名", Role.CASEWORKER), "abc12345"
        )


def test_admin_password_still_works(office_ws: Workspace) -> None:
    assert login(office_ws, "admin", ADMIN_PASSWORD).role is Role.ADMIN


# -- an account's powers end when an administrator takes them (issue 8) ----------------------


_seq = iter(range(11, 99))


def _add_resident(ws: Workspace, actor: Actor) -> None:
    from datetime import date

    from tests.services._elderly import add

    add(ws, actor, "周爷爷", date(1941, 7, 2), seq=next(_seq))


def test_a_disabled_account_can_no_longer_write_in_its_open_session(
    office_ws: Workspace, admin: Actor, worker: Actor
) -> None:
    from caseworker.domain.errors import AccountChanged

    _add_resident(office_ws, worker)  # still logged in and allowed
    with office_ws.writer(admin) as s:
        accounts.set_disabled(s, admin, worker.staff_id, True)
    with office_ws.reader() as s:
        journal_before = s.scalar(select(func.count()).select_from(JournalEntry))
    with pytest.raises(AccountChanged, match="停用"):
        _add_resident(office_ws, worker)
    with office_ws.reader() as s:
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == journal_before


def test_a_demoted_or_moved_account_must_log_in_again(
    office_ws: Workspace, admin: Actor, worker: Actor
) -> None:
    from caseworker.domain.errors import AccountChanged

    with office_ws.writer(admin) as s:
        accounts.update_staff(
            s, admin, worker.staff_id, accounts.StaffDraft("worker", "李专干", Role.SUPERVISOR)
        )
    with pytest.raises(AccountChanged, match="重新登录"):
        _add_resident(office_ws, worker)
    # logging in again gives the new role, and it writes
    promoted = login(office_ws, "worker", STAFF_PASSWORD)
    assert promoted.role is Role.SUPERVISOR
    _add_resident(office_ws, promoted)


def test_a_deleted_account_is_refused(office_ws: Workspace, worker: Actor) -> None:
    from caseworker.domain.errors import AccountChanged

    with office_ws.writer(Actor.system("test")) as s:
        s.get(Staff, worker.staff_id).deleted_at = utcnow()
    with pytest.raises(AccountChanged, match="删除"):
        _add_resident(office_ws, worker)


def _unlock(ws: Workspace, actor: Actor, password: str, now=None) -> accounts.LoginResult:
    with ws.writer(Actor.system("login")) as s:
        return accounts.unlock(s, actor, password, now=now)


def test_the_lock_screen_shares_the_login_attempt_limit(
    office_ws: Workspace, worker: Actor
) -> None:
    assert _unlock(office_ws, worker, STAFF_PASSWORD).actor == worker
    for i in range(4):
        r = _unlock(office_ws, worker, "guess")
        assert r.actor is None and f"再错 {4 - i} 次" in r.message
    assert "已锁定" in _unlock(office_ws, worker, "guess").message
    # locked out: the right password opens neither the lock screen nor the login
    assert "分钟后再试" in _unlock(office_ws, worker, STAFF_PASSWORD).message
    assert attempt(office_ws, "worker", STAFF_PASSWORD).actor is None
    # guesses at the login count for the lock screen too
    later = utcnow() + timedelta(minutes=16)
    for _ in range(4):
        attempt(office_ws, "worker", "guess", now=later)
    assert "已锁定" in _unlock(office_ws, worker, "guess", now=later).message


def test_the_lock_screen_refuses_a_disabled_or_changed_account(
    office_ws: Workspace, admin: Actor, worker: Actor
) -> None:
    with office_ws.writer(admin) as s:
        accounts.update_staff(
            s,
            admin,
            worker.staff_id,
            accounts.StaffDraft("worker", "李专干", Role.CHILD_SUPERVISOR),
        )
    r = _unlock(office_ws, worker, STAFF_PASSWORD)
    assert r.actor is None and "切换用户" in r.message
    with office_ws.writer(admin) as s:
        accounts.set_disabled(s, admin, worker.staff_id, True)
    r = _unlock(office_ws, worker, STAFF_PASSWORD)
    assert r.actor is None and "停用" in r.message


# -- password hashes carry their cost --------------------------------------------------------


def test_hashes_carry_their_parameters_and_old_ones_are_upgraded_at_login(
    office_ws: Workspace,
) -> None:
    import base64
    import hashlib
    import os

    from caseworker import passwords

    stored = passwords.hash_password("Abc12345")
    scheme, n, r, p, _, _ = stored.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", passwords.N, passwords.R, passwords.P)
    assert passwords.verify_password("Abc12345", stored)
    assert not passwords.verify_password("Abc12346", stored)
    # a hash from the earlier, cheaper cost (2**14) still verifies and is re-hashed at login
    salt = os.urandom(16)
    digest = hashlib.scrypt(STAFF_PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    b64 = base64.b64encode
    old = f"scrypt$16384$8$1${b64(salt).decode()}${b64(digest).decode()}"
    assert passwords.verify_password(STAFF_PASSWORD, old) and passwords.needs_rehash(old)
    with office_ws.writer(Actor.system("test")) as s:
        s.scalar(select(Staff).where(Staff.username == "worker")).password_hash = old
    assert attempt(office_ws, "worker", STAFF_PASSWORD).actor is not None
    with office_ws.reader() as s:
        now_stored = s.scalar(select(Staff.password_hash).where(Staff.username == "worker"))
    assert now_stored != old and not passwords.needs_rehash(now_stored)
    assert attempt(office_ws, "worker", STAFF_PASSWORD).actor is not None


@pytest.mark.parametrize(
    "doctored",
    [
        "scrypt$4194304$8$1$c2FsdHNhbHRzYWx0c2FsdA==$ZGlnZXN0ZGlnZXN0ZGlnZXN0",  # 2**22: 4 GiB
        "scrypt$-1$8$1$c2FsdHNhbHRzYWx0c2FsdA==$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$32768$64$1$c2FsdHNhbHRzYWx0c2FsdA==$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$32768$8$16$c2FsdHNhbHRzYWx0c2FsdA==$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$32768$8$1$!!$ZGlnZXN0",
        "md5$x",
        "",
    ],
)
def test_a_doctored_hash_is_refused_without_running_its_cost(
    doctored: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from caseworker import passwords

    ran: list[dict] = []
    real = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: ran.append(k) or real(*a, **k))
    assert not passwords.verify_password("anything", doctored)
    assert not passwords.needs_rehash(doctored)
    assert ran == []  # refused before any scrypt ran
    assert passwords.verify_password("x", passwords.hash_password("x")) and len(ran) == 2
