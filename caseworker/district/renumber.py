"""Human-facing numbers that collide, settled at the hub as they arrive.

An office never issues a number any of its records holds, nor one it issued before a restore
(`db.numbers`). When no trace of an issued number was left (the PC died and an
older backup was restored on a new one), the same number can reach the hub twice: Monday's case
`A-2026-0016`, back from the district after the restore, and Tuesday's new application that got
it again. The hub keeps the number with the record that held it first (the earlier change that
set it) and gives the other the next free number of its prefix, as a journaled district change
written by "系统（重号改号）" in the same transaction; the office receives it like any change
and lists it in its conflicts list (reason `number`), where the old number stays readable. The
hub lists it too. Before, the UNIQUE constraint refused the bundle, and every later one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from caseworker.domain.roles import Actor
from caseworker.sync import tables
from db import numbers
from db.among import among
from db.base import utcnow
from db.models import JournalEntry
from db.sync_models import SyncConflict

if TYPE_CHECKING:
    from caseworker.district.hub import Hub

RENUMBER = Actor.system("重号改号")  # the office recognises it (office.RENUMBERED_BY)
CHUNK = 2000


def _touched(changes: Iterable[Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for c in changes:
        column = numbers.NUMBERED.get(c.table_name)
        if column is not None and (c.op == "insert" or c.field == column):
            found.setdefault(c.table_name, set()).add(c.record_id)
    return found


def _collisions(conn: Connection, table_name: str, ids: set[str]) -> dict[str, list[str]]:
    """number → the ids of every record holding it, for the numbers of records `ids`."""
    t = tables.info(table_name)
    assert t is not None
    col = t.table.c[numbers.NUMBERED[table_name]]
    ordered = sorted(ids)
    values: set[str] = set()
    for i in range(0, len(ordered), CHUNK):
        part = ordered[i : i + CHUNK]
        values.update(
            v
            for v in conn.execute(select(col).where(among(conn, t.table.c.id, part))).scalars()
            if v
        )
    holders: dict[str, list[str]] = {}
    wanted = sorted(values)
    for i in range(0, len(wanted), CHUNK):
        part = wanted[i : i + CHUNK]
        for rid, value in conn.execute(select(t.table.c.id, col).where(among(conn, col, part))):
            holders.setdefault(value, []).append(rid)
    return {v: sorted(rids) for v, rids in holders.items() if len(rids) > 1}


def _setters(conn: Connection, table_name: str, ids: list[str]) -> dict[str, tuple[str, ...]]:
    """record id → (hlc, device, change id, actor) of the change that set its current number."""
    column = numbers.NUMBERED[table_name]
    j = JournalEntry.__table__
    found: dict[str, tuple[str, ...]] = {}
    q = select(j.c.record_id, j.c.hlc, j.c.device_id, j.c.change_id, j.c.actor_name).where(
        j.c.table_name == table_name,
        j.c.record_id.in_(ids),
        (j.c.op == "insert") | (j.c.field == column),
    )
    for rid, hlc, device, change, actor in conn.execute(q):
        key = (hlc, device, change, actor)
        if rid not in found or key > found[rid]:
            found[rid] = key
    return found


def settle(hub: Hub, conn: Connection, changes: Iterable[Any]) -> int:
    """Renumber, as journaled district changes, the records among those `changes` touched whose
    number another record holds; returns how many were renumbered."""
    todo: list[tuple[str, str, str, tuple[str, ...]]] = []  # table, number, id to renumber, setter
    for tname, ids in _touched(changes).items():
        for value, rids in _collisions(conn, tname, ids).items():
            setters = _setters(conn, tname, rids)
            first = min(rids, key=lambda r: setters.get(r, ("",)))
            todo.extend(
                (tname, value, r, setters.get(r, ("", "", "", ""))) for r in rids if r != first
            )
    if not todo:
        return 0
    now = utcnow()
    rows = []
    with hub.journaled(conn, RENUMBER, "district-numbers") as s:
        for tname, value, rid, setter in todo:
            t = tables.info(tname)
            assert t is not None
            obj = s.get(t.cls, rid)
            if obj is None:
                continue
            parts = numbers.split(value)
            prefix = parts[0] if parts else f"{value}-"
            new = numbers.next_number(s, t.cls, prefix)
            setattr(obj, numbers.NUMBERED[tname], new)
            s.flush()
            rows.append(
                {
                    "table_name": tname,
                    "record_id": rid,
                    "field": numbers.NUMBERED[tname],
                    "reason": "number",
                    "kept_value": json.dumps(new, ensure_ascii=False),
                    "lost_value": json.dumps(value, ensure_ascii=False),
                    "lost_hlc": setter[0],
                    "lost_device": setter[1],
                    "lost_actor": setter[3][:60],
                    "kept_actor": RENUMBER.display_name,
                    "kept_device": hub.device_id,
                    "detected_at": now,
                    "status": "open",
                }
            )
    if rows:
        conn.execute(insert(SyncConflict.__table__), rows)
    return len(rows)
