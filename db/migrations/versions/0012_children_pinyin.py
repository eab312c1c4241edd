"""child.name_pinyin / name_letters and child_guardian.name_letters: pinyin sort and search on
the child register

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-29 15:00:00

The new columns are filled for the children and guardians already on file with a Core update
(not journaled: every replica runs this same migration and computes the same values; names
typed from now on carry them in the journal), in pages of 2,000 (bounded statements).
"""

from alembic import op

from db import migration_kit as kit

revision: str = "0012"
down_revision: str | None = "0011"


def upgrade() -> None:
    kit.add_pinyin("child")
    kit.add_pinyin("child_guardian", pinyin=False)
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
