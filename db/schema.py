"""Schema version handling: create a new database, migrate an old one, refuse a newer one.

Alembic is imported only when the file is not already at HEAD, which keeps start-up fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, MetaData, inspect, text

import db.children
import db.elderly
import db.models
import db.retrofit
import db.sync_models  # noqa: F401  (registers reference, programme and sync tables)
from caseworker.domain.errors import SchemaTooNew, WorkspaceError
from db.base import Base
from db.head import HEAD as HEAD  # the newest migration, kept apart for the start

metadata: MetaData = Base.metadata
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def revision_of_file(path: Path) -> str | None:
    """The schema revision of a database file, read without changing the file."""
    import sqlite3

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        has = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
        if not has:
            return None
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    finally:
        con.close()


def is_empty(conn: Connection) -> bool:
    return not inspect(conn).get_table_names()


def _alembic_config(conn: Connection):  # -> alembic.config.Config
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}


def alembic_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction to run Alembic on: every upgrade and downgrade goes
    through here (the application's and the tests').

    SQLite changes a table's constraints only by rebuilding it, and DROP TABLE of the old copy
    would be refused by the rows that point at it (a retrofit case's items and photos). As
    SQLite prescribes (https://sqlite.org/lang_altertable.html, "Making Other Kinds Of Table
    Schema Changes"), foreign keys are off while migrating and checked once, over the result,
    before the commit: a violation rolls everything back. The pragma only takes effect outside
    a transaction, hence on the driver's connection before SQLAlchemy begins one."""
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                if raw is not None:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchmany(5)
                    if broken:
                        more = "+" if len(broken) == 5 else ""
                        raise WorkspaceError(
                            f"升级后有 {len(broken)}{more} 条记录引用了不存在的记录"
                            f"（{broken[0][0]}），升级未完成，数据未做任何改动。"
                        )
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def ensure_schema(engine: Engine, backup: Callable[[str], object]) -> str:
    """Bring the database to HEAD. Returns "current", "created" or "migrated".

    `backup(reason)` is called before migrating an existing database. A database whose revision
    this program does not know (written by a newer version) is refused untouched.
    """
    with engine.connect() as conn:
        revision = current_revision(conn)
        empty = is_empty(conn)
    if revision == HEAD:
        return "current"
    if revision is None and not empty:
        raise SchemaTooNew("这个文件不是工作台的数据库（没有版本信息），未做任何改动。")
    if revision is not None and revision not in known_revisions():
        raise SchemaTooNew(
            f"数据库版本（{revision}）比本程序新，请安装新版本的工作台后再打开。数据未做任何改动。"
        )
    if not empty:
        backup("pre-migration")
    from alembic import command

    with migration_connection(engine) as conn:
        command.upgrade(_alembic_config(conn), "head")
    return "created" if empty else "migrated"
