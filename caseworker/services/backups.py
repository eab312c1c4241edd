"""备份与恢复 for a person: a manual backup and a restore, by those who hold the right.

A backup holds every record of the office, so taking one (or putting one back) is a reading
(or writing) of all personal data: it needs `BACKUP_RESTORE` and an account still current.
The automatic backups (daily, before an import or a migration) are the program's own and go
straight to `Workspace.backup`.
"""

from __future__ import annotations

from pathlib import Path

from caseworker.domain.errors import PermissionDenied
from caseworker.domain.roles import Actor, Permission
from caseworker.services.accounts import ensure_current
from caseworker.workspace import Workspace


def _require(ws: Workspace, actor: Actor) -> None:
    if not actor.can(Permission.BACKUP_RESTORE):
        raise PermissionDenied("只有系统管理员和科长可以备份或恢复数据")
    with ws.reader() as session:
        ensure_current(session, actor)


def take(ws: Workspace, actor: Actor, out: Path | None = None) -> Path:
    """A manual backup into backups/ or to `out`; returns its path."""
    _require(ws, actor)
    return ws.backup("manual", out=out)


def check_restore_right(ws: Workspace, actor: Actor) -> None:
    """Before the workspace is closed for a restore: the right is judged while it is open."""
    _require(ws, actor)
