"""Backups of the live database through SQLite's online backup API, retention, and restore.

Never a file copy of a live database: the backup API copies a consistent snapshot even with WAL
and other readers. Restore checks the file first and keeps a copy of the database it replaces.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from caseworker.domain.errors import WorkspaceCorrupt, WorkspaceError

SUFFIX = ".sqlite3"
_NAME = re.compile(r"^caseworker-(\d{8}-\d{6})(?:-\d+)?-([a-z-]+)\.sqlite3$")
# Reasons whose copies are pruned to the most recent few; "manual" ones are never pruned.
KEEP_RECENT = {"pre-migration": 10, "pre-import": 20, "pre-restore": 10}


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: datetime
    reason: str
    size: int


def _copy(src_path: Path, dest_path: Path) -> None:
    src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True)
    dst = sqlite3.connect(dest_path)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
    finally:
        dst.close()
        src.close()


def check_file(path: Path) -> None:
    """Raise WorkspaceCorrupt unless `path` is an intact SQLite database."""
    if not path.is_file():
        raise WorkspaceCorrupt(f"找不到文件：{path}")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = con.execute("PRAGMA quick_check").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise WorkspaceCorrupt(f"{path.name} 不是有效的数据库文件（{exc}）") from None
    if result != [("ok",)]:
        detail = "; ".join(str(r[0]) for r in result[:3])
        raise WorkspaceCorrupt(f"{path.name} 已损坏：{detail}")


def take(db_path: Path, backups_dir: Path, reason: str, now: datetime | None = None) -> Path:
    """Write a verified backup of `db_path` into `backups_dir`; returns its path."""
    if not re.fullmatch(r"[a-z-]+", reason):
        raise ValueError(f"bad backup reason {reason!r}")
    backups_dir.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    dest = backups_dir / f"caseworker-{stamp}-{reason}{SUFFIX}"
    n = 1
    while dest.exists():
        dest = backups_dir / f"caseworker-{stamp}-{n}-{reason}{SUFFIX}"
        n += 1
    partial = dest.with_suffix(".partial")
    try:
        _copy(db_path, partial)
        check_file(partial)
        partial.replace(dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        Path(f"{partial}-journal").unlink(missing_ok=True)  # left by a copy cut off (full disk)
        raise
    return dest


def list_backups(backups_dir: Path) -> list[BackupInfo]:
    """Newest first."""
    found: list[BackupInfo] = []
    if not backups_dir.is_dir():
        return found
    for path in backups_dir.iterdir():
        m = _NAME.match(path.name)
        if m:
            taken = datetime.strptime(m.group(1), "%Y%m%d-%H%M%S")
            found.append(BackupInfo(path, taken, m.group(2), path.stat().st_size))
    found.sort(key=lambda b: (b.taken_at, b.path.name), reverse=True)
    return found


def prune(backups_dir: Path, keep_daily: int, keep_weekly: int) -> list[Path]:
    """Apply retention; returns the removed files.

    Daily copies: the newest per day for the last `keep_daily` days that have one, plus the newest
    per ISO week for `keep_weekly` further weeks. Pre-step copies: the most recent few per reason.
    Manual copies are kept until someone deletes them.
    """
    keep: set[Path] = set()
    days: dict[str, Path] = {}
    weeks: dict[tuple[int, int], Path] = {}
    counts: dict[str, int] = {}
    backups = list_backups(backups_dir)
    for b in backups:  # newest first, so the first seen per bucket is the newest
        if b.reason == "daily":
            day = b.taken_at.strftime("%Y-%m-%d")
            if day not in days and len(days) < keep_daily:
                days[day] = b.path
                keep.add(b.path)
                continue
            week = b.taken_at.isocalendar()[:2]
            if week not in weeks and len(weeks) < keep_weekly and day not in days:
                weeks[week] = b.path
                keep.add(b.path)
        elif b.reason in KEEP_RECENT:
            counts[b.reason] = counts.get(b.reason, 0) + 1
            if counts[b.reason] <= KEEP_RECENT[b.reason]:
                keep.add(b.path)
        else:
            keep.add(b.path)
    removed = [b.path for b in backups if b.path not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def restore_into(source: Path, db_path: Path) -> None:
    """Overwrite the database at `db_path` with `source` through the backup API.

    The caller has checked `source` and taken a pre-restore backup, and holds no open connection.
    """
    check_file(source)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(db_path)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise WorkspaceError(f"恢复失败：{exc}") from None
    finally:
        dst.close()
        src.close()
