"""elderly_resident.name_pinyin / name_letters: pinyin sort order and pinyin search

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:00:00

The new columns are filled for the residents already on file with a Core update (not
journaled: every replica runs this same migration and computes the same values; names typed
from now on carry them in the journal).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from caseworker.domain.pinyin import of_name

    with op.batch_alter_table("elderly_resident") as batch:
        batch.add_column(sa.Column("name_pinyin", sa.String(200), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("name_letters", sa.String(260), nullable=False, server_default="")
        )
    conn = op.get_bind()
    table = sa.table(
        "elderly_resident",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("name_pinyin", sa.String),
        sa.column("name_letters", sa.String),
    )
    last = ""
    while True:  # in pages of 2,000 (bounded statements, bounded memory)
        rows = conn.execute(
            sa.select(table.c.id, table.c.name).where(table.c.id > last).order_by(table.c.id).limit(2000)
        ).all()
        if not rows:
            break
        values = []
        for rid, name in rows:
            p = of_name(name)
            values.append({"rid": rid, "p": p.sort_key, "i": p.letters})
        conn.execute(
            table.update()
            .where(table.c.id == sa.bindparam("rid"))
            .values(name_pinyin=sa.bindparam("p"), name_letters=sa.bindparam("i")),
            values,
        )
        last = rows[-1][0]
    op.create_index(
        "ix_elderly_resident_pinyin",
        "elderly_resident",
        ["name_pinyin", "name", "name_letters", "address", "deleted_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_elderly_resident_pinyin", table_name="elderly_resident")
    with op.batch_alter_table("elderly_resident") as batch:
        batch.drop_column("name_letters")
        batch.drop_column("name_pinyin")
