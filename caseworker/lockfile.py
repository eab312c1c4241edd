"""Who has a workspace open: one small lock file per open workspace, held with an OS file lock.

Every `Workspace.open` takes a *user* lock: `locks/open-<pid>-<random>.lock`, OS-locked (flock on
POSIX, a byte-range lock on Windows) for as long as the workspace is open and removed at a clean
close. The operating system drops the lock when the process ends however it ends, so a lock file
whose lock can be taken belongs to a process that is gone (killed, crashed, power cut): it is
stale, is taken over (removed), and tells the next opener the last session did not close cleanly.

`restore` takes the *exclusive* lock `locks/restore.lock`, then refuses while any user lock is
held by a live process; an opener that finds the exclusive lock held refuses too. Each side takes
its own lock before looking for the other's, so one of two racing processes always sees the other.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from caseworker.domain.errors import WorkspaceError, WorkspaceLocked, os_reason

LOCKS = "locks"
EXCLUSIVE = "restore.lock"
_WIN_OFFSET = 1 << 30  # Windows locks a byte far past the text, which stays readable


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # (the checker reads msvcrt's names on this test only)
        import msvcrt

        os.lseek(fd, _WIN_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # (the checker reads msvcrt's names on this test only)
        import msvcrt

        os.lseek(fd, _WIN_OFFSET, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def _describe(path: Path) -> str:
    try:
        first = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return f"（进程 {first[0]}）" if first and first[0].isdigit() else ""


@dataclass
class Held:
    """A lock this process holds; `release()` unlocks and removes it (idempotent)."""

    path: Path
    fd: int | None
    remove: bool = True

    def release(self) -> None:
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        if self.remove:
            # Windows refuses while the handle is open: removed again below, after closing.
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)
        try:
            _unlock(fd)
        finally:
            os.close(fd)
        if self.remove and self.path.exists():
            self.path.unlink(missing_ok=True)


def _read_only(root: Path) -> bool:
    folder = Path(root) / LOCKS
    target = folder if folder.is_dir() else Path(root)
    return target.is_dir() and not os.access(target, os.W_OK)


def _folder(root: Path) -> Path:
    folder = Path(root) / LOCKS
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"无法创建 {folder}：{os_reason(exc)}") from None
    return folder


def _is_live(path: Path) -> bool:
    """True when another open handle (a live process, or this one) holds the lock on `path`;
    a stale file (its process gone) is removed."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # Windows: a live holder's file cannot be opened for writing
    try:
        if not _try_lock(fd):
            return True
        _unlock(fd)
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
    return False


def _exclusive_held(folder: Path) -> bool:
    path = folder / EXCLUSIVE
    if not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        if not _try_lock(fd):
            return True
        _unlock(fd)
        return False
    finally:
        os.close(fd)


def acquire_user(root: Path) -> tuple[Held, bool]:
    """Take a user lock on the workspace at `root`; returns it and whether a stale user lock was
    found (a process that had the workspace open ended without closing it).

    A workspace this process may not write (a read-only folder or medium) gets no lock: it can
    still be read and checked, every write is refused anyway, and a restore into it cannot be
    started from here either."""
    if _read_only(root):
        return Held(Path(root) / LOCKS / "read-only", None), False
    folder = _folder(root)
    text = f"{os.getpid()}\n{socket.gethostname()}\n{Path(sys.argv[0]).name if sys.argv else ''}\n"
    for _attempt in range(20):
        path = folder / f"open-{os.getpid()}-{secrets.token_hex(4)}.lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        except OSError as exc:
            raise WorkspaceError(f"无法在 {folder} 建立锁文件：{os_reason(exc)}") from None
        if not _try_lock(fd):  # someone scanning took it for stale in between
            os.close(fd)
            continue
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except OSError:
            same = False
        if not same:  # removed by a scan before we locked it
            _unlock(fd)
            os.close(fd)
            continue
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, text.encode("utf-8"))
        break
    else:
        raise WorkspaceLocked(f"无法在 {folder} 建立锁文件，请稍后再试。")
    held = Held(path, fd)
    if _exclusive_held(folder):
        held.release()
        raise WorkspaceLocked("正在从备份恢复这个工作区，请等恢复完成后再打开。")
    stale = False
    for other in folder.glob("open-*.lock"):
        if other != path and not _is_live(other):
            stale = True
    return held, stale


def acquire_exclusive(root: Path) -> Held:
    """Take the exclusive lock (for restore): refused while anyone has the workspace open."""
    folder = _folder(root)
    path = folder / EXCLUSIVE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WorkspaceError(f"无法在 {folder} 建立锁文件：{os_reason(exc)}") from None
    if not _try_lock(fd):
        os.close(fd)
        raise WorkspaceLocked("另一个恢复操作正在进行，请稍后再试。")
    held = Held(path, fd, remove=False)
    for other in folder.glob("open-*.lock"):
        if _is_live(other):
            who = _describe(other)
            held.release()
            raise WorkspaceLocked(
                f"工作台或另一个命令正在使用这个工作区{who}：请先关闭它（退出工作台）再恢复。"
                "未做任何改动。"
            )
    return held
