"""indexes for the district's queues: open conflicts by status and device pair, duplicates by status (issue 24)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 17:30:00

工作台 counts the open conflicts of every office by (lost_device, kept_device) and the
duplicates by status; without these each opening read every row of both tables (100,000
conflicts: 0.1 s). With them the counts are covering-index searches of the open rows. The
conflicts list's pages (open, newest first) walk ix_sync_conflict_status, whose entries are in
id order: with only the device-pair index SQLite chose it and sorted all the open rows for
every page (0.7 s became 6.6 s at offset 50,000 of 100,000, measured under load).
Indexes only: nothing in any row changes.
"""

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"


def upgrade() -> None:
    op.create_index("ix_sync_conflict_status", "sync_conflict", ["status"])
    op.create_index(
        "ix_sync_conflict_status_devices",
        "sync_conflict",
        ["status", "lost_device", "kept_device"],
    )
    op.create_index("ix_sync_duplicate_status", "sync_duplicate", ["status"])


def downgrade() -> None:
    op.drop_index("ix_sync_duplicate_status", table_name="sync_duplicate")
    op.drop_index("ix_sync_conflict_status_devices", table_name="sync_conflict")
    op.drop_index("ix_sync_conflict_status", table_name="sync_conflict")
