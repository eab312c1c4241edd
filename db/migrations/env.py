"""Alembic environment: always run programmatically by db.schema with an open connection."""

from alembic import context

from db.schema import metadata
from db.search_index import include_name

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
    compare_type=True,
    include_name=include_name,  # the search index's tables are no model's (db/search_index.py)
)
with context.begin_transaction():
    context.run_migrations()
