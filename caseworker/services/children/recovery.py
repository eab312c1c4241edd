"""Sending a lost office key back: the district's recovery file, and the office taking it in.

When no child-role account of an office can open the office's child-data key any more (the last
child supervisor's password was reset, every holder left), the district opens its own wrap of
that key (`child_office_key.district_wrap`, sealed to the district at the office's first
enrolled child-role login) and writes a recovery file:

- the key sealed to the office's enrolled X25519 key (the same key pair its bundles are sealed
  to), with associated data binding it to the office code and key id: only that office's PC
  opens it, and a file made for one office is refused by another;
- signed with the district's Ed25519 key over the whole content, checked by the office against
  the district it enrolled with: a file from anyone else is refused.

The office (`caseworker children recover FILE`, run by its administrator) checks all of that,
checks that the key is its current one and that it opens a stored narrative, then seals it to
its child supervisors' accounts (or the one named), which unlock it at their next login. Nothing
is written unless every check passed.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.errors import NotFound, PermissionDenied, ValidationError, os_reason
from caseworker.domain.roles import Actor, Role
from caseworker.services.children import keys
from caseworker.sync import crypto
from caseworker.sync.errors import SyncRefused
from caseworker.sync.identity import Identity, peers
from db.base import utcnow
from db.children import Child, ChildKeyHolder, ChildOfficeKey
from db.models import Office, Staff

FORMAT = "caseworker-child-key-recovery"
VERSION = 1
SUFFIX = ".cwchildkey"
MAX_BYTES = 64 * 1024
NOT_A_FILE = "这不是儿童档案密钥恢复文件（或文件已损坏），未做任何改动。"
log = logging.getLogger("caseworker")


def _aad(office_code: str, key_id: str) -> bytes:
    return f"caseworker child key recovery v1|{office_code}|{key_id}".encode()


def _signed_part(doc: dict[str, Any]) -> bytes:
    return crypto.canonical({k: v for k, v in doc.items() if k != "signature"})


# -- the district ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryFile:
    path: Path
    office_code: str
    office_name: str
    key_id: str


def write_recovery_file(
    session: Session, district: Identity, office_code: str, out: Path
) -> RecoveryFile:
    """At the district: the office's current child-data key, sealed to the office, in a file."""
    office = session.scalar(
        select(Office).where(Office.code == office_code, Office.deleted_at.is_(None))
    )
    peer = next(
        (p for p in peers(session.connection(), "office") if p.office_code == office_code), None
    )
    if office is None or peer is None:
        raise NotFound(f"没有登记代码为 {office_code} 的街道。")
    row = session.scalar(
        select(ChildOfficeKey)
        .where(ChildOfficeKey.office_id == office.id, ChildOfficeKey.deleted_at.is_(None))
        .order_by(ChildOfficeKey.created_at.desc())
        .limit(1)
    )
    if row is None or not row.district_wrap:
        raise ValidationError(
            f"区里没有收到 {office.name} 的儿童档案密钥（该街道还没有儿童岗位账号在登记后登录并同步过），无法恢复。"
        )
    data_key = keys.open_district_wrap(row.district_wrap, district.keys, row.key_id)
    if data_key is None:
        raise ValidationError(
            f"{office.name} 的儿童档案密钥不是交给本区级平台的（区里的密钥可能已更换），无法恢复。"
        )
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "office_code": office_code,
        "office_name": office.name,
        "key_id": data_key.key_id,
        "district_device": district.device_id,
        "issued_at": utcnow().isoformat(timespec="seconds"),
        "sealed": base64.b64encode(
            crypto.seal(data_key.key, peer.box_pub, _aad(office_code, data_key.key_id))
        ).decode(),
    }
    doc["signature"] = crypto.sign(district.keys, _signed_part(doc)).hex()
    if out.is_dir():
        path = out / f"儿童档案密钥恢复-{office_code}{SUFFIX}"
    else:
        path = out if out.suffix else out.with_suffix(SUFFIX)
    try:
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"无法写入恢复文件 {path}：{os_reason(exc)}") from None
    log.info("child-data key recovery file for office %s written to %s", office_code, path)
    return RecoveryFile(path, office_code, office.name, data_key.key_id)


# -- the office ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recovered:
    key_id: str
    granted: tuple[str, ...]  # display names of the accounts that now hold the key


def _read(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValidationError(NOT_A_FILE)
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(f"无法读取恢复文件 {path}：{os_reason(exc)}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError(NOT_A_FILE) from None
    fields = ("office_code", "office_name", "key_id", "district_device", "sealed", "signature")
    if (
        not isinstance(doc, dict)
        or doc.get("format") != FORMAT
        or not all(isinstance(doc.get(f), str) for f in fields)
    ):
        raise ValidationError(NOT_A_FILE)
    if doc.get("version") != VERSION:
        raise ValidationError("恢复文件的版本与本程序不符，请升级程序或请区里重新生成。")
    return doc


def _receivers(session: Session, to: str | None) -> list[tuple[Staff, ChildKeyHolder]]:
    stmt = (
        select(Staff, ChildKeyHolder)
        .join(ChildKeyHolder, ChildKeyHolder.staff_id == Staff.id)
        .where(Staff.deleted_at.is_(None), Staff.disabled.is_(False))
        .order_by(Staff.display_name)
    )
    if to:
        found = [r.tuple() for r in session.execute(stmt.where(Staff.username == to))]
        if not found:
            raise ValidationError(
                f"账号 {to} 不存在、已停用，或还没有儿童档案密钥对（请让其先登录一次）。"
            )
        if found[0][0].role not in {r.value for r in keys.CHILD_ROLES}:
            raise ValidationError(f"账号 {to} 不是儿童督导员或儿童主任，不能接收儿童档案密钥。")
        return found
    found = [
        r.tuple() for r in session.execute(stmt.where(Staff.role == Role.CHILD_SUPERVISOR.value))
    ]
    if not found:
        raise ValidationError(
            "本街道没有可以接收密钥的儿童督导员账号：请管理员先建立（或重置）儿童督导员账号，"
            "让其登录一次，再导入恢复文件。"
        )
    return found


def take_recovery_file(
    session: Session, actor: Actor, me: Identity, path: Path, *, to: str | None = None
) -> Recovered:
    """At the office: check the district's file and give the key to the child supervisors."""
    if actor.role is not None and actor.role is not Role.ADMIN:
        raise PermissionDenied("只有系统管理员可以导入儿童档案密钥恢复文件")
    doc = _read(path)
    if doc["office_code"] != me.office_code:
        raise ValidationError(
            f"这个恢复文件是给 {doc['office_name']}（{doc['office_code']}）的，"
            f"不是本街道（{me.office_code}），未做任何改动。"
        )
    district = next(
        (
            p
            for p in peers(session.connection(), "district")
            if p.device_id == doc["district_device"]
        ),
        None,
    )
    try:
        signature = bytes.fromhex(doc["signature"])
    except ValueError:
        raise ValidationError(NOT_A_FILE) from None
    if district is None or not crypto.verify(district.sign_pub, signature, _signed_part(doc)):
        raise ValidationError("恢复文件不是本街道登记的区级平台签发的，或已被改动，未做任何改动。")
    current = keys.current_office_key(session)
    if current is None or current.key_id != doc["key_id"]:
        raise ValidationError(
            "恢复文件里的密钥不是本街道当前的儿童档案密钥（可能已更换），请区里在收到最新数据包后重新生成。"
        )
    try:
        raw = crypto.open_sealed(
            base64.b64decode(doc["sealed"], validate=True),
            me.keys,
            _aad(doc["office_code"], doc["key_id"]),
        )
    except (SyncRefused, ValueError):
        raise ValidationError(
            "本机无法打开这个恢复文件（不是发给本机的，或已被改动），未做任何改动。"
        ) from None
    data_key = keys.DataKey(doc["key_id"], raw)
    sample = session.execute(
        select(Child.id, Child.notes).where(Child.notes != "", Child.deleted_at.is_(None)).limit(1)
    ).first()
    if sample is not None:
        try:
            keys.open_text(data_key, "child", "notes", sample[0], sample[1])
        except ValidationError:
            raise ValidationError(
                "恢复文件里的密钥打不开本街道的保密内容，未做任何改动。请联系区里核对。"
            ) from None
    receivers = _receivers(session, to)
    for _staff, holder in receivers:
        keys.grant_to(holder, data_key, "区级恢复")
    session.flush()
    log.info(
        "child-data key %s recovered from the district's file for %d account(s)",
        data_key.key_id,
        len(receivers),
    )
    return Recovered(data_key.key_id, tuple(s.display_name for s, _h in receivers))
