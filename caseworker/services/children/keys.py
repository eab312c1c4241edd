"""The office's child-data key: narrative fields encrypted at rest, unlocked only at login.

- One random 32-byte key per office encrypts every narrative field with AES-256-GCM; the
  associated data binds each ciphertext to its key, table, column and record, so a value cannot
  be moved to another record or field unnoticed.
- Each child-protection account has an X25519 key pair. Its private key is wrapped with a key
  derived from the account's password (scrypt); the office key is sealed to its public key
  (X25519 + HKDF + ChaCha20-Poly1305, `caseworker.sync.crypto.seal`). The first child-role login
  of an office creates the office key; later accounts get it from a child supervisor (`grant`).
- Once the office is enrolled, the office key is also sealed to the district's X25519 key
  (`child_office_key.district_wrap`, which travels), so the district can read and can recover.
- The unwrapped key lives only in this process's memory (`_UNLOCKED`), from a child-role login
  until log-out or switch of user (`forget`). See docs/children.md for the design and its limits.
- Changing the key is `rotation.py`; the district sending a lost key back is `recovery.py`.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.errors import NotFound, PermissionDenied, ValidationError
from caseworker.domain.roles import Actor, Role
from caseworker.sync import crypto
from caseworker.sync.errors import SyncRefused
from db.base import table_of, utcnow
from db.children import ChildKeyHolder, ChildOfficeKey
from db.ids import new_id
from db.models import Office, Staff
from db.sync_models import SyncPeer

CHILD_ROLES = frozenset({Role.CHILD_SUPERVISOR, Role.CHILD_DIRECTOR})
PREFIX = "cw1:"
SCRYPT_N = 2**14
log = logging.getLogger("caseworker")


class KeyLocked(PermissionDenied):
    """Narrative fields cannot be read or written: this session holds no child-data key."""


@dataclass(frozen=True)
class DataKey:
    key_id: str
    key: bytes


_UNLOCKED: dict[str, DataKey] = {}
_LOCK = threading.Lock()


# -- the in-memory key ---------------------------------------------------------------------------


def unlocked(actor: Actor) -> DataKey | None:
    """This session's key, if its child-role login unlocked one."""
    if actor.staff_id is None:
        return _UNLOCKED.get("")  # the system actor (demo generation) when it holds one
    with _LOCK:
        return _UNLOCKED.get(actor.staff_id)


def require(actor: Actor) -> DataKey:
    key = unlocked(actor)
    if key is None:
        raise KeyLocked(
            "您的账号还没有儿童档案密钥，不能读写保密内容。请儿童督导员在"
            "“儿童关爱 → 密钥授权”中为您授权，然后重新登录。"
        )
    return key


def forget(staff_id: str | None) -> None:
    """Drop a session's key (log-out, switch of user)."""
    with _LOCK:
        _UNLOCKED.pop(staff_id or "", None)


def forget_all() -> None:
    with _LOCK:
        _UNLOCKED.clear()


def _remember(staff_id: str | None, key: DataKey) -> None:
    with _LOCK:
        _UNLOCKED[staff_id or ""] = key


def replace_unlocked(old_key_id: str, new: DataKey, keep: set[str]) -> None:
    """After a rotation: sessions holding the old key switch to the new one if their account
    was granted it (`keep`, staff ids; the system's demo session too), others lose it."""
    with _LOCK:
        for staff_id, key in list(_UNLOCKED.items()):
            if key.key_id != old_key_id:
                continue
            if staff_id in keep or staff_id == "":
                _UNLOCKED[staff_id] = new
            else:
                del _UNLOCKED[staff_id]


# -- fields --------------------------------------------------------------------------------------


def _aad(key_id: str, table: str, column: str, record_id: str) -> bytes:
    return f"caseworker child field v1|{key_id}|{table}.{column}|{record_id}".encode()


def seal_text(key: DataKey, table: str, column: str, record_id: str, text: str) -> str:
    """Ciphertext for a narrative column ("" stays "": an empty field tells nothing)."""
    if not text:
        return ""
    nonce = os.urandom(12)
    ct = AESGCM(key.key).encrypt(nonce, text.encode(), _aad(key.key_id, table, column, record_id))
    return PREFIX + base64.b64encode(nonce + ct).decode()


def open_text(key: DataKey, table: str, column: str, record_id: str, stored: str) -> str:
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise ValidationError("保密内容格式不对（不是本程序加密的内容）")
    raw = base64.b64decode(stored[len(PREFIX) :])
    try:
        plain = AESGCM(key.key).decrypt(
            raw[:12], raw[12:], _aad(key.key_id, table, column, record_id)
        )
    except InvalidTag:
        raise ValidationError(
            "保密内容无法解密：它不属于这条记录，或已被改动，或用的是别的街道的密钥"
        ) from None
    return plain.decode()


LOCKED_TEXT = "（未授权，无法显示保密内容）"


def read_text(actor: Actor, table: str, column: str, record_id: str, stored: str) -> str:
    """The plaintext for display, or a placeholder when this session holds no key."""
    key = unlocked(actor)
    if key is None:
        return LOCKED_TEXT if stored else ""
    return open_text(key, table, column, record_id, stored)


# -- account key pairs ---------------------------------------------------------------------------


def _password_key(password: str, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(password.encode("utf-8"))


def _holder_aad(staff_id: str) -> bytes:
    return b"caseworker child holder v1|" + staff_id.encode()


def _wrap_private(keys: crypto.KeyPair, password: str, staff_id: str) -> str:
    salt, nonce = os.urandom(16), os.urandom(12)
    ct = ChaCha20Poly1305(_password_key(password, salt, SCRYPT_N)).encrypt(
        nonce, keys.private_bytes(), _holder_aad(staff_id)
    )
    return json.dumps(
        {"kdf": "scrypt", "n": SCRYPT_N, "salt": salt.hex(), "nonce": nonce.hex(), "ct": ct.hex()}
    )


def _unwrap_private(stored: str, password: str, staff_id: str) -> crypto.KeyPair | None:
    try:
        box = json.loads(stored)
        key = _password_key(password, bytes.fromhex(box["salt"]), int(box["n"]))
        raw = ChaCha20Poly1305(key).decrypt(
            bytes.fromhex(box["nonce"]), bytes.fromhex(box["ct"]), _holder_aad(staff_id)
        )
        return crypto.KeyPair.from_private_bytes(raw)
    except (InvalidTag, KeyError, ValueError):
        return None


def _key_aad(key_id: str) -> bytes:
    return b"caseworker child office key v1|" + key_id.encode()


def _seal_key(data_key: DataKey, box_pub: str) -> str:
    return base64.b64encode(crypto.seal(data_key.key, box_pub, _key_aad(data_key.key_id))).decode()


def _open_key(sealed: str, keys: crypto.KeyPair, key_id: str) -> DataKey | None:
    try:
        return DataKey(key_id, crypto.open_sealed(base64.b64decode(sealed), keys, _key_aad(key_id)))
    except (SyncRefused, ValueError):
        return None


def open_district_wrap(wrap: str, district_keys: crypto.KeyPair, key_id: str) -> DataKey | None:
    """The district's way in: its own key pair opens the office key's district wrap."""
    return _open_key(wrap, district_keys, key_id)


def current_office_key(session: Session) -> ChildOfficeKey | None:
    """The office's key in use (a rotation retires the one before it)."""
    return session.scalar(
        select(ChildOfficeKey)
        .where(ChildOfficeKey.deleted_at.is_(None))
        .order_by(ChildOfficeKey.created_at.desc())
        .limit(1)
    )


def _new_holder(
    session: Session, staff_id: str, password: str
) -> tuple[ChildKeyHolder, crypto.KeyPair]:
    keys = crypto.KeyPair.generate()
    row = session.get(ChildKeyHolder, staff_id)
    if row is None:
        row = ChildKeyHolder(
            staff_id=staff_id, public_key="", private_wrapped="", updated_at=utcnow()
        )
        session.add(row)
    row.public_key = keys.box_pub
    row.private_wrapped = _wrap_private(keys, password, staff_id)
    row.key_id = None
    row.data_key_sealed = None
    row.granted_by = ""
    row.granted_at = None
    row.updated_at = utcnow()
    session.flush()
    return row, keys


def grant_to(row: ChildKeyHolder, data_key: DataKey, by: str) -> None:
    row.key_id = data_key.key_id
    row.data_key_sealed = _seal_key(data_key, row.public_key)
    row.granted_by = by
    row.granted_at = utcnow()
    row.updated_at = utcnow()


def _district_pub(session: Session) -> str | None:
    t = table_of(SyncPeer)
    return session.execute(
        select(t.c.box_pub).where(t.c.role == "district", t.c.alias_of.is_(None)).limit(1)
    ).scalar()


def ensure_district_wrap(session: Session, office_key: ChildOfficeKey, data_key: DataKey) -> None:
    pub = _district_pub(session)
    if pub and office_key.district_pub != pub:
        office_key.district_wrap = _seal_key(data_key, pub)
        office_key.district_pub = pub
        session.flush()


# -- hooks called by caseworker.services.accounts ------------------------------------------------


def on_login(session: Session, staff: Staff, password: str) -> None:
    """After a successful login: unlock the office key for a child-role account.

    Creates the account's key pair the first time, and the office key when the office has none
    yet (the first child-role login). An account not granted yet logs in without the key."""
    if staff.role not in {r.value for r in CHILD_ROLES}:
        return
    holder = session.get(ChildKeyHolder, staff.id)
    keys = _unwrap_private(holder.private_wrapped, password, staff.id) if holder else None
    if holder is None or keys is None:
        holder, keys = _new_holder(session, staff.id, password)
    office_key = current_office_key(session)
    data_key: DataKey | None = None
    if office_key is None:
        office_id = session.scalar(select(Office.id).where(Office.deleted_at.is_(None)).limit(1))
        if office_id is None:
            return
        data_key = DataKey(new_id(), os.urandom(32))
        office_key = ChildOfficeKey(
            office_id=office_id, key_id=data_key.key_id, created_by=staff.display_name
        )
        session.add(office_key)
        grant_to(holder, data_key, staff.display_name)
        session.flush()
        log.info("child-data key created for the office by account %s", staff.id)
    elif holder.data_key_sealed and holder.key_id == office_key.key_id:
        data_key = _open_key(holder.data_key_sealed, keys, office_key.key_id)
    if data_key is None:
        forget(staff.id)
        return
    ensure_district_wrap(session, office_key, data_key)
    _remember(staff.id, data_key)


def on_account_created(session: Session, staff: Staff, password: str) -> None:
    """A new child-role account gets its key pair at once, so a supervisor can grant it."""
    if staff.role in {r.value for r in CHILD_ROLES}:
        _new_holder(session, staff.id, password)


def on_password_changed(session: Session, staff: Staff, old: str, new: str) -> None:
    """The person changed their own password: rewrap their private key (the grant survives)."""
    holder = session.get(ChildKeyHolder, staff.id)
    if holder is None:
        return
    keys = _unwrap_private(holder.private_wrapped, old, staff.id)
    if keys is None:
        _new_holder(session, staff.id, new)
        return
    holder.private_wrapped = _wrap_private(keys, new, staff.id)
    holder.updated_at = utcnow()
    session.flush()


def on_password_reset(session: Session, staff: Staff, new: str) -> None:
    """An administrator set a new password: the old private key cannot be unwrapped without the
    old password, so the account gets a new key pair and needs a new grant from a supervisor."""
    if session.get(ChildKeyHolder, staff.id) is not None or staff.role in {
        r.value for r in CHILD_ROLES
    }:
        _new_holder(session, staff.id, new)
    forget(staff.id)


def on_role_changed(session: Session, staff: Staff) -> None:
    """An account that leaves the child-protection roles loses its grant at once."""
    if staff.role not in {r.value for r in CHILD_ROLES}:
        holder = session.get(ChildKeyHolder, staff.id)
        if holder is not None:
            session.delete(holder)
            session.flush()
        forget(staff.id)


# -- grants (child supervisor) -------------------------------------------------------------------


@dataclass(frozen=True)
class HolderInfo:
    staff_id: str
    display_name: str
    role: Role
    community_name: str | None
    state: str  # 已授权 / 待授权 / 未登录过
    granted_by: str
    granted_at: datetime | None


def holders(session: Session, actor: Actor) -> list[HolderInfo]:
    """Child-role accounts and whether each holds the office key (child supervisor only)."""
    if actor.role is not None and actor.role is not Role.CHILD_SUPERVISOR:
        raise PermissionDenied("只有儿童督导员可以管理儿童档案密钥授权")
    office_key = current_office_key(session)
    rows = session.execute(
        select(Staff, ChildKeyHolder)
        .outerjoin(ChildKeyHolder, ChildKeyHolder.staff_id == Staff.id)
        .where(
            Staff.deleted_at.is_(None),
            Staff.disabled.is_(False),
            Staff.role.in_([r.value for r in CHILD_ROLES]),
        )
        .order_by(Staff.role, Staff.display_name)
    ).all()
    out = []
    for staff, holder in rows:
        if holder is None:
            state = "未登录过"
        elif holder.data_key_sealed and office_key and holder.key_id == office_key.key_id:
            state = "已授权"
        else:
            state = "待授权"
        out.append(
            HolderInfo(
                staff.id,
                staff.display_name,
                Role(staff.role),
                staff.community.name if staff.community else None,
                state,
                holder.granted_by if holder else "",
                holder.granted_at if holder else None,
            )
        )
    return out


def grant(session: Session, actor: Actor, staff_id: str) -> HolderInfo:
    """Seal the office key to another child-role account (a new child director, or one whose
    password an administrator reset). Needs the supervisor's own unlocked key."""
    if actor.role is not None and actor.role is not Role.CHILD_SUPERVISOR:
        raise PermissionDenied("只有儿童督导员可以为其他账号授权儿童档案密钥")
    data_key = require(actor)
    staff = session.get(Staff, staff_id)
    if staff is None or staff.deleted_at is not None:
        raise NotFound("找不到这个账号")
    if staff.role not in {r.value for r in CHILD_ROLES}:
        raise ValidationError("只能为儿童督导员或儿童主任授权")
    holder = session.get(ChildKeyHolder, staff_id)
    if holder is None:
        raise ValidationError(f"{staff.display_name} 还没有登录过，请他/她先登录一次，再为其授权")
    grant_to(holder, data_key, actor.display_name)
    session.flush()
    log.info("child-data key granted to account %s by %s", staff_id, actor.staff_id)
    return next(h for h in holders(session, actor) if h.staff_id == staff_id)


def unlock_for_system(session: Session, data_key: DataKey | None = None) -> DataKey:
    """Demo generation and tests acting as the system: create (or adopt) the office key in memory.

    Only for a workspace being filled by the program itself; a person's session unlocks at login."""
    office_key = current_office_key(session)
    if office_key is None:
        office_id = session.scalar(select(Office.id).where(Office.deleted_at.is_(None)).limit(1))
        if office_id is None:
            raise ValidationError("请先设置街道信息")
        data_key = data_key or DataKey(new_id(), os.urandom(32))
        session.add(ChildOfficeKey(office_id=office_id, key_id=data_key.key_id, created_by="系统"))
        session.flush()
    elif data_key is None or data_key.key_id != office_key.key_id:
        raise ValidationError("本街道已有儿童档案密钥，系统不能再生成")
    _remember(None, data_key)
    return data_key


def system_grant(session: Session, staff_id: str, data_key: DataKey) -> None:
    """Demo generation: grant the office key to an account the program itself just created."""
    holder = session.get(ChildKeyHolder, staff_id)
    if holder is None:
        raise NotFound("这个账号没有密钥对")
    grant_to(holder, data_key, "系统")
    session.flush()
