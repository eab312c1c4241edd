"""Typed errors with messages a caseworker can act on (Chinese: what happened, what to do next)."""

from __future__ import annotations

import errno


class CaseworkerError(Exception):
    """Base of every error the application reports to a person. `str(e)` is the message."""


class ValidationError(CaseworkerError):
    """Input refused; `field` names the form field at fault when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PermissionDenied(CaseworkerError):
    pass


class AccountChanged(PermissionDenied):
    """The logged-in account was disabled, deleted, or given another role or community since
    the login: nothing more is written under it; the person must log in again."""


class NotFound(CaseworkerError):
    pass


class AuthenticationFailed(CaseworkerError):
    pass


class WorkspaceError(CaseworkerError):
    """The workspace cannot be opened or used as asked; nothing was changed."""


class WorkspaceLocked(WorkspaceError):
    pass


class WorkspaceCorrupt(WorkspaceError):
    pass


class SchemaTooNew(WorkspaceError):
    pass


# The kinds of OSError a person can act on, first match wins; then the errno of the others.
_OS_KINDS: tuple[tuple[type[OSError], str], ...] = (
    (FileNotFoundError, "文件或文件夹不存在"),
    (PermissionError, "没有权限（文件可能只读或被其他程序占用）"),
    (IsADirectoryError, "这是一个文件夹，不是文件"),
    (NotADirectoryError, "路径中有一段是文件而不是文件夹"),
    (FileExistsError, "已有同名的文件，不是文件夹"),
)
_OS_ERRNOS = {errno.ENOSPC: "磁盘或 U 盘已满", errno.EROFS: "U 盘或磁盘是只读的"}


def os_reason(exc: OSError) -> str:
    """What went wrong with a file, in words a caseworker reads (the system's are English)."""
    for kind, said in _OS_KINDS:
        if isinstance(exc, kind):
            return said
    if exc.errno in _OS_ERRNOS:
        return _OS_ERRNOS[exc.errno]
    return f"读写出错（错误号 {exc.errno if exc.errno is not None else '未知'}）"


# SQLite's messages a person can act on: any of the words (in the lower-cased message), first
# match wins, and what to say.
_SQLITE_REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("disk is full",), "磁盘已满，操作未完成，数据库未改动。请腾出空间后再试。"),
    (("disk i/o error",), "读写磁盘出错（磁盘已满、U 盘被拔出或已损坏），操作未完成。"),
    (
        ("readonly", "read-only"),
        "数据库或工作区文件夹是只读的，无法写入。操作未完成，数据库未改动。",
    ),
    (
        ("unable to open",),
        "无法打开数据库文件：文件夹不存在、是只读的或没有权限。未做任何改动。",
    ),
    (("locked", "busy"), "数据库正被另一个程序占用。请关闭其他打开它的程序后再试。"),
    (
        ("not a database", "malformed"),
        "数据库文件已损坏或不是工作台的数据库。未做任何改动；可以从备份恢复。",
    ),
    (
        ("no such table", "no such column"),
        "数据库缺少应有的表或列，不是完整的工作台数据库。请用“恢复备份”恢复。",
    ),
)


def sqlite_reason(message: str) -> str | None:
    """SQLite's failures a person can act on, in Chinese (None for the others): the message of
    a sqlite3 error, never its SQL or parameters."""
    text = message.lower()
    for words, said in _SQLITE_REASONS:
        if any(w in text for w in words):
            return said
    return None
