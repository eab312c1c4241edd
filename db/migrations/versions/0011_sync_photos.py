"""sync of retrofit photo files: which files each peer holds (sync_photo)

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-29 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_photo",
        sa.Column("peer", sa.String(36), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("bundle_id", sa.String(36), nullable=True),
        sa.Column("acked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("peer", "sha256", name=op.f("pk_sync_photo")),
    )
    op.create_index("ix_sync_photo_bundle_id", "sync_photo", ["bundle_id"])


def downgrade() -> None:
    op.drop_index("ix_sync_photo_bundle_id", table_name="sync_photo")
    op.drop_table("sync_photo")
