"""sync bookkeeping: identity, peers, acks, bundle history, conflicts, pushes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_identity",
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("office_code", sa.String(32), nullable=False),
        sa.Column("sign_pub", sa.String(64), nullable=False),
        sa.Column("box_pub", sa.String(64), nullable=False),
        sa.Column("private_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_sync_identity")),
    )
    op.create_table(
        "sync_peer",
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("office_code", sa.String(32), nullable=False),
        sa.Column("sign_pub", sa.String(64), nullable=False),
        sa.Column("box_pub", sa.String(64), nullable=False),
        sa.Column("alias_of", sa.String(36), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_sync_peer")),
    )
    op.create_index("ix_sync_peer_alias_of", "sync_peer", ["alias_of"])
    op.create_table(
        "sync_ack",
        sa.Column("peer", sa.String(36), nullable=False),
        sa.Column("origin", sa.String(36), nullable=False),
        sa.Column("hlc", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("peer", "origin", name=op.f("pk_sync_ack")),
    )
    op.create_table(
        "sync_bundle",
        sa.Column("bundle_id", sa.String(36), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("peer", sa.String(36), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("hlc_min", sa.String(24), nullable=False),
        sa.Column("hlc_max", sa.String(24), nullable=False),
        sa.Column("file_name", sa.String(260), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("bundle_id", name=op.f("pk_sync_bundle")),
    )
    op.create_index("ix_sync_bundle_peer", "sync_bundle", ["peer"])
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("table_name", sa.String(60), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(60), nullable=False),
        sa.Column("reason", sa.String(12), nullable=False),
        sa.Column("kept_value", sa.Text(), nullable=True),
        sa.Column("lost_value", sa.Text(), nullable=True),
        sa.Column("lost_hlc", sa.String(24), nullable=False),
        sa.Column("lost_device", sa.String(36), nullable=False),
        sa.Column("lost_actor", sa.String(60), nullable=False),
        sa.Column("kept_hlc", sa.String(24), nullable=False),
        sa.Column("kept_device", sa.String(36), nullable=False),
        sa.Column("kept_actor", sa.String(60), nullable=False),
        sa.Column("change_id", sa.String(36), nullable=True),
        sa.Column("bundle_id", sa.String(36), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("resolved_by", sa.String(60), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflict")),
        sa.UniqueConstraint("change_id", name=op.f("uq_sync_conflict_change_id")),
    )
    op.create_index("ix_sync_conflict_record", "sync_conflict", ["table_name", "record_id"])
    op.create_table(
        "sync_push",
        sa.Column("office_device", sa.String(36), nullable=False),
        sa.Column("table_name", sa.String(60), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("bundle_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint(
            "office_device", "table_name", "record_id", name=op.f("pk_sync_push")
        ),
    )
    op.create_table(
        "sync_transfer",
        sa.Column("office_device", sa.String(36), nullable=False),
        sa.Column("table_name", sa.String(60), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("to_office_code", sa.String(32), nullable=False),
        sa.Column("to_office_name", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("bundle_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint(
            "office_device", "table_name", "record_id", name=op.f("pk_sync_transfer")
        ),
    )


def downgrade() -> None:
    op.drop_table("sync_transfer")
    op.drop_table("sync_push")
    op.drop_index("ix_sync_conflict_record", table_name="sync_conflict")
    op.drop_table("sync_conflict")
    op.drop_index("ix_sync_bundle_peer", table_name="sync_bundle")
    op.drop_table("sync_bundle")
    op.drop_table("sync_ack")
    op.drop_index("ix_sync_peer_alias_of", table_name="sync_peer")
    op.drop_table("sync_peer")
    op.drop_table("sync_identity")
