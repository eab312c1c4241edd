"""Synthetic demo data: an office, its communities, staff, and every programme's records.

Everything is generated from a seeded random generator (same seed, same content). Names, ID
numbers, phones and addresses are made up; ID numbers have correct check digits.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from caseworker.domain.roles import Actor
from caseworker.workspace import Workspace
from db.models import LocalMeta

DEMO_PASSWORD = "demo1234"


@dataclass
class DemoReport:
    office_name: str = ""
    communities: int = 0
    staff: list[tuple[str, str, str]] = field(default_factory=list)  # username, name, role label
    counts: dict[str, int] = field(default_factory=dict)


# Each programme registers a filler: (workspace, rng, residents, report) -> None.
Filler = Callable[[Workspace, random.Random, int, DemoReport], None]
FILLERS: list[Filler] = []


def build(ws: Workspace, residents: int = 2000, seed: int = 1) -> DemoReport:
    """Fill an empty (or enrolled but empty) workspace. Refuses one that already has staff."""
    from caseworker.demo import reference

    rng = random.Random(seed)
    report = DemoReport()
    with bulk_load(ws):
        with ws.writer(Actor.system("demo")) as session:
            reference.fill(session, rng, report)
            # Marks the workspace as a demo one (the login window then shows the demo accounts).
            session.merge(LocalMeta(key="demo", value=str(seed)))
        for filler in _fillers():
            filler(ws, rng, residents, report)
    return report


# While a demo is built, commits wait for the WAL write only, not for the disk: in WAL mode a
# power cut can then lose the last commits but never corrupts the file (SQLite's documented
# guarantee for synchronous=NORMAL); a demo cut short is built again into a new folder. (A
# larger page cache was tried: no faster at 20,000 residents, 70 MB more memory.)
BULK_PRAGMAS = ("PRAGMA synchronous=NORMAL",)


@contextmanager
def bulk_load(ws: Workspace) -> Iterator[None]:
    """The workspace's connections use BULK_PRAGMAS inside the block, their own settings after."""

    def _on_checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        for pragma in BULK_PRAGMAS:
            dbapi_conn.execute(pragma)

    event.listen(ws.engine, "checkout", _on_checkout)
    try:
        yield
    finally:
        event.remove(ws.engine, "checkout", _on_checkout)
        # Pooled connections still carry the bulk settings: close them; the next one is opened
        # with the engine's own pragmas (db/engine.py).
        ws.engine.dispose()


def _fillers() -> list[Filler]:
    # Programme modules are imported here so that each registers its filler.
    import importlib

    for name in PROGRAMMES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    # In this order whatever imported a module first (retrofit cases come from the elderly
    # roster): a test importing `caseworker.demo.children` first must not reorder the fillers.
    rank = {name: i for i, name in enumerate(PROGRAMMES)}
    return sorted(FILLERS, key=lambda filler: rank.get(filler.__module__, len(rank)))


PROGRAMMES = ("caseworker.demo.elderly", "caseworker.demo.retrofit", "caseworker.demo.children")
