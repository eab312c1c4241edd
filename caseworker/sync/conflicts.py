"""The conflicts list: values a merge overwrote or refused, for a supervisor to review.

Keeping the current value closes the entry. Reversing writes the lost value back as an ordinary,
journaled change of the record (with this replica's clock), so the decision travels by the next
bundle like any other edit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from caseworker.domain.errors import NotFound, PermissionDenied, ValidationError
from caseworker.domain.hlc import Hlc
from caseworker.domain.roles import COMMUNITY_SCOPED, Actor, Permission
from caseworker.sync import derived, tables
from db.base import utcnow
from db.sync_models import SyncConflict

REASONS = {
    "clock": "两处同时修改，较晚的修改生效",
    "locked": "记录已完成（锁定），不接受同步修改",
    "future": "对方电脑时钟超前，修改暂不采用（时钟追上后自动采用）",
    "scope": "记录不属于发来修改的街道，修改未采用",
    "invalid": "发来的值不合要求（格式、类型、长度或含控制字符），修改未采用",
    "number": "编号与另一条记录重复，区里已改为新编号（原编号见被覆盖的值）",
    "revoked": "由区里已停用的设备在停用之后写的，修改未采用",
}
WHOLE_RECORD = "（整条记录）"  # the field shown for a new record kept out whole (field "")


@dataclass(frozen=True)
class ConflictInfo:
    id: int
    table_name: str
    record_id: str
    field: str
    reason: str
    reason_label: str
    kept_value: Any
    lost_value: Any
    lost_actor: str
    lost_at: datetime | None
    kept_actor: str
    detected_at: datetime
    status: str
    lost_device: str = ""  # the device that wrote the value that lost (or was kept out)
    source: str = ""  # at the district: the office that device belongs to


def _when(hlc: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(Hlc.decode(hlc).wall_ms / 1000)
    except ValueError:
        return None


def _info(row: SyncConflict) -> ConflictInfo:
    return ConflictInfo(
        row.id,
        row.table_name,
        row.record_id,
        row.field,
        row.reason,
        REASONS.get(row.reason, row.reason),
        None if row.kept_value is None else json.loads(row.kept_value),
        None if row.lost_value is None else json.loads(row.lost_value),
        row.lost_actor,
        _when(row.lost_hlc),
        row.kept_actor,
        row.detected_at,
        row.status,
        row.lost_device,
    )


def info(row: SyncConflict) -> ConflictInfo:
    """A conflict row as the plain dataclass every list shows (the district console's too)."""
    return _info(row)


# A programme's records appear in the conflicts list only to those who may read that programme
# (a child director never sees an elderly person's health note, a caseworker no child's record).
PROGRAMME_TABLES = {
    "elderly_": Permission.ELDERLY_VIEW,
    "retrofit_": Permission.RETROFIT_VIEW,
    "child": Permission.CHILD_VIEW,
}


def may_list(actor: Actor) -> bool:
    """Who may read the conflicts list: those who sync or resolve, and a community child
    director (read only, their own community's children: `_visible`)."""
    return (
        actor.can(Permission.SYNC)
        or actor.can(Permission.RESOLVE_CONFLICTS)
        or (actor.role in COMMUNITY_SCOPED and actor.can(Permission.CHILD_VIEW))
    )


def _require(actor: Actor) -> None:
    if not may_list(actor):
        raise PermissionDenied("没有查看同步冲突的权限")


# Each child table's way to its child: (the column holding the child's id, or the case id).
_CHILD_OF: dict[str, str] = {
    "child": "id",
    "child_guardian": "child_id",
    "child_condition": "child_id",
    "child_case": "child_id",
    "child_visit": "child_id",
    "child_view_log": "child_id",
    "child_case_event": "case_id",
    "child_plan_service": "case_id",
}


def _in_community(community_id: str | None):  # -> ColumnElement[bool]
    """SQL: the conflict's record is a child record of `community_id` (a community-scoped
    actor's narrowing; a table not listed here, such as the office's key, is never shown)."""
    from db.children import Child, ChildCase

    if not community_id:
        return false()
    children = select(Child.id).where(Child.community_id == community_id)
    cases = select(ChildCase.id).where(ChildCase.child_id.in_(children))
    parts = []
    for table_name, column in _CHILD_OF.items():
        t = tables.info(table_name)
        if t is None:
            continue
        if column == "id":
            owned = children
        else:
            owned = select(t.table.c.id).where(
                t.table.c[column].in_(cases if column == "case_id" else children)
            )
        parts.append(and_(SyncConflict.table_name == table_name, SyncConflict.record_id.in_(owned)))
    return or_(*parts)


def _visible(actor: Actor, status: str | None):  # -> Select[tuple[SyncConflict]]
    q = select(SyncConflict)
    if status is not None:
        q = q.where(SyncConflict.status == status)
    for prefix, permission in PROGRAMME_TABLES.items():
        if not actor.can(permission):
            q = q.where(SyncConflict.table_name.not_like(f"{prefix}%"))
    if actor.role in COMMUNITY_SCOPED:
        # A community's child director sees only their community's children's records, and
        # nothing else (an office-wide record, a staff or a setting, is not theirs to read).
        q = q.where(_in_community(actor.community_id))
    return q


def list_conflicts(
    session: Session,
    actor: Actor,
    status: str | None = "open",
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[ConflictInfo]:
    """The conflicts list, newest first, only the programmes `actor` may read (filtered in the
    query); a page of `limit` from `offset` (None: all, for an export that streams them). The
    district's own tools act as the system actor, which reads everything."""
    _require(actor)
    q = _visible(actor, status).order_by(SyncConflict.id.desc())
    if limit is not None:
        q = q.limit(limit).offset(offset or None)
    return [_info(r) for r in session.scalars(q)]


def count_conflicts(session: Session, actor: Actor, status: str | None = "open") -> int:
    """How many entries `list_conflicts` would give without a limit."""
    _require(actor)
    sub = _visible(actor, status).with_only_columns(SyncConflict.id).subquery()
    return session.scalar(select(func.count()).select_from(sub)) or 0


def resolve(session: Session, actor: Actor, conflict_id: int, action: str) -> ConflictInfo:
    """`action` is "keep" (close the entry) or "reverse" (write the lost value back)."""
    if not actor.can(Permission.RESOLVE_CONFLICTS):
        raise PermissionDenied("只有科长可以处理同步冲突")
    # Locked for the transaction (PostgreSQL): two clerks settling the same conflict at once
    # are served one after the other, and the second finds it settled.
    row = session.get(SyncConflict, conflict_id, with_for_update=True)
    if row is None:
        raise NotFound("找不到这条冲突记录")
    if row.status != "open":
        raise ValidationError("这条冲突已经处理过了")
    if action == "reverse":
        if row.reason == "invalid":
            raise ValidationError("发来的值不合要求，不能写回；只能保留现值")
        if row.reason == "number":
            raise ValidationError("编号由区里统一改过，不能恢复原编号（原编号已属于另一条记录）")
        if not row.field:
            raise ValidationError("未采用的是整条新增记录，不能在这里恢复；请在区里核实后重新录入")
        t = tables.info(row.table_name)
        if t is None or row.field not in t.fields:
            raise ValidationError("本程序不认识这条冲突涉及的数据表或字段")
        if row.field in t.redacted:
            raise ValidationError("这个字段的内容不随同步传送，不能恢复")
        record = session.get(t.cls, row.record_id)
        if record is None:
            raise NotFound("冲突涉及的记录已不存在")
        if record.merge_locked():
            raise ValidationError("这条记录已完成（锁定），不能直接修改；请用更正记录的方式处理")
        lost = None if row.lost_value is None else json.loads(row.lost_value)
        value = t.decode({row.field: lost})[row.field]
        setattr(record, row.field, value)
        session.flush()
        # Local derived columns (e.g. a resident's next due date) follow the restored value.
        derived.refresh_records(session.connection(), {row.table_name: {row.record_id}})
        row.status = "reversed"
    elif action == "keep":
        row.status = "kept"
    else:
        raise ValidationError(f"未知的处理方式：{action}")
    row.resolved_by = actor.display_name
    row.resolved_at = utcnow()
    session.flush()
    return _info(row)
