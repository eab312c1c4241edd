"""Migration 0009: a fresh database upgrades to head with the retrofit tables matching the
models exactly, and downgrades back to 0003 cleanly."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from db.schema import HEAD, MIGRATIONS, alembic_head, metadata
from db.search_index import include_name

RETROFIT_TABLES = {
    "retrofit_catalogue_item",
    "retrofit_contractor",
    "retrofit_case",
    "retrofit_case_event",
    "retrofit_assessment_item",
    "retrofit_photo",
}


def _run(engine, fn, target: str) -> None:
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        fn(cfg, target)


def test_fresh_database_upgrades_to_head_and_back(tmp_path: Path) -> None:
    assert alembic_head() == HEAD
    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    _run(engine, command.upgrade, "head")
    assert set(inspect(engine).get_table_names()) >= RETROFIT_TABLES | {"sync_photo"}
    with engine.connect() as conn:
        # the search index's tables (db/search_index.py) are no model's
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(context, metadata)
    # The sync tests register tables of their own (synctest_*) in the same metadata.
    diff = [d for d in diff if "synctest_" not in repr(d)]
    assert diff == []  # the migration creates exactly what the models declare
    _run(engine, command.downgrade, "0003")
    assert not (RETROFIT_TABLES | {"sync_photo"}) & set(inspect(engine).get_table_names())
    engine.dispose()
