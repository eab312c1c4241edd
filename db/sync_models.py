"""Local bookkeeping of sync: own keys, known peers, acknowledgements, bundle history, conflicts.

None of these tables is Journaled: they describe this replica's view of the exchange, not the
shared records. (A conflict's *resolution* is journaled, as an ordinary change of the record.)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class SyncIdentity(Base):
    """This replica's enrolled identity: one row. Private keys are encrypted at rest with the
    workspace key file (keys/identity.key), which is never inside the database or its backups."""

    __tablename__ = "sync_identity"
    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    role: Mapped[str] = mapped_column(String(12))  # office / district
    name: Mapped[str] = mapped_column(String(100))
    office_code: Mapped[str] = mapped_column(String(32), default="")
    sign_pub: Mapped[str] = mapped_column(String(64))  # hex
    box_pub: Mapped[str] = mapped_column(String(64))  # hex
    private_sealed: Mapped[str] = mapped_column(Text)  # base64, see caseworker.sync.crypto
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SyncPeer(Base):
    """A replica we exchange bundles with, or a device id one of them writes its journal with.

    `alias_of` is set for a journal device id that belongs to the enrolled peer `alias_of`
    (an office that started on its own keeps writing with its original device id)."""

    __tablename__ = "sync_peer"
    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    role: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100))
    office_code: Mapped[str] = mapped_column(String(32), default="")
    sign_pub: Mapped[str] = mapped_column(String(64), default="")
    box_pub: Mapped[str] = mapped_column(String(64), default="")
    alias_of: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    added_at: Mapped[datetime] = mapped_column(DateTime)


class SyncAck(Base):
    """`peer` holds every change written by `origin` up to clock `hlc` (that concerns it)."""

    __tablename__ = "sync_ack"
    peer: Mapped[str] = mapped_column(String(36), primary_key=True)
    origin: Mapped[str] = mapped_column(String(36), primary_key=True)
    hlc: Mapped[str] = mapped_column(String(24))


class SyncBundle(Base):
    """Bundle history, sent and received."""

    __tablename__ = "sync_bundle"
    bundle_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))  # sent / received
    peer: Mapped[str] = mapped_column(String(36), index=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    changes: Mapped[int] = mapped_column(Integer, default=0)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[str] = mapped_column(Text, default="{}")  # JSON {table: n}
    hlc_min: Mapped[str] = mapped_column(String(24), default="")
    hlc_max: Mapped[str] = mapped_column(String(24), default="")
    file_name: Mapped[str] = mapped_column(String(260), default="")
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class SyncConflict(Base):
    """A value a merge overwrote or refused: kept so a supervisor can review and reverse it."""

    __tablename__ = "sync_conflict"
    __table_args__ = (
        Index("ix_sync_conflict_record", "table_name", "record_id"),
        # 工作台's open conflicts per device pair: a covering search of the open rows; the
        # list's pages, newest first: the open rows in id order, no sort (0021)
        Index("ix_sync_conflict_status_devices", "status", "lost_device", "kept_device"),
        Index("ix_sync_conflict_status", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(12))  # clock / locked / future
    kept_value: Mapped[str | None] = mapped_column(Text)  # JSON, the value that stayed
    lost_value: Mapped[str | None] = mapped_column(Text)  # JSON, the value that was overwritten
    lost_hlc: Mapped[str] = mapped_column(String(24))
    lost_device: Mapped[str] = mapped_column(String(36))
    lost_actor: Mapped[str] = mapped_column(String(60))
    kept_hlc: Mapped[str] = mapped_column(String(24), default="")
    kept_device: Mapped[str] = mapped_column(String(36), default="")
    kept_actor: Mapped[str] = mapped_column(String(60), default="")
    # Set when the losing change itself was refused (not journaled): makes a re-import skip it.
    change_id: Mapped[str | None] = mapped_column(String(36), default=None, unique=True)
    bundle_id: Mapped[str] = mapped_column(String(36), default="")
    detected_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open / kept / reversed
    resolved_by: Mapped[str | None] = mapped_column(String(60), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class SyncPush(Base):
    """District only: a record whose whole history must go to an office in its next bundles
    (a resident transferred to or from it) until the office acknowledges that bundle."""

    __tablename__ = "sync_push"
    office_device: Mapped[str] = mapped_column(String(36), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(60), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bundle_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # The record the transfer moved, which this one moved with (itself for that one; None:
    # written before 0015, a root of its own). Only roots are named in a bundle's extras.
    root_id: Mapped[str | None] = mapped_column(String(36), default=None)


class SyncTransfer(Base):
    """A record that moved to another office. At the district: a notice still to be sent to the
    office it left (`bundle_id` = the bundle that carried it). At that office: the notice received,
    so that its screens can show the record as moved out (已迁出)."""

    __tablename__ = "sync_transfer"
    office_device: Mapped[str] = mapped_column(String(36), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(60), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    to_office_code: Mapped[str] = mapped_column(String(32))
    to_office_name: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    bundle_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # The record the transfer moved (see SyncPush.root_id). At an office: the notice the district
    # sent for that root, which the office extended to what it holds under it.
    root_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)


class SyncTransferLog(Base):
    """At the district: one person moved between offices from the console, with the reason the
    clerk gave and who did it (the moved records' own changes are journaled as that person too).
    The hub's own record: it never travels."""

    __tablename__ = "sync_transfer_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor_name: Mapped[str] = mapped_column(String(60))
    person_name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    from_offices: Mapped[str] = mapped_column(String(200))  # codes, comma-separated
    to_office_code: Mapped[str] = mapped_column(String(32))
    community: Mapped[str] = mapped_column(String(100), default="")
    records: Mapped[int] = mapped_column(Integer)  # records moved (roots and dependents)
    reason: Mapped[str] = mapped_column(Text)


class SyncDuplicate(Base):
    """A person on two offices' rosters: a merged record whose district-wide key (the ID number)
    another record already held. At the district: the case to settle (keep the earlier, or
    transfer one); at an office: the notice that one of its records is such a case."""

    __tablename__ = "sync_duplicate"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[str] = mapped_column(String(36), index=True)  # the later record, held
    other_id: Mapped[str] = mapped_column(String(36))  # the earlier record, which keeps the key
    other_office: Mapped[str] = mapped_column(String(100), default="")  # at an office: who
    detected_at: Mapped[datetime] = mapped_column(DateTime)
    # open / kept / transferred; indexed (0021): the queue counts and pages the open cases
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    resolved_by: Mapped[str | None] = mapped_column(String(60), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class SyncPhoto(Base):
    """A photo file (by its sha256) sent to or received from `peer`. Sent: `bundle_id` is the
    last bundle that carried it and `acked_at` is set once the peer reports that bundle imported;
    received: the peer obviously has it, so it is acknowledged at once. A file acknowledged is
    never sent to that peer again unless the peer reports it missing (`photos_missing`)."""

    __tablename__ = "sync_photo"
    peer: Mapped[str] = mapped_column(String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    bundle_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    acked_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
