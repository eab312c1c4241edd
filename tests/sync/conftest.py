"""District-hub database fixture: SQLite always, PostgreSQL when CASEWORKER_TEST_PG_URL is set.

`.ci/run` starts a throwaway PostgreSQL and sets the URL and CASEWORKER_REQUIRE_PG=1, so in CI a
missing server fails the run instead of quietly skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_ENV = "CASEWORKER_TEST_PG_URL"


def _pg_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url and os.environ.get("CASEWORKER_REQUIRE_PG"):
        pytest.fail(f"{PG_ENV} is required in CI (see .ci/start-postgres)")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def district_db(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the default SQLite hub, or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    with pg_database() as url:
        yield url


@contextmanager
def pg_database() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database, dropped afterwards (skips without a server)."""
    url = _pg_url()
    if not url:
        pytest.skip(f"{PG_ENV} not set: no PostgreSQL here")
    import psycopg

    name = f"cw_{uuid.uuid4().hex[:12]}"
    base, _, _ = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
