"""`column IN (ids)` that stays one statement on PostgreSQL: `column = ANY(:ids)`.

The sync code looks records up a chunk of ids at a time. An `IN` list of bound parameters is a
new statement for every length of chunk: SQLAlchemy expands it and psycopg converts the text
anew on each execution, and PostgreSQL cannot reuse a prepared plan for it (a first bundle's
ingest spent a quarter of its time there, issue 26). On PostgreSQL the same test is written
`column = ANY(CAST(:ids AS VARCHAR[]))`: one array parameter, one statement text whatever the
number of ids, prepared once by psycopg. SQLite has no arrays: a chunk of text ids is one JSON
parameter, `column IN (SELECT value FROM json_each(:ids))` (JSON1 is built into every SQLite
since 3.38, older than any Python this program supports on Windows). Expanding an `IN` list of
5,000 parameters cost SQLAlchemy more than SQLite spent answering it: a tenth of a first
bundle's ingest, 2,600 lookups (issue 23). SQLite plans the subquery as a list and searches the
column's index for each value, as it did the `IN` list (`EXPLAIN QUERY PLAN`: `SEARCH ... USING
INDEX ... LIST SUBQUERY`). Other values (numbers, dates) keep the `IN` list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    LargeBinary,
    any_,
    bindparam,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.orm import QueryableAttribute, Session

from db.journal_packing import PackedId, id_to_disk


def among(
    conn: Connection | Session,
    column: ColumnElement[Any] | QueryableAttribute[Any],
    ids: Iterable[Any],
) -> ColumnElement[bool]:
    """`column IN ids` on SQLite, `column = ANY(:ids)` (one array parameter) on PostgreSQL."""
    values = list(ids)
    dialect = conn.get_bind().dialect if isinstance(conn, Session) else conn.dialect
    if dialect.name == "sqlite" and values and isinstance(column.type, PackedId):
        return column.in_(_sqlite_ids(values))
    if dialect.name == "sqlite" and values and all(type(v) is str for v in values):
        listed = func.json_each(bindparam(None, json.dumps(values, ensure_ascii=False)))
        return column.in_(select(literal_column("value")).select_from(listed))
    if dialect.name != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))


def _sqlite_ids(values: list[str]) -> Any:
    """The journal's ids (stored as 16 bytes, db/journal_packing.py) as one BLOB parameter cut
    into 16-byte pieces by a recursive CTE: JSON cannot carry bytes, and expanding an `IN` list
    costs SQLAlchemy more than the lookup (see above). An id that is not a canonical UUID has
    another length: such a list (crafted bundles, tests) keeps the `IN` list."""
    encoded = [id_to_disk(v) for v in values]
    if any(len(e) != 16 for e in encoded):
        return values
    k = select(literal(0).label("i")).cte(recursive=True)
    k = k.union_all(select(k.c.i + 1).where(k.c.i + 1 < bindparam(None, len(encoded))))
    whole = bindparam(None, b"".join(encoded), type_=LargeBinary)
    return select(func.substr(whole, k.c.i * 16 + 1, 16))
