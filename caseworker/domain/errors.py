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


def os_reason(exc: OSError) -> str:
    """What went wrong with a file, in words a caseworker reads (the system's are English)."""
    if isinstance(exc, FileNotFoundError):
        return "文件或文件夹不存在"
    if isinstance(exc, PermissionError):
        return "没有权限（文件可能只读或被其他程序占用）"
    if isinstance(exc, IsADirectoryError):
        return "这是一个文件夹，不是文件"
    if isinstance(exc, NotADirectoryError):
        return "路径中有一段是文件而不是文件夹"
    if isinstance(exc, FileExistsError):
        return "已有同名的文件，不是文件夹"
    if exc.errno == errno.ENOSPC:
        return "磁盘或 U 盘已满"
    if exc.errno == errno.EROFS:
        return "U 盘或磁盘是只读的"
    return f"读写出错（错误号 {exc.errno if exc.errno is not None else '未知'}）"
