"""journal values stored packed (db/journal_packing.py)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 18:00:00

From now on a journal row's JSON values are written packed (raw deflate with a preset
dictionary; an insert's values take about a fifth of the room). Rows written before stay as they
are: the reader tells the two forms apart by their first byte, so nothing is rewritten here.

- SQLite: nothing changes in the schema (a TEXT column holds the packed BLOBs as they are).
- PostgreSQL (the district server): the columns become BYTEA, the existing text converted to its
  UTF-8 bytes (read back as plain JSON).

The downgrade unpacks every packed value in pages of 2,000, so the older program reads them.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"

_COLUMNS = ("old_value", "new_value")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in _COLUMNS:
            op.execute(
                f"ALTER TABLE journal ALTER COLUMN {name} TYPE BYTEA "
                f"USING convert_to({name}, 'UTF8')"
            )


def downgrade() -> None:
    from db.journal_packing import unpack

    conn = op.get_bind()
    journal = sa.table(
        "journal",
        sa.column("seq", sa.Integer),
        *(sa.column(name) for name in _COLUMNS),  # no type: each row as stored
    )
    postgres = conn.dialect.name == "postgresql"
    last = 0
    while True:
        rows = conn.execute(
            sa.select(journal.c.seq, *(journal.c[name] for name in _COLUMNS))
            .where(journal.c.seq > last)
            .order_by(journal.c.seq)
            .limit(2000)
        ).all()
        if not rows:
            break
        last = rows[-1].seq
        for row in rows:
            values = {}
            for name in _COLUMNS:
                stored = row._mapping[name]
                if isinstance(stored, bytes | memoryview) and bytes(stored[:1]) == b"\x01":
                    text = unpack(stored)
                    values[name] = text.encode() if postgres and text is not None else text
            if values:
                conn.execute(journal.update().where(journal.c.seq == row.seq).values(**values))
    if postgres:
        for name in _COLUMNS:
            op.execute(
                f"ALTER TABLE journal ALTER COLUMN {name} TYPE TEXT "
                f"USING convert_from({name}, 'UTF8')"
            )
