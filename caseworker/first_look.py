"""What the login window shows, read from the database file in plain SQL before the workspace is
opened: is the office set up, has it any account, its name, is it a demo.

A cold start spent most of its time before a usable login importing SQLAlchemy and every
programme's tables (`db.schema`), not reading the database (docs/performance.md, "Cold start").
These four facts need neither: read here with the standard library's sqlite3 on a read-only
connection, they let the login window take the password while `Workspace.open` (its checks,
migrations, lock and engine) and the heavy imports run behind it on the same runner, ahead of
the login itself. Nothing here authenticates or writes: the login still goes through
`caseworker.services.accounts.authenticate` in a writer session on the opened workspace.

Only a file at this program's schema head is read this way; anything else (no file yet, an older
schema to migrate, a file that cannot be read) answers None and the start opens the workspace
first, as before, so its messages and its backup before a migration come first.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from db.head import HEAD

DB_NAME = "caseworker.sqlite3"  # caseworker.workspace.DB_NAME, without importing it


@dataclass(frozen=True)
class LoginFacts:
    """What the login window shows, read once when the start begins."""

    initialised: bool
    has_staff: bool
    office_name: str
    demo: bool


def peek(root: Path, *, at_head_only: bool = True) -> LoginFacts | None:
    """The login's facts of the workspace in `root` when its file is at HEAD (any revision when
    not `at_head_only`: a workspace just opened, hence migrated), else None."""
    path = Path(root) / DB_NAME
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
    except (OSError, sqlite3.Error):
        return None
    try:
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()
        if at_head_only and (revision is None or revision[0] != HEAD):
            return None
        office = con.execute("SELECT name FROM office WHERE deleted_at IS NULL LIMIT 1").fetchone()
        has_staff = con.execute("SELECT 1 FROM staff LIMIT 1").fetchone() is not None
        demo = con.execute("SELECT 1 FROM local_meta WHERE key = 'demo'").fetchone() is not None
    except sqlite3.Error:  # no such table, locked, not a database: the full open will say
        return None
    finally:
        con.close()
    return LoginFacts(
        initialised=office is not None,
        has_staff=has_staff,
        office_name=str(office[0]) if office is not None else "",
        demo=demo,
    )
