"""retrofit_case.case_no: an index, no longer a UNIQUE constraint; transfer roots

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 09:00:00

A case number is issued by its office; after an office restored an older backup on a new PC,
it could issue again a number the district already holds (issue 19). The district hub settles
such a collision by renumbering the later case (a journaled change: caseworker/district/
renumber.py), but a UNIQUE constraint refused the whole bundle first, and at an office the case
coming back and the renumbering of its twin may arrive in different frames of one import. The
program never issues a number any record holds (db/numbers.py); the hub keeps
the numbers unique across the district.

sync_push.root_id / sync_transfer.root_id: the record a transfer moved, which each pushed or
noticed record moved with. A bundle's extras name only the roots (a whole community moved is
one root, not 280,000 records held in memory at the office); the office extends each notice to
what it holds under the root. Rows already waiting are roots of their own.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"


def upgrade() -> None:
    # A rebuild of retrofit_case: db.schema.migrate runs it with foreign keys checked once at the
    # end (the cases' items and photos would refuse the old copy's DROP otherwise).
    with op.batch_alter_table("retrofit_case", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_retrofit_case_case_no"), type_="unique")
        batch_op.create_index(batch_op.f("ix_retrofit_case_case_no"), ["case_no"], unique=False)
    with op.batch_alter_table("sync_push", schema=None) as batch_op:
        batch_op.add_column(sa.Column("root_id", sa.String(length=36), nullable=True))
    with op.batch_alter_table("sync_transfer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("root_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_sync_transfer_root_id"), ["root_id"], unique=False)
    for table in ("sync_push", "sync_transfer"):
        op.execute(f"UPDATE {table} SET root_id = record_id")


def downgrade() -> None:
    with op.batch_alter_table("sync_transfer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_transfer_root_id"))
        batch_op.drop_column("root_id")
    with op.batch_alter_table("sync_push", schema=None) as batch_op:
        batch_op.drop_column("root_id")
    # Fails on a database that holds a duplicate the hub has not settled yet: settle it first.
    with op.batch_alter_table("retrofit_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retrofit_case_case_no"))
        batch_op.create_unique_constraint(op.f("uq_retrofit_case_case_no"), ["case_no"])
