"""Changing the office's child-data key (密钥更换): a new key, every narrative re-encrypted.

Done by a child supervisor who holds the current key, typically after a child-role account was
removed, disabled or moved to another role (it held the old key; an old copy of the database
and its old password would still open that copy, but nothing written from now on).

- A backup is taken first (`rotate_office_key`), then everything happens in one transaction:
  every non-empty narrative value is opened with the old key and sealed with the new one, row by
  row through the ORM (so each change is journaled and travels to the district like any edit),
  in pages of 1,000 (bounded statements and memory).
- The old `child_office_key` row is retired (deleted_at set, journaled) and a new one added with
  its district wrap, so the district reads the re-encrypted values with the new key.
- The new key is sealed to every active child-role account that held the old one; other
  holders (disabled accounts, ones never granted) are left to a new grant. Sessions of this
  process switch to the new key when the transaction commits.
- A value that does not open with the old key stops the rotation: nothing is changed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session

from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor, Role
from caseworker.services.children import keys
from db.base import utcnow
from db.children import (
    ENCRYPTED_COLUMNS,
    Child,
    ChildCase,
    ChildCaseEvent,
    ChildCondition,
    ChildKeyHolder,
    ChildOfficeKey,
    ChildPlanService,
    ChildVisit,
)
from db.ids import new_id
from db.models import Staff

PAGE = 1000
MODELS: tuple[type[Any], ...] = (
    Child,
    ChildCondition,
    ChildCase,
    ChildCaseEvent,
    ChildPlanService,
    ChildVisit,
)
log = logging.getLogger("caseworker")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Rotated:
    old_key_id: str
    new_key_id: str
    values: int  # narrative values re-encrypted
    regranted: tuple[str, ...]  # accounts that hold the new key
    dropped: tuple[str, ...]  # accounts that held the old key and must be granted again
    seconds: float
    backup: str = ""


def _columns(model: type[Any]) -> list[str]:
    return sorted(ENCRYPTED_COLUMNS[model.__tablename__])


def _count(session: Session) -> int:
    total = 0
    for model in MODELS:
        for name in _columns(model):
            col = getattr(model, name)
            total += session.scalar(select(func.count()).where(col != "")) or 0
    return total


def _reseal_table(
    session: Session,
    model: type[Any],
    old: keys.DataKey,
    new: keys.DataKey,
    done: int,
    total: int,
    progress: Progress | None,
) -> int:
    names = _columns(model)
    table = model.__tablename__
    last = ""
    while True:
        rows = list(
            session.scalars(
                select(model)
                .where(model.id > last, or_(*(getattr(model, n) != "" for n in names)))
                .order_by(model.id)
                .limit(PAGE)
            )
        )
        if not rows:
            return done
        for row in rows:
            for name in names:
                stored = getattr(row, name)
                if not stored:
                    continue
                try:
                    plain = keys.open_text(old, table, name, row.id, stored)
                except ValidationError:
                    raise ValidationError(
                        f"有一条保密内容无法用当前密钥打开（{table}.{name}），密钥未更换，"
                        "未做任何改动。请联系技术支持。"
                    ) from None
                setattr(row, name, keys.seal_text(new, table, name, row.id, plain))
                done += 1
        last = rows[-1].id
        session.flush()
        for row in rows:  # journaled on flush; keep memory bounded
            session.expunge(row)
        if progress is not None:
            progress(done, total)


def rotate(session: Session, actor: Actor, *, progress: Progress | None = None) -> Rotated:
    """Replace the office key and re-encrypt every narrative value (one transaction: the
    caller's). Child supervisor only, with the current key unlocked."""
    if actor.role is not None and actor.role is not Role.CHILD_SUPERVISOR:
        raise PermissionDenied("只有儿童督导员可以更换儿童档案密钥")
    old = keys.require(actor)
    current = keys.current_office_key(session)
    if current is None or current.key_id != old.key_id:
        raise ValidationError("您登录时解开的不是本街道当前的儿童档案密钥，请重新登录后再更换。")
    started = time.perf_counter()
    new = keys.DataKey(new_id(), os.urandom(32))
    total = _count(session)
    done = 0
    for model in MODELS:
        done = _reseal_table(session, model, old, new, done, total, progress)

    current.deleted_at = utcnow()
    replacement = ChildOfficeKey(
        office_id=current.office_id, key_id=new.key_id, created_by=actor.display_name
    )
    session.add(replacement)
    session.flush()
    keys.ensure_district_wrap(session, replacement, new)

    regranted: list[tuple[str, str]] = []
    dropped: list[str] = []
    child_roles = {r.value for r in keys.CHILD_ROLES}
    for holder, staff in session.execute(
        select(ChildKeyHolder, Staff)
        .join(Staff, Staff.id == ChildKeyHolder.staff_id)
        .where(ChildKeyHolder.key_id == old.key_id)
        .order_by(Staff.display_name)
    ).all():
        if staff.deleted_at is None and not staff.disabled and staff.role in child_roles:
            keys.grant_to(holder, new, actor.display_name)
            regranted.append((staff.id, staff.display_name))
        else:
            holder.key_id = None
            holder.data_key_sealed = None
            holder.updated_at = utcnow()
            dropped.append(staff.display_name)
    session.flush()
    keep = {sid for sid, _name in regranted}

    @event.listens_for(session, "after_commit", once=True)
    def _switch(_session: Session) -> None:  # only once the new key is on disk
        keys.replace_unlocked(old.key_id, new, keep)

    seconds = time.perf_counter() - started
    log.info(
        "child-data key rotated by %s: %d values re-encrypted in %.1f s",
        actor.staff_id,
        done,
        seconds,
    )
    return Rotated(
        old.key_id,
        new.key_id,
        done,
        tuple(name for _sid, name in regranted),
        tuple(dropped),
        seconds,
    )


def rotate_office_key(ws: Any, actor: Actor, *, progress: Progress | None = None) -> Rotated:
    """Back the workspace up, then rotate in one transaction (`ws`: a Workspace)."""
    if actor.role is not None and actor.role is not Role.CHILD_SUPERVISOR:
        raise PermissionDenied("只有儿童督导员可以更换儿童档案密钥")
    keys.require(actor)
    backup = ws.backup("before-child-key-rotation")
    with ws.writer(actor) as session:
        result = rotate(session, actor, progress=progress)
    return replace(result, backup=str(backup))
