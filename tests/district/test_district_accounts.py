"""The district bureau's own accounts on the hub (issue 24): first administrator, the office
application's password and lockout rules, roles checked by the hub's services, the actor
journaled, and an account whose powers are taken away refused at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from caseworker.district import accounts, service
from caseworker.district.hub import Hub
from caseworker.domain.errors import AccountChanged, PermissionDenied, ValidationError
from caseworker.domain.roles import DistrictRole
from caseworker.sync import tables
from db.models import JournalEntry
from tests.sync.helpers import make_world

PASSWORD = "bureau2026"


def _hub(tmp_path: Path) -> Hub:
    hub = Hub.open(tmp_path / "district")
    service.init(hub, "测试区民政局")
    return hub


def _login(hub: Hub, username: str, password: str = PASSWORD):
    with hub.writer(accounts.LOGIN) as s:
        return accounts.authenticate(s, username, password)


def _admin(hub: Hub):
    with hub.writer(accounts.SETUP) as s:
        accounts.create_first_admin(
            s, accounts.AccountDraft("admin", "区管理员", DistrictRole.ADMIN), PASSWORD
        )
    return _login(hub, "admin").actor


def _account(hub: Hub, admin, username: str, name: str, role: DistrictRole):
    with hub.writer(admin) as s:
        info = accounts.create_account(
            s, admin, accounts.AccountDraft(username, name, role), PASSWORD
        )
    with hub.writer(admin) as s:  # as if the person had set their own password already
        accounts.reset_password(s, admin, info.id, PASSWORD)
    result = _login(hub, username)
    assert result.actor is not None, result.message
    return result.actor


def test_a_hub_without_accounts_gets_its_first_administrator_once(tmp_path: Path) -> None:
    hub = _hub(tmp_path)
    with hub.reader() as s:
        assert not accounts.has_accounts(s)
    with hub.writer(accounts.SETUP) as s, pytest.raises(ValidationError, match="区级管理员"):
        accounts.create_first_admin(
            s, accounts.AccountDraft("clerk", "某人", DistrictRole.CLERK), PASSWORD
        )
    admin = _admin(hub)
    assert admin.role is DistrictRole.ADMIN and admin.at_district
    with hub.writer(accounts.SETUP) as s, pytest.raises(ValidationError, match="已经有账号"):
        accounts.create_first_admin(
            s, accounts.AccountDraft("admin2", "又一个", DistrictRole.ADMIN), PASSWORD
        )
    hub.close()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("ab1", "至少"),
        ("12345678", "字母和数字"),
        ("abcdefgh", "字母和数字"),
        ("aaaaaaaa", "同一个字符"),
    ],
)
def test_the_office_password_rules_apply(tmp_path: Path, password: str, reason: str) -> None:
    hub = _hub(tmp_path)
    with hub.writer(accounts.SETUP) as s, pytest.raises(ValidationError, match=reason):
        accounts.create_first_admin(
            s, accounts.AccountDraft("admin", "区管理员", DistrictRole.ADMIN), password
        )
    with hub.reader() as s:
        assert not accounts.has_accounts(s)
    hub.close()


def test_wrong_passwords_lock_the_account(tmp_path: Path) -> None:
    hub = _hub(tmp_path)
    _admin(hub)
    messages = [_login(hub, "admin", "wrong-pass1").message for _ in range(5)]
    assert "再错 4 次" in messages[0]
    assert "已锁定" in messages[-1]
    locked = _login(hub, "admin")  # the right password, too late
    assert locked.actor is None and "锁定" in locked.message
    unknown = _login(hub, "nobody")
    assert unknown.actor is None and unknown.message == "用户名或密码错误"
    hub.close()


def test_hub_services_check_the_role_and_journal_the_person(tmp_path: Path) -> None:
    world = make_world(tmp_path, ["110101001"])
    hub = world.hub
    admin = _admin(hub)
    clerk = _account(hub, admin, "yewu", "李业务", DistrictRole.CLERK)
    stats = _account(hub, admin, "tongji", "赵统计", DistrictRole.STATISTICIAN)
    bundle = world.office_to_district("110101001")
    # refused first, before the file is read: nothing is ingested
    with pytest.raises(PermissionDenied, match="区级业务员"):
        service.ingest(hub, [tmp_path / "no-such-file.cwbundle"], actor=stats)
    with pytest.raises(PermissionDenied):
        service.export_for(hub, "110101001", tmp_path / "x.cwbundle", actor=admin)
    assert not (tmp_path / "x.cwbundle").exists()
    done = service.ingest(hub, [bundle], actor=clerk)
    assert not done[0].refused and done[0].office
    with pytest.raises(PermissionDenied):
        service.status(
            hub, actor=_account(hub, admin, "weibao", "钱未保", DistrictRole.CHILD_CENTRE)
        )
    assert [s.code for s in service.status(hub, actor=stats)] == ["110101001"]
    # the office's name corrected by the clerk: the journal says who
    with hub.reader() as s:
        from db.models import Community

        cid = s.scalar(select(Community.id).limit(1))
    service.correct(hub, "community", cid, {"code": "C-01"}, actor=clerk)
    with hub.reader() as s:
        who = s.scalar(
            select(JournalEntry.actor_name)
            .where(JournalEntry.record_id == cid, JournalEntry.field == "code")
            .order_by(JournalEntry.seq.desc())
        )
        creator = s.scalar(
            select(JournalEntry.actor_name)
            .where(JournalEntry.table_name == "district_staff", JournalEntry.op == "insert")
            .order_by(JournalEntry.seq.desc())
        )
    assert who == "李业务"
    assert creator == "区管理员"  # who created the last account
    # the accounts never travel: sync does not know their table
    assert "district_staff" not in tables.registry()
    world.close()


def test_an_account_disabled_meanwhile_is_refused_at_once(tmp_path: Path) -> None:
    hub = _hub(tmp_path)
    admin = _admin(hub)
    clerk = _account(hub, admin, "yewu", "李业务", DistrictRole.CLERK)
    with hub.writer(admin) as s:
        accounts.set_disabled(s, admin, clerk.staff_id, True)
    with pytest.raises(AccountChanged, match="停用"):
        service.ingest(hub, [tmp_path / "any.cwbundle"], actor=clerk)
    with pytest.raises(AccountChanged), hub.reader(clerk):
        pass
    # the last administrator cannot be disabled or demoted
    with hub.writer(admin) as s, pytest.raises(ValidationError, match="区级管理员"):
        accounts.set_role(s, admin, admin.staff_id, DistrictRole.CLERK)
    hub.close()


def test_the_demo_district_has_offices_bundles_and_work_to_settle(tmp_path: Path) -> None:
    from caseworker.demo import DEMO_PASSWORD
    from caseworker.demo import district as demo_district
    from caseworker.district import console, duplicates

    done = demo_district.build(tmp_path / "district-home", residents=20)
    assert len(done.offices) == 4 and done.ingested == done.offices[:3]
    assert done.conflicts >= 1 and done.duplicates == 1
    assert done.stick is not None and len(list(done.stick.glob("*.cwbundle"))) == 1
    with Hub.open(done.home) as hub:
        for username, _name, role in demo_district.ACCOUNTS:
            actor = _login(hub, username, DEMO_PASSWORD).actor
            assert actor is not None and actor.role is role
        clerk = _login(hub, "yewu", DEMO_PASSWORD).actor
        rows = console.dashboard(hub, clerk)
        assert [r.last_received is None for r in rows] == [False, False, False, True]
        assert sum(r.duplicates for r in rows) == 2  # one case, two offices
        assert len(duplicates.list_cases(hub, actor=clerk)) == 1
        # 设置 and 目录 each show a change for next month, by the clerk, cancellable
        from caseworker.district import rules

        [setting] = rules.pending_settings(hub, clerk)
        [price] = rules.pending_catalogue(hub, clerk)
        assert setting.key == demo_district.PENDING_SETTING[0] and setting.value == 5
        for change in (setting, price):
            assert change.effective_from > date.today() and change.changed_by == "李业务"
        assert len(done.pending) == 2
    with pytest.raises(ValidationError, match="已经有区级平台"):
        demo_district.build(done.home)
