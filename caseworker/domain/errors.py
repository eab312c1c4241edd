"""Typed errors with messages a caseworker can act on (Chinese: what happened, what to do next)."""

from __future__ import annotations


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
