"""the child register's search index holds each child's guardians' text in the child's row

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 21:30:00

Before: the guardians had an FTS5 index of their own, and a keystroke on the child register
turned every guardian it found there into their child, a lookup each (or, for a common search,
scanned the names of all 40,000 guardians of a 20,000-child register). Now the child's index row
holds its live guardians' names, pinyin and phones (`db/search_index.py`, `RELATED`), kept by the
guardians' triggers, so a keystroke reads one index and gets children (issue 23). The child's
index is dropped, created in its new layout and filled from the records on file (about 2 s at
20,000 children); the guardians' own index goes. Only where the index exists (SQLite with FTS5):
elsewhere nothing is done. Nothing is journaled: the index is derived.

The downgrade puts back the layout of 0018 exactly (its text frozen here: `db/verify.py` checks
the triggers of a file at its program's revision by their text).
"""

from alembic import op

from db import migration_kit as kit

revision: str = "0024"
down_revision: str | None = "0023"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    from db import search_index

    search_index.recreate(kit.driver_connection(), "child")


# -- the layout of 0018 (child and child_guardian each with an index of its own) --------------

_OLD = {
    "child": ("name", "name_letters", "address", "id_number", "phone"),
    "child_guardian": ("name", "name_letters", "phone"),
}
_PAD_SQL = "char(31, 31)"


def _old_values(prefix: str, columns: tuple[str, ...]) -> str:
    parts = (
        f"substr({prefix}.id_number, -2)" if c == "id_number" else f"{prefix}.{c}" for c in columns
    )
    return ", ".join(f"coalesce({p}, '') || {_PAD_SQL}" for p in parts)


def _old_triggers(table: str, columns: tuple[str, ...]) -> list[str]:
    fts, cols = f"{table}_search", ", ".join(columns)
    insert = (
        f"INSERT OR REPLACE INTO {fts} (rowid, {cols}) VALUES (new.rowid, "
        f"{_old_values('new', columns)});"
    )
    return [
        f"CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {table}_search_update AFTER UPDATE OF {cols} ON {table} BEGIN "
        f"DELETE FROM {fts} WHERE rowid = old.rowid; {insert} END",
        f"CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN "
        f"DELETE FROM {fts} WHERE rowid = old.rowid; END",
    ]


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    con = kit.driver_connection()
    found = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'child_search'"
    ).fetchone()
    if found is None:  # no index (a SQLite without FTS5): nothing to put back
        return
    for table in _OLD:
        for kind in ("insert", "update", "delete"):
            con.execute(f"DROP TRIGGER IF EXISTS {table}_search_{kind}")
        con.execute(f"DROP TABLE IF EXISTS {table}_search_terms")
        con.execute(f"DROP TABLE IF EXISTS {table}_search")
    for table, columns in _OLD.items():
        fts = f"{table}_search"
        con.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(columns)}, "
            "tokenize='trigram', detail='column')"
        )
        con.execute(f"CREATE VIRTUAL TABLE {table}_search_terms USING fts5vocab({fts}, instance)")
        for sql in _old_triggers(table, columns):
            con.execute(sql)
        con.execute(
            f"INSERT INTO {fts} (rowid, {', '.join(columns)}) "
            f"SELECT rowid, {_old_values(table, columns)} FROM {table}"
        )
