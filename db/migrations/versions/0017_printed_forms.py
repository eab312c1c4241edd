"""printed_form: every printed paper form's QR id, what it was printed for, when it was entered

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:00:00

Local to the office (not journaled, not synced): a printed form is found again only by the
office that printed it (docs/paper_forms.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "printed_form",
        sa.Column("id", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=True),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("template", sa.String(32), nullable=False),
        sa.Column("printed_by", sa.String(60), nullable=False),
        sa.Column("printed_at", sa.DateTime(), nullable=False),
        sa.Column("entered_ref", sa.String(36), nullable=True),
        sa.Column("entered_by", sa.String(60), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=True),
        sa.Column("original", sa.String(200), nullable=False),
        sa.Column("layout", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_printed_form")),
    )
    op.create_index("ix_printed_form_record", "printed_form", ["record_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_printed_form_record", table_name="printed_form")
    op.drop_table("printed_form")
