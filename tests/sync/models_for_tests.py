"""Programme-like tables that exist only in tests: a resident under a community and visits under
a resident, where a completed visit is merge-locked (like the elderly-visits tables)."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Boolean, Engine, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Journaled


class ProgResident(Journaled, Base):
    __tablename__ = "synctest_resident"
    community_id: Mapped[str] = mapped_column(ForeignKey("community.id"))
    name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(40), default="")


class ProgVisit(Journaled, Base):
    __tablename__ = "synctest_visit"
    __merge_unlocked__: ClassVar[frozenset[str]] = frozenset({"visitor_id"})
    resident_id: Mapped[str] = mapped_column(ForeignKey("synctest_resident.id"))
    visitor_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), default=None)
    note: Mapped[str] = mapped_column(String(200), default="")
    completed: Mapped[bool] = mapped_column(Boolean, default=False)

    def merge_locked(self) -> bool:
        return bool(self.completed)


def create(engine: Engine) -> None:
    Base.metadata.create_all(engine, tables=[ProgResident.__table__, ProgVisit.__table__])
