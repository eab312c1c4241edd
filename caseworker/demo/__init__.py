"""Synthetic demo data: an office, its communities, staff, and every programme's records.

Everything is generated from a seeded random generator (same seed, same content). Names, ID
numbers, phones and addresses are made up; ID numbers have correct check digits.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

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
    with ws.writer(Actor.system("demo")) as session:
        reference.fill(session, rng, report)
        # Marks the workspace as a demo one (the login window then shows the demo accounts).
        session.merge(LocalMeta(key="demo", value=str(seed)))
    for filler in _fillers():
        filler(ws, rng, residents, report)
    return report


def _fillers() -> list[Filler]:
    # Programme modules are imported here so that each registers its filler.
    import importlib

    for name in ("caseworker.demo.elderly", "caseworker.demo.retrofit", "caseworker.demo.children"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return FILLERS
