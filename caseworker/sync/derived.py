"""Local derived columns that a merge must bring up to date (they are not journaled, so they do
not travel). The sync layer knows no programme: each programme registers an after-merge hook
here (today elderly's visit schedule, `caseworker/services/elderly/after_merge.py`), and every
import collects what its frames touched and lets each hook recompute once at its end.

`caseworker.services` registers the programmes' hooks when it is imported, which every path
that imports a bundle does; a `Pending` made with none registered is a programming error and
raises, so a hook can never be skipped silently."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from sqlalchemy import Connection


class AfterMerge(Protocol):
    """One programme's derived columns: told which records an import touched, by table
    ({"elderly_visit": {id, ...}}), then asked once to bring them up to date."""

    def add_records(self, conn: Connection, touched: dict[str, set[str]]) -> None: ...

    def flush(self, conn: Connection) -> int: ...


_HOOKS: list[Callable[[], AfterMerge]] = []


def register(factory: Callable[[], AfterMerge]) -> None:
    """Add a programme's hook (a class or factory; registering twice is harmless)."""
    if factory not in _HOOKS:
        _HOOKS.append(factory)


def refresh_records(conn: Connection, touched: dict[str, set[str]]) -> int:
    """Bring the derived columns of these records up to date now (a conflict resolved)."""
    pending = Pending()
    pending.add_records(conn, touched)
    return pending.flush(conn)


class Pending:
    """What one import touched, for every registered hook."""

    def __init__(self) -> None:
        if not _HOOKS:
            raise RuntimeError(
                "no after-merge hook is registered: import caseworker.services before a merge"
            )
        self.hooks = [factory() for factory in _HOOKS]

    def add(self, conn: Connection, changes: Iterable[object]) -> None:
        touched: dict[str, set[str]] = {}
        for c in changes:
            touched.setdefault(c.table_name, set()).add(c.record_id)  # type: ignore[attr-defined]
        self.add_records(conn, touched)

    def add_records(self, conn: Connection, touched: dict[str, set[str]]) -> None:
        for hook in self.hooks:
            hook.add_records(conn, touched)

    def flush(self, conn: Connection) -> int:
        """Recompute in the caller's transaction; returns how many derived values changed."""
        return sum(hook.flush(conn) for hook in self.hooks)
