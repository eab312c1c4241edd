"""sync at scale: the ID number unique only among records not held as cross-office duplicates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:00:00
"""

import sqlalchemy as sa
from alembic import op

from db import migration_kit as kit

revision: str = "0004"
down_revision: str | None = "0003"


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
    kit.create_table(
        "sync_duplicate",
        """
        id            int auto
        table_name    str60
        record_id     str36
        other_id      str36
        other_office  str100
        detected_at   datetime
        status        str10
        resolved_by   str60 null
        resolved_at   datetime null
        primary       id
        index ix_sync_duplicate_record_id record_id
        """,
    )


def downgrade() -> None:
    kit.drop_tables("sync_duplicate")
    op.drop_index("uq_elderly_resident_id_number", table_name="elderly_resident")
    with op.batch_alter_table("elderly_resident", schema=None) as batch_op:
        batch_op.drop_column("duplicate_of")
        batch_op.create_unique_constraint("uq_elderly_resident_id_number", ["id_number"])
