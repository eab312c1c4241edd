"""Compacting a workspace's database: pack the journal values written before migration 0013 and
rebuild the file without its free pages. Only a verified copy ever replaces the database.

An office upgraded from an older version keeps its old journal rows as plain JSON (they read as
they are, see `db/journal_packing.py`); only new rows are packed, and SQLite never gives freed
pages back to the disk by itself. `caseworker compact` does both for such a file, on a copy:

1. an exclusive lock on the workspace (refused while the application or a command has it open);
2. room for two copies checked first (the copy and SQLite's own rebuild of it);
3. the database copied with SQLite's online backup, the copy's journal values packed in pages of
   `PAGE` rows (bounded statements), then `VACUUM`;
4. the copy verified like a restore (`db.verify`) and its row counts compared table by table with
   the original's; any difference refuses with nothing changed;
5. the original kept in `backups/` (renamed, no extra disk) and the copy renamed into place.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from caseworker import lockfile
from caseworker.domain.errors import WorkspaceCorrupt, WorkspaceError, os_reason
from caseworker.outfile import check_room, database_size
from caseworker.workspace import DB_NAME, Paths, swap_in
from db import backup as backups
from db import search_index, verify
from db.journal_packing import pack
from db.schema import HEAD, revision_of_file

log = logging.getLogger("caseworker")
PAGE = 20_000  # journal rows per transaction while packing


@dataclass(frozen=True)
class Compacted:
    before_bytes: int
    after_bytes: int
    packed_rows: int
    seconds: float
    kept: Path  # the original database, in backups/


def _pack_stored(value: object) -> object:
    """SQL function: a plain JSON text packed; a packed value or NULL as it is."""
    return pack(value) if isinstance(value, str) else value


def _counts_of(path: Path) -> dict[str, int]:
    """Rows of every table of the database file at `path`, read only."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        return _counts(con)


def _counts(con: sqlite3.Connection) -> dict[str, int]:
    names = [
        r[0]
        for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    # the search index is derived and rebuilt after the VACUUM: its tables are not records
    names = [n for n in names if not search_index.is_index_table(n)]
    return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def compact(root: Path, progress: Callable[[str], None] | None = None) -> Compacted:
    """Compact the workspace's database at `root` (see the module's steps)."""
    say = progress or (lambda _text: None)
    paths = Paths(Path(root))
    if not paths.db.is_file():
        raise WorkspaceError(f"工作区 {paths.root} 里没有数据库，无需整理。")
    held = lockfile.acquire_exclusive(paths.root)
    staged = paths.root / (DB_NAME + ".compact.partial")
    started = time.monotonic()
    try:
        problem = verify.header_problem(paths.db)
        if problem:
            raise WorkspaceCorrupt(f"{problem}。未做任何改动。")
        if revision_of_file(paths.db) != HEAD:
            raise WorkspaceError(
                "数据库还不是本程序的版本：请先用本程序打开一次工作区（自动升级），再整理。未做任何改动。"
            )
        before = database_size(paths.db)
        check_room(paths.root, 2 * before, "整理数据库")
        staged.unlink(missing_ok=True)
        say("正在复制数据库…")
        backups._copy(paths.db, staged)
        con = sqlite3.connect(staged, isolation_level=None)
        try:
            con.create_function("cw_pack", 1, _pack_stored, deterministic=True)
            top = con.execute("SELECT coalesce(max(seq), 0) FROM journal").fetchone()[0]
            packed = 0
            for low in range(0, top, PAGE):
                con.execute("BEGIN")
                packed += con.execute(
                    "UPDATE journal SET new_value = cw_pack(new_value), "
                    "old_value = cw_pack(old_value) WHERE seq > ? AND seq <= ? "
                    "AND (typeof(new_value) = 'text' OR typeof(old_value) = 'text')",
                    (low, low + PAGE),
                ).rowcount
                con.execute("COMMIT")
                say(f"正在压缩操作日志：{min(low + PAGE, top)}/{top}")
            say("正在重建数据库文件…")
            con.execute("VACUUM")
            # VACUUM may renumber rowids, which the search index joins on (db/search_index.py)
            say("正在重建搜索索引…")
            con.execute("BEGIN")
            search_index.rebuild(con)
            con.execute("COMMIT")
        finally:
            con.close()
        say("正在检查整理后的数据库…")
        problems = verify.verify(staged)
        if problems:
            raise WorkspaceCorrupt(f"整理后的数据库未通过检查：{problems[0]}。未做任何改动。")
        if _counts_of(paths.db) != _counts_of(staged):
            raise WorkspaceCorrupt("整理后的数据库记录数与原来不同。未做任何改动。")
        after = staged.stat().st_size
        kept = swap_in(paths, staged, "pre-compact", "整理没有完成")
    except OSError as exc:
        raise WorkspaceError(f"整理没有完成：{os_reason(exc)}。数据库未改动。") from None
    finally:
        staged.unlink(missing_ok=True)
        Path(f"{staged}-journal").unlink(missing_ok=True)
        held.release()
    assert kept is not None  # the database existed
    seconds = time.monotonic() - started
    log.info("compacted %s: %d -> %d bytes, %d rows packed", paths.db, before, after, packed)
    return Compacted(before, after, packed, seconds, kept)
