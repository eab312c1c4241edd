"""retrofit_case.name_letters: the applicant's pinyin, so the case list finds `aqs` as the
roster and the child register do

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 09:00:00

The new column is filled for the cases already on file with a Core update (not journaled: every
replica runs this same migration and computes the same values; names typed from now on carry
them in the journal), in pages of 2,000 (bounded statements). The search index gains it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _backfill() -> None:
    from caseworker.domain.pinyin import of_name

    conn = op.get_bind()
    table = sa.table(
        "retrofit_case",
        sa.column("id", sa.String),
        sa.column("applicant_name", sa.String),
        sa.column("name_letters", sa.String),
    )
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("rid"))
        .values(name_letters=sa.bindparam("letters"))
    )
    last = ""
    while True:
        rows = conn.execute(
            sa.select(table.c.id, table.c.applicant_name)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(2000)
        ).all()
        if not rows:
            break
        conn.execute(update, [{"rid": rid, "letters": of_name(name).letters} for rid, name in rows])
        last = rows[-1][0]


def upgrade() -> None:
    # Only an added column inside the batch: SQLite adds it in place. (Index changes in the
    # batch would make Alembic rebuild the table, which the cases' children refuse.)
    with op.batch_alter_table("retrofit_case") as batch:
        batch.add_column(
            sa.Column("name_letters", sa.String(260), nullable=False, server_default="")
        )
    _backfill()
    op.drop_index("ix_retrofit_case_search", table_name="retrofit_case")
    op.create_index(
        "ix_retrofit_case_search",
        "retrofit_case",
        ["applicant_name", "name_letters", "address", "deleted_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_retrofit_case_search", table_name="retrofit_case")
    op.create_index(
        "ix_retrofit_case_search", "retrofit_case", ["applicant_name", "address", "deleted_at"]
    )
    # In place (SQLite 3.35+ drops a column itself): a rebuilt table would be refused by the
    # rows of the cases' children while foreign keys are on.
    with op.batch_alter_table("retrofit_case", recreate="never") as batch:
        batch.drop_column("name_letters")
