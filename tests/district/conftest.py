"""The district hub's tests run on SQLite and, where CASEWORKER_TEST_PG_URL is set, on a fresh
PostgreSQL database each (`hub_url`: None for SQLite)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sync.conftest import pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    with pg_database() as url:
        yield url
