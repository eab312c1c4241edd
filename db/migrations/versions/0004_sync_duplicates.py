"""sync at scale: the ID number unique only among records not held as cross-office duplicates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("elderly_resident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duplicate_of", sa.String(36), nullable=True))
        batch_op.drop_constraint("uq_elderly_resident_id_number", type_="unique")
    op.create_index(
        "uq_elderly_resident_id_number",
        "elderly_resident",
        ["id_number"],
        unique=True,
        sqlite_where=sa.text("duplicate_of IS NULL"),
        postgresql_where=sa.text("duplicate_of IS NULL"),
    )
    op.create_table(
        "sync_duplicate",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("table_name", sa.String(60), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("other_id", sa.String(36), nullable=False),
        sa.Column("other_office", sa.String(100), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("resolved_by", sa.String(60), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_duplicate")),
    )
    op.create_index("ix_sync_duplicate_record_id", "sync_duplicate", ["record_id"])


def downgrade() -> None:
    op.drop_index("ix_sync_duplicate_record_id", table_name="sync_duplicate")
    op.drop_table("sync_duplicate")
    op.drop_index("uq_elderly_resident_id_number", table_name="elderly_resident")
    with op.batch_alter_table("elderly_resident", schema=None) as batch_op:
        batch_op.drop_column("duplicate_of")
        batch_op.create_unique_constraint("uq_elderly_resident_id_number", ["id_number"])
