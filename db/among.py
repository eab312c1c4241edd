"""`column IN (ids)` that stays one statement on PostgreSQL: `column = ANY(:ids)`.

The sync code looks records up a chunk of ids at a time. An `IN` list of bound parameters is a
new statement for every length of chunk: SQLAlchemy expands it and psycopg converts the text
anew on each execution, and PostgreSQL cannot reuse a prepared plan for it (a first bundle's
ingest spent a quarter of its time there, issue 26). On PostgreSQL the same test is written
`column = ANY(CAST(:ids AS VARCHAR[]))`: one array parameter, one statement text whatever the
number of ids, prepared once by psycopg. SQLite has no arrays and keeps its `IN` list (its
chunks stay far below the 32,766-parameter limit of Python's Windows build).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Connection, any_, bindparam
from sqlalchemy.orm import QueryableAttribute, Session


def among(
    conn: Connection | Session,
    column: ColumnElement[Any] | QueryableAttribute[Any],
    ids: Iterable[Any],
) -> ColumnElement[bool]:
    """`column IN ids` on SQLite, `column = ANY(:ids)` (one array parameter) on PostgreSQL."""
    values = list(ids)
    dialect = conn.get_bind().dialect if isinstance(conn, Session) else conn.dialect
    if dialect.name != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
