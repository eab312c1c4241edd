"""elderly_resident.name_pinyin / name_letters: pinyin sort order and pinyin search

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:00:00

The new columns are filled for the residents already on file with a Core update (not
journaled: every replica runs this same migration and computes the same values; names typed
from now on carry them in the journal).
"""

from alembic import op

from db import migration_kit as kit

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    kit.add_pinyin("elderly_resident")
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
