"""The schema's head revision, alone: what the start needs to know before it may read the login's
facts in plain SQL (`caseworker.first_look`), without importing SQLAlchemy and every programme's
tables as `db.schema` does. A test checks it equals Alembic's head."""

from __future__ import annotations

# The newest migration; db.schema re-exports it.
HEAD = "0026"
