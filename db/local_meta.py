"""The workspace's own facts that never travel (`local_meta`: sync floors, a restore's round
trip owed, number floors), read and written by key: on a connection, or on the closed
database file before a workspace is opened (a message at start, a restore's checks)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Connection, insert, select, update

from db.base import table_of
from db.models import LocalMeta


def meta(conn: Connection, key: str) -> str | None:
    t = table_of(LocalMeta)
    return conn.execute(select(t.c.value).where(t.c.key == key)).scalar()


def set_meta(conn: Connection, key: str, value: str) -> None:
    t = table_of(LocalMeta)
    if meta(conn, key) is None:
        conn.execute(insert(t).values(key=key, value=value))
    else:
        conn.execute(update(t).where(t.c.key == key).values(value=value))


def meta_of_file(path: Path, key: str) -> str | None:
    """The value under `key` in the SQLite file at `path`, opened read-only; None when it is
    not there or the file cannot be read as a database."""
    try:
        con = sqlite3.connect(f"file:{Path(path).as_posix()}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT value FROM local_meta WHERE key = ?", (key,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None
