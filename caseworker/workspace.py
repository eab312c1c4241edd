"""A workspace is one folder: the SQLite database, backups/, exports/, logs/.

Opening one checks the file, creates or migrates the schema (backup first), and makes sure the
replica has a device id. Writing happens through `Workspace.writer(actor)`, which attaches the
journal context so that every change is journaled and commits or rolls back as one transaction.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError

from caseworker import lockfile, opening
from caseworker.domain.errors import (
    WorkspaceCorrupt,
    WorkspaceError,
    WorkspaceLocked,
    os_reason,
)
from caseworker.logs import attach_file_log, detach_file_log
from caseworker.sync import restored
from db import backup as backups
from db import verify
from db.engine import make_engine
from db.models import Office
from db.replica import Replica, ensure_device_id
from db.schema import HEAD, ensure_schema

DB_NAME = "caseworker.sqlite3"
ENV_VAR = "CASEWORKER_WORKSPACE"
# When the last full check passed, and whether one is owed (after an unclean shutdown).
CHECK_STATE = "check-state.json"
FULL_CHECK_EVERY = timedelta(days=7)
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

    # A print preview's file in exports/ (residents' data): deleted when its preview closes,
    # and any left by a crash is deleted at the next open (`remove_stale_previews`).
    PREVIEW_PREFIX = ".打印预览-"

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
        """Retrofit photos, content-addressed (db.photo_store)."""
        return self.root / "photos"


def _setup_logging(logs: Path) -> Path | None:
    # A read-only workspace has no file log rather than a crash (caseworker.logs).
    return attach_file_log(logs)


def _check_existing(db_path: Path) -> None:
    """Cheap checks at every open (milliseconds, whatever the size): the file is a SQLite
    database of full length, not locked, and (at this program's revision) has every table and
    column and no trigger or view. The full check runs in `check`, after an unclean shutdown and
    weekly (`Workspace.run_full_check`)."""
    bad = verify.header_problem(db_path)
    if bad:
        raise WorkspaceCorrupt(f"{bad}。未做任何改动；可以用“恢复备份”从 backups 文件夹恢复。")
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=2)
        try:
            has_version = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
            revision = (
                con.execute("SELECT version_num FROM alembic_version").fetchone()
                if has_version
                else None
            )
            problems = (
                verify.quick_shape_problems(con)
                if revision is not None and revision[0] == HEAD
                else []
            )
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
            f"无法读取数据库 {db_path}。未做任何改动；可以从 backups 文件夹恢复备份。"
        ) from None
    except sqlite3.DatabaseError:
        raise WorkspaceCorrupt(
            f"{db_path} 不是有效的数据库文件或已损坏。未做任何改动；"
            "可以用“恢复备份”从 backups 文件夹恢复。"
        ) from None
    if problems:
        raise WorkspaceCorrupt(
            f"数据库结构不完整或被改动过：{problems[0]}。未做任何改动；"
            "请用“恢复备份”从 backups 文件夹恢复。"
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
        self._lock: lockfile.Held | None = None
        self._log: Path | None = None  # this workspace's hold on its file log (caseworker.logs)
        # The last process that had this workspace open ended without closing it.
        self.unclean = False

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, root: Path | str | None = None) -> Workspace:
        paths = Paths(Path(root) if root is not None else default_root())
        try:
            for folder in (paths.root, paths.backups, paths.exports, paths.logs):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"无法创建工作区文件夹 {paths.root}：{os_reason(exc)}") from None
        # A failed open keeps its log attached: whoever reports the failure (the application's
        # "详情已写入日志", a command's message) writes the traceback there.
        attached = _setup_logging(paths.logs)
        held, stale = lockfile.acquire_user(paths.root)
        try:
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
            except DBAPIError as exc:
                engine.dispose()
                if "locked" in str(exc.orig) or "busy" in str(exc.orig):
                    raise WorkspaceLocked(
                        "数据库正被另一个程序写入。请关闭其他打开此工作区的工作台后再试。"
                    ) from None
                raise WorkspaceCorrupt(
                    f"数据库 {paths.db} 的结构不完整，无法打开。未做任何改动；"
                    "请用“恢复备份”从 backups 文件夹恢复。"
                ) from None
            except BaseException:
                engine.dispose()
                raise
        except BaseException:
            held.release()
            raise
        ws = cls(paths, engine, device_id, status)
        ws._lock = held
        ws._log = attached
        opening.run(engine)  # e.g. a dated visit interval whose day has come since the last open
        _remove_stale_previews(paths.exports)  # the lock is ours: no preview of ours is open
        if status == "created":
            ws._write_check_state(datetime.now(), None)
        elif stale:
            ws.unclean = True
            ws._write_check_state(ws._check_state()[0], "unclean")
            log.warning("the workspace was not closed cleanly last time: a full check is due")
        log.info("opened workspace %s (schema %s, device %s)", paths.root, status, device_id)
        return ws

    def close(self) -> None:
        super().close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        # Its log file too: a process that opens many workspaces (a restore's reopen, the
        # suite) keeps neither a handler nor an open file of one it closed.
        detach_file_log(self._log)
        self._log = None

    def relock(self) -> None:
        """Take the workspace lock (and its log file) again after `close()` (a refused restore
        changed nothing, and the same database is used on)."""
        if self._lock is None:
            self._lock, _stale = lockfile.acquire_user(self.paths.root)
        if self._log is None:
            self._log = _setup_logging(self.paths.logs)

    def is_initialised(self) -> bool:
        with self.reader() as s:
            return (
                s.scalar(select(Office.id).where(Office.deleted_at.is_(None)).limit(1)) is not None
            )

    # -- backups -------------------------------------------------------------------------------
    def retention(self) -> tuple[int, int]:
        """(daily, weekly) copies to keep, from the settings (the catalog's defaults if unread).

        The settings are read through the services' reader (`opening.read_settings_with`): the
        workspace sits below the services, which sync and the services both build on."""
        read = opening.setting_reader()  # outside the try: a missing reader is a bug, not a default
        try:
            with self.reader() as s:
                return (
                    int(read(s, "backup.keep_daily")),
                    int(read(s, "backup.keep_weekly")),
                )
        except Exception:  # a settings table that cannot be read must not stop a backup
            log.warning("backup retention unreadable; using the defaults")
            return backups.DEFAULT_RETENTION

    def backup(self, reason: str = "manual", out: Path | None = None) -> Path:
        """A compressed backup into backups/ (then retention), or to `out` (a name ending in
        .sqlite3 gets a plain database file; any other name a gzip-compressed one)."""
        if out is not None:
            out = Path(out)
            if out.exists():
                raise WorkspaceError(f"{out} 已存在，不会覆盖。请换一个文件名。")
            if not out.parent.is_dir():
                raise WorkspaceError(f"文件夹 {out.parent} 不存在。请换一个位置。")
            compress = out.suffix.lower() not in (".sqlite3", ".sqlite", ".db")
            tmp = backups.take(
                self.paths.db,
                out.parent,
                reason,
                retention=None,
                compress=compress,
                scratch_dir=self.paths.backups,
            )
            try:
                tmp.replace(out)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise WorkspaceError(f"无法写入 {out}：{os_reason(exc)}") from None
            return out
        return backups.take(self.paths.db, self.paths.backups, reason, retention=self.retention())

    def last_backup(self) -> backups.BackupInfo | None:
        found = backups.list_backups(self.paths.backups)
        return found[0] if found else None

    def auto_backup_if_due(self, keep_daily: int, keep_weekly: int) -> Path | None:
        """The daily backup (the GUI runs it on a thread of its own after each login) when the
        newest is older than a day; then retention."""
        last = self.last_backup()
        taken = None
        if last is None or datetime.now() - last.taken_at > timedelta(days=1):
            taken = backups.take(
                self.paths.db, self.paths.backups, "daily", retention=(keep_daily, keep_weekly)
            )
        else:
            backups.prune(self.paths.backups, keep_daily, keep_weekly)
        return taken

    def space_warning(self) -> str | None:
        """A Chinese warning when the disk holding the backups runs low, else None."""
        return backups.space_warning(self.paths.backups, self.paths.db)

    # -- checks --------------------------------------------------------------------------------
    def _check_state(self) -> tuple[datetime | None, str | None]:
        try:
            data = json.loads((self.paths.root / CHECK_STATE).read_text(encoding="utf-8"))
            last = (
                datetime.fromisoformat(data["last_full_check"])
                if data.get("last_full_check")
                else None
            )
            return last, data.get("pending")
        except (OSError, ValueError, TypeError, KeyError):
            return None, None

    def _write_check_state(self, last: datetime | None, pending: str | None) -> None:
        path = self.paths.root / CHECK_STATE
        tmp = path.with_suffix(".partial")
        try:
            tmp.write_text(
                json.dumps(
                    {"last_full_check": last.isoformat() if last else None, "pending": pending}
                ),
                encoding="utf-8",
            )
            tmp.replace(path)
        except OSError:
            log.warning("could not record the check state in %s", path)

    def full_check_due(self, now: datetime | None = None) -> str | None:
        """ "unclean" after an unclean shutdown, "weekly" when the last full check is a week old,
        else None."""
        last, pending = self._check_state()
        if pending or self.unclean:
            return "unclean"
        if last is None or (now or datetime.now()) - last >= FULL_CHECK_EVERY:
            return "weekly"
        return None

    def run_full_check(self) -> list[str]:
        """The full check (structure, integrity, foreign keys, journal) on its own read-only
        connection, safe on any thread; records the result. Empty when all is well."""
        problems = verify.verify(self.paths.db)
        if problems:
            log.error("full check found %d problem(s)", len(problems))
            self._write_check_state(self._check_state()[0], "failed")
        else:
            self.unclean = False
            self._write_check_state(datetime.now(), None)
        return problems

    def mark_checked(self) -> list[str]:
        """Record a full check that passed just now (run by the caller before opening)."""
        self.unclean = False
        self._write_check_state(datetime.now(), None)
        return []

    def integrity_problems(self) -> list[str]:
        """The full check; empty when all is well."""
        return self.run_full_check()


def restore(root: Path, source: Path) -> Path:
    """Replace the workspace's database with backup `source`; returns the pre-restore copy.

    Refused while any process has the workspace open (its lock). The backup (gzip or a plain
    database file) is unpacked to a temporary file beside the database and fully verified
    (`db.verify`: structure of its revision, integrity, keys, journal) before anything changes;
    then the current database is backed up, and the verified file is renamed into place.
    """
    paths = Paths(Path(root))
    source = Path(source)
    if not source.is_file():
        raise WorkspaceError(f"找不到备份文件：{source}")
    try:
        paths.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"无法创建工作区文件夹 {paths.root}：{os_reason(exc)}") from None
    held = lockfile.acquire_exclusive(paths.root)
    staged = paths.root / (DB_NAME + ".restore.partial")
    try:
        staged.unlink(missing_ok=True)
        backups.unpack(source, staged)
        problems = verify.verify(staged)
        if problems:
            more = f"（另有 {len(problems) - 1} 个问题）" if len(problems) > 1 else ""
            raise WorkspaceCorrupt(
                f"备份 {source.name} 未通过检查：{problems[0].replace(staged.name, source.name)}"
                f"{more}。未做任何改动。"
            )
        # A restored database is a new writer that owes the district a round trip, and the
        # numbers the replaced one issued stay issued (caseworker/sync/restored.py).
        restored.mark(staged, paths.db if paths.db.exists() else None, source.name)
        kept = swap_in(paths, staged, "pre-restore", "恢复没有完成")
        # only the pre-step copies are pruned here (the kept file counts among them)
        backups.prune(paths.backups, keep_daily=10**6, keep_weekly=10**6)
    finally:
        staged.unlink(missing_ok=True)
        held.release()
    state = {"last_full_check": datetime.now().isoformat(), "pending": None}
    with contextlib.suppress(OSError):
        (paths.root / CHECK_STATE).write_text(json.dumps(state), encoding="utf-8")
    # Into the workspace's own log, held for this line: the application closed the workspace,
    # and let its log go, before restoring (a folder without logs/ gets none made here).
    attached = _setup_logging(paths.logs) if paths.logs.is_dir() else None
    log.info("restored %s from %s (previous kept at %s)", paths.db, source, kept)
    detach_file_log(attached)
    return kept if kept is not None else source


def swap_in(paths: Paths, staged: Path, reason: str, failed: str) -> Path | None:
    """Put the verified file `staged` in place of the workspace's database (the caller holds
    the exclusive lock); returns where the replaced database was kept (`keep_current`). The old
    `-wal`/`-shm` go first, so no stale WAL is replayed onto it; if the rename fails the kept
    database goes back and `failed` starts the message."""
    kept = keep_current(paths, reason)
    for side in ("-wal", "-shm"):
        Path(str(paths.db) + side).unlink(missing_ok=True)
    try:
        staged.replace(paths.db)
    except OSError as exc:
        if kept is not None and not paths.db.exists():
            kept.replace(paths.db)  # put the database back where it was
        raise WorkspaceError(f"{failed}：{os_reason(exc)}。数据库未改动。") from None
    backups._fsync_dir(paths.root)
    return kept


def keep_current(paths: Paths, reason: str) -> Path | None:
    """Keep the database about to be replaced, by renaming it into backups/ (instant, and no
    extra disk: nobody has it open, the caller holds the exclusive lock). Its WAL is merged
    first so the kept file stands alone; a file that cannot be read is kept byte for byte."""
    paths.backups.mkdir(parents=True, exist_ok=True)
    if not paths.db.exists():
        return None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = paths.backups / f"caseworker-{stamp}-{reason}{backups.PLAIN_SUFFIX}"
    n = 1
    while kept.exists() or kept.with_name(kept.name + ".gz").exists():
        kept = paths.backups / f"caseworker-{stamp}-{n}-{reason}{backups.PLAIN_SUFFIX}"
        n += 1
    if verify.header_problem(paths.db) is None:
        try:
            con = sqlite3.connect(paths.db, isolation_level=None)
            try:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                con.execute("PRAGMA journal_mode=DELETE")
            finally:
                con.close()
        except sqlite3.DatabaseError:
            kept = paths.backups / f"damaged-{stamp}.sqlite3"
    else:
        kept = paths.backups / f"damaged-{stamp}.sqlite3"
    paths.db.replace(kept)
    return kept


def _remove_stale_previews(folder: Path) -> None:
    """Print previews a crash left in exports/ hold residents' data: never leave them about."""
    for leftover in folder.glob(f"{Paths.PREVIEW_PREFIX}*.pdf"):
        try:
            leftover.unlink()
        except OSError as exc:  # a preview still open in a PDF viewer (Windows): next time
            log.warning("could not delete the old print preview %s: %s", leftover.name, exc)
