"""The district bureau's own accounts on the hub (区级平台, issue 24): first administrator, login,
unlock, and account administration, under the office application's password and lockout rules
(`caseworker.services.accounts`). Every change is journaled as the person who made it.

Accounts live in `district_staff` (db/models.py), which never travels to an office. The command
line keeps working without a login: it acts as the system actor `区民政局` (role None), as
before this change; the console acts as the logged-in person and each hub service checks that
person's role (`require`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseworker.district.hub import Hub
from caseworker.domain.errors import NotFound, PermissionDenied, ValidationError
from caseworker.domain.roles import (
    DISTRICT_ROLE_LABELS,
    Actor,
    DistrictPermission,
    DistrictRole,
    Permission,
)
from caseworker.passwords import hash_password, verify_password
from caseworker.services import accounts as office_accounts
from db.base import utcnow
from db.models import DistrictStaff

SETUP = Actor.system("setup")
LOGIN = Actor.system("login")

# What each permission is called in a refusal ("只有区级业务员可以…").
_WHO: dict[DistrictPermission | Permission, str] = {
    DistrictPermission.MANAGE_OFFICES: "区级管理员可以登记街道和设备",
    DistrictPermission.MANAGE_ACCOUNTS: "区级管理员可以管理账号",
    DistrictPermission.STATUS: "区级管理员、业务员和统计员可以查看各街道的同步情况",
    DistrictPermission.BUNDLES: "区级业务员可以收发数据包",
    DistrictPermission.RECORDS: "区级业务员可以转移、更正记录和处理冲突、重复人员",
    DistrictPermission.CATALOGUE: "区级业务员可以修改全区参数和改造项目目录",
    DistrictPermission.FIGURES: "区级业务员和统计员可以查看统计报表",
    DistrictPermission.CHILD_FIGURES: "区未保中心可以查看儿童关爱统计",
    DistrictPermission.CHILD_RECOVERY: "区未保中心可以生成儿童档案密钥恢复文件",
    DistrictPermission.AUDIT: "区级管理员可以查看操作记录",
}


def require(actor: Actor, permission: DistrictPermission) -> None:
    """Refuse, before anything is read or written, an actor whose role may not do this."""
    if not actor.can(permission):
        raise PermissionDenied(f"只有{_WHO.get(permission, '有相应权限的人员可以这样做')}")


def check(hub: Hub, actor: Actor, permission: DistrictPermission) -> None:
    """`require`, then the account as it is now (disabled, deleted or given another role since
    the login: refused), for hub services that write outside `hub.writer` (ingest, export)."""
    require(actor, permission)
    if actor.staff_id is not None:
        with hub.reader(actor):
            pass


@dataclass(frozen=True)
class AccountInfo:
    id: str
    username: str
    display_name: str
    role: DistrictRole
    phone: str
    disabled: bool
    must_change_password: bool
    last_login_at: datetime | None

    @property
    def role_label(self) -> str:
        return DISTRICT_ROLE_LABELS[self.role]


@dataclass(frozen=True)
class AccountDraft:
    username: str
    display_name: str
    role: DistrictRole
    phone: str = ""


def actor_for(row: DistrictStaff) -> Actor:
    return Actor(row.id, row.username, row.display_name, DistrictRole(row.role))


def _info(row: DistrictStaff) -> AccountInfo:
    return AccountInfo(
        row.id,
        row.username,
        row.display_name,
        DistrictRole(row.role),
        row.phone,
        row.disabled,
        row.must_change_password,
        row.last_login_at,
    )


def has_accounts(session: Session) -> bool:
    """False on a hub set up before accounts existed (or just initialised): the console then
    asks for its first administrator."""
    return session.scalar(select(DistrictStaff.id).limit(1)) is not None


def _username(raw: str) -> str:
    name = (raw or "").strip().lower()
    if not name or not name.replace("_", "").replace(".", "").isalnum() or not name.isascii():
        raise ValidationError("登录名只能用字母、数字、下划线或点", field="username")
    if len(name) > 40:
        raise ValidationError("登录名不能超过 40 个字符", field="username")
    return name


def _new(session: Session, draft: AccountDraft, password: str, *, must_change: bool) -> AccountInfo:
    username = _username(draft.username)
    if session.scalar(select(DistrictStaff.id).where(DistrictStaff.username == username)):
        raise ValidationError(f"登录名“{username}”已被使用", field="username")
    display = office_accounts._clean(draft.display_name, "姓名", "display_name", 60)
    if not isinstance(draft.role, DistrictRole):
        raise ValidationError("请选择区级平台的角色", field="role")
    office_accounts.check_password(session, password)
    row = DistrictStaff(
        username=username,
        display_name=display,
        role=draft.role.value,
        phone=" ".join((draft.phone or "").split())[:40],
        password_hash=hash_password(password),
        must_change_password=must_change,
    )
    session.add(row)
    session.flush()
    return _info(row)


def create_first_admin(session: Session, draft: AccountDraft, password: str) -> AccountInfo:
    """First start of a hub without accounts: its first 区级管理员 (refused once one exists)."""
    if has_accounts(session):
        raise ValidationError("区级平台已经有账号了，请用已有账号登录")
    if draft.role is not DistrictRole.ADMIN:
        raise ValidationError("第一个账号必须是区级管理员", field="role")
    return _new(session, draft, password, must_change=False)


def list_accounts(session: Session, actor: Actor) -> list[AccountInfo]:
    require(actor, DistrictPermission.MANAGE_ACCOUNTS)
    rows = session.scalars(
        select(DistrictStaff)
        .where(DistrictStaff.deleted_at.is_(None))
        .order_by(DistrictStaff.disabled, DistrictStaff.username)
    )
    return [_info(r) for r in rows]


def create_account(
    session: Session, actor: Actor, draft: AccountDraft, password: str
) -> AccountInfo:
    """A new account; its first login must set a password of its own."""
    require(actor, DistrictPermission.MANAGE_ACCOUNTS)
    return _new(session, draft, password, must_change=True)


def _row(session: Session, account_id: str) -> DistrictStaff:
    row = session.get(DistrictStaff, account_id)
    if row is None or row.deleted_at is not None:
        raise NotFound("找不到这个账号")
    return row


def _active_admins(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                DistrictStaff.role == DistrictRole.ADMIN.value,
                DistrictStaff.disabled.is_(False),
                DistrictStaff.deleted_at.is_(None),
            )
        )
        or 0
    )


def set_role(session: Session, actor: Actor, account_id: str, role: DistrictRole) -> AccountInfo:
    require(actor, DistrictPermission.MANAGE_ACCOUNTS)
    row = _row(session, account_id)
    if (
        row.role == DistrictRole.ADMIN.value
        and role is not DistrictRole.ADMIN
        and not row.disabled
        and _active_admins(session) <= 1
    ):
        raise ValidationError("至少要保留一个启用的区级管理员", field="role")
    row.role = role.value
    session.flush()
    return _info(row)


def set_disabled(session: Session, actor: Actor, account_id: str, disabled: bool) -> AccountInfo:
    require(actor, DistrictPermission.MANAGE_ACCOUNTS)
    row = _row(session, account_id)
    if disabled and row.id == actor.staff_id:
        raise ValidationError("不能停用自己正在使用的账号")
    if (
        disabled
        and row.role == DistrictRole.ADMIN.value
        and not row.disabled
        and _active_admins(session) <= 1
    ):
        raise ValidationError("至少要保留一个启用的区级管理员")
    row.disabled = disabled
    if not disabled:
        row.failed_logins = 0
        row.locked_until = None
    session.flush()
    return _info(row)


def reset_password(session: Session, actor: Actor, account_id: str, password: str) -> AccountInfo:
    require(actor, DistrictPermission.MANAGE_ACCOUNTS)
    row = _row(session, account_id)
    office_accounts.check_password(session, password)
    row.password_hash = hash_password(password)
    row.must_change_password = row.id != actor.staff_id
    row.failed_logins = 0
    row.locked_until = None
    session.flush()
    return _info(row)


def change_own_password(session: Session, actor: Actor, old: str, new: str) -> None:
    if actor.staff_id is None:
        raise PermissionDenied("系统账号没有密码")
    row = _row(session, actor.staff_id)
    if not verify_password(old, row.password_hash):
        raise ValidationError("原密码不正确", field="old_password")
    if old == new:
        raise ValidationError("新密码不能与原密码相同", field="password")
    office_accounts.check_password(session, new)
    row.password_hash = hash_password(new)
    row.must_change_password = False
    session.flush()


def authenticate(
    session: Session, username: str, password: str, now: datetime | None = None
) -> office_accounts.LoginResult:
    """A login at the hub (run in a writer session as `LOGIN`; commit either way: failed tries
    count towards the lockout)."""
    name = (username or "").strip().lower()
    row = session.scalar(
        select(DistrictStaff).where(
            DistrictStaff.username == name, DistrictStaff.deleted_at.is_(None)
        )
    )
    if row is None:
        verify_password(password, office_accounts._dummy_hash())  # names do not leak by time
        return office_accounts.LoginResult(None, "用户名或密码错误")
    return office_accounts.attempt(
        session, row, password, now or utcnow(), actor_of=actor_for, on_login=None
    )


def unlock(
    session: Session, actor: Actor, password: str, now: datetime | None = None
) -> office_accounts.LoginResult:
    """The lock screen: the same person's password under the login's rules."""
    row = session.get(DistrictStaff, actor.staff_id) if actor.staff_id is not None else None
    if row is None or row.deleted_at is not None:
        return office_accounts.LoginResult(None, "此账号已被删除，请切换用户")
    result = office_accounts.attempt(
        session, row, password, now or utcnow(), actor_of=actor_for, on_login=None
    )
    if result.actor is not None and result.actor != actor:
        return office_accounts.LoginResult(None, "管理员已更改此账号的角色，请切换用户后重新登录")
    return replace(result, message=result.message.replace("用户名或密码错误", "密码错误"))
