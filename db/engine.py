"""Engine and session factory for a workspace's SQLite file, with the pragmas we depend on.

WAL journal, synchronous=FULL (a committed change survives a power cut), foreign keys on, a busy
timeout. pysqlite's own transaction handling is switched off so that SQLAlchemy's BEGIN is the
real one (the documented recipe), which makes SAVEPOINTs and rollbacks behave.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 5000
# Python's Windows build ships SQLite's stock limit of 32,766 parameters per statement (Debian's
# allows 250,000). Setting this variable applies that limit on every connection, so tests on
# Linux fail where an office PC would (tests/conftest.py sets it for the whole suite).
MAX_VARIABLES_ENV = "CASEWORKER_SQLITE_MAX_VARIABLES"


def apply_limits(dbapi_conn: sqlite3.Connection) -> None:
    """Lower the per-statement parameter limit when CASEWORKER_SQLITE_MAX_VARIABLES says so."""
    limit = os.environ.get(MAX_VARIABLES_ENV)
    if limit and limit.isdigit():
        dbapi_conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, int(limit))


def make_engine(db_path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    engine = create_engine(
        f"sqlite:///{db_path}",
        connect_args={"check_same_thread": False, "isolation_level": None},
        # A database error's text never carries the statement's values (an ID number, a
        # search string): that text can reach a log file.
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, record: Any) -> None:
        apply_limits(dbapi_conn)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
