"""the people registers' search index: FTS5 trigram tables kept by triggers

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 09:00:00

`db/search_index.py` creates, for the elderly roster, the child register (and the children's
parents and guardians) and the retrofit cases, an FTS5 `trigram` table, its term vocabulary and
the triggers that keep it, and fills it from the records already on file (about 4 s at 100,000
residents). Only on SQLite with FTS5 and the trigram tokenizer: elsewhere (PostgreSQL, an old
SQLite) nothing is created and searches scan as before. Nothing is journaled: the index is
derived, every replica builds its own.
"""

from alembic import op

from db import migration_kit as kit

revision: str = "0018"
down_revision: str | None = "0017"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    from db import search_index

    search_index.create(kit.driver_connection())


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    from db import search_index

    search_index.drop(kit.driver_connection())
