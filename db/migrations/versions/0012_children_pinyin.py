"""child.name_pinyin / name_letters and child_guardian.name_letters: pinyin sort and search on
the child register

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-29 15:00:00

The new columns are filled for the children and guardians already on file with a Core update
(not journaled: every replica runs this same migration and computes the same values; names
typed from now on carry them in the journal), in pages of 2,000 (bounded statements).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _backfill(table_name: str, with_pinyin: bool) -> None:
    from caseworker.domain.pinyin import of_name

    conn = op.get_bind()
    columns = [sa.column("id", sa.String), sa.column("name", sa.String)]
    columns.append(sa.column("name_letters", sa.String))
    if with_pinyin:
        columns.append(sa.column("name_pinyin", sa.String))
    table = sa.table(table_name, *columns)
    values: dict[str, sa.BindParameter[object]] = {"name_letters": sa.bindparam("i")}
    if with_pinyin:
        values["name_pinyin"] = sa.bindparam("p")
    update = table.update().where(table.c.id == sa.bindparam("rid")).values(**values)
    last = ""
    while True:
        rows = conn.execute(
            sa.select(table.c.id, table.c.name)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(2000)
        ).all()
        if not rows:
            break
        params = []
        for rid, name in rows:
            spoken = of_name(name)
            params.append({"rid": rid, "p": spoken.sort_key, "i": spoken.letters})
        conn.execute(update, params)
        last = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("child") as batch:
        batch.add_column(
            sa.Column("name_pinyin", sa.String(200), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("name_letters", sa.String(260), nullable=False, server_default="")
        )
    with op.batch_alter_table("child_guardian") as batch:
        batch.add_column(
            sa.Column("name_letters", sa.String(260), nullable=False, server_default="")
        )
    _backfill("child", True)
    _backfill("child_guardian", False)
    op.create_index(
        "ix_child_pinyin",
        "child",
        ["name_pinyin", "name", "name_letters", "address", "deleted_at", "id"],
    )
    op.create_index("ix_child_community_pinyin", "child", ["community_id", "name_pinyin", "name"])
    op.create_index(
        "ix_child_guardian_search",
        "child_guardian",
        ["name", "name_letters", "phone", "deleted_at", "child_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_child_guardian_search", table_name="child_guardian")
    op.drop_index("ix_child_community_pinyin", table_name="child")
    op.drop_index("ix_child_pinyin", table_name="child")
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+, PostgreSQL), not a batch copy: recreating `child`
    # would drop a table that every other child table references.
    for table, column in (
        ("child_guardian", "name_letters"),
        ("child", "name_letters"),
        ("child", "name_pinyin"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
