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
    any_,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import QueryableAttribute, Session


def among(
    conn: Connection | Session,
    column: ColumnElement[Any] | QueryableAttribute[Any],
    ids: Iterable[Any],
) -> ColumnElement[bool]:
    """`column IN ids` on SQLite, `column = ANY(:ids)` (one array parameter) on PostgreSQL."""
    values = list(ids)
    dialect = conn.get_bind().dialect if isinstance(conn, Session) else conn.dialect
    if dialect.name == "sqlite" and values and all(type(v) is str for v in values):
        listed = func.json_each(bindparam(None, json.dumps(values, ensure_ascii=False)))
        return column.in_(select(literal_column("value")).select_from(listed))
    if dialect.name != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
