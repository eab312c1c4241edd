"""Helpers shared by the programme 3 services: permission checks and the confidentiality scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session

from caseworker.domain.children import LEFT_REGISTER
from caseworker.domain.errors import NotFound, PermissionDenied, ValidationError
from caseworker.domain.roles import Actor, Permission, Role
from caseworker.services.elderly._common import (  # noqa: F401  (re-exported for the modules)
    clean,
    clean_multiline,
    clean_phone,
    like_escape,
    today_or,
)
from db.base import utcnow
from db.children import Child, ChildCase, ChildViewLog

T = TypeVar("T")
NOT_FOUND = "找不到这个儿童档案，或它不在您负责的社区"


def can_view(actor: Actor) -> None:
    if not actor.can(Permission.CHILD_VIEW):
        raise PermissionDenied("儿童关爱档案只有儿童督导员和儿童主任可以查看")


def can_edit(actor: Actor) -> None:
    if not actor.can(Permission.CHILD_EDIT):
        raise PermissionDenied("儿童关爱档案只有儿童督导员和儿童主任可以修改")


def supervisor_only(actor: Actor, what: str) -> None:
    """Assessment, plans, closure and the view log belong to the child supervisor."""
    can_edit(actor)
    if actor.role is not None and actor.role is not Role.CHILD_SUPERVISOR:
        raise PermissionDenied(f"{what}由儿童督导员负责，儿童主任不能操作")


def scope(actor: Actor) -> ColumnElement[bool]:
    """The rows of `child` this actor may see, as a WHERE clause (never a filter after loading)."""
    can_view(actor)
    if actor.role is Role.CHILD_DIRECTOR:
        if not actor.community_id:
            return false()
        return Child.community_id == actor.community_id
    return true()


def scoped_children(actor: Actor) -> Select:
    return select(Child).where(scope(actor), Child.deleted_at.is_(None))


def load_child(session: Session, actor: Actor, child_id: str) -> Child:
    can_view(actor)
    row = session.scalar(scoped_children(actor).where(Child.id == child_id))
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def load_case(session: Session, actor: Actor, case_id: str) -> ChildCase:
    can_view(actor)
    return load_of_child(session, actor, ChildCase, case_id, "找不到这个个案，或它不在您负责的社区")


def load_of_child(
    session: Session, actor: Actor, model: type[T], record_id: str, missing: str
) -> T:
    """A live record held by a child (a case, a guardian: `model` has `child_id`) whose child
    the actor's scope reaches, in one statement; else NotFound(`missing`)."""
    m: Any = model
    row = session.scalar(
        select(m)
        .join(Child, Child.id == m.child_id)
        .where(m.id == record_id, m.deleted_at.is_(None), scope(actor))
    )
    if row is None:
        raise NotFound(missing)
    return cast(T, row)


def check_on_register(child: Child, on: date, what: str) -> None:
    """A child who left the register gets nothing dated on or after the leave (a form typed back
    from before it is still recorded)."""
    if child.status == LEFT_REGISTER and child.status_date is not None and on >= child.status_date:
        raise ValidationError(
            f"这名儿童已于 {child.status_date:%Y-%m-%d} 离册（{child.left_reason}），"
            f"不能登记此后的{what}；如需继续关爱，请先由儿童督导员恢复在册",
            field="date",
        )


def check_community(actor: Actor, community_id: str) -> None:
    """A child director writes only in their own community."""
    if actor.role is Role.CHILD_DIRECTOR and community_id != actor.community_id:
        raise PermissionDenied("儿童主任只能登记和修改本社区的儿童")


# Where each child table's record leads to its child (the scope of a record's history).
_CHILD_COLUMN = {
    "child_guardian": "child_id",
    "child_condition": "child_id",
    "child_case": "child_id",
    "child_visit": "child_id",
    "child_view_log": "child_id",
}
_CASE_COLUMN = {"child_case_event": "case_id", "child_plan_service": "case_id"}
# Records of no one child: the office's key and the view log are the child supervisor's.
_SUPERVISOR_TABLES = frozenset({"child_office_key", "child_view_log"})


def open_record(session: Session, actor: Actor, table_name: str, record_id: str) -> None:
    """Before any of a child record's data is returned (its history): the record must lead to a
    child this actor may see, and the opening is logged like opening the child's page. A record
    of another community is not found; the key's and the view log's belong to the supervisor."""
    from db.base import Base

    can_view(actor)
    if table_name in _SUPERVISOR_TABLES:
        supervisor_only(actor, "密钥和查阅记录")
    if table_name == "child":
        child_id: str | None = record_id
    elif table_name in _CHILD_COLUMN or table_name in _CASE_COLUMN:
        table = Base.metadata.tables[table_name]
        column = _CHILD_COLUMN.get(table_name) or _CASE_COLUMN[table_name]
        child_id = session.scalar(select(table.c[column]).where(table.c.id == record_id))
        if table_name in _CASE_COLUMN and child_id is not None:
            child_id = session.scalar(select(ChildCase.child_id).where(ChildCase.id == child_id))
    elif table_name == "child_office_key":
        return  # no child's data; supervisor only (above)
    else:
        raise NotFound(NOT_FOUND)
    if child_id is None:
        raise NotFound(NOT_FOUND)
    child = load_child(session, actor, child_id)
    log_view(session, actor, child.id, "查看修改记录")


def view_row(actor: Actor, child_id: str, action: str) -> ChildViewLog:
    """The view-log row of `actor` opening, printing or exporting a child's record now."""
    return ChildViewLog(
        child_id=child_id,
        staff_id=actor.staff_id,
        staff_name=actor.display_name,
        role=actor.role.value if actor.role else "",
        action=action,
        viewed_at=utcnow(),
    )


def log_view(session: Session, actor: Actor, child_id: str, action: str) -> None:
    """Every open or print of a child's record leaves a row (journaled, so it travels)."""
    session.add(view_row(actor, child_id, action))
    session.flush()


def log_views(session: Session, actor: Actor, child_ids: Sequence[str], action: str) -> None:
    """`log_view` for many children (a month's printed forms): flushed 500 at a time and let
    go, so neither memory nor the session's identity map grows with the batch."""
    for start in range(0, len(child_ids), 500):
        rows = [view_row(actor, child_id, action) for child_id in child_ids[start : start + 500]]
        session.add_all(rows)
        session.flush()
        for row in rows:
            session.expunge(row)


def now() -> datetime:
    return utcnow()
