"""Migrations are history: folding their repeated blocks into `db/migration_kit.py` must leave
what each one produces unchanged by a byte. A fresh SQLite file walks base → head → base one
revision at a time and, after every step, its `sqlite_master` must equal the one pinned from
the migrations as they were before the fold (`tests/data/migration_schema.py` wrote the pin).
On PostgreSQL (CASEWORKER_TEST_PG_URL) the walk goes to head, matches the models, and back."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from db.schema import _alembic_config, metadata, migration_connection
from db.search_index import include_name
from tests.data import migration_schema
from tests.sync.conftest import pg_database


def test_every_step_leaves_the_pinned_schema(tmp_path: Path) -> None:
    import sqlite3

    from db import search_index

    if not search_index.supported(sqlite3.connect(":memory:")):
        # the pin holds 0018's FTS5 index tables, which such a SQLite does not create
        pytest.skip("this SQLite has no FTS5 trigram tokenizer")
    pinned = migration_schema.load()
    walked = dict(migration_schema.walk(tmp_path / "walk.sqlite3"))
    assert list(walked) == list(pinned)  # the same steps, in the same order
    for step, rows in walked.items():
        assert rows == pinned[step], step


def test_postgresql_upgrades_to_head_and_back_to_base() -> None:
    with pg_database() as url:
        engine = create_engine(url)
        try:
            with migration_connection(engine) as conn:
                command.upgrade(_alembic_config(conn), "head")
            with engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"include_name": include_name})
                diff = compare_metadata(context, metadata)
            # The sync tests register tables of their own (synctest_*) in the same metadata.
            assert [d for d in diff if "synctest_" not in repr(d)] == []
            with migration_connection(engine) as conn:
                command.downgrade(_alembic_config(conn), "base")
            assert inspect(engine).get_table_names() == ["alembic_version"]
        finally:
            engine.dispose()
