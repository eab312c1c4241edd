"""Optional links that point out of a record's own office, cleared at the hub as they arrive.

A record travels only to the office that owns it. When it links (through an optional foreign
key) to a record of another office — a visit typed at the old office after the district moved
its resident away, with the old office's caseworker as visitor — the new office cannot hold the
target, and the change would fail its foreign-key check there and block every later bundle. The
hub clears such a link as it routes the change: a journaled district change (the journal keeps
the old value), allowed even on a merge-locked record (`Journaled.__merge_unlocked__`), so the
office that receives the record receives the cleared link with it. See docs/sync.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from caseworker.district import scope
from caseworker.district.hub import DISTRICT
from caseworker.sync import tables
from db.among import among
from db.base import Base

if TYPE_CHECKING:
    from caseworker.district.hub import Hub
CHUNK = 2000


def _optional_links(table_name: str) -> list[tuple[str, str]]:
    """(column, referred table) of the optional foreign keys to office-owned tables."""
    t = tables.info(table_name)
    if t is None or scope.office_path(table_name) is None:
        return []
    return sorted(
        (fk.parent.name, fk.column.table.name)
        for fk in t.table.foreign_keys
        if fk.parent.nullable
        and fk.parent.name in t.fields
        and scope.office_path(fk.column.table.name) is not None
    )


def outside_links(conn: Connection, table_name: str, ids: Iterable[str]) -> list[tuple[str, str]]:
    """(record id, column) pairs whose optional link points to another office's record: one
    statement per link and chunk, joining both records' ownership chains to their offices."""
    links = _optional_links(table_name)
    if not links:
        return []
    ids = sorted(set(ids))
    found: list[tuple[str, str]] = []
    start = Base.metadata.tables[table_name].alias("rec")
    from_rec, owner_rec = _owner(start, table_name)
    for col, ref in links:
        target = Base.metadata.tables[ref].alias("target")
        from_both, owner_target = _owner(
            target, ref, from_rec.join(target, start.c[col] == target.c.id)
        )
        for i in range(0, len(ids), CHUNK):
            part = ids[i : i + CHUNK]
            q = (
                select(start.c.id)
                .select_from(from_both)
                .where(among(conn, start.c.id, part), owner_rec != owner_target)
            )
            found.extend((rid, col) for rid in conn.execute(q).scalars())
    return found


def _owner(start: Any, table_name: str, joined: Any = None) -> tuple[Any, Any]:
    """`joined` extended along `table_name`'s ownership chain from `start`, and the column
    holding the owning office id."""
    path = scope.office_path(table_name)
    assert path is not None
    joined = start if joined is None else joined
    if not path:
        return joined, start.c.id
    cur = start
    for col, ref in path[:-1]:
        nxt = Base.metadata.tables[ref].alias()
        joined = joined.join(nxt, cur.c[col] == nxt.c.id)
        cur = nxt
    return joined, cur.c[path[-1][0]]


def repair(hub: Hub, conn: Connection, changes: Iterable[object]) -> int:
    """Clear, as journaled district changes, the outside links among the records `changes`
    (merge.Change rows) touched; returns how many were cleared."""
    touched: dict[str, set[str]] = {}
    for c in changes:
        if _optional_links(c.table_name):  # type: ignore[attr-defined]
            touched.setdefault(c.table_name, set()).add(c.record_id)  # type: ignore[attr-defined]
    todo = [
        (tname, found)
        for tname, ids in touched.items()
        if (found := outside_links(conn, tname, ids))
    ]
    if not todo:
        return 0
    cleared = 0
    with hub.journaled(conn, DISTRICT, "district-links") as s:
        for tname, found in todo:
            t = tables.info(tname)
            assert t is not None
            for rid, col in found:
                obj = s.get(t.cls, rid)
                if obj is not None:
                    setattr(obj, col, None)
                    cleared += 1
    return cleared
