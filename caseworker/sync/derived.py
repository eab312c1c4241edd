"""Local derived columns that a merge must bring up to date (they are not journaled, so they do
not travel). The sync layer knows no programme: each programme registers an after-merge hook
here (today elderly's visit schedule, `caseworker/services/elderly/after_merge.py`), and every
import collects what its frames touched and lets each hook recompute once at its end.

`caseworker.services` registers the programmes' hooks when it is imported, which every path
that imports a bundle does; a `Pending` made with none registered is a programming error and
raises, so a hook can never be skipped silently."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from sqlalchemy import Connection


class AfterMerge(Protocol):
    """One programme's derived columns: told which records an import touched, by table
    ({"elderly_visit": {id, ...}}), then asked once to bring them up to date."""

    def add_records(self, conn: Connection, touched: dict[str, set[str]]) -> None: ...

    def flush(self, conn: Connection) -> int: ...


_HOOKS: list[Callable[[], AfterMerge]] = []

# table -> what a merge writes of a derived column with the row itself: (fields whose change
# re-derives it, function of the row's values giving its value). A first bundle inserts
# hundreds of thousands of visits; deriving their effective date in the insert instead of an
# UPDATE of every one at the end halved that step's cost (issue 23). The after-merge hook
# stays the authority (an amendment still moves the value there).
Prefill = tuple[frozenset[str], str, Callable[[dict[str, Any]], Any]]
_PREFILL: dict[str, list[Prefill]] = {}


def register(factory: Callable[[], AfterMerge]) -> None:
    """Add a programme's hook (a class or factory; registering twice is harmless)."""
    if factory not in _HOOKS:
        _HOOKS.append(factory)


def register_prefill(
    table: str, sources: Iterable[str], column: str, value: Callable[[dict[str, Any]], Any]
) -> None:
    """Let a merge write `column` of `table` with the row: on every inserted row, and on every
    update that sets one of `sources` (registering twice is harmless)."""
    entry = (frozenset(sources), column, value)
    if entry not in _PREFILL.setdefault(table, []):
        _PREFILL[table].append(entry)


def prefill(
    inserts: dict[str, list[dict[str, Any]]],
    updates: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]],
) -> dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]]:
    """Fill the registered derived columns of a merge's rows before they are written: inserted
    rows in place; returns the updates with the column added where a source field changes."""
    if not _PREFILL:
        return updates
    for tname, rows in inserts.items():
        for _sources, column, value in _PREFILL.get(tname, ()):
            for row in rows:
                row[column] = value(row)
    out: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
    for (tname, names), rows in updates.items():
        added = [
            (column, value)
            for sources, column, value in _PREFILL.get(tname, ())
            if sources & set(names) and column not in names
        ]
        if added:
            names = tuple(sorted({*names, *(c for c, _v in added)}))
            for row in rows:
                for column, value in added:
                    row[column] = value(row)
        out.setdefault((tname, names), []).extend(rows)
    return out


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
