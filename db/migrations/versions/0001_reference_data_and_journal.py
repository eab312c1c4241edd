"""reference data and journal

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 02:57:31.408182
"""

from db import migration_kit as kit

revision: str = "0001"
down_revision: str | None = None


def upgrade() -> None:
    kit.create_table(
        "journal",
        """
        seq          int auto
        change_id    str36
        tx_id        str36
        hlc          str24
        device_id    str36
        actor_id     str36 null
        actor_name   str60
        table_name   str60
        record_id    str36
        op           str8
        field        str60 null
        old_value    text null
        new_value    text null
        recorded_at  datetime
        source       str40
        primary      seq
        unique       change_id
        index ix_journal_actor       actor_name
        index ix_journal_device_hlc  device_id hlc
        index ix_journal_record      table_name record_id
        index ix_journal_recorded_at recorded_at
        """,
    )
    kit.create_table(
        "local_meta",
        """
        key      str60
        value    text
        primary  key
        """,
    )
    kit.create_table(
        "office",
        """
        code           str32
        name           str100
        district_name  str100
        phone          str40
        address        str200
        record
        unique         code
        """,
    )
    kit.create_table(
        "setting",
        """
        key      str80
        value    text
        record
        unique   key
        """,
    )
    kit.create_table(
        "community",
        """
        office_id   str36 -> office
        code        str32
        name        str100
        kind        str8
        sort_order  int
        active      bool
        record
        unique      office_id name
        index ix_community_office_id office_id
        """,
    )
    kit.create_table(
        "staff",
        """
        office_id             str36 -> office
        username              str40
        display_name          str60
        role                  str24
        community_id          str36 null -> community
        phone                 str40
        login
        record
        unique                office_id username
        index ix_staff_office_id office_id
        """,
    )


def downgrade() -> None:
    kit.drop_tables(
        "staff",
        "community",
        "setting",
        "office",
        "local_meta",
        "journal",
    )
