"""Files written for people (PDF forms, Excel lists, backups, enrollment files): the target is
checked before any work is done, written under a temporary name, flushed and renamed; a failure
(no such folder, read-only, disk or stick full) leaves nothing behind and says why in Chinese.

A half-written `forms.pdf.part` on a USB stick would carry residents' data nobody meant to
hand over, so the temporary file is removed on every failure, including full disks.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from caseworker.domain.errors import ValidationError, os_reason

PART = ".part"


def part_of(path: Path) -> Path:
    """The temporary name `path` is written under before it is renamed."""
    return path.with_name(path.name + PART)


def check_out(out: Path | str, suffixes: tuple[str, ...] = (), *, overwrite: bool = True) -> Path:
    """Refuse, before any work, an output path that cannot be written: a wrong suffix, a folder
    that does not exist (never created silently), a read-only folder, an existing folder."""
    path = Path(out)
    if suffixes and path.suffix.lower() not in suffixes:
        raise ValidationError(f"输出文件应以 {' 或 '.join(suffixes)} 结尾：{path}")
    if path.is_dir():
        raise ValidationError(f"{path} 是一个文件夹，请给出文件名")
    if not overwrite and path.exists():
        raise ValidationError(f"{path} 已存在，不会覆盖。请换一个文件名。")
    parent = path.parent
    if not parent.exists():
        raise ValidationError(f"文件夹不存在：{parent}。请先建好文件夹或换一个位置。")
    if not parent.is_dir():
        raise ValidationError(f"{parent} 不是文件夹，无法在其中写入文件")
    try:
        fd, probe = tempfile.mkstemp(prefix=".caseworker-", suffix=".probe", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValidationError(
            f"无法在 {parent} 中写入文件：{os_reason(exc)}。未写出任何文件。"
        ) from None
    return path


def _write_failed(path: Path, exc: OSError) -> ValidationError:
    return ValidationError(f"无法写入 {path}：{os_reason(exc)}。未写出任何文件。")


@contextlib.contextmanager
def writing(out: Path | str) -> Iterator[Path]:
    """`with writing(path) as tmp:` write `tmp`; on success it is flushed to disk and renamed
    to `path`; on any failure it is removed (an OSError becomes a Chinese ValidationError)."""
    path = Path(out)
    tmp = part_of(path)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDWR | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise _write_failed(path, exc) from None
    except BaseException:
        _remove(tmp)
        raise


def write_bytes(
    out: Path | str, data: bytes, *, before_rename: Callable[[], None] | None = None
) -> Path:
    """Write `data` to `out` through a temporary file (see `writing`). `before_rename` runs
    once the file is whole, just before it takes its name (record what was printed there: if it
    raises, no file appears), as caseworker.printing.in_parts.write does for a batch."""
    path = Path(out)
    with writing(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
        if before_rename is not None:
            before_rename()
    return path


def _remove(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


ROOM_MARGIN = 1_000_000  # bytes beyond the estimate: SQLite's journal, the file system's own


def database_size(db_path: Path) -> int:
    """Bytes a backup of `db_path` may take: the file and its write-ahead log."""
    total = 0
    for p in (db_path, Path(f"{db_path}-wal")):
        with contextlib.suppress(OSError):
            total += p.stat().st_size
    return total


def check_room(folder: Path, needed: int, what: str) -> None:
    """Refuse, before anything changes, when `folder`'s disk has less than `needed` bytes free
    (plus a margin): a backup that fails half-way is worse than a clear refusal first."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return  # the folder is created later; the backup itself still fails cleanly
    if free < needed + ROOM_MARGIN:
        raise ValidationError(
            f"{folder} 所在的磁盘空间不足：{what}约需 {_mb(needed + ROOM_MARGIN)}，"
            f"只剩 {_mb(free)}。未做任何改动；请腾出空间后再试。"
        )


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"
