"""Reference data and bookkeeping tables: office, communities, staff, settings, local meta, journal.

Programme tables live in their own modules (db/elderly.py, ...); `db.schema` imports them all.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, Journaled
from db.journal_packing import PackedHlc, PackedId, PackedJson, PackedTime


class Office(Journaled, Base):
    """The street office (街道办事处/镇) this installation serves."""

    __tablename__ = "office"
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    district_name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(200), default="")


class Community(Journaled, Base):
    """A community (社区) or village (村) with its own committee."""

    __tablename__ = "community"
    __table_args__ = (UniqueConstraint("office_id", "name"),)
    office_id: Mapped[str] = mapped_column(ForeignKey("office.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), default="")
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8), default="社区")  # 社区 or 村
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SignIn:
    """Mixin: what an account signs in with (an office's staff and the district's own). The
    lock-out bookkeeping is local (not journaled, not synced); the hash is journaled as changed
    without its value."""

    __journal_exclude__: ClassVar[frozenset[str]] = frozenset(
        {"failed_logins", "locked_until", "last_login_at"}
    )
    __journal_redact__: ClassVar[frozenset[str]] = frozenset({"password_hash"})

    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class Staff(SignIn, Journaled, Base):
    """A staff account. Disabled accounts cannot log in; their journal entries keep their name."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("office_id", "username"),)

    office_id: Mapped[str] = mapped_column(ForeignKey("office.id"), index=True)
    username: Mapped[str] = mapped_column(String(40))
    display_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(24))
    community_id: Mapped[str | None] = mapped_column(ForeignKey("community.id"), default=None)
    phone: Mapped[str] = mapped_column(String(40), default="")

    community: Mapped[Community | None] = relationship(lazy="joined")


class DistrictStaff(SignIn, Journaled, Base):
    """An account of the district bureau's staff on the hub (issue 24): 区级管理员, 区级业务员,
    统计员, 区未保中心. Journaled, so the hub's audit shows who created, disabled or reset whom,
    but it never travels (`__travels__`): an office neither receives the bureau's accounts nor
    can create one by bundle (its table is unknown to sync, so such a bundle is refused)."""

    __tablename__ = "district_staff"
    __travels__: ClassVar[bool] = False

    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(24))
    phone: Mapped[str] = mapped_column(String(40), default="")


class Setting(Journaled, Base):
    """A district setting that differs from its default (see caseworker.domain.settings_catalog).

    The id is `stable_id("setting", key)` so every replica agrees on it.
    """

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(80), unique=True)
    value: Mapped[str] = mapped_column(Text)  # JSON


class DatedValue(Journaled, Base):
    """A district setting's or retrofit catalogue item's value from a given day on (issue 24).

    `kind` is "setting" (`key` a setting key, `value` its JSON value) or "catalogue" (`key` an
    item code, `value` a JSON object of the item's fields that change: price_fen, cap_fen,
    retired). The value of a key on day D is the newest entry with `effective_from` <= D; a
    pending (future) entry is cancelled by its tombstone. The id is `stable_id("dated_value",
    "kind:key:YYYY-MM-DD")`: one entry per key and day on every replica, so scheduling the same
    day again changes that entry instead of adding a second. It has no path to `office`: it is
    district-wide, written at the hub only and sent to every office (`district/scope.py`
    refuses it in an office's bundle).
    """

    __tablename__ = "dated_value"
    __table_args__ = (
        UniqueConstraint("kind", "key", "effective_from"),
        Index("ix_dated_value_effective_from", "effective_from"),
    )
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(80))
    value: Mapped[str] = mapped_column(Text)  # JSON
    effective_from: Mapped[date] = mapped_column(Date)
    changed_by: Mapped[str] = mapped_column(String(60), default="")
    changed_at: Mapped[datetime] = mapped_column(DateTime)


class LocalMeta(Base):
    """Facts about this replica only (device id, clock state). Never journaled, never synced."""

    __tablename__ = "local_meta"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class JournalEntry(Base):
    """One change to one record: who, when (hybrid logical clock), which device, what.

    An insert is one row with all initial values as a JSON object in `new_value`; an update is one
    row per changed field; a tombstone is an update of `deleted_at` recorded with op "delete".
    Values are JSON text to every reader; on disk they are packed (`PackedJson`).
    """

    __tablename__ = "journal"
    __table_args__ = (
        # record ids are UUIDs, unique across tables: the table name adds bytes, not selectivity
        Index("ix_journal_record", "record_id"),
        Index("ix_journal_device_hlc", "device_id", "hlc"),
        # The audit view filters by person newest first (migration 0010).
        Index("ix_journal_actor_time", "actor_name", "recorded_at"),
        Index("ix_journal_recorded_at", "recorded_at"),
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # ids as 16 bytes, the clock and time as integers on disk (migration 0025); text and datetime
    # to every reader (db/journal_packing.py)
    change_id: Mapped[str] = mapped_column(PackedId, unique=True)
    tx_id: Mapped[str] = mapped_column(PackedId)
    hlc: Mapped[str] = mapped_column(PackedHlc)
    device_id: Mapped[str] = mapped_column(PackedId)
    actor_id: Mapped[str | None] = mapped_column(PackedId)
    actor_name: Mapped[str] = mapped_column(String(60))
    table_name: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[str] = mapped_column(String(36))
    op: Mapped[str] = mapped_column(String(8))  # insert / update / delete
    field: Mapped[str | None] = mapped_column(String(60))
    # JSON text, stored packed (db/journal_packing.py: an insert's values take a fifth of the room)
    old_value: Mapped[str | None] = mapped_column(PackedJson)
    new_value: Mapped[str | None] = mapped_column(PackedJson)
    recorded_at: Mapped[datetime] = mapped_column(PackedTime)
    source: Mapped[str] = mapped_column(String(40), default="local")  # "local" or a bundle id


class PrintedForm(Base):
    """One printed paper form (its QR code's id): what it was printed for, and when it was typed
    back. Local to the office: never journaled or synced (docs/paper_forms.md says why).

    `kind` is a caseworker.services.paper kind; `record_id` the resident, retrofit case or child
    case it was printed for (None for a blank form); `period` the month (YYYY-MM) of a visit
    form. `entered_ref` is the record typed from it (the visit), `original` the kept page
    image(s) under the workspace's scans/ folder."""

    __tablename__ = "printed_form"
    __table_args__ = (Index("ix_printed_form_record", "record_id", "kind"),)
    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str | None] = mapped_column(String(36), default=None)
    period: Mapped[str] = mapped_column(String(10), default="")
    template: Mapped[str] = mapped_column(String(32))  # template name and version
    printed_by: Mapped[str] = mapped_column(String(60))
    printed_at: Mapped[datetime] = mapped_column(DateTime)
    entered_ref: Mapped[str | None] = mapped_column(String(36), default=None)
    entered_by: Mapped[str] = mapped_column(String(60), default="")
    entered_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    original: Mapped[str] = mapped_column(String(200), default="")
    # where a flowing form (the retrofit acceptance) drew its tick boxes, as JSON: [[page,
    # field, choice, x, y, w, h], ...] in points; "" for forms whose layout is fixed
    layout: Mapped[str] = mapped_column(Text, default="")
