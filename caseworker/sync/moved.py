"""At an office: what it keeps of records the district moved to another office.

An elderly resident's or a retrofit household's records stay as they were, shown as moved out
(已迁出): they are the office's own history of its work. A **child's** do not: they are sealed
to the child-protection roles, and once the child belongs to another office, this office may no
longer read them. When its notices arrive (`transferred_out`), and once every change this office
made to those records has been acknowledged by the district (nothing of its own work is lost:
late edits travel first), the child and every record under it are deleted here with their
journal rows and conflicts-list entries; the notices stay (which child id went where, no
personal data). Later changes to those records arriving in a district bundle (an older bundle
imported late) are dropped, until the district moves the child back (`transferred_in`).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, or_, select

from caseworker.sync import tables
from db.base import Base, table_of
from db.models import JournalEntry
from db.sync_models import SyncConflict, SyncTransfer

PURGED_ROOT = "child"
CHUNK = 500


@functools.cache
def purged_tables() -> frozenset[str]:
    """The child table and every table under it (through required or optional keys)."""
    found = {PURGED_ROOT}
    grew = True
    while grew:
        grew = False
        for t in Base.metadata.sorted_tables:
            if t.name in found or t.name in tables.KEPT or tables.info(t.name) is None:
                continue
            if any(fk.column.table.name in found for fk in t.foreign_keys):
                found.add(t.name)
                grew = True
    return frozenset(found)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _any_notice(conn: Connection) -> bool:
    t = table_of(SyncTransfer)
    q = select(func.count()).where(t.c.table_name.in_(sorted(purged_tables())))
    return bool(conn.execute(q).scalar())


def drop_moved(conn: Connection, chunks: Iterable[list[Any]]) -> Iterator[list[Any]]:
    """The change rows of a district bundle, without those of child records moved away from
    this office (their notice is here): this office keeps nothing of them."""
    if not _any_notice(conn):
        yield from chunks
        return
    t = table_of(SyncTransfer)
    purged = purged_tables()
    for rows in chunks:
        ids = sorted({r[7] for r in rows if isinstance(r, list) and len(r) > 7 and r[6] in purged})
        gone: set[tuple[str, str]] = set()
        for part in _chunks(ids):
            gone.update(
                (tname, rid)
                for tname, rid in conn.execute(
                    select(t.c.table_name, t.c.record_id).where(
                        t.c.table_name.in_(sorted(purged)), t.c.record_id.in_(part)
                    )
                )
            )
        yield (
            [r for r in rows if not (isinstance(r, list) and len(r) > 7 and (r[6], r[7]) in gone)]
            if gone
            else rows
        )


def purge(conn: Connection, own: list[str], acks: dict[str, str]) -> int:
    """Delete here the children moved to another office, with everything under them, once the
    district has acknowledged every change this office's devices made to those records;
    returns how many records were deleted (a child still waiting stays until a later import)."""
    if not _any_notice(conn):
        return 0
    t = table_of(SyncTransfer)
    child = Base.metadata.tables[PURGED_ROOT]
    noticed = list(
        conn.execute(select(t.c.record_id).where(t.c.table_name == PURGED_ROOT)).scalars()
    )
    present: list[str] = []
    for part in _chunks(sorted(set(noticed))):
        present.extend(conn.execute(select(child.c.id).where(child.c.id.in_(part))).scalars())
    if not present:
        return 0
    items, _ = tables.dependents(conn, [(PURGED_ROOT, c) for c in present])
    items = [i for i in items if i[0] in purged_tables()]
    by_table: dict[str, list[str]] = defaultdict(list)
    for tname, rid in items:
        by_table[tname].append(rid)
    j = table_of(JournalEntry)
    unacked = or_(*(and_(j.c.device_id == d, j.c.hlc > acks.get(d, "")) for d in own))
    waiting: set[str] = set()  # children with changes of ours not yet acknowledged
    for tname, ids in by_table.items():
        for part in _chunks(sorted(ids)):
            if conn.execute(
                select(j.c.record_id)
                .where(j.c.table_name == tname, j.c.record_id.in_(part), unacked)
                .limit(1)
            ).first():
                waiting.add(tname)
    if waiting:
        # simplest and safe: nothing is purged until all of it is acknowledged
        return 0
    c = table_of(SyncConflict)
    order = {tb.name: i for i, tb in enumerate(Base.metadata.sorted_tables)}
    deleted = 0
    for tname in sorted(by_table, key=lambda n: order[n], reverse=True):
        table = Base.metadata.tables[tname]
        for part in _chunks(sorted(by_table[tname])):
            deleted += conn.execute(delete(table).where(table.c.id.in_(part))).rowcount or 0
            conn.execute(delete(j).where(j.c.table_name == tname, j.c.record_id.in_(part)))
            conn.execute(delete(c).where(c.c.table_name == tname, c.c.record_id.in_(part)))
    return deleted
