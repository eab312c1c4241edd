"""settings and the retrofit catalogue with the date each change takes effect (issue 24)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 17:30:00

A new journaled table `dated_value`: each district setting's and catalogue item's value from a
day on, with who changed it and when. The values an existing hub or workspace holds become the
history's first entries, in force since 2000-01-01 (`caseworker.services.dated.SINCE_EVER`),
with the last person the journal names for that row. They are written here without a journal
entry: every replica derives the same ones (the same stable ids) from the rows it already has.
"""

import json
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

from db import migration_kit as kit
from db.ids import stable_id

revision: str = "0023"
down_revision: str | None = "0022"

SINCE_EVER = date(2000, 1, 1)


def upgrade() -> None:
    table = kit.create_table(
        "dated_value",
        """
        record
        kind            str16
        key             str80
        value           text
        effective_from  date
        changed_by      str60
        changed_at      datetime
        unique          kind key effective_from
        index ix_dated_value_effective_from effective_from
        """,
    )
    conn = op.get_bind()

    def last_actor(table_name: str, record_id: str) -> str:
        return (
            conn.execute(
                sa.text(
                    "SELECT actor_name FROM journal WHERE table_name = :t AND record_id = :r "
                    "ORDER BY seq DESC LIMIT 1"
                ),
                {"t": table_name, "r": record_id},
            ).scalar()
            or ""
        )

    # A few dozen rows at most (settings and changed catalogue items): one insert each.
    rows = []
    for rid, key, value, updated in conn.execute(
        sa.text("SELECT id, key, value, updated_at FROM setting WHERE deleted_at IS NULL")
    ):
        rows.append(("setting", key, value, last_actor("setting", rid), updated))
    for rid, code, price, cap, retired, updated in conn.execute(
        sa.text(
            "SELECT id, code, price_fen, cap_fen, retired, updated_at "
            "FROM retrofit_catalogue_item WHERE deleted_at IS NULL"
        )
    ):
        fields = {"price_fen": price, "cap_fen": cap, "retired": bool(retired)}
        rows.append(
            ("catalogue", code, json.dumps(fields), last_actor("retrofit_catalogue_item", rid), updated)
        )
    now = datetime.utcnow()
    for kind, key, value, who, updated in rows:
        if isinstance(updated, str):
            updated = datetime.fromisoformat(updated)
        op.bulk_insert(
            table,
            [
                {
                    "id": stable_id("dated_value", f"{kind}:{key}:{SINCE_EVER.isoformat()}"),
                    "created_at": now,
                    "updated_at": now,
                    "deleted_at": None,
                    "kind": kind,
                    "key": key,
                    "value": value,
                    "effective_from": SINCE_EVER,
                    "changed_by": who[:60],
                    "changed_at": updated or now,
                }
            ],
        )


def downgrade() -> None:
    kit.drop_tables("dated_value")
