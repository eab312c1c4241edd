"""The search index of the people registers: an FTS5 `trigram` table beside each searched table,
kept by triggers in the same transaction as the record.

Each indexed table `T` gets
- `T_search`: FTS5 (`tokenize='trigram'`, `detail='column'`), one row per record of `T` with the
  same rowid, one column per searched column of `T` (same names). Each value is stored with two
  `\\x1f` characters after it, so that every character of a value starts a trigram: the last one
  or two characters of a name are then found as the start of a term (short searches, below).
- `T_search_terms`: an `fts5vocab` table (`instance`) over it: its terms are sorted, so the
  records holding a 1-2 character search are a range of terms (`term >= '王' AND term < '王\\U0010ffff'`):
  the trigram table's own terms act as the prefix index for searches too short for a trigram.
- three triggers (`T_search_insert`, `T_search_update`, `T_search_delete`) that keep it: every
  write path (services, sync, imports, raw SQL) keeps the index, in the writer's transaction.

The index only narrows: a search still applies its exact `LIKE` clause to the candidates
(`caseworker/services/person_search.py`), so the results are the `LIKE` query's by construction.
The rowid is the join key: `VACUUM` may renumber the rowids of a table without an INTEGER
PRIMARY KEY, so whoever vacuums rebuilds the index after (`rebuild`, `caseworker/compact.py`).

Where SQLite has no FTS5 or no trigram tokenizer (SQLite before 3.34, or a build without FTS5)
or the database is PostgreSQL (the district hub), nothing is created and searches scan with
`LIKE` as before (`present` says which). Python's Windows build: CPython compiles its bundled
SQLite with `SQLITE_ENABLE_FTS5` (`PCbuild/sqlite3.vcxproj`, read for this change) and bundles a
SQLite newer than 3.34 in every Python this program supports (3.39 from 3.11.0; 3.45+ in 3.12
and 3.13's installers), so the office PC has both; `tests/services/test_search_index.py` fails
on a build without them rather than silently measuring the fallback.
"""

from __future__ import annotations

import sqlite3
from typing import Any

# Table -> its searched columns (the FTS table's columns, same names).
INDEXED: dict[str, tuple[str, ...]] = {
    "elderly_resident": (
        "name",
        "name_letters",
        "address",
        "id_number",
        "phone",
        "supporter_phone",
        "emergency_phone",
    ),
    "child": ("name", "name_letters", "address", "id_number", "phone"),
    "child_guardian": ("name", "name_letters", "phone"),
    "retrofit_case": (
        "applicant_name",
        "name_letters",
        "address",
        "id_number",
        "phone",
        "contact_phone",
        "case_no",
    ),
}

PAD = "\x1f\x1f"  # after every indexed value (see the module's docstring)
_PAD_SQL = "char(31, 31)"
# What is indexed of a column, where not all of it: an ID number is only ever searched by its
# end (a whole number by its unique index), and its other digits (the district's area code,
# the birth year) would be trigrams found in every row, which every query touching the column
# would read through; its last two digits are enough to narrow "ends in …".
_INDEXED_PART = {"id_number": "substr({row}.id_number, -2)"}


def fts_table(table: str) -> str:
    return f"{table}_search"


def terms_table(table: str) -> str:
    return f"{table}_search_terms"


def _values(prefix: str, columns: tuple[str, ...]) -> str:
    parts = (_INDEXED_PART.get(c, "{row}." + c).format(row=prefix) for c in columns)
    return ", ".join(f"coalesce({p}, '') || {_PAD_SQL}" for p in parts)


def _trigger_sql(table: str, columns: tuple[str, ...]) -> dict[str, str]:
    fts, cols = fts_table(table), ", ".join(columns)
    # OR REPLACE: a rowid left behind by `INSERT OR REPLACE` on T (which fires no delete
    # trigger) and reused later must not fail the writer's insert.
    insert = f"INSERT OR REPLACE INTO {fts} (rowid, {cols}) VALUES (new.rowid, {_values('new', columns)});"
    return {
        f"{table}_search_insert": (
            f"CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN {insert} END"
        ),
        f"{table}_search_update": (
            f"CREATE TRIGGER {table}_search_update AFTER UPDATE OF {cols} ON {table} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.rowid; {insert} END"
        ),
        f"{table}_search_delete": (
            f"CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.rowid; END"
        ),
    }


TRIGGERS: dict[str, str] = {
    name: sql for t, cols in INDEXED.items() for name, sql in _trigger_sql(t, cols).items()
}


def supported(con: Any) -> bool:
    """Whether this SQLite has FTS5 with the trigram tokenizer (a DB-API connection)."""
    try:
        con.execute("CREATE VIRTUAL TABLE temp.cw_trigram_probe USING fts5(a, tokenize='trigram')")
    except sqlite3.Error:
        return False
    con.execute("DROP TABLE temp.cw_trigram_probe")
    return True


def create(con: Any) -> bool:
    """Create the index of every indexed table and fill it (a DB-API connection inside the
    caller's transaction). False, and nothing created, where SQLite cannot."""
    if not supported(con):
        return False
    for table, columns in INDEXED.items():
        fts = fts_table(table)
        con.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(columns)}, "
            "tokenize='trigram', detail='column')"
        )
        con.execute(f"CREATE VIRTUAL TABLE {terms_table(table)} USING fts5vocab({fts}, instance)")
        for sql in _trigger_sql(table, columns).values():
            con.execute(sql)
    rebuild(con)
    return True


def rebuild(con: Any) -> None:
    """Refill every index from its table (after a VACUUM, or to repair)."""
    for table, columns in INDEXED.items():
        fts = fts_table(table)
        if not _exists(con, fts):
            continue
        con.execute(f"DELETE FROM {fts}")
        con.execute(
            f"INSERT INTO {fts} (rowid, {', '.join(columns)}) "
            f"SELECT rowid, {_values(table, columns)} FROM {table}"
        )


def drop(con: Any) -> None:
    for table in INDEXED:
        for name in _trigger_sql(table, INDEXED[table]):
            con.execute(f"DROP TRIGGER IF EXISTS {name}")
        con.execute(f"DROP TABLE IF EXISTS {terms_table(table)}")
        con.execute(f"DROP TABLE IF EXISTS {fts_table(table)}")


def _exists(con: Any, name: str) -> bool:
    row = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return row.fetchone() is not None


def present(con: Any) -> bool:
    """Whether this database holds the index (a DB-API connection)."""
    return all(_exists(con, terms_table(t)) for t in INDEXED)


def is_index_table(name: str) -> bool:
    """A table of the index (the FTS tables, their vocabularies and FTS5's shadow tables)."""
    return any(name.startswith(fts_table(t)) for t in INDEXED)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """For Alembic's comparisons (`include_name`): the index's tables are no model's, and an
    autogenerated migration must never propose dropping them."""
    return not (type_ == "table" and name is not None and is_index_table(name))
