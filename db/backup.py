"""Backups of the live database: SQLite online backup, gzip-streamed, retention by count and space.

A backup is taken with SQLite's online backup API into a temporary file beside the backups (a
consistent snapshot even with WAL and other writers), checked (`quick_check`), then streamed
through gzip (level 1: about 7× smaller, ~120 MB/s) into `<name>.sqlite3.gz.partial`, fsynced and
renamed; memory does not grow with the file. Before writing, the free space is checked: when the
backup would leave less than `MARGIN_BYTES` free, the oldest automatic backups are pruned first,
and if that is not enough the backup is refused with nothing written. Retention (`prune`) runs
after every backup. `unpack` turns a backup (compressed or the old plain `.sqlite3`) back into a
plain database file for restore, streamed and bounded by the free space.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import sqlite3
import time
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from caseworker.domain.errors import WorkspaceCorrupt, WorkspaceError, os_reason

SUFFIX = ".sqlite3.gz"
PLAIN_SUFFIX = ".sqlite3"
_NAME = re.compile(r"^caseworker-(\d{8}-\d{6})(?:-(\d+))?-([a-z-]+)\.sqlite3(?:\.gz)?$")
# Reasons whose copies are pruned to the most recent few; "manual" ones are never pruned.
# A pre-restore or pre-compact copy is the replaced database itself, moved aside uncompressed:
# keep only a few.
KEEP_RECENT = {"pre-migration": 10, "pre-import": 20, "pre-restore": 3, "pre-compact": 3}
DEFAULT_RETENTION = (14, 8)  # daily, weekly: the settings catalog's defaults
# Never leave less than this free on the disk that holds the backups.
MARGIN_BYTES = 512 * 1024 * 1024
# Below this much free space (after a backup) the person is warned.
LOW_BYTES = 2 * 1024 * 1024 * 1024
CHUNK = 1024 * 1024
LEVEL = 1
# A compressed backup is assumed to take up to this share of the database when checking space.
COMPRESSED_SHARE = 0.5
GZIP_MAGIC = b"\x1f\x8b"
# A temporary file of a backup untouched this long belongs to no running backup.
STALE_PARTIAL_S = 6 * 3600


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: datetime
    reason: str
    size: int


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


def free_bytes(folder: Path) -> int:
    """Free space on the disk holding `folder` (or its nearest existing parent)."""
    probe = Path(folder)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return  # Windows cannot open a directory for fsync; NTFS journals the rename
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
    """Raise WorkspaceCorrupt unless `path` is an intact SQLite database (quick_check)."""
    if not path.is_file():
        raise WorkspaceCorrupt(f"找不到文件：{path}")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = con.execute("PRAGMA quick_check").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError:
        raise WorkspaceCorrupt(f"{path.name} 不是有效的数据库文件或已损坏") from None
    if result != [("ok",)]:
        detail = "; ".join(str(r[0]) for r in result[:3])
        raise WorkspaceCorrupt(f"{path.name} 已损坏：{detail}")


def _compress(raw: Path, partial: Path) -> None:
    with open(raw, "rb") as src, open(partial, "wb") as out:
        with gzip.GzipFile(
            filename="caseworker.sqlite3", mode="wb", fileobj=out, compresslevel=LEVEL, mtime=0
        ) as gz:
            while chunk := src.read(CHUNK):
                gz.write(chunk)
        out.flush()
        os.fsync(out.fileno())


def space_needed(db_path: Path, *, compress: bool = True) -> int:
    """Bytes a backup of `db_path` may take while it is written (snapshot plus compressed copy)."""
    size = db_path.stat().st_size
    wal = Path(str(db_path) + "-wal")
    if wal.exists():
        size += wal.stat().st_size
    return size + (int(size * COMPRESSED_SHARE) if compress else 0)


def ensure_room(
    folder: Path, needed: int, *, prunable: Path | None = None, margin: int = MARGIN_BYTES
) -> None:
    """Make sure writing `needed` bytes into `folder` leaves `margin` free (the PC's disk keeps
    `MARGIN_BYTES`; a USB stick given as `--out` needs no margin): prune the oldest automatic
    backups in `prunable` first; refuse (nothing written) when that is not enough."""
    free = free_bytes(folder)
    if free - needed >= margin:
        return
    if prunable is not None:
        for b in reversed(list_backups(prunable)):  # oldest first
            if free - needed >= margin:
                break
            if b.reason == "manual":
                continue
            newest = list_backups(prunable)
            if newest and newest[0].path == b.path:
                break  # the newest backup is never given up for space
            b.path.unlink(missing_ok=True)
            free = free_bytes(folder)
    if free - needed < margin:
        raise WorkspaceError(
            f"磁盘空间不足，无法备份：需要约 {_mb(needed)}，可用 {_mb(free)}"
            f"（另须保留 {_mb(margin)} 余量）。请清理磁盘或把旧备份移到别处后再试。未做任何改动。"
        )


def space_warning(folder: Path, db_path: Path | None = None) -> str | None:
    """A warning when the disk holding the backups is low (the next backup may not fit)."""
    free = free_bytes(folder)
    low = LOW_BYTES
    if db_path is not None and db_path.exists():
        low = max(low, space_needed(db_path) + MARGIN_BYTES)
    if free >= low:
        return None
    return f"磁盘剩余空间不多（{_mb(free)}）：请清理磁盘或把旧备份移到别处，否则以后可能无法备份。"


def take(
    db_path: Path,
    backups_dir: Path,
    reason: str,
    now: datetime | None = None,
    *,
    retention: tuple[int, int] | None = DEFAULT_RETENTION,
    compress: bool = True,
    scratch_dir: Path | None = None,
) -> Path:
    """Write a verified backup of `db_path` into `backups_dir`, then apply retention; returns it.

    The uncompressed snapshot is written in `scratch_dir` (default: `backups_dir`; the workspace's
    own backups/ when the destination is a USB stick). With `retention` None (a copy somewhere
    else) nothing in `backups_dir` is ever pruned, for retention or for space."""
    if not re.fullmatch(r"[a-z-]+", reason):
        raise ValueError(f"bad backup reason {reason!r}")
    scratch = scratch_dir if scratch_dir is not None else backups_dir
    try:
        backups_dir.mkdir(parents=True, exist_ok=True)
        scratch.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"无法创建备份文件夹 {backups_dir}：{os_reason(exc)}") from None
    prunable = backups_dir if retention is not None else None
    needed = space_needed(db_path, compress=compress)
    if scratch == backups_dir:
        ensure_room(backups_dir, needed, prunable=prunable)
    else:
        snapshot = space_needed(db_path, compress=False)
        ensure_room(scratch, snapshot)
        ensure_room(
            backups_dir,
            needed - snapshot if compress else snapshot,
            prunable=prunable,
            margin=MARGIN_BYTES if prunable is not None else 0,  # a stick: only the file's room
        )
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    suffix = SUFFIX if compress else PLAIN_SUFFIX
    dest = backups_dir / f"caseworker-{stamp}-{reason}{suffix}"
    n = 1
    while dest.exists() or Path(str(dest)[: -len(suffix)] + PLAIN_SUFFIX).exists():
        dest = backups_dir / f"caseworker-{stamp}-{n}-{reason}{suffix}"
        n += 1
    raw = scratch / (dest.name + ".raw.partial")
    partial = Path(str(dest) + ".partial")
    try:
        _copy(db_path, raw)
        check_file(raw)
        if compress:
            _compress(raw, partial)
        else:
            with open(raw, "rb") as src, open(partial, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
        partial.replace(dest)
        _fsync_dir(backups_dir)
    except OSError as exc:
        raise WorkspaceError(f"备份没有写成：{os_reason(exc)}。未留下不完整的文件。") from None
    finally:
        raw.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
        Path(f"{raw}-journal").unlink(missing_ok=True)  # left by a copy cut off (full disk)
    if retention is not None:
        prune(backups_dir, *retention)
    return dest


def list_backups(backups_dir: Path) -> list[BackupInfo]:
    """Newest first (compressed and the older plain ones alike)."""
    found: list[tuple[int, BackupInfo]] = []
    if not backups_dir.is_dir():
        return []
    for path in backups_dir.iterdir():
        m = _NAME.match(path.name)
        if m:
            taken = datetime.strptime(m.group(1), "%Y%m%d-%H%M%S")
            try:
                size = path.stat().st_size
            except OSError:
                continue
            found.append((int(m.group(2) or 0), BackupInfo(path, taken, m.group(3), size)))
    # within one second, "-1-", "-2-"… were taken after the unnumbered one
    found.sort(key=lambda f: (f[1].taken_at, f[0]), reverse=True)
    return [b for _, b in found]


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
    # Half-written files of a backup whose process ended (the program closed mid-backup).
    cutoff = time.time() - STALE_PARTIAL_S
    for path in backups_dir.glob("caseworker-*.partial"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed.append(path)
        except OSError:
            continue
    return removed


def is_compressed(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def unpack(source: Path, dest: Path) -> None:
    """Write `source` (a gzip backup or a plain database file) to `dest` as a plain database file,
    streamed; refuse a damaged archive, or one that would fill the disk, leaving no `dest`."""
    from db.verify import header_problem

    if not source.is_file():
        raise WorkspaceError(f"找不到文件：{source}。未做任何改动。")
    try:
        compressed = is_compressed(source)
    except OSError as exc:
        raise WorkspaceError(f"无法读取 {source.name}：{os_reason(exc)}") from None
    try:
        if compressed:
            limit = free_bytes(dest.parent) - MARGIN_BYTES
            written = 0
            with gzip.open(source, "rb") as gz, open(dest, "wb") as out:
                while chunk := gz.read(CHUNK):
                    written += len(chunk)
                    if written > limit:
                        raise WorkspaceError(
                            f"磁盘空间不足，无法解压备份 {source.name}（已解出 {_mb(written)}，"
                            f"可用 {_mb(max(limit, 0))}）。未做任何改动。"
                        )
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            return
        bad = header_problem(source)
        if bad:
            raise WorkspaceCorrupt(f"{bad}。未做任何改动。")
        ensure_room(dest.parent, source.stat().st_size)
        _copy(source, dest)
    except (EOFError, gzip.BadGzipFile, zlib.error):
        dest.unlink(missing_ok=True)
        raise WorkspaceCorrupt(
            f"{source.name} 不完整或已损坏（压缩数据有误），可能复制时被中断。未做任何改动。"
        ) from None
    except sqlite3.DatabaseError:
        dest.unlink(missing_ok=True)
        raise WorkspaceCorrupt(
            f"{source.name} 不是有效的数据库文件或已损坏。未做任何改动。"
        ) from None
    except OSError as exc:
        dest.unlink(missing_ok=True)
        raise WorkspaceError(f"无法读取或写入备份：{os_reason(exc)}。未做任何改动。") from None
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
