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

A record's related people (a child's parents and guardians, `RELATED`) are indexed in the
record's own row: the child's row holds, in its `guardian_*` columns, every live guardian's name,
pinyin and phone (each value with its padding, in the guardians' rowid order), so a keystroke asks
one index and gets the children's rowids, not guardians' rowids to turn into children one
lookup at a time. The guardians' triggers rewrite their child's row (`_refresh`): a guardian added,
changed, moved to another child, tombstoned or deleted, by whatever path writes it (the services,
sync's merge, raw SQL); the child's own triggers read its guardians when they write its row, so
either may be written first. (Migration 0024: before it, the guardians had an index of their own.)

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
from dataclasses import dataclass
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
    "child": (
        "name",
        "name_letters",
        "address",
        "id_number",
        "phone",
        "guardian_name",
        "guardian_letters",
        "guardian_phone",
    ),
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


@dataclass(frozen=True)
class Related:
    """People of another table indexed in their record's row (`RELATED`)."""

    table: str
    owner: str  # the related table's column holding the record's id
    key: str  # the record's column it holds
    deleted: str  # the related table's column that is NULL while the person counts
    columns: dict[str, str]  # the record's index column -> the related table's column


# Table -> the people indexed in its rows (their columns among INDEXED[table]).
RELATED: dict[str, Related] = {
    "child": Related(
        table="child_guardian",
        owner="child_id",
        key="id",
        deleted="deleted_at",
        columns={
            "guardian_name": "name",
            "guardian_letters": "name_letters",
            "guardian_phone": "phone",
        },
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


def _values(table: str, prefix: str, columns: tuple[str, ...]) -> str:
    """The index's values of the row `prefix` (`new`, or the table's name) of `table`."""
    related = RELATED.get(table)
    parts = []
    for c in columns:
        if related is not None and c in related.columns:
            # every live related person's value with its padding, in their rowid order (a
            # rebuild and the triggers write the same text)
            r = related.table
            parts.append(
                f"coalesce((SELECT group_concat(v, '') FROM (SELECT coalesce({r}.{related.columns[c]}, '')"
                f" || {_PAD_SQL} AS v FROM {r} WHERE {r}.{related.owner} = {prefix}.{related.key}"
                f" AND {r}.{related.deleted} IS NULL ORDER BY {r}.rowid)), '')"
            )
            continue
        part = _INDEXED_PART.get(c, "{row}." + c).format(row=prefix)
        parts.append(f"coalesce({part}, '') || {_PAD_SQL}")
    return ", ".join(parts)


def _own_columns(table: str) -> list[str]:
    related = RELATED.get(table)
    return [c for c in INDEXED[table] if related is None or c not in related.columns]


def _trigger_sql(table: str, columns: tuple[str, ...]) -> dict[str, str]:
    fts, cols = fts_table(table), ", ".join(columns)
    # OR REPLACE: a rowid left behind by `INSERT OR REPLACE` on T (which fires no delete
    # trigger) and reused later must not fail the writer's insert.
    insert = (
        f"INSERT OR REPLACE INTO {fts} (rowid, {cols}) "
        f"VALUES (new.rowid, {_values(table, 'new', columns)});"
    )
    related = RELATED.get(table)
    # the record's key too, where related people are found by it
    watched = ", ".join(_own_columns(table) + ([related.key] if related is not None else []))
    triggers = {
        f"{table}_search_insert": (
            f"CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN {insert} END"
        ),
        f"{table}_search_update": (
            f"CREATE TRIGGER {table}_search_update AFTER UPDATE OF {watched} ON {table} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.rowid; {insert} END"
        ),
        f"{table}_search_delete": (
            f"CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.rowid; END"
        ),
    }
    if related is not None:
        triggers.update(_related_trigger_sql(table, columns, related))
    return triggers


def _related_trigger_sql(table: str, columns: tuple[str, ...], related: Related) -> dict[str, str]:
    """A related person's writes rewrite their record's row (old and new record on a move)."""
    fts, r = fts_table(table), related.table

    def refresh(*owners: str) -> str:
        return (
            f"INSERT OR REPLACE INTO {fts} (rowid, {', '.join(columns)}) "
            f"SELECT {table}.rowid, {_values(table, table, columns)} FROM {table} "
            f"WHERE {table}.{related.key} IN ({', '.join(owners)});"
        )

    watched = ", ".join([related.owner, *sorted(set(related.columns.values())), related.deleted])
    return {
        f"{r}_search_insert": (
            f"CREATE TRIGGER {r}_search_insert AFTER INSERT ON {r} BEGIN "
            f"{refresh(f'new.{related.owner}')} END"
        ),
        f"{r}_search_update": (
            f"CREATE TRIGGER {r}_search_update AFTER UPDATE OF {watched} ON {r} BEGIN "
            f"{refresh(f'old.{related.owner}', f'new.{related.owner}')} END"
        ),
        f"{r}_search_delete": (
            f"CREATE TRIGGER {r}_search_delete AFTER DELETE ON {r} BEGIN "
            f"{refresh(f'old.{related.owner}')} END"
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
    for table in INDEXED:
        _create(con, table)
    rebuild(con)
    return True


def _create(con: Any, table: str) -> None:
    columns = INDEXED[table]
    fts = fts_table(table)
    con.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(columns)}, "
        "tokenize='trigram', detail='column')"
    )
    con.execute(f"CREATE VIRTUAL TABLE {terms_table(table)} USING fts5vocab({fts}, instance)")
    for sql in _trigger_sql(table, columns).values():
        con.execute(sql)


def recreate(con: Any, table: str) -> bool:
    """Drop the index of `table` (whatever its layout: `LEGACY` too) and create and fill it
    anew (a migration that changes its columns). False, and nothing done, where SQLite cannot
    or the database has no index (it scans)."""
    if not supported(con) or not _exists(con, fts_table(table)):
        return False
    _drop(con, table)
    _create(con, table)
    rebuild(con, only=table)
    return True


def rebuild(con: Any, only: str | None = None) -> None:
    """Refill every index (or `only` that table's) from its table (after a VACUUM, or to
    repair)."""
    for table, columns in INDEXED.items():
        fts = fts_table(table)
        if (only is not None and table != only) or not _exists(con, fts):
            continue
        con.execute(f"DELETE FROM {fts}")
        con.execute(
            f"INSERT INTO {fts} (rowid, {', '.join(columns)}) "
            f"SELECT rowid, {_values(table, table, columns)} FROM {table}"
        )


# Tables of an index no longer kept (dropped by `drop` and `recreate` where found): the
# guardians' own index, before their text went into their child's row (migration 0024).
LEGACY: dict[str, tuple[str, ...]] = {"child": ("child_guardian",)}


def drop(con: Any) -> None:
    for table in INDEXED:
        _drop(con, table)


def _drop(con: Any, table: str) -> None:
    for name in _trigger_sql(table, INDEXED[table]):
        con.execute(f"DROP TRIGGER IF EXISTS {name}")
    for old in (table, *LEGACY.get(table, ())):
        for name in (f"{old}_search_insert", f"{old}_search_update", f"{old}_search_delete"):
            con.execute(f"DROP TRIGGER IF EXISTS {name}")
        con.execute(f"DROP TABLE IF EXISTS {terms_table(old)}")
        con.execute(f"DROP TABLE IF EXISTS {fts_table(old)}")


def _exists(con: Any, name: str) -> bool:
    row = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return row.fetchone() is not None


def present(con: Any) -> bool:
    """Whether this database holds the index, in this layout (a DB-API connection)."""
    return bool(con.execute(PRESENT_SQL).fetchone()[0])


# One statement (the services ask it once per engine): every index table is there, each with
# this program's columns (a file not yet migrated to them is searched by scanning).
PRESENT_SQL = "SELECT " + " AND ".join(
    f"EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{terms_table(t)}')"
    f" AND EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{fts_table(t)}'"
    + "".join(f" AND sql LIKE '%{c}%'" for c in INDEXED[t])
    + ")"
    for t in INDEXED
)


def is_index_table(name: str) -> bool:
    """A table of the index (the FTS tables, their vocabularies and FTS5's shadow tables)."""
    tables = [*INDEXED, *(old for olds in LEGACY.values() for old in olds)]
    return any(name.startswith(fts_table(t)) for t in tables)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """For Alembic's comparisons (`include_name`): the index's tables are no model's, and an
    autogenerated migration must never propose dropping them."""
    return not (type_ == "table" and name is not None and is_index_table(name))
