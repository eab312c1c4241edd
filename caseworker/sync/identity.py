"""This replica's enrolled identity (its keys) and the peers it knows.

Private keys live in `sync_identity`, encrypted with the 32-byte key in `keys/identity.key`
beside the database: a database backup copied onto a stick therefore carries no usable key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, insert, select

from caseworker.sync import crypto
from caseworker.sync.errors import NotEnrolled
from db.base import table_of, utcnow
from db.sync_models import SyncIdentity, SyncPeer

KEY_FILE = Path("keys") / "identity.key"


@dataclass(frozen=True)
class Identity:
    device_id: str
    role: str
    name: str
    office_code: str
    keys: crypto.KeyPair


@dataclass(frozen=True)
class Peer:
    device_id: str
    role: str
    name: str
    office_code: str
    sign_pub: str
    box_pub: str


def _aad(device_id: str) -> bytes:
    return b"caseworker identity:" + device_id.encode()


def save_identity(
    conn: Connection,
    key_file: Path,
    *,
    device_id: str,
    role: str,
    name: str,
    office_code: str,
    keys: crypto.KeyPair,
) -> Identity:
    secret = crypto.load_or_create_key_file(key_file)
    conn.execute(
        insert(table_of(SyncIdentity)).values(
            device_id=device_id,
            role=role,
            name=name,
            office_code=office_code,
            sign_pub=keys.sign_pub,
            box_pub=keys.box_pub,
            private_sealed=crypto.protect(keys.private_bytes(), secret, _aad(device_id)),
            created_at=utcnow(),
        )
    )
    return Identity(device_id, role, name, office_code, keys)


def find_identity(conn: Connection, key_file: Path) -> Identity | None:
    t = table_of(SyncIdentity)
    row = conn.execute(select(t)).first()
    if row is None:
        return None
    secret = crypto.load_or_create_key_file(key_file) if crypto.key_file_exists(key_file) else None
    if secret is None:
        raise NotEnrolled(
            f"找不到本机的同步密钥文件（{key_file}）。请找回它，或请区里重新登记本街道。"
        )
    keys = crypto.KeyPair.from_private_bytes(
        crypto.unprotect(row.private_sealed, secret, _aad(row.device_id))
    )
    return Identity(row.device_id, row.role, row.name, row.office_code, keys)


def load_identity(conn: Connection, key_file: Path) -> Identity:
    found = find_identity(conn, key_file)
    if found is None:
        raise NotEnrolled("本工作区还没有在区里登记，不能同步。请先用区里给的登记文件登记。")
    return found


def add_peer(
    conn: Connection,
    *,
    device_id: str,
    role: str,
    name: str,
    office_code: str = "",
    sign_pub: str = "",
    box_pub: str = "",
    alias_of: str | None = None,
) -> None:
    conn.execute(
        insert(table_of(SyncPeer)).values(
            device_id=device_id,
            role=role,
            name=name,
            office_code=office_code,
            sign_pub=sign_pub,
            box_pub=box_pub,
            alias_of=alias_of,
            added_at=utcnow(),
        )
    )


def peer(conn: Connection, device_id: str) -> Peer | None:
    t = table_of(SyncPeer)
    row = conn.execute(select(t).where(t.c.device_id == device_id, t.c.alias_of.is_(None))).first()
    if row is None:
        return None
    return Peer(row.device_id, row.role, row.name, row.office_code, row.sign_pub, row.box_pub)


def peers(conn: Connection, role: str | None = None) -> list[Peer]:
    t = table_of(SyncPeer)
    q = select(t).where(t.c.alias_of.is_(None))
    if role:
        q = q.where(t.c.role == role)
    return [
        Peer(r.device_id, r.role, r.name, r.office_code, r.sign_pub, r.box_pub)
        for r in conn.execute(q.order_by(t.c.office_code, t.c.name))
    ]


def devices_of(conn: Connection, peer_id: str) -> set[str]:
    """The peer's own id and the journal device ids it writes with."""
    t = table_of(SyncPeer)
    aliases = conn.execute(select(t.c.device_id).where(t.c.alias_of == peer_id)).scalars()
    return {peer_id, *aliases}


def owner_of_device(conn: Connection, device_id: str) -> str | None:
    t = table_of(SyncPeer)
    row = conn.execute(
        select(t.c.device_id, t.c.alias_of).where(t.c.device_id == device_id)
    ).first()
    if row is None:
        return None
    return row.alias_of or row.device_id
