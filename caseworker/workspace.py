"""A workspace is one folder: the SQLite database, backups/, exports/, logs/.

Opening one checks the file, creates or migrates the schema (backup first), and makes sure the
replica has a device id. Writing happens through `Workspace.writer(actor)`, which attaches the
journal context so that every change is journaled and commits or rolls back as one transaction.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select, text

from caseworker.domain.errors import (
    SchemaTooNew,
    WorkspaceCorrupt,
    WorkspaceError,
    WorkspaceLocked,
    os_reason,
)
from caseworker.logs import attach_file_log
from db import backup as backups
from db.engine import make_engine
from db.models import Office
from db.replica import Replica, ensure_device_id
from db.schema import ensure_schema, known_revisions, revision_of_file

DB_NAME = "caseworker.sqlite3"
ENV_VAR = "CASEWORKER_WORKSPACE"
log = logging.getLogger("caseworker")


def default_root() -> Path:
    """`CASEWORKER_WORKSPACE`, else the platform's per-user data folder."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("Caseworker", appauthor=False)) / "workspace"


@dataclass(frozen=True)
class Paths:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / DB_NAME

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def photos(self) -> Path:
        """Retrofit photos, content-addressed (caseworker.services.retrofit.photo_store)."""
        return self.root / "photos"


def _setup_logging(logs: Path) -> None:
    # A read-only workspace has no file log rather than a crash (caseworker.logs).
    attach_file_log(logs)


def _check_existing(db_path: Path) -> None:
    """quick_check an existing file; tell a locked file from a corrupt one."""
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=2)
        try:
            result = con.execute("PRAGMA quick_check").fetchall()
        finally:
            con.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise WorkspaceLocked(
                f"数据库正被另一个程序占用（{db_path}）。请关闭其他打开它的工作台后再试。"
            ) from None
        if "readonly" in str(exc) or "unable to open" in str(exc):
            raise WorkspaceError(
                f"工作区 {db_path.parent} 是只读的（或没有权限），工作台需要写入它。"
                "请把工作区放到可以写入的位置或取消只读。未做任何改动。"
            ) from None
        raise WorkspaceCorrupt(
            f"无法读取数据库 {db_path}（{exc}）。未做任何改动；可以从 backups 文件夹恢复备份。"
        ) from None
    except sqlite3.DatabaseError as exc:
        raise WorkspaceCorrupt(
            f"{db_path} 不是有效的数据库文件或已损坏（{exc}）。未做任何改动；"
            "可以用“恢复备份”从 backups 文件夹恢复。"
        ) from None
    if result != [("ok",)]:
        detail = "; ".join(str(r[0]) for r in result[:3])
        raise WorkspaceCorrupt(
            f"数据库完整性检查未通过：{detail}。未做任何改动；请从 backups 文件夹恢复备份。"
        )


def _probe_write_lock(db_path: Path) -> None:
    """Refuse to open a database another process is writing to right now."""
    con = sqlite3.connect(db_path, timeout=1.5, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise WorkspaceLocked(
                "数据库正被另一个程序写入。请关闭其他打开此工作区的工作台后再试。"
            ) from None
        raise
    finally:
        con.close()


class Workspace(Replica):
    """An open workspace. Create with `Workspace.open(root)`; close with `close()`."""

    def __init__(self, paths: Paths, engine: Engine, device_id: str, schema_status: str) -> None:
        super().__init__(engine, device_id)
        self.paths = paths
        self.schema_status = schema_status  # "current", "created" or "migrated"

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, root: Path | str | None = None) -> Workspace:
        paths = Paths(Path(root) if root is not None else default_root())
        try:
            for folder in (paths.root, paths.backups, paths.exports, paths.logs):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"无法创建工作区文件夹 {paths.root}：{os_reason(exc)}") from None
        _setup_logging(paths.logs)
        existed = paths.db.exists() and paths.db.stat().st_size > 0
        if existed:
            _check_existing(paths.db)
        engine = make_engine(paths.db)
        try:
            if existed:
                _probe_write_lock(paths.db)
            status = ensure_schema(
                engine, lambda reason: backups.take(paths.db, paths.backups, reason)
            )
            device_id = ensure_device_id(engine)
        except BaseException:
            engine.dispose()
            raise
        log.info("opened workspace %s (schema %s, device %s)", paths.root, status, device_id)
        return cls(paths, engine, device_id, status)

    def is_initialised(self) -> bool:
        with self.reader() as s:
            return (
                s.scalar(select(Office.id).where(Office.deleted_at.is_(None)).limit(1)) is not None
            )

    # -- backups -------------------------------------------------------------------------------
    def backup(self, reason: str = "manual", out: Path | None = None) -> Path:
        if out is not None:
            out = Path(out)
            if out.exists():
                raise WorkspaceError(f"{out} 已存在，不会覆盖。请换一个文件名。")
            tmp = backups.take(self.paths.db, out.parent, reason)
            tmp.replace(out)
            return out
        return backups.take(self.paths.db, self.paths.backups, reason)

    def last_backup(self) -> backups.BackupInfo | None:
        found = backups.list_backups(self.paths.backups)
        return found[0] if found else None

    def auto_backup_if_due(self, keep_daily: int, keep_weekly: int) -> Path | None:
        """The daily backup (the GUI calls it after each login) when the newest is older than a
        day; then retention."""
        last = self.last_backup()
        taken = None
        if last is None or datetime.now() - last.taken_at > timedelta(days=1):
            taken = self.backup("daily")
        backups.prune(self.paths.backups, keep_daily, keep_weekly)
        return taken

    def integrity_problems(self) -> list[str]:
        """`PRAGMA integrity_check` and foreign-key check; empty when all is well."""
        problems: list[str] = []
        with self.engine.connect() as conn:
            rows = conn.execute(text("PRAGMA integrity_check")).fetchall()
            if rows != [("ok",)]:
                problems += [str(r[0]) for r in rows]
            for row in conn.execute(text("PRAGMA foreign_key_check")).fetchall():
                problems.append(f"外键错误：表 {row[0]} 第 {row[1]} 行引用 {row[2]} 不存在")
        return problems


def restore(root: Path, source: Path) -> Path:
    """Replace the workspace's database with backup `source`; returns the pre-restore copy.

    The file is checked first (intact, a caseworker database, not newer than this program); the
    current database is backed up before it is replaced. No Workspace may be open on `root`.
    """
    paths = Paths(Path(root))
    source = Path(source)
    backups.check_file(source)
    _refuse_foreign_or_newer(source)
    if paths.db.exists():
        _check_existing_or_allow_corrupt(paths.db)
        kept = backups.take(paths.db, paths.backups, "pre-restore") if _readable(paths.db) else None
    else:
        paths.backups.mkdir(parents=True, exist_ok=True)
        kept = None
    if kept is None and paths.db.exists():
        # The current file is unreadable: keep it byte for byte beside the backups.
        kept = paths.backups / f"damaged-{datetime.now():%Y%m%d-%H%M%S}.sqlite3"
        paths.db.replace(kept)
    for side in ("-wal", "-shm"):
        Path(str(paths.db) + side).unlink(missing_ok=True)
    backups.restore_into(source, paths.db)
    log.info("restored %s from %s (previous kept at %s)", paths.db, source, kept)
    return kept if kept is not None else source


def _readable(db_path: Path) -> bool:
    try:
        backups.check_file(db_path)
    except WorkspaceError:
        return False
    return True


def _check_existing_or_allow_corrupt(db_path: Path) -> None:
    try:
        _check_existing(db_path)
    except WorkspaceCorrupt:
        return  # restoring over a damaged database is exactly what restore is for


def _refuse_foreign_or_newer(source: Path) -> None:
    """Refuse a backup that is not a caseworker database or is newer than this program."""
    revision = revision_of_file(source)
    if revision is None:
        raise SchemaTooNew("这个文件不是工作台的备份（没有版本信息），未做任何改动。")
    if revision not in known_revisions():
        raise SchemaTooNew(f"备份的数据库版本（{revision}）比本程序新，无法恢复。未做任何改动。")
