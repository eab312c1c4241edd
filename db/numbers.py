"""Human-facing numbers (a retrofit case's 档案号 `A-2026-0016`): never issued twice.

A number is `<prefix><sequence>`; the next one of a prefix is one more than the records holding
that prefix, skipping any taken, and never at or below the prefix's **floor**: the highest
sequence this workspace is known to have issued, kept in `local_meta` (never journaled). A
restore sets the floors from the database it replaces (`caseworker.sync.restored`), so a number
lost with Monday's work is not issued again on Tuesday. Where no trace of it is left (the disk
died with the database), the number may collide; the district hub then renumbers the later
record (`caseworker.district.renumber`) and the office is told.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.local_meta import meta_of_file
from db.models import LocalMeta

FLOOR_KEY = "numbers.floor"
# table → column of every human-facing number the program issues
NUMBERED: dict[str, str] = {"retrofit_case": "case_no"}
_NUMBER = re.compile(r"(.*\D)(\d{1,9})")

Floors = dict[str, dict[str, int]]  # "table.column" → prefix → highest sequence


def split(number: str) -> tuple[str, int] | None:
    """`A-2026-0016` → (`A-2026-`, 16); None for a value not shaped like an issued number."""
    found = _NUMBER.fullmatch(number or "")
    return (found.group(1), int(found.group(2))) if found else None


def parse_floors(text: str | None) -> Floors:
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    out: Floors = {}
    if isinstance(data, dict):
        for key, by_prefix in data.items():
            if isinstance(key, str) and isinstance(by_prefix, dict):
                out[key] = {
                    p: n for p, n in by_prefix.items() if isinstance(p, str) and type(n) is int
                }
    return out


def merge_floors(a: Floors, b: Floors) -> Floors:
    out: Floors = {k: dict(v) for k, v in a.items()}
    for key, by_prefix in b.items():
        mine = out.setdefault(key, {})
        for prefix, n in by_prefix.items():
            mine[prefix] = max(n, mine.get(prefix, 0))
    return out


def _add(found: Floors, key: str, value: Any) -> None:
    parts = split(value) if isinstance(value, str) else None
    if parts is not None:
        by_prefix = found.setdefault(key, {})
        by_prefix[parts[0]] = max(parts[1], by_prefix.get(parts[0], 0))


def floors_of_file(path: Path) -> Floors:
    """The highest sequence per prefix of every numbered column in a workspace database file
    (read only); {} when the file is missing or cannot be read (a damaged database)."""
    if not Path(path).is_file():
        return {}
    found: Floors = {}
    try:
        con = sqlite3.connect(f"file:{Path(path).as_posix()}?mode=ro", uri=True)
    except sqlite3.Error:
        return {}
    try:
        for table, column in NUMBERED.items():
            for (value,) in con.execute(f'SELECT "{column}" FROM "{table}"'):
                _add(found, f"{table}.{column}", value)
    except sqlite3.Error:
        return found
    finally:
        con.close()
    for key, by_prefix in parse_floors(meta_of_file(path, FLOOR_KEY)).items():
        for prefix, n in by_prefix.items():
            _add(found, key, f"{prefix}{n}")
    return found


def _floor(session: Session, table: str, prefix: str) -> int:
    column = NUMBERED[table]
    text = session.scalar(select(LocalMeta.value).where(LocalMeta.key == FLOOR_KEY))
    return parse_floors(text).get(f"{table}.{column}", {}).get(prefix, 0)


def next_number(session: Session, model: Any, prefix: str, width: int = 4) -> str:
    """The next free number of `prefix` for `model`'s numbered column."""
    table = model.__tablename__
    col = getattr(model, NUMBERED[table])
    held = session.scalar(select(func.count()).select_from(model).where(col.like(f"{prefix}%")))
    number = max((held or 0) + 1, _floor(session, table, prefix) + 1)
    while session.scalar(select(model.id).where(col == f"{prefix}{number:0{width}d}").limit(1)):
        number += 1
    return f"{prefix}{number:0{width}d}"
