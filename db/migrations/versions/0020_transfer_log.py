"""the district's log of transfers made at the console, with the clerk's reason (issue 24)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 11:00:00

A new table only, empty on every existing database (offices get it too: one schema).
"""

from db import migration_kit as kit

revision: str = "0020"
down_revision: str | None = "0019"


def upgrade() -> None:
    kit.create_table(
        "sync_transfer_log",
        """
        id              int auto
        recorded_at     datetime
        actor_name      str60
        person_name     str100
        id_number       str18
        from_offices    str200
        to_office_code  str32
        community       str100
        records         int
        reason          text
        primary         id
        index ix_sync_transfer_log_recorded_at recorded_at
        index ix_sync_transfer_log_id_number   id_number
        """,
    )


def downgrade() -> None:
    kit.drop_tables("sync_transfer_log")
