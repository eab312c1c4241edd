"""sync bookkeeping: identity, peers, acks, bundle history, conflicts, pushes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 03:30:00
"""

from db import migration_kit as kit

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    kit.create_table(
        "sync_identity",
        """
        device
        private_sealed  text
        created_at      datetime
        primary         device_id
        """,
    )
    kit.create_table(
        "sync_peer",
        """
        device
        alias_of     str36 null
        added_at     datetime
        primary      device_id
        index ix_sync_peer_alias_of alias_of
        """,
    )
    kit.create_table(
        "sync_ack",
        """
        peer     str36
        origin   str36
        hlc      str24
        primary  peer origin
        """,
    )
    kit.create_table(
        "sync_bundle",
        """
        bundle_id        str36
        direction        str8
        peer             str36
        created_ms       bigint
        recorded_at      datetime
        changes          int
        applied          int
        conflicts        int
        counts           text
        hlc_min          str24
        hlc_max          str24
        file_name        str260
        acknowledged_at  datetime null
        primary          bundle_id
        index ix_sync_bundle_peer peer
        """,
    )
    kit.create_table(
        "sync_conflict",
        """
        id           int auto
        table_name   str60
        record_id    str36
        field        str60
        reason       str12
        kept_value   text null
        lost_value   text null
        lost_hlc     str24
        lost_device  str36
        lost_actor   str60
        kept_hlc     str24
        kept_device  str36
        kept_actor   str60
        change_id    str36 null
        bundle_id    str36
        detected_at  datetime
        status       str10
        resolved_by  str60 null
        resolved_at  datetime null
        primary      id
        unique       change_id
        index ix_sync_conflict_record table_name record_id
        """,
    )
    kit.create_table(
        "sync_push",
        """
        office_device  str36
        table_name     str60
        record_id      str36
        bundle_id      str36 null
        primary        office_device table_name record_id
        """,
    )
    kit.create_table(
        "sync_transfer",
        """
        office_device   str36
        table_name      str60
        record_id       str36
        to_office_code  str32
        to_office_name  str100
        recorded_at     datetime
        bundle_id       str36 null
        primary         office_device table_name record_id
        """,
    )


def downgrade() -> None:
    kit.drop_tables(
        "sync_transfer",
        "sync_push",
        "sync_conflict",
        "sync_bundle",
        "sync_ack",
        "sync_peer",
        "sync_identity",
    )
