"""The schema every migration leaves behind, pinned: `migration_schema.json` beside this script.

    PYTHONPATH=<checkout> python -m tests.data.migration_schema   # rewrites the JSON

A fresh SQLite file is upgraded one revision at a time from base to head, then downgraded one
at a time back to base; after every step `sqlite_master` is read (type, name, tbl_name, sql,
sorted). The JSON was written once with the migrations as they were on main at e2c07ee, before
their repeated blocks were folded into `db/migration_kit.py`: migrations are history, and what
each produces must not change by a byte. `tests/services/test_migration_schema_pin.py` walks
the migrations of the checkout the same way and compares every step with the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text

from db.schema import MIGRATIONS, _alembic_config, migration_connection

PIN = Path(__file__).resolve().parent / "migration_schema.json"

Row = list[str | None]


def revisions() -> list[str]:
    """Every revision, base first."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    walked = [s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()]
    return list(reversed(walked))


_CONSTRAINT = ("CONSTRAINT ", "PRIMARY KEY", "FOREIGN KEY", "UNIQUE", "CHECK")


def normalised(sql: str | None) -> str | None:
    """The statement with a table's constraints in sorted order, everything else as stored.

    Alembic's batch mode rebuilds a table from a reflection whose foreign keys come out in no
    fixed order from one run to the next; the order of constraints means nothing to SQLite,
    the order of columns (kept) does."""
    if sql is None or not sql.startswith("CREATE TABLE") or not sql.endswith("\n)"):
        return sql
    head, _, body = sql.partition("(\n")
    items = body[: -len("\n)")].split(", \n")
    places = [i for i, item in enumerate(items) if item.lstrip().startswith(_CONSTRAINT)]
    for place, item in zip(places, sorted(items[i] for i in places), strict=True):
        items[place] = item
    return head + "(\n" + ", \n".join(items) + "\n)"


def master(engine: Engine) -> list[Row]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
        ).all()
    return [[kind, name, table, normalised(sql)] for kind, name, table, sql in rows]


def _step(engine: Engine, target: str, *, down: bool) -> None:
    with migration_connection(engine) as conn:
        (command.downgrade if down else command.upgrade)(_alembic_config(conn), target)


def walk(path: Path) -> Iterator[tuple[str, list[Row]]]:
    """("up <rev>" | "down <rev>", sqlite_master) after each step, base to head to base."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        order = revisions()
        for rev in order:
            _step(engine, rev, down=False)
            yield f"up {rev}", master(engine)
        for rev in [*reversed(order[:-1]), "base"]:
            _step(engine, rev, down=True)
            yield f"down {rev}", master(engine)
    finally:
        engine.dispose()


def load() -> dict[str, list[Row]]:
    """The pinned steps, each with its rows spelled out."""
    pinned = json.loads(PIN.read_text(encoding="utf-8"))
    rows = pinned["rows"]
    return {step: [rows[i] for i in ids] for step, ids in pinned["steps"].items()}


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        steps = dict(walk(Path(tmp) / "pin.sqlite3"))
    # Most rows stand unchanged through many steps: each distinct row is written once.
    index: dict[tuple[str | None, ...], int] = {}
    for found in steps.values():
        for row in found:
            index.setdefault(tuple(row), len(index))
    rows = [list(key) for key in index]
    pinned = {
        "rows": rows,
        "steps": {step: [index[tuple(r)] for r in found] for step, found in steps.items()},
    }
    PIN.write_text(json.dumps(pinned, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{PIN}: {len(steps)} steps, {len(rows)} distinct rows")


if __name__ == "__main__":
    main()
