"""Frozen helpers for the migrations in `db/migrations/versions/`: the shapes they repeat.

Migrations are history: what each one produced on the day it shipped is what every database
holds, so nothing here may change what it emits. A new shape gets a new helper; a helper that
no longer suits a new migration is left as it is and not used there.
`tests/services/test_migration_schema_pin.py` walks every migration up and down and compares
each step's schema with the one pinned before these helpers existed.

A table is declared as text, one line each:

    name          str60                 a column: VARCHAR(60) NOT NULL
    office_id     str36 -> office       ... with a foreign key to office.id
    closed_on     date null             ... nullable
    id            int auto              an autoincrementing integer
    record                              the journaled record's id, created_at, updated_at,
                                        deleted_at and its primary key on id (db.base.Journaled)
    login, device                       other groups of columns tables share (_PARTS)
    primary       peer origin           the primary key, when it is not `record`'s
    unique        office_id name        a unique constraint
    index ix_name community_id name     an index (created after the table)

Types: strN, text, int, bigint, bool, date, datetime. Names of keys and constraints follow
`db.base.NAMING`, spelled out (op.f) as Alembic's autogenerate wrote them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from alembic import op

_TYPES: dict[str, Callable[[], Any]] = {
    "text": sa.Text,
    "int": sa.Integer,
    "bigint": sa.BigInteger,
    "bool": sa.Boolean,
    "date": sa.Date,
    "datetime": sa.DateTime,
}

# The lines a single word stands for in a table's text, as the migration that first wrote
# them did. `record`: db.base.Journaled's columns and key (0001). `login`: what an account signs
# in with (the office's staff in 0001, the district's in 0019). `device`: a sync device's
# identity as enrolment exchanges it (this device's and each peer's, 0003).
_PARTS = {
    "record": """
        id          str36
        created_at  datetime
        updated_at  datetime
        deleted_at  datetime null
        primary     id
    """,
    "login": """
        password_hash         str200
        must_change_password  bool
        disabled              bool
        failed_logins         int
        locked_until          datetime null
        last_login_at         datetime null
    """,
    "device": """
        device_id    str36
        role         str12
        name         str100
        office_code  str32
        sign_pub     str64
        box_pub      str64
    """,
}


@dataclass
class _Table:
    name: str
    columns: list[sa.Column[Any]] = field(default_factory=list)
    references: list[tuple[str, str]] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    unique: list[list[str]] = field(default_factory=list)
    indexes: list[tuple[str, list[str]]] = field(default_factory=list)


def _column_type(spelled: str) -> Any:
    if spelled.startswith("str"):
        return sa.String(length=int(spelled[3:]))
    return _TYPES[spelled]()


def _read(name: str, spec: str) -> _Table:
    table = _Table(name)
    for line in spec.splitlines():
        words = line.split()
        if not words:
            continue
        head, rest = words[0], words[1:]
        if head in _PARTS:
            part = _read(name, _PARTS[head])
            table.columns += part.columns
            table.references += part.references
            table.key = part.key or table.key
        elif head == "primary":
            table.key = rest
        elif head == "unique":
            table.unique.append(rest)
        elif head == "index":
            table.indexes.append((rest[0], rest[1:]))
        else:
            kind, flags = rest[0], rest[1:]
            if "->" in flags:
                at = flags.index("->")
                table.references.append((head, flags[at + 1]))
                flags = flags[:at] + flags[at + 2 :]
            # a word misspelt would otherwise quietly give another column (NOT NULL for "nul")
            if set(flags) - {"null", "auto"}:
                raise ValueError(f"{name}.{head}: unknown words {flags}")
            # "auto" is SQLAlchemy's default: an integer primary key of its own counts up
            auto: bool | Literal["auto"] = True if "auto" in flags else "auto"
            table.columns.append(
                sa.Column(head, _column_type(kind), nullable="null" in flags, autoincrement=auto)
            )
    return table


def create_table(name: str, spec: str, *, references_in_column_order: bool = False) -> sa.Table:
    """Create the table `spec` declares, then its indexes; the table, to write rows into.

    Alembic's autogenerate wrote the foreign keys sorted by column; the hand-written migrations
    in the order of their columns (`references_in_column_order`)."""
    table = _read(name, spec)
    references = table.references
    if not references_in_column_order:
        references = sorted(references)
    constraints: list[Any] = [
        sa.ForeignKeyConstraint(
            [column], [f"{target}.id"], name=op.f(f"fk_{name}_{column}_{target}")
        )
        for column, target in references
    ]
    constraints.append(sa.PrimaryKeyConstraint(*table.key, name=op.f(f"pk_{name}")))
    constraints += [
        sa.UniqueConstraint(*columns, name=op.f(f"uq_{name}_{'_'.join(columns)}"))
        for columns in table.unique
    ]
    created = op.create_table(name, *table.columns, *constraints)
    for index, columns in table.indexes:
        op.create_index(index, name, columns, unique=False)
    return created


def drop_tables(*names: str) -> None:
    """Drop the tables in the order given (those that refer to others first); their indexes go
    with them."""
    for name in names:
        op.drop_table(name)


def driver_connection() -> Any:
    """The DB-API connection inside Alembic's transaction (the search index works on it)."""
    return op.get_bind().connection.driver_connection


def add_pinyin(table_name: str, *, name: str = "name", pinyin: bool = True) -> None:
    """Add `name_letters` (and `name_pinyin` where `pinyin`) to a table of people, empty by
    default, and fill them from `name` for the rows on file (`fill_pinyin`). Only added columns
    in the batch: SQLite adds them in place (a rebuilt table would be refused by the rows that
    refer to it)."""
    with op.batch_alter_table(table_name) as batch:
        if pinyin:
            batch.add_column(
                sa.Column("name_pinyin", sa.String(200), nullable=False, server_default="")
            )
        batch.add_column(
            sa.Column("name_letters", sa.String(260), nullable=False, server_default="")
        )
    fill_pinyin(table_name, name=name, pinyin=pinyin)


def fill_pinyin(
    table_name: str,
    *,
    name: str = "name",
    pinyin: bool = True,
    only_empty: bool = False,
) -> None:
    """Fill `name_letters` (and `name_pinyin` where `pinyin`) from each row's `name` column, in
    pages of 2,000 in id order (bounded statements, bounded memory), with a Core update: not
    journaled, since every replica runs the same migration on the same names and computes the
    same values. `only_empty`: only the rows whose pinyin is still empty and name is not."""
    from caseworker.domain.pinyin import of_name

    conn = op.get_bind()
    columns = [sa.column("id", sa.String), sa.column(name, sa.String)]
    columns.append(sa.column("name_letters", sa.String))
    if pinyin:
        columns.append(sa.column("name_pinyin", sa.String))
    table = sa.table(table_name, *columns)
    values: dict[str, sa.BindParameter[Any]] = {"name_letters": sa.bindparam("i")}
    if pinyin:
        values["name_pinyin"] = sa.bindparam("p")
    update = table.update().where(table.c.id == sa.bindparam("rid")).values(**values)
    last = ""
    while True:
        where = [table.c.id > last]
        if only_empty:
            where += [table.c.name_pinyin == "", table.c[name] != ""]
        rows = conn.execute(
            sa.select(table.c.id, table.c[name]).where(*where).order_by(table.c.id).limit(2000)
        ).all()
        if not rows:
            break
        params = []
        for rid, spelled in rows:
            spoken = of_name(spelled)
            params.append({"rid": rid, "p": spoken.sort_key, "i": spoken.letters})
        conn.execute(update, params)
        last = rows[-1][0]
