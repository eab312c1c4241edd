"""printed_form: every printed paper form's QR id, what it was printed for, when it was entered

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:00:00

Local to the office (not journaled, not synced): a printed form is found again only by the
office that printed it (docs/paper_forms.md).
"""

from db import migration_kit as kit

revision: str = "0017"
down_revision: str | None = "0016"


def upgrade() -> None:
    kit.create_table(
        "printed_form",
        """
        id           str12
        kind         str32
        record_id    str36 null
        period       str10
        template     str32
        printed_by   str60
        printed_at   datetime
        entered_ref  str36 null
        entered_by   str60
        entered_at   datetime null
        original     str200
        layout       text
        primary      id
        index ix_printed_form_record record_id kind
        """,
    )


def downgrade() -> None:
    kit.drop_tables("printed_form")
