"""Declarative base and the mixin every travelling record uses (UUID key, timestamps, tombstone)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import DateTime, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.ids import new_id

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Naive UTC now; every stored timestamp is UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: Any) -> Table:
    """The Table a model (class) is declared on. SQLAlchemy types `__table__` as any selectable;
    every model here is declared on a Table, which insert(), delete() and `.name` need."""
    return cast(Table, model.__table__)


class Journaled:
    """Mixin: the record travels between replicas and every change to it is journaled.

    Records are never deleted; `deleted_at` is the tombstone. Columns named in
    `__journal_exclude__` are local bookkeeping (not journaled, not synced); columns in
    `__journal_redact__` are journaled as changed without their value (password hashes).
    """

    __journal_exclude__: ClassVar[frozenset[str]] = frozenset()
    __journal_redact__: ClassVar[frozenset[str]] = frozenset()
    # Optional links a merge may clear (set to NULL) even on a merge-locked record: a link to a
    # record the receiving office cannot hold (another office's staff) is not part of what was
    # signed on paper, and clearing it is what lets the record travel (see docs/sync.md).
    __merge_unlocked__: ClassVar[frozenset[str]] = frozenset()

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)

    def merge_locked(self) -> bool:
        """True when a sync merge must never overwrite this record (e.g. a completed visit);
        a remote change to it goes to the conflicts list instead."""
        return False
