"""the district's log of transfers made at the console, with the clerk's reason (issue 24)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 11:00:00

A new table only, empty on every existing database (offices get it too: one schema).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_transfer_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("actor_name", sa.String(60), nullable=False),
        sa.Column("person_name", sa.String(100), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("from_offices", sa.String(200), nullable=False),
        sa.Column("to_office_code", sa.String(32), nullable=False),
        sa.Column("community", sa.String(100), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_sync_transfer_log_recorded_at", "sync_transfer_log", ["recorded_at"])
    op.create_index("ix_sync_transfer_log_id_number", "sync_transfer_log", ["id_number"])


def downgrade() -> None:
    op.drop_index("ix_sync_transfer_log_id_number", table_name="sync_transfer_log")
    op.drop_index("ix_sync_transfer_log_recorded_at", table_name="sync_transfer_log")
    op.drop_table("sync_transfer_log")
