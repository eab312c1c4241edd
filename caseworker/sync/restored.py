"""A workspace restored from a backup: a new writer, and a round trip owed by the district.

A backup brings back the database as it was, journal and device id included. Work done after it
(Monday's, when Sunday's backup is restored on Tuesday) may already be at the district, which
never sends an office its own changes back. Two things make the district send them:

- **A new device id.** The restored database writes from now on under a new journal device id;
  the old one is *retired* (`sync.retired_devices`). So every device's journal stays a sequence
  without holes at every replica, and "the newest change I hold from device D" (the `have`
  vector in each bundle) keeps meaning "I hold every change of D up to there". With the old id
  kept, Tuesday's changes would sort after Monday's, and the office would claim to hold Monday.
- **A restore marker** (`sync.restore`: its id, when, from which backup, and the bundles sent
  with it) while the district has not answered. Every bundle carries it; the hub then takes the
  bundle's `have` vector as the truth for that office (its acknowledgements may go back) and
  sends everything newer, the office's own retired devices' changes included. The marker is
  cleared when the office imports a district bundle that acknowledges one of the bundles sent
  with it: that bundle was written after the hub saw what the office lacks.

Also carried across: the human-facing numbers the replaced database had issued
(`db.numbers`), so a number lost with the restore is not issued again.

Everything here works on a database file through `sqlite3` (the restore swaps files while no
one has the workspace open) or on an open connection (the sync services).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, delete, update

from db import numbers
from db.base import table_of
from db.ids import new_id
from db.local_meta import meta, meta_of_file
from db.models import LocalMeta

RESTORE = "sync.restore"
RETIRED = "sync.retired_devices"
MAX_RETIRED = 15  # with the current one, the 16 device ids a bundle may declare


@dataclass(frozen=True)
class RestoreWaiting:
    """A restore whose round trip through the district is not done yet."""

    restore_id: str
    restored_at: datetime
    backup: str  # the backup file's name
    bundles: tuple[str, ...]  # bundles sent with the marker, none acknowledged yet


def mark(staged: Path, replaced: Path | None, backup_name: str) -> None:
    """Prepare the verified file `staged` to replace the workspace's database: a new device id
    (the old one retired), the restore marker when the workspace is enrolled, and the number
    floors of the database it replaces (`replaced`, when it can be read)."""
    floors = numbers.floors_of_file(replaced) if replaced is not None else {}
    con = sqlite3.connect(staged, isolation_level=None)
    try:
        # The file is renamed into place alone: no WAL may hold part of what is written here.
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute("BEGIN IMMEDIATE")
        stored = dict(con.execute("SELECT key, value FROM local_meta").fetchall())
        old = stored.get("device_id")
        retired = _list(stored.get(RETIRED))
        if old and old not in retired:
            retired.append(old)
        values = {"device_id": new_id(), RETIRED: json.dumps(retired[-MAX_RETIRED:])}
        enrolled = con.execute("SELECT count(*) FROM sync_identity").fetchone()[0] > 0
        if enrolled:
            values[RESTORE] = json.dumps(
                {
                    "id": new_id(),
                    "at": datetime.now().isoformat(timespec="seconds"),
                    "backup": backup_name,
                    "bundles": [],
                },
                ensure_ascii=False,
            )
        merged = numbers.merge_floors(numbers.parse_floors(stored.get(numbers.FLOOR_KEY)), floors)
        if merged:
            values[numbers.FLOOR_KEY] = json.dumps(merged, ensure_ascii=False)
        for key, value in values.items():
            con.execute(
                "INSERT INTO local_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        con.execute("COMMIT")
    finally:
        con.close()


def waiting_in(db: Path) -> bool:
    """The workspace database file owes the district a round trip (for a message right after
    a restore, before the workspace is opened)."""
    return meta_of_file(db, RESTORE) is not None  # always JSON text when it is there


def _list(text: str | None) -> list[str]:
    try:
        found = json.loads(text) if text else []
    except ValueError:
        return []
    return [d for d in found if isinstance(d, str)] if isinstance(found, list) else []


def retired_devices(conn: Connection) -> list[str]:
    """Journal device ids this workspace wrote with before its restores, oldest first."""
    return _list(meta(conn, RETIRED))


def waiting(conn: Connection) -> RestoreWaiting | None:
    text = meta(conn, RESTORE)
    if not text:
        return None
    try:
        data = json.loads(text)
        return RestoreWaiting(
            str(data["id"]),
            datetime.fromisoformat(str(data["at"])),
            str(data.get("backup", "")),
            tuple(str(b) for b in data.get("bundles", [])),
        )
    except (ValueError, KeyError, TypeError):
        return None


def extras(conn: Connection) -> dict[str, object]:
    """What an office bundle says about restores: its retired devices, and the marker while
    the district has not answered it."""
    out: dict[str, object] = {"retired": retired_devices(conn)}
    found = waiting(conn)
    if found is not None:
        out["restore"] = found.restore_id
    return out


def sent_with_marker(conn: Connection, bundle_id: str) -> None:
    """Remember a bundle that carried the marker (its acknowledgement ends the wait)."""
    found = waiting(conn)
    if found is None:
        return
    data = json.loads(meta(conn, RESTORE) or "{}")
    data["bundles"] = [*found.bundles, bundle_id][-1000:]
    t = table_of(LocalMeta)
    conn.execute(
        update(t).where(t.c.key == RESTORE).values(value=json.dumps(data, ensure_ascii=False))
    )


def answered(conn: Connection, acknowledged: object) -> bool:
    """The district acknowledged a bundle sent with the marker: the round trip is done (the
    bundle being imported was written after the hub saw what this office lacks)."""
    found = waiting(conn)
    if found is None or not isinstance(acknowledged, list):
        return False
    if not set(found.bundles) & {b for b in acknowledged if isinstance(b, str)}:
        return False
    t = table_of(LocalMeta)
    conn.execute(delete(t).where(t.c.key == RESTORE))
    return True
