"""Which office a record belongs to, found generically by following foreign keys to `office`.

`community.office_id` → office; `elderly_resident.community_id` → community → office; a table with
no path to `office` (settings) is district-wide and goes to every office.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    insert,
    inspect,
    literal,
    select,
)

from db.among import among
from db.base import Base
from db.journal_packing import id_from_disk

OFFICE = "office"
CHUNK = 500


@functools.cache
def office_path(table_name: str) -> tuple[tuple[str, str], ...] | None:
    """The chain of (fk column, referred table) from `table_name` to office; () for the office
    table itself; None when there is none (a district-wide table).

    A chain of required (NOT NULL) keys is preferred to a shorter one through an optional key:
    a visit belongs to its resident's office even when its optional visitor is unset."""
    if table_name == OFFICE:
        return ()
    return _shortest(table_name, required_only=True) or _shortest(table_name, required_only=False)


def _shortest(table_name: str, *, required_only: bool) -> tuple[tuple[str, str], ...] | None:
    tables = Base.metadata.tables
    queue: deque[tuple[str, tuple[tuple[str, str], ...]]] = deque([(table_name, ())])
    seen = {table_name}
    while queue:
        name, path = queue.popleft()
        fks = sorted(
            (fk.parent.name, fk.column.table.name)
            for fk in tables[name].foreign_keys
            if not (required_only and fk.parent.nullable)
        )
        for col, ref in fks:
            if ref == OFFICE:
                return (*path, (col, ref))
            if ref not in seen:
                seen.add(ref)
                queue.append((ref, (*path, (col, ref))))
    return None


def owners(conn: Connection, table_name: str, ids: Iterable[str]) -> dict[str, str | None]:
    """record id → owning office id (None when the chain is broken); only for scoped tables."""
    path = office_path(table_name)
    ids = list(ids)
    if path is None:
        return dict.fromkeys(ids)
    start = Base.metadata.tables[table_name]
    found: dict[str, str | None] = dict.fromkeys(ids)
    if not path:  # the office table: a record is its own owner, if it exists
        for i in range(0, len(ids), CHUNK):
            part = ids[i : i + CHUNK]
            for rid in conn.execute(
                select(start.c.id).where(among(conn, start.c.id, part))
            ).scalars():
                found[rid] = rid
        return found
    cur = start
    joined = start
    for col, ref in path[:-1]:
        nxt = Base.metadata.tables[ref].alias()
        joined = joined.outerjoin(nxt, cur.c[col] == nxt.c.id)
        cur = nxt
    owner_col = cur.c[path[-1][0]]
    for i in range(0, len(ids), CHUNK):
        part = ids[i : i + CHUNK]
        q = select(start.c.id, owner_col).select_from(joined).where(among(conn, start.c.id, part))
        for rid, owner in conn.execute(q):
            found[rid] = owner
    return found


def owned_ids(table_name: str, office_id: str) -> Select[Any]:
    """A SELECT of the ids of `table_name` records that belong to office `office_id`."""
    start, joined, owner = _owned_chain(table_name)
    # never correlated: the chain's aliases are shared by every SELECT made here
    return select(start.c.id).select_from(joined).where(owner == office_id).correlate(None)


def owner_of(table_name: str, record_id: Any) -> Any:
    """A scalar subquery: the office id of the `table_name` record whose id is `record_id` (a
    column of the enclosing statement), by primary keys up its foreign-key chain; NULL when
    the record is not there or its chain is broken (as `owned_ids` leaves it out)."""
    start, joined, owner = _owned_chain(table_name)
    return select(owner).select_from(joined).where(start.c.id == record_id).scalar_subquery()


@functools.cache
def _owned_chain(table_name: str) -> tuple[Any, Any, Any]:
    """The table, its join up the foreign-key chain to the office and the office column, built
    once per table: making the aliases and their columns is most of what building a bundle's
    or 工作台's WHERE costs (22 tables per office, 20 offices)."""
    path = office_path(table_name)
    if path is None:
        raise ValueError(f"{table_name} is district-wide")
    start = Base.metadata.tables[table_name]
    if not path:
        return start, start, start.c.id
    cur = start
    joined: Any = start
    for col, ref in path[:-1]:
        nxt = Base.metadata.tables[ref].alias()
        joined = joined.join(nxt, cur.c[col] == nxt.c.id)
        cur = nxt
    return start, joined, cur.c[path[-1][0]]


OWNED = "office_owned"  # PostgreSQL: the temporary tables `lacking_tables` fills
LACKING = "office_lacking"


def lacking_tables(
    conn: Connection, office_id: str, table_names: Iterable[str], acks: dict[str, str]
) -> tuple[Table, Table]:
    """PostgreSQL: two temporary tables, dropped at the end of the transaction (made again if
    asked twice in one), each with its primary key and its statistics: the journal rows the
    office lacks (seq, table name, record id: of each device, those later than the office's
    acknowledgement `acks` of it, every one when it acknowledged none), and the (table name,
    record id) that office `office_id` owns among the records they name.

    The district's bundle to an office reads the journal through "this row's record belongs to
    the office", one `IN (ownership join)` per table joined by OR. SQLite runs each such
    subquery once into a temporary index. PostgreSQL cannot turn an OR of them into joins: it
    runs each as a subplan, hashed only when its estimate fits in `work_mem`, else the whole
    ownership join again for every journal row (the first bundle back to a 20,000-resident
    office: 8x SQLite's time, issue 26). So the rows the office lacks are listed first, in the
    one pass over the journal the export makes (usually a handful among the office's own
    hundreds of thousands of rows); then the records they name that the office owns, each
    found from its id by primary keys; the bundle's rows are then read back from the journal by
    `seq`, never by a second scan of it (which had kept the bundle back at 1.7-1.9x SQLite's
    time). Both tables are analyzed, so every statement after them is planned for their real
    size (autovacuum never looks at a temporary table)."""
    j = Base.metadata.tables["journal"]
    lacking = Table(
        LACKING,
        MetaData(),
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("table_name", String(60)),
        Column("record_id", String(36)),
        Index(f"ix_{LACKING}_record", "table_name", "record_id"),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    owned = Table(
        OWNED,
        MetaData(),
        Column("table_name", String(60), primary_key=True),
        Column("record_id", String(36), primary_key=True),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    for t in (lacking, owned):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {t.name}")
        t.create(conn)
    # Each device's range of ix_journal_device_hlc after what the office holds of it: the
    # office's own hundreds of thousands of rows are skipped by the index, not read, so the
    # cost follows what the office lacks, not the district's journal.
    for device in journal_devices(conn):
        rows = select(j.c.seq, j.c.table_name, j.c.record_id).where(j.c.device_id == device)
        if device in acks:
            rows = rows.where(j.c.hlc > acks[device])
        conn.execute(insert(lacking).from_select(["seq", "table_name", "record_id"], rows))
    conn.exec_driver_sql(f"ANALYZE {LACKING}")
    for name in table_names:
        these = select(lacking.c.record_id).where(lacking.c.table_name == name)
        ids = (
            owned_ids(name, office_id).where(Base.metadata.tables[name].c.id.in_(these)).subquery()
        )
        conn.execute(
            insert(owned).from_select(
                ["table_name", "record_id"], select(literal(name, String(60)), ids.c.id)
            )
        )
    conn.exec_driver_sql(f"ANALYZE {OWNED}")
    return lacking, owned


def journal_devices(conn: Connection) -> list[str]:
    """PostgreSQL: the devices that wrote the journal, each found by one step along
    ix_journal_device_hlc (a loose index scan: the number of devices, not of rows, is read;
    PostgreSQL's DISTINCT would read every row)."""
    # ORDER BY ... LIMIT 1, not min(): the ids are BYTEA (migration 0025), which has no min()
    found = conn.exec_driver_sql(
        "WITH RECURSIVE d(id) AS ("
        " (SELECT device_id FROM journal ORDER BY device_id LIMIT 1)"
        " UNION ALL"
        " SELECT (SELECT device_id FROM journal WHERE device_id > d.id"
        " ORDER BY device_id LIMIT 1)"
        " FROM d WHERE d.id IS NOT NULL)"
        " SELECT id FROM d WHERE id IS NOT NULL"
    ).scalars()
    # stored as 16 bytes (db/journal_packing.py); the text is what every caller compares
    return [text for stored in found if (text := id_from_disk(stored)) is not None]


def existing_tables(conn: Connection) -> list[str]:
    return list(inspect(conn).get_table_names())


# -- what an office may write (the hub decides) --------------------------------------------------

SCOPE = "scope"
# Columns of the office's own record that only the district sets.
OFFICE_LOCKED_FIELDS = frozenset({"code", "district_name"})


def refusals(  # noqa: C901
    conn: Connection,
    office_code: str,
    devices: set[str],
    changes: list[Any],
    new_values: dict[str, Any],
) -> dict[str, str]:
    """The changes of an office's bundle that fall outside what it may write, each mapped to
    the reason `scope` (kept out, into the district's conflicts list; they never reach anyone).

    The rule, per table (docs/sync.md has it as a table):
    - a district-wide table (no path to `office`: settings): nothing;
    - `office`: only its own record, never its code or district name; inserted only by an
      office that started on its own (enrolled with `--existing`), with its own code, while the
      district holds no office of that code;
    - every other table (reaching `office` through foreign keys): records of its own office.
      An insert belongs where its parent leads (a parent inserted earlier in the same bundle
      counts); an update or tombstone, where the record is at the district. A record the
      district moved to another office while this office was still working on it stays
      writable by this office if its devices wrote it before (its late edits follow the record
      to its new office, with links out of that office cleared: see `links`). A change of the
      column that leads to the owner must keep the record in this office. An update of a
      record the district has never seen, and this bundle does not insert, is refused.
    """
    office_id = _office_id(conn, office_code)
    first_record: str | None = None
    if office_id is None:  # enrolled with --existing: its own office record comes first
        for c in changes:
            values = new_values.get(c.change_id)
            if (
                c.table_name == OFFICE
                and c.op == "insert"
                and isinstance(values, dict)
                and values.get("code") == office_code
            ):
                office_id = first_record = c.record_id
                break
    if office_id is None:
        return {c.change_id: SCOPE for c in changes}
    parents: dict[str, tuple[str, str | None]] = {}  # insert change id → (parent table, id)
    for c in changes:
        path = office_path(c.table_name)
        if c.op == "insert" and path:
            values = new_values.get(c.change_id)
            parent = values.get(path[0][0]) if isinstance(values, dict) else None
            parents[c.change_id] = (path[0][1], parent if isinstance(parent, str) else None)
    wanted: dict[str, set[str]] = {}
    for c in changes:
        wanted.setdefault(c.table_name, set()).add(c.record_id)
    for table, parent in parents.values():
        if parent is not None and table != OFFICE:
            wanted.setdefault(table, set()).add(parent)
    at_district = {t: owners(conn, t, sorted(ids)) for t, ids in wanted.items() if office_path(t)}
    touched = _touched(conn, devices, wanted)
    inserted: dict[tuple[str, str], str | None] = {}

    def owner_of(table: str, record: str | None) -> str | None:
        if record is None:
            return None
        if table == OFFICE:
            return record
        if (table, record) in inserted:
            return inserted[(table, record)]
        if table in at_district and record in at_district[table]:
            return at_district[table][record]
        return owners(conn, table, [record]).get(record)

    def ours(table: str, record: str | None) -> bool:
        return owner_of(table, record) == office_id or (table, record) in touched

    refused: dict[str, str] = {}
    for c in sorted(changes, key=lambda c: (_ORDER.get(c.table_name, 0), c.op != "insert")):
        path = office_path(c.table_name)
        if path is None:  # district-wide
            refused[c.change_id] = SCOPE
        elif not path:  # the office table
            if c.op == "insert":
                if c.record_id != first_record:
                    refused[c.change_id] = SCOPE
            elif c.record_id != office_id or c.field in OFFICE_LOCKED_FIELDS:
                refused[c.change_id] = SCOPE
        elif c.op == "insert":
            table, parent = parents[c.change_id]
            inserted[(c.table_name, c.record_id)] = owner_of(table, parent)
            if not ours(table, parent):
                refused[c.change_id] = SCOPE
        elif (
            owner_of(c.table_name, c.record_id) is None
            and (
                c.table_name,
                c.record_id,
            )
            not in touched
        ):
            refused[c.change_id] = SCOPE  # a record the district has never seen
        elif not ours(c.table_name, c.record_id):
            refused[c.change_id] = SCOPE
        elif c.field == path[0][0]:  # moving the record: it must stay in this office
            target = new_values.get(c.change_id)
            if owner_of(path[0][1], target if isinstance(target, str) else None) != office_id:
                refused[c.change_id] = SCOPE
    return refused


def _office_id(conn: Connection, code: str) -> str | None:
    t = Base.metadata.tables[OFFICE]
    return conn.execute(select(t.c.id).where(t.c.code == code)).scalar()


_ORDER = {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}


def _touched(
    conn: Connection, devices: set[str], wanted: dict[str, set[str]]
) -> set[tuple[str, str]]:
    """Of the records named, those the office's devices wrote before this bundle."""
    from db.models import JournalEntry

    j = JournalEntry.__table__
    found: set[tuple[str, str]] = set()
    devs = sorted(devices)
    for tname, ids in wanted.items():
        ordered = sorted(ids)
        for i in range(0, len(ordered), CHUNK):
            part = ordered[i : i + CHUNK]
            q = (
                select(j.c.record_id)
                .where(
                    j.c.table_name == tname,
                    among(conn, j.c.record_id, part),
                    among(conn, j.c.device_id, devs),
                )
                .distinct()
            )
            found.update((tname, rid) for rid in conn.execute(q).scalars())
    return found
