"""the district bureau's own accounts on the hub (区级平台, issue 24)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 06:00:00

A new table only: a hub set up before this version has no account, and the console asks for
its first administrator on first start. Offices get the (empty) table too: one schema.
"""

from db import migration_kit as kit

revision: str = "0019"
down_revision: str | None = "0018"


def upgrade() -> None:
    kit.create_table(
        "district_staff",
        """
        record
        username              str40
        display_name          str60
        role                  str24
        phone                 str40
        login
        unique                username
        """,
    )


def downgrade() -> None:
    kit.drop_tables("district_staff")
