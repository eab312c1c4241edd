"""Which office a record belongs to, found generically by following foreign keys to `office`.

`community.office_id` → office; `elderly_resident.community_id` → community → office; a table with
no path to `office` (settings) is district-wide and goes to every office.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Select, inspect, select

from db.base import Base

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
            for rid in conn.execute(select(start.c.id).where(start.c.id.in_(part))).scalars():
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
        q = select(start.c.id, owner_col).select_from(joined).where(start.c.id.in_(part))
        for rid, owner in conn.execute(q):
            found[rid] = owner
    return found


def owned_ids(table_name: str, office_id: str) -> Select[Any]:
    """A SELECT of the ids of `table_name` records that belong to office `office_id`."""
    path = office_path(table_name)
    if path is None:
        raise ValueError(f"{table_name} is district-wide")
    start = Base.metadata.tables[table_name]
    if not path:
        return select(start.c.id).where(start.c.id == office_id)
    cur = start
    joined: Any = start
    for col, ref in path[:-1]:
        nxt = Base.metadata.tables[ref].alias()
        joined = joined.join(nxt, cur.c[col] == nxt.c.id)
        cur = nxt
    return select(start.c.id).select_from(joined).where(cur.c[path[-1][0]] == office_id)


def existing_tables(conn: Connection) -> list[str]:
    return list(inspect(conn).get_table_names())


def dependents(conn: Connection, table_name: str, record_id: str) -> list[tuple[str, str]]:
    """The record and every record that refers to it, directly or through others."""
    out = [(table_name, record_id)]
    queue = deque(out)
    seen = set(out)
    present = set(inspect(conn).get_table_names())
    while queue:
        tname, rid = queue.popleft()
        for child in Base.metadata.sorted_tables:
            if child.name not in present:
                continue
            for fk in child.foreign_keys:
                if fk.column.table.name != tname or "id" not in child.c:
                    continue
                for cid in conn.execute(select(child.c.id).where(fk.parent == rid)).scalars():
                    item = (child.name, cid)
                    if item not in seen:
                        seen.add(item)
                        out.append(item)
                        queue.append(item)
    return out
