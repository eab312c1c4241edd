"""retrofit_case.name_letters: the applicant's pinyin, so the case list finds `aqs` as the
roster and the child register do

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 09:00:00

The new column is filled for the cases already on file with a Core update (not journaled: every
replica runs this same migration and computes the same values; names typed from now on carry
them in the journal), in pages of 2,000 (bounded statements). The search index gains it.
"""

from alembic import op

from db import migration_kit as kit

revision: str = "0014"
down_revision: str | None = "0013"


def upgrade() -> None:
    # The index changes come after the batch: in it, they would make Alembic rebuild the
    # table, which the cases' children refuse.
    kit.add_pinyin("retrofit_case", name="applicant_name", pinyin=False)
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
