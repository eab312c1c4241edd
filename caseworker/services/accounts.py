"""The office, its communities and staff accounts: first set-up, login, staff administration."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseworker.domain import office_code as office_codes
from caseworker.domain.errors import NotFound, PermissionDenied, ValidationError
from caseworker.domain.roles import COMMUNITY_SCOPED, Actor, Permission, Role
from caseworker.domain.text import strip_controls
from caseworker.passwords import hash_password, needs_rehash, verify_password
from caseworker.services import settings
from caseworker.services.children import keys as child_keys
from db.base import utcnow
from db.models import Community, Office, Staff
from db.replica import check_account


@dataclass(frozen=True)
class OfficeInfo:
    id: str
    code: str
    name: str
    district_name: str


@dataclass(frozen=True)
class CommunityInfo:
    id: str
    name: str
    kind: str
    code: str
    active: bool


@dataclass(frozen=True)
class StaffInfo:
    id: str
    username: str
    display_name: str
    role: Role
    community_id: str | None
    community_name: str | None
    phone: str
    disabled: bool
    must_change_password: bool
    last_login_at: datetime | None


@dataclass(frozen=True)
class StaffDraft:
    username: str
    display_name: str
    role: Role
    community_id: str | None = None
    phone: str = ""


@dataclass(frozen=True)
class LoginResult:
    actor: Actor | None
    message: str
    must_change_password: bool = False


# -- reading ---------------------------------------------------------------------------------


def office(session: Session) -> OfficeInfo | None:
    row = session.scalar(select(Office).where(Office.deleted_at.is_(None)).limit(1))
    return None if row is None else OfficeInfo(row.id, row.code, row.name, row.district_name)


def communities(session: Session, include_inactive: bool = False) -> list[CommunityInfo]:
    q = select(Community).where(Community.deleted_at.is_(None))
    if not include_inactive:
        q = q.where(Community.active.is_(True))
    rows = session.scalars(q.order_by(Community.sort_order, Community.name))
    return [CommunityInfo(c.id, c.name, c.kind, c.code, c.active) for c in rows]


def _info(s: Staff) -> StaffInfo:
    return StaffInfo(
        s.id,
        s.username,
        s.display_name,
        Role(s.role),
        s.community_id,
        s.community.name if s.community else None,
        s.phone,
        s.disabled,
        s.must_change_password,
        s.last_login_at,
    )


def list_staff(session: Session, actor: Actor) -> list[StaffInfo]:
    if not actor.can(Permission.MANAGE_STAFF):
        raise PermissionDenied("只有系统管理员可以管理账号")
    rows = session.scalars(
        select(Staff).where(Staff.deleted_at.is_(None)).order_by(Staff.disabled, Staff.username)
    )
    return [_info(s) for s in rows]


def actor_for(staff: Staff) -> Actor:
    return Actor(staff.id, staff.username, staff.display_name, Role(staff.role), staff.community_id)


# -- first start -----------------------------------------------------------------------------


def check_password(session: Session, password: str) -> None:
    minimum = settings.get(session, "security.min_password_length")
    if len(password) < minimum:
        raise ValidationError(f"密码至少 {minimum} 位", field="password")
    if not password.strip():
        raise ValidationError("密码不能全是空格", field="password")
    if len(set(password.strip())) == 1:
        raise ValidationError("密码不能是同一个字符重复", field="password")
    if password.isdigit() or password.isalpha():
        raise ValidationError("密码需同时包含字母和数字", field="password")


def _clean(text: str, label: str, field: str, max_len: int) -> str:
    value = " ".join(strip_controls(text or "").split())
    if not value:
        raise ValidationError(f"请填写{label}", field=field)
    if len(value) > max_len:
        raise ValidationError(f"{label}不能超过 {max_len} 个字", field=field)
    return value


def initialise_office(
    session: Session,
    actor: Actor,
    *,
    office_code: str,
    office_name: str,
    district_name: str,
    community_names: list[str],
    admin: StaffDraft,
    admin_password: str,
) -> OfficeInfo:
    """First start: the office, its communities and the first administrator, in one go."""
    if not actor.can(Permission.MANAGE_STAFF):
        raise PermissionDenied("只有系统管理员可以设置街道信息")
    if office(session) is not None:
        raise ValidationError("此工作区已经设置过街道信息")
    name = _clean(office_name, "街道名称", "office_name", 100)
    try:
        code = office_codes.normalise(office_code)
    except office_codes.InvalidOfficeCode as exc:
        raise ValidationError(str(exc), field="office_code") from None
    district = _clean(district_name, "区名称", "district_name", 100)
    names = [" ".join(n.split()) for n in community_names if n and n.strip()]
    if not names:
        raise ValidationError("至少填写一个社区或村", field="communities")
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValidationError(f"社区名称重复：{'、'.join(sorted(duplicates))}", field="communities")
    if admin.role is not Role.ADMIN:
        raise ValidationError("第一个账号必须是系统管理员")
    check_password(session, admin_password)
    row = Office(code=code, name=name, district_name=district)
    session.add(row)
    session.flush()
    for i, n in enumerate(names):
        session.add(
            Community(
                office_id=row.id, name=n, kind="村" if n.endswith("村") else "社区", sort_order=i
            )
        )
    session.flush()
    create_staff(session, actor, admin, admin_password, force_password_change=False)
    return OfficeInfo(row.id, row.code, row.name, row.district_name)


def add_community(session: Session, actor: Actor, name: str, kind: str = "社区") -> CommunityInfo:
    if not actor.can(Permission.MANAGE_STAFF):
        raise PermissionDenied("只有系统管理员可以添加社区")
    the_office = office(session)
    if the_office is None:
        raise ValidationError("请先设置街道信息")
    clean = _clean(name, "社区名称", "name", 100)
    exists = session.scalar(
        select(Community.id).where(Community.name == clean, Community.deleted_at.is_(None))
    )
    if exists:
        raise ValidationError(f"社区“{clean}”已存在", field="name")
    order = session.scalar(select(func.coalesce(func.max(Community.sort_order), 0))) or 0
    row = Community(office_id=the_office.id, name=clean, kind=kind, sort_order=order + 1)
    session.add(row)
    session.flush()
    return CommunityInfo(row.id, row.name, row.kind, row.code, row.active)


# -- staff administration --------------------------------------------------------------------


def _validate_scope(session: Session, role: Role, community_id: str | None) -> str | None:
    if role in COMMUNITY_SCOPED:
        if not community_id:
            raise ValidationError("儿童主任必须指定所在社区", field="community")
        if session.get(Community, community_id) is None:
            raise ValidationError("所选社区不存在", field="community")
        return community_id
    return community_id or None


def create_staff(
    session: Session,
    actor: Actor,
    draft: StaffDraft,
    password: str,
    *,
    force_password_change: bool = True,
) -> StaffInfo:
    """A new account; by default its first login must set a new password."""
    if not actor.can(Permission.MANAGE_STAFF):
        raise PermissionDenied("只有系统管理员可以添加账号")
    the_office = office(session)
    if the_office is None:
        raise ValidationError("请先设置街道信息")
    username = (draft.username or "").strip().lower()
    if (
        not username
        or not username.replace("_", "").replace(".", "").isalnum()
        or not username.isascii()
    ):
        raise ValidationError("登录名只能用字母、数字、下划线或点", field="username")
    if session.scalar(select(Staff.id).where(Staff.username == username)):
        raise ValidationError(f"登录名“{username}”已被使用", field="username")
    display = _clean(draft.display_name, "姓名", "display_name", 60)
    community_id = _validate_scope(session, draft.role, draft.community_id)
    check_password(session, password)
    row = Staff(
        office_id=the_office.id,
        username=username,
        display_name=display,
        role=draft.role.value,
        community_id=community_id,
        phone=draft.phone.strip(),
        password_hash=hash_password(password),
        must_change_password=force_password_change,
    )
    session.add(row)
    session.flush()
    child_keys.on_account_created(session, row, password)
    return _info(row)


def _staff(session: Session, staff_id: str) -> Staff:
    row = session.get(Staff, staff_id)
    if row is None or row.deleted_at is not None:
        raise NotFound("找不到这个账号")
    return row


def _active_admins(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                Staff.role == Role.ADMIN.value,
                Staff.disabled.is_(False),
                Staff.deleted_at.is_(None),
            )
        )
        or 0
    )


def update_staff(session: Session, actor: Actor, staff_id: str, draft: StaffDraft) -> StaffInfo:
    if not actor.can(Permission.MANAGE_STAFF):
        raise PermissionDenied("只有系统管理员可以修改账号")
    row = _staff(session, staff_id)
    if (
        row.role == Role.ADMIN.value
        and draft.role is not Role.ADMIN
        and not row.disabled
        and _active_admins(session) <= 1
    ):
        raise ValidationError("至少要保留一个启用的系统管理员", field="role")
    row.display_name = _clean(draft.display_name, "姓名", "display_name", 60)
    row.role = draft.role.value
    row.community_id = _validate_scope(session, draft.role, draft.community_id)
    row.phone = draft.phone.strip()
    session.flush()
    child_keys.on_role_changed(session, row)
    return _info(row)


def set_disabled(session: Session, actor: Actor, staff_id: str, disabled: bool) -> StaffInfo:
    if not actor.can(Permission.MANAGE_STAFF):
        raise PermissionDenied("只有系统管理员可以停用账号")
    row = _staff(session, staff_id)
    if disabled and row.id == actor.staff_id:
        raise ValidationError("不能停用自己正在使用的账号")
    if (
        disabled
        and row.role == Role.ADMIN.value
        and not row.disabled
        and _active_admins(session) <= 1
    ):
        raise ValidationError("至少要保留一个启用的系统管理员")
    row.disabled = disabled
    if not disabled:
        row.failed_logins = 0
        row.locked_until = None
    session.flush()
    return _info(row)


def reset_password(session: Session, actor: Actor, staff_id: str, new_password: str) -> StaffInfo:
    if not actor.can(Permission.MANAGE_STAFF):
        raise PermissionDenied("只有系统管理员可以重置密码")
    row = _staff(session, staff_id)
    check_password(session, new_password)
    row.password_hash = hash_password(new_password)
    row.must_change_password = row.id != actor.staff_id
    row.failed_logins = 0
    row.locked_until = None
    session.flush()
    child_keys.on_password_reset(session, row, new_password)
    return _info(row)


def change_own_password(session: Session, actor: Actor, old: str, new: str) -> None:
    if actor.staff_id is None:
        raise PermissionDenied("系统账号没有密码")
    row = _staff(session, actor.staff_id)
    if not verify_password(old, row.password_hash):
        raise ValidationError("原密码不正确", field="old_password")
    if old == new:
        raise ValidationError("新密码不能与原密码相同", field="password")
    check_password(session, new)
    row.password_hash = hash_password(new)
    row.must_change_password = False
    session.flush()
    child_keys.on_password_changed(session, row, old, new)


# -- login -----------------------------------------------------------------------------------


def authenticate(
    session: Session, username: str, password: str, now: datetime | None = None
) -> LoginResult:
    """Check a login. Failed attempts are counted (commit the session either way)."""
    name = (username or "").strip().lower()
    row = session.scalar(select(Staff).where(Staff.username == name, Staff.deleted_at.is_(None)))
    if row is None:
        verify_password(password, _dummy_hash())  # same time as a real check: names don't leak
        return LoginResult(None, "用户名或密码错误")
    return attempt(session, row, password, now or utcnow())


def unlock(
    session: Session, actor: Actor, password: str, now: datetime | None = None
) -> LoginResult:
    """Unlocking an idle-locked screen: the same person's password, under the login's rules.

    A failed try counts towards the same lockout as a failed login, a locked-out or disabled
    account cannot unlock, and one whose role or community changed meanwhile must log in
    again. Runs in a writer session (the attempt counter is kept); commit either way.
    """
    row = session.get(Staff, actor.staff_id) if actor.staff_id is not None else None
    if row is None or row.deleted_at is not None:
        return LoginResult(None, "此账号已被删除，请切换用户")
    result = attempt(session, row, password, now or utcnow())
    if result.actor is not None and result.actor != actor:
        return LoginResult(None, "管理员已更改此账号的角色或负责社区，请切换用户后重新登录")
    # the name is not in question on a lock screen: only the password
    return replace(result, message=result.message.replace("用户名或密码错误", "密码错误"))


def attempt(
    session: Session,
    row: Staff,
    password: str,
    now: datetime,
    *,
    actor_of: Callable[[Any], Actor] = actor_for,
    on_login: Callable[[Session, Any, str], None] | None = child_keys.on_login,
) -> LoginResult:
    """One password try on an account row under the login's rules (lockout, disabled, rehash).
    The district hub's accounts (`caseworker.district.accounts`) use the same rules with their
    own actor and no child-data key."""
    if row.disabled:
        verify_password(password, _dummy_hash())
        return LoginResult(None, "此账号已停用，请联系系统管理员")
    if row.locked_until is not None and row.locked_until > now:
        minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
        return LoginResult(
            None, f"密码连续输错次数过多，账号已锁定，请 {minutes} 分钟后再试，或请管理员重置密码"
        )
    if not verify_password(password, row.password_hash):
        limit = settings.get(session, "security.max_failed_logins")
        row.failed_logins = (row.failed_logins or 0) + 1
        if row.failed_logins >= limit:
            row.locked_until = now + timedelta(
                minutes=settings.get(session, "security.lockout_minutes")
            )
            row.failed_logins = 0
            session.flush()
            return LoginResult(
                None,
                f"密码连续输错 {limit} 次，账号已锁定 "
                f"{settings.get(session, 'security.lockout_minutes')} 分钟",
            )
        session.flush()
        return LoginResult(
            None, f"用户名或密码错误（再错 {limit - row.failed_logins} 次将锁定账号）"
        )
    row.failed_logins = 0
    row.locked_until = None
    row.last_login_at = now
    if needs_rehash(row.password_hash):
        # The hash was made at an older, cheaper cost: the password is at hand only now.
        row.password_hash = hash_password(password)
    session.flush()
    if on_login is not None:
        on_login(session, row, password)
    return LoginResult(actor_of(row), "", row.must_change_password)


def ensure_current(session: Session, actor: Actor) -> None:
    """Raise AccountChanged when the logged-in account is no longer what it was at login
    (disabled, deleted, another role or community). Every write checks it (db.replica); the
    UI also asks every so often, to end a stale session that only reads."""
    if actor.staff_id is not None:
        check_account(session, actor)


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password-0")
