"""journal: the actor index also orders by time (ix_journal_actor → ix_journal_actor_time)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 15:00:00

The audit view lists the journal newest first by `recorded_at`. Filtered by a person, the old
index (actor_name alone) found that person's rows but SQLite then sorted all of them before
showing the first 200 (3.7 s for the demo actor's 300,000 rows at 20,000 residents). The new
index replaces it (it serves every query the old one did, actor names included) and costs
about 22 bytes more per journal row (+7.0 MB on a 673 MB, 20,000-resident demo workspace).
"""

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"


def upgrade() -> None:
    op.create_index("ix_journal_actor_time", "journal", ["actor_name", "recorded_at"])
    op.drop_index("ix_journal_actor", table_name="journal")


def downgrade() -> None:
    op.create_index("ix_journal_actor", "journal", ["actor_name"])
    op.drop_index("ix_journal_actor_time", table_name="journal")
