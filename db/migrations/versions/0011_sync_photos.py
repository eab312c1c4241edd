"""sync of retrofit photo files: which files each peer holds (sync_photo)

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-29 15:00:00
"""

from db import migration_kit as kit

revision: str = "0011"
down_revision: str | None = "0010"


def upgrade() -> None:
    kit.create_table(
        "sync_photo",
        """
        peer       str36
        sha256     str64
        bundle_id  str36 null
        acked_at   datetime null
        primary    peer sha256
        index ix_sync_photo_bundle_id bundle_id
        """,
    )


def downgrade() -> None:
    kit.drop_tables("sync_photo")
