"""elderly_resident: fill the pinyin the roster import left empty

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 18:40:00

Until issue 21's import rework, `caseworker import roster` and 导入名单 wrote new residents with
`name_pinyin` and `name_letters` empty: a pinyin search did not find them and the roster sorted
them first. The import writes them now; this fills the rows already on file, as 0005 did, with a
Core update (not journaled: every replica runs this same migration on the same names and
computes the same values), in pages of 2,000 (bounded statements, bounded memory). The search
index's update trigger carries the new letters into it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from caseworker.domain.pinyin import of_name

    conn = op.get_bind()
    table = sa.table(
        "elderly_resident",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("name_pinyin", sa.String),
        sa.column("name_letters", sa.String),
    )
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("rid"))
        .values(name_pinyin=sa.bindparam("p"), name_letters=sa.bindparam("i"))
    )
    last = ""
    while True:
        rows = conn.execute(
            sa.select(table.c.id, table.c.name)
            .where(table.c.id > last, table.c.name_pinyin == "", table.c.name != "")
            .order_by(table.c.id)
            .limit(2000)
        ).all()
        if not rows:
            break
        values = []
        for rid, name in rows:
            spoken = of_name(name)
            values.append({"rid": rid, "p": spoken.sort_key, "i": spoken.letters})
        conn.execute(update, values)
        last = rows[-1][0]


def downgrade() -> None:
    # The filled values are what the import writes today: nothing to take back.
    pass
