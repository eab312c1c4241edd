"""Bulk demo records: copies of records the services made, written by `db.journal.insert_many`.

A district-sized demo needs thousands of retrofit cases and children; making each through the
services costs tens of milliseconds of ORM work. The fillers make the first few (every step,
every scenario) through the services, as staff would, then copy those trees of records (a child
with its guardians, conditions, case, plan and visits; a retrofit case with its timeline and
items) with fresh ids and a new person. A copy is therefore a state the services produced:
valid steps, dates in order, catalogue items and prices, categories derived by the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from db.base import Journaled
from db.ids import new_ids
from db.journal import insert_many

Record = dict[str, Any]
Tree = list[tuple[type[Journaled], Record]]  # parents before children (foreign-key order)

# Filled in again by insert_many, as at a flush.
_STAMPS = frozenset({"created_at", "updated_at"})


class IdPool:
    """Fresh UUID v7 ids drawn a batch at a time (`db.ids.new_ids`), in ascending order."""

    def __init__(self, batch: int = 4096) -> None:
        self._batch = batch
        self._ids: list[str] = []

    def __call__(self) -> str:
        if not self._ids:
            self._ids = new_ids(self._batch)[::-1]
        return self._ids.pop()


def record_of(obj: Journaled) -> Record:
    """Every mapped attribute of a loaded record, by attribute name (what insert_many takes)."""
    return {a.key: getattr(obj, a.key) for a in inspect(type(obj)).column_attrs}


def load(session: Session, model: type[Journaled], *where: Any) -> list[Record]:
    """The records of `model` matching `where` (a template's few rows), in id order."""
    rows = session.scalars(select(model).where(*where).order_by(model.id))
    return [record_of(obj) for obj in rows]


def copy_tree(tree: Tree, ids: IdPool) -> Tree:
    """A copy with fresh ids; references between the tree's own records follow the new ids,
    references outside it (community, staff, contractor) stay."""
    fresh = {record["id"]: ids() for _, record in tree}
    return [
        (
            model,
            {
                key: fresh.get(value, value) if type(value) is str else value
                for key, value in record.items()
                if key not in _STAMPS
            },
        )
        for model, record in tree
    ]


class Batches:
    """Records gathered per model and written `chunk` at a time, parents first: memory stays
    flat whatever the demo's size, and each insert_many call is one executemany."""

    def __init__(self, session: Session, order: Sequence[type[Journaled]], chunk: int) -> None:
        self._session = session
        self._groups: dict[type[Journaled], list[Record]] = {model: [] for model in order}
        self._chunk = chunk
        self._size = 0

    def add(self, tree: Tree) -> None:
        for model, record in tree:
            self._groups[model].append(record)
        self._size += len(tree)
        if self._size >= self._chunk:
            self.flush()

    def flush(self) -> None:
        for model, group in self._groups.items():
            insert_many(self._session, model, group)
            group.clear()
        self._size = 0
