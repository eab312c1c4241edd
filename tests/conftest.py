"""Shared fixtures: real workspaces on temporary folders, an office with staff, actors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.workspace import Workspace
from db.engine import MAX_VARIABLES_ENV

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Every connection the suite opens (and every command it runs) has the stock SQLite limit of
# Python's Windows build, so a statement that grows with the data fails here as on an office PC.
os.environ[MAX_VARIABLES_ENV] = "32766"

# Property tests check rules, not speed (benchmarks/ does that): no per-example deadline, which
# would make them flaky on a busy 2-core CI machine.
settings.register_profile("caseworker", deadline=None)
settings.load_profile("caseworker")

ADMIN_PASSWORD = "Admin2026"
STAFF_PASSWORD = "Staff2026"


@pytest.fixture
def system() -> Actor:
    return Actor.system("test")


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """An empty workspace (schema created, no office yet)."""
    ws = Workspace.open(tmp_path / "ws")
    yield ws
    ws.close()


@pytest.fixture
def office_ws(workspace: Workspace, system: Actor) -> Workspace:
    """A workspace with an office, three communities, an administrator and a caseworker."""
    with workspace.writer(system) as s:
        accounts.initialise_office(
            s,
            system,
            office_code="110105001",
            office_name="测试街道办事处",
            district_name="测试区",
            community_names=["和平里社区", "安贞社区", "柳芳村"],
            admin=accounts.StaffDraft("admin", "张管理", Role.ADMIN),
            admin_password=ADMIN_PASSWORD,
        )
        accounts.create_staff(
            s,
            system,
            accounts.StaffDraft("worker", "李专干", Role.CASEWORKER),
            STAFF_PASSWORD,
            force_password_change=False,
        )
    return workspace


def login(ws: Workspace, username: str, password: str) -> Actor:
    with ws.writer(Actor.system("login")) as s:
        result = accounts.authenticate(s, username, password)
    assert result.actor is not None, result.message
    return result.actor


@pytest.fixture
def admin(office_ws: Workspace) -> Actor:
    return login(office_ws, "admin", ADMIN_PASSWORD)


@pytest.fixture
def worker(office_ws: Workspace) -> Actor:
    return login(office_ws, "worker", STAFF_PASSWORD)


# Workers (pytest-xdist, `dev.py test` runs one per core with --dist loadgroup): a module whose
# tests share a module- or class-scoped fixture runs on one worker, so the fixture (often a
# district or a 20,000-row world) is built once, not once per worker; the real-window suite runs
# on one worker, one window at a time, as a person would meet it. Other tests spread freely.
_SHARED_SCOPES = {"module", "class", "package"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path.startswith("tests/screen/"):
            item.add_marker(pytest.mark.xdist_group("screen"))
            continue
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info is not None else ()
        if any(d[-1].scope in _SHARED_SCOPES for d in defs if d):
            item.add_marker(pytest.mark.xdist_group(path))
