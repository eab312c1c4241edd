"""covering indexes for 工作台's elderly counts: the work lists, the month's visit rate, open referrals

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 00:30:00

工作台's elderly panel is read while the roster opens after the login (issue 23: login → roster
≤ 1.5 s cold at 100,000 residents). Its counts filtered on columns their indexes did not hold
(deleted_at, the roster status and dates, a referral's owner), so each counted resident's or
referral's row was read: cold at 100,000 residents, `visit_rates` read 88 MB, `overdue_count`
51 MB, `due_count` 44 MB, the open referrals' page and counts 45 and 22 MB. Four existing
indexes get the columns those reads need, under the same names:

- ix_elderly_resident_community_due: (community_id, next_due) + deleted_at, enrolled_on,
  status, status_date, last_visit_on (the current month's visit rate per community);
- ix_elderly_resident_next_due: (next_due) + deleted_at;
- ix_elderly_resident_assigned: (assigned_staff_id, next_due) + deleted_at;
- ix_elderly_referral_status_due: (status, due_on) + id, deleted_at, owner_staff_id,
  resident_id (the open referrals counted, and a page of them chosen, on the index alone).

Indexes only: nothing in any row changes. `db.schema.ensure_schema` takes the pre-migration
backup before it runs; on 100,000 residents and 78,000 referrals the four take a few seconds
(docs/performance.md, "Cold start: the work lists on covering indexes").
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = {
    "ix_elderly_resident_community_due": ("elderly_resident", ["community_id", "next_due"]),
    "ix_elderly_resident_next_due": ("elderly_resident", ["next_due"]),
    "ix_elderly_resident_assigned": ("elderly_resident", ["assigned_staff_id", "next_due"]),
    "ix_elderly_referral_status_due": ("elderly_referral", ["status", "due_on"]),
}
_AFTER = {
    "ix_elderly_resident_community_due": (
        "elderly_resident",
        ["community_id", "next_due", "deleted_at", "enrolled_on", "status", "status_date",
         "last_visit_on"],
    ),  # fmt: skip
    "ix_elderly_resident_next_due": ("elderly_resident", ["next_due", "deleted_at"]),
    "ix_elderly_resident_assigned": (
        "elderly_resident",
        ["assigned_staff_id", "next_due", "deleted_at"],
    ),
    "ix_elderly_referral_status_due": (
        "elderly_referral",
        ["status", "due_on", "id", "deleted_at", "owner_staff_id", "resident_id"],
    ),
}


def _replace(indexes: dict[str, tuple[str, list[str]]]) -> None:
    for name, (table, columns) in indexes.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)


def upgrade() -> None:
    _replace(_AFTER)


def downgrade() -> None:
    _replace(_BEFORE)
