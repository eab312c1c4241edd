"""Journal capture: every insert, update and tombstone of a Journaled record becomes journal rows.

It hangs on the Session's flush, so no service can forget it: `before_flush` stamps ids and
timestamps and refuses hard deletes, `after_flush` reads each object's attribute history and writes
the rows with one Core insert inside the same transaction (a rollback takes them away too).
A session that writes Journaled records must carry a JournalContext in `session.info["journal"]`.

The context also records which tables the transaction wrote (`JournalContext.touched`): every
INSERT, UPDATE and DELETE the session's connection runs, from a flush, a Core statement or
`insert_many`, names its table there. The interface announces exactly those after the commit,
so no caller has to guess which views a write concerns.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Connection, String, event, insert, inspect, select, update
from sqlalchemy.orm import Session, SessionTransaction, attributes
from sqlalchemy.sql.dml import Insert, UpdateBase

from caseworker.domain.hlc import ZERO, Hlc
from caseworker.domain.roles import Actor
from caseworker.domain.text import CONTROLS, strip_controls
from db.base import Journaled, table_of, utcnow
from db.ids import new_id, new_ids
from db.journal_packing import hlc_to_disk, id_to_disk, pack
from db.models import JournalEntry, LocalMeta

_NOT_JOURNALED = frozenset({"id", "created_at", "updated_at"})
HLC_KEY = "hlc"


def _wall_ms() -> int:
    return int(datetime.now().timestamp() * 1000)


@dataclass
class JournalContext:
    """Who acts, on which device, and the clock; set on every writing session."""

    actor: Actor
    device_id: str
    now_ms: Callable[[], int] = field(default=_wall_ms)
    source: str = "local"
    # Set by sync when it writes rows from a bundle itself: the listener then records nothing.
    suspended: bool = False
    # The tables this transaction wrote (filled as statements run; read after the commit).
    # The journal's own bookkeeping (its rows and the clock in local_meta) is left out: every write
    # touches it, and no view shows it for its own sake.
    touched: set[str] = field(default_factory=set)
    # The connections already watched (a savepoint begins on its parent's connection again).
    _watched: set[int] = field(default_factory=set, repr=False)


# Written by every journaled write as bookkeeping, never what a write is about.
_BOOKKEEPING = frozenset({table_of(JournalEntry).name, table_of(LocalMeta).name})


class JournalMissing(RuntimeError):
    """A Journaled record was flushed by a session without a JournalContext (a programming error)."""


def encode(value: Any) -> str | None:
    """A column value as JSON text (dates and datetimes as ISO strings)."""
    if value is None:
        return None
    return json.dumps(to_plain(value), ensure_ascii=False)


def to_plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def journaled_columns(obj: Journaled | type[Journaled]) -> list[str]:
    model = obj if isinstance(obj, type) else type(obj)
    mapper = inspect(model)
    skip = _NOT_JOURNALED | model.__journal_exclude__
    return [c.key for c in mapper.column_attrs if c.key not in skip]


def _plain_or_redacted(obj: Journaled | type[Journaled], key: str, value: Any) -> Any:
    model = obj if isinstance(obj, type) else type(obj)
    if key in model.__journal_redact__ and value is not None:
        return "<已隐去>"
    return to_plain(value)


def next_clock(session: Session, ctx: JournalContext) -> Hlc:
    """Tick this replica's hybrid clock, persisted in local_meta within the current transaction."""
    conn = session.connection()
    stored = conn.execute(select(LocalMeta.value).where(LocalMeta.key == HLC_KEY)).scalar()
    current = Hlc.decode(stored) if stored else ZERO
    nxt = current.tick(ctx.now_ms())
    if stored is None:
        conn.execute(insert(LocalMeta).values(key=HLC_KEY, value=nxt.encode()))
    else:
        conn.execute(update(LocalMeta).where(LocalMeta.key == HLC_KEY).values(value=nxt.encode()))
    return nxt


@functools.cache
def _text_columns(model: Any) -> tuple[str, ...]:
    """The attributes of `model` that hold text (String and Text columns)."""
    mapper: Any = inspect(model)
    return tuple(
        c.key
        for c in mapper.column_attrs
        if len(c.columns) == 1 and isinstance(c.columns[0].type, String)
    )


def _clean_text(obj: Journaled) -> None:
    """Take control characters out of every text the record is about to store, whatever
    service set it (caseworker/domain/text.py): the journal then records the clean value.
    Services clean typed text themselves; this is the net under all of them."""
    values = obj.__dict__
    model: Any = type(obj)  # a class is hashable; the checker's view of type[Journaled] is not
    for key in _text_columns(model):
        value = values.get(key)
        if type(value) is str and CONTROLS.search(value) is not None:
            setattr(obj, key, strip_controls(value))


@event.listens_for(Session, "after_begin")
def _watch_writes(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    """Record in the session's JournalContext the table of every INSERT, UPDATE and DELETE run
    on the transaction's connection: ORM flushes, Core statements and the derived columns
    services update on `session.connection()` alike. The listener is on this Connection object
    only, which the session closes at the transaction's end, so it ends with the transaction."""
    ctx: JournalContext | None = session.info.get("journal")
    if ctx is None or id(connection) in ctx._watched:
        return
    ctx._watched.add(id(connection))
    touched = ctx.touched

    def seen(
        conn: Connection, clause: Any, multi: Any, params: Any, options: Any, result: Any
    ) -> None:
        # An UPDATE or DELETE that matched no row changed nothing (a schedule recompute that
        # moved no date); an INSERT always wrote (its rowcount is unreliable with RETURNING).
        if isinstance(clause, UpdateBase) and (isinstance(clause, Insert) or result.rowcount != 0):
            name = getattr(clause.table, "name", None)
            if name is not None and name not in _BOOKKEEPING:
                touched.add(name)

    event.listen(connection, "after_execute", seen)


@event.listens_for(Session, "before_flush")
def _stamp(session: Session, flush_context: Any, instances: Any) -> None:
    ctx: JournalContext | None = session.info.get("journal")
    now = utcnow()
    for obj in session.new:
        if isinstance(obj, Journaled):
            if ctx is None:
                raise JournalMissing(f"{type(obj).__name__} written without a JournalContext")
            if obj.id is None:
                obj.id = new_id()
            if obj.created_at is None:
                obj.created_at = now
            obj.updated_at = now
            _clean_text(obj)
    for obj in session.dirty:
        if isinstance(obj, Journaled) and session.is_modified(obj, include_collections=False):
            if ctx is None:
                raise JournalMissing(f"{type(obj).__name__} changed without a JournalContext")
            obj.updated_at = now
            _clean_text(obj)
    for obj in session.deleted:
        if isinstance(obj, Journaled):
            raise RuntimeError(
                f"{type(obj).__name__} records are never deleted: set deleted_at (a tombstone)"
            )


@event.listens_for(Session, "after_flush")
def _record(session: Session, flush_context: Any) -> None:
    ctx: JournalContext | None = session.info.get("journal")
    if ctx is None or ctx.suspended:
        return
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if isinstance(obj, Journaled):
            values = {
                key: _plain_or_redacted(obj, key, getattr(obj, key))
                for key in journaled_columns(obj)
            }
            rows.append(_row(obj, "insert", None, None, json.dumps(values, ensure_ascii=False)))
    for obj in session.dirty:
        if not isinstance(obj, Journaled):
            continue
        for key in journaled_columns(obj):
            hist = attributes.get_history(obj, key)
            if not hist.has_changes():
                continue
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old == new:
                continue
            op = "delete" if key == "deleted_at" and new is not None else "update"
            rows.append(
                _row(
                    obj,
                    op,
                    key,
                    encode(_plain_or_redacted(obj, key, old)),
                    encode(_plain_or_redacted(obj, key, new)),
                )
            )
    if not rows:
        return
    clock = next_clock(session, ctx).encode()
    tx_id = new_id()
    now = utcnow()
    for row in rows:
        row.update(
            tx_id=tx_id,
            hlc=clock,
            device_id=ctx.device_id,
            actor_id=ctx.actor.staff_id,
            actor_name=ctx.actor.display_name,
            recorded_at=now,
            source=ctx.source,
        )
    session.connection().execute(insert(JournalEntry), rows)


def insert_many(session: Session, model: type[Journaled], records: list[dict[str, Any]]) -> None:  # noqa: C901
    """Insert many new records of one model with one executemany, journaled exactly as a flush
    of the same objects would journal them (one insert row per record carrying every journaled
    value; one transaction id and one clock tick for the call).

    For bulk writers that would otherwise build thousands of ORM objects (demo data at a
    district's size): the records are dicts keyed by attribute; omitted attributes take their
    column's default, and `id`, `created_at`, `updated_at` are filled in as at a flush.
    `records` is consumed: each dict is completed in place.
    """
    if not records:
        return
    ctx: JournalContext | None = session.info.get("journal")
    if ctx is None:
        raise JournalMissing(f"{model.__name__} written without a JournalContext")
    session.flush()  # ORM objects pending before this call are written first, in order
    mapper = inspect(model)
    attrs = [(a.key, a.columns[0]) for a in mapper.column_attrs]
    defaults: dict[str, Any] = {}
    for key, column in attrs:
        default = column.default
        if default is None:
            defaults[key] = None
        elif default.is_scalar:
            defaults[key] = default.arg
    conn = session.connection()
    if conn.dialect.name != "sqlite":  # the raw statements below use SQLite's placeholders
        raise RuntimeError("insert_many writes an office's SQLite workspace only")
    sql, processors = _raw_insert(conn, table_of(model), [column for _, column in attrs])
    keys = [key for key, _ in attrs]
    # only the columns with a converter (dates, datetimes, booleans) are touched per row
    convert = [(i, p) for i, p in enumerate(processors) if p is not None]
    journaled = journaled_columns(model)
    redacted = model.__journal_redact__
    dumps = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps builds one per call
    now = utcnow()
    fresh = iter(new_ids(sum(1 for record in records if "id" not in record)))
    encoded: list[tuple[str, str]] = []
    rows: list[tuple[Any, ...]] = []
    for record in records:
        if "id" not in record:
            record["id"] = next(fresh)
        record.setdefault("created_at", now)
        record["updated_at"] = now
        for key, value in defaults.items():
            record.setdefault(key, value)
        try:
            values = [record[key] for key in keys]
        except KeyError as exc:
            raise ValueError(f"{model.__name__}: no value and no plain default for {exc}") from None
        for i, p in convert:
            if values[i] is not None:
                values[i] = p(values[i])
        rows.append(tuple(values))
        plain = {}
        for key in journaled:
            value = record[key]
            if value is not None and type(value) is not str and type(value) is not int:
                value = to_plain(value)
            plain[key] = "<已隐去>" if key in redacted and value is not None else value
        encoded.append((record["id"], dumps(plain)))
    conn.exec_driver_sql(sql, rows)
    ctx.touched.add(table_of(model).name)  # raw SQL: the connection's listener cannot name it
    if ctx.suspended:
        return
    clock = next_clock(session, ctx).encode()
    tx_id = new_id()
    journal_sql, journal_processors = _raw_insert(conn, JournalEntry.__table__, _JOURNAL_COLUMNS)
    stamp = journal_processors[-2](now)  # recorded_at, as the journal's column stores it
    actor_id = ctx.actor.staff_id
    # as the journal's column types store them (db/journal_packing.py): 16-byte ids, integer clock
    fixed = (
        id_to_disk(tx_id),
        hlc_to_disk(clock),
        id_to_disk(ctx.device_id),
        None if actor_id is None else id_to_disk(actor_id),
        ctx.actor.display_name,
    )
    table_name = table_of(model).name
    conn.exec_driver_sql(
        journal_sql,
        [
            (
                id_to_disk(change_id),
                *fixed,
                table_name,
                record_id,
                "insert",
                None,
                None,
                pack(value),  # as PackedJson stores it on SQLite
                stamp,
                ctx.source,
            )
            for change_id, (record_id, value) in zip(new_ids(len(encoded)), encoded, strict=True)
        ],
    )


# What one change carries, in this order (a bundle's change rows; seq and source are local).
CHANGE_COLUMNS = (
    "change_id",
    "tx_id",
    "hlc",
    "device_id",
    "actor_id",
    "actor_name",
    "table_name",
    "record_id",
    "op",
    "field",
    "old_value",
    "new_value",
    "recorded_at",
)
# The journal's columns in the order `insert_many` fills them (seq is the rowid).
_JOURNAL_COLUMNS = [JournalEntry.__table__.c[name] for name in (*CHANGE_COLUMNS, "source")]


def _raw_insert(conn: Any, table: Any, columns: list[Any]) -> tuple[str, list[Any]]:
    """An INSERT for one plain executemany, with the dialect's own value converters (dates as
    SQLAlchemy stores them): compiling a statement per row would cost more than the insert."""
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) "
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    return sql, [c.type._cached_bind_processor(dialect) for c in columns]


def _row(
    obj: Journaled, op: str, key: str | None, old: str | None, new: str | None
) -> dict[str, Any]:
    return {
        "change_id": new_id(),
        "table_name": table_of(type(obj)).name,
        "record_id": obj.id,
        "op": op,
        "field": key,
        "old_value": old,
        "new_value": new,
    }


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state: Any) -> None:
    """ORM bulk UPDATE/DELETE skips the flush and so the journal: refuse it on Journaled tables."""
    if not (state.is_update or state.is_delete):
        return
    ctx: JournalContext | None = state.session.info.get("journal")
    if ctx is not None and ctx.suspended:
        return
    for mapper in state.all_mappers:
        if issubclass(mapper.class_, Journaled):
            raise RuntimeError(
                f"bulk {'UPDATE' if state.is_update else 'DELETE'} of {mapper.class_.__name__} "
                "would bypass the journal: load the objects and change them instead"
            )
