"""The district hub's home: a folder with its key file and (by default) a SQLite database, or a
PostgreSQL database given by URL. Same schema, same migrations, same journal as an office."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import ArgumentError, DatabaseError
from sqlalchemy.orm import Session

from caseworker.domain.errors import NotFound, WorkspaceError, os_reason, sqlite_reason
from caseworker.domain.roles import Actor
from caseworker.logs import attach_file_log, detach_file_log
from caseworker.sync.identity import KEY_FILE, Peer, peers
from db import backup as backups
from db.engine import make_engine
from db.journal import JournalContext
from db.replica import Replica, check_district_account, ensure_device_id
from db.schema import ensure_schema

# The system actor of what the hub decides itself (links cleared, keys re-sealed, duplicates
# and conflicts settled from the command line): its changes travel under this name.
DISTRICT = Actor.system("district")

HOME_ENV = "CASEWORKER_DISTRICT_HOME"
LOG_NAME = "caseworker-district.log"  # in the hub's logs/ folder
DB_ENV = "CASEWORKER_DISTRICT_DB"
DB_NAME = "district.sqlite3"


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the driver we install)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


def _sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///…` URL (None for any other database)."""
    if not url.startswith("sqlite"):
        return None
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise WorkspaceError("数据库 URL 无法识别，请写成 sqlite:///文件路径。") from None
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise WorkspaceError("区级平台不能使用内存数据库，请给出 sqlite:///文件路径。")
    return Path(parsed.database).expanduser()


def _server_engine(url: str) -> Engine:
    """The engine of a database server's URL (nothing connects yet). PostgreSQL needs the
    `district` extra (psycopg): without it the URL is right and the driver is missing, and the
    message says how to install it."""
    server = normalise_url(url)
    try:
        return create_engine(server, pool_pre_ping=True, hide_parameters=True)
    except ImportError:
        if server.startswith("postgresql"):
            raise WorkspaceError(
                "这台电脑没有安装 PostgreSQL 的驱动（psycopg）：请在本程序的 Python 环境中运行 "
                'pip install "caseworker[district]" 后再试。未做任何改动。'
            ) from None
        raise WorkspaceError(_UNRECOGNISED) from None
    except (ArgumentError, ValueError):
        raise WorkspaceError(_UNRECOGNISED) from None


_UNRECOGNISED = "数据库 URL 无法识别，请写成 postgresql://用户@主机/库名 或 sqlite:///文件路径。"


def home_folder(home: Path | str | None = None) -> Path:
    """The hub's folder: the one given, else $CASEWORKER_DISTRICT_HOME, else ./district."""
    return Path(home or os.environ.get(HOME_ENV) or "district").expanduser()


class Hub(Replica):
    """An open district hub. `Hub.open(home, db_url)`; close with `close()`."""

    def __init__(self, home: Path, engine: Engine, device_id: str) -> None:
        super().__init__(engine, device_id)
        self.home = home
        self._log: Path | None = None  # its hold on logs/caseworker-district.log, if attached

    def attach_log(self) -> None:
        """Log to `home/logs/` (LOG_NAME) until `close()` (skipped if read-only)."""
        if self._log is None:
            self._log = attach_file_log(self.home / "logs", name=LOG_NAME)

    def close(self) -> None:
        super().close()
        detach_file_log(self._log)  # no handler, no open file of a closed hub
        self._log = None

    def journal(self, actor: Actor, source: str) -> JournalContext:
        """The journal context of a change the hub makes inside a transaction it already has
        (links cleared, rows re-sealed, numbers repaired): the hub's device, and the clock
        tests fix."""
        ctx = JournalContext(actor=actor, device_id=self.device_id, source=source)
        if self.now_ms is not None:
            ctx.now_ms = self.now_ms
        return ctx

    @contextmanager
    def journaled(self, conn: Connection, actor: Actor, source: str) -> Iterator[Session]:
        """A session in a savepoint of `conn` (the transaction an ingest or a transfer already
        has) whose changes are journaled as `actor` under `source`; committed on success."""
        with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
            s.info["journal"] = self.journal(actor, source)
            yield s
            s.commit()

    @property
    def key_file(self) -> Path:
        return self.home / KEY_FILE

    @property
    def backups(self) -> Path:
        return self.home / "backups"

    @classmethod
    def open(cls, home: Path | str | None = None, db_url: str | None = None) -> Hub:
        home = home_folder(home)
        db_url = db_url or os.environ.get(DB_ENV) or None
        sqlite_path = _sqlite_path(db_url) if db_url else home / DB_NAME
        # A server's engine is made (its driver loaded) before anything is created on disk.
        engine = None if sqlite_path is not None else _server_engine(str(db_url))
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"无法创建区级平台文件夹 {home}：{os_reason(exc)}") from None
        if engine is None:
            assert sqlite_path is not None
            # Any SQLite hub, at the default place or at a URL's path, gets the same pragmas
            # (WAL, synchronous=FULL, foreign keys) and backups of that very file.
            engine = make_engine(sqlite_path)
            backup: Path | None = sqlite_path
        else:
            backup = None
        try:
            ensure_schema(
                engine,
                (lambda reason: backups.take(backup, home / "backups", reason))
                if backup is not None
                else (lambda reason: None),
            )
            device_id = ensure_device_id(engine)
        except DatabaseError as exc:  # OperationalError, "file is not a database", …
            engine.dispose()
            if sqlite_path is not None:
                reason = sqlite_reason(str(exc.orig)) or "文件无法打开或已损坏。未做任何改动。"
            else:
                reason = "无法连接数据库服务器，请检查地址、端口、用户名和密码。"
            raise WorkspaceError(f"无法打开区级平台的数据库：{reason}") from None
        except BaseException:
            engine.dispose()
            raise
        # A dated visit interval whose day has come since the last open: due dates follow it.
        from caseworker.services.elderly import schedule

        schedule.follow_intervals_at_open(engine)
        return cls(home, engine, device_id)

    def check_account(self, session: Session, actor: Actor, *, reading: bool = False) -> None:
        """The hub's people are its own accounts (district_staff), not an office's staff."""
        check_district_account(session, actor, reading=reading)

    def lock_office(self, conn: Connection, code: str) -> None:
        """Serialise, across every clerk's PC, the work on one office's exchange (ingest and
        export) for the rest of `conn`'s transaction. On PostgreSQL a transaction-level advisory
        lock keyed by the office's code: a second clerk taking in the same office's bundle waits
        for the first and then finds it imported. A SQLite hub has one writer at a time anyway.
        """
        if self.is_sqlite():
            return
        digest = hashlib.sha256(f"caseworker-office:{code}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def sqlite_file(self) -> Path | None:
        db = self.engine.url.database
        return Path(db) if self.is_sqlite() and db else None

    def backup(self, reason: str) -> Path | None:
        """A backup of a SQLite hub; a PostgreSQL hub is backed up by its own server tools."""
        path = self.sqlite_file
        if path is None:
            return None
        return backups.take(path, self.backups, reason)


def office_peer(conn: Connection, code: str) -> Peer:
    """The enrolled office with this code (refused in Chinese when there is none)."""
    for p in peers(conn, "office"):
        if p.office_code == code:
            return p
    raise NotFound(f"没有登记代码为 {code} 的街道。")
