"""Shared fixtures: real workspaces on temporary folders, an office with staff, actors."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.workspace import Workspace
from db.engine import MAX_VARIABLES_ENV
from tests.examples import register_profiles
from tests.isolation import own_log_handlers

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Every connection the suite opens (and every command it runs) has the stock SQLite limit of
# Python's Windows build, so a statement that grows with the data fails here as on an office PC.
os.environ[MAX_VARIABLES_ENV] = "32766"

# Property tests' example counts: the `dev` profile unless `--hypothesis-profile` names `ci` or
# `fast` (tests/examples.py says what each runs).
register_profiles()
settings.load_profile("dev")

ADMIN_PASSWORD = "Admin2026"
STAFF_PASSWORD = "Staff2026"


@pytest.fixture
def system() -> Actor:
    return Actor.system("test")


@pytest.fixture(autouse=True)
def _own_log_handlers() -> Iterator[None]:
    """The log files a test's workspaces attached are detached when it ends (tests/isolation.py:
    left attached, every record of every later test is written to each of them)."""
    with own_log_handlers():
        yield


def _build_office(ws: Workspace) -> None:
    system = Actor.system("test")
    with ws.writer(system) as s:
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


@pytest.fixture(scope="session")
def _workspace_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An empty workspace and an office workspace, made once per test process through the real
    services (every migration from zero, the office's password hashes) and closed cleanly;
    `workspace` and `office_ws` open a copy of one (0.03 s instead of 0.15 s and 0.45 s of CPU
    each). A copy is the same replica as the original (same device id, ids and journal), as a
    test's own build would be: no test sees another's."""
    base = tmp_path_factory.mktemp("workspace-templates")
    made: dict[str, Path] = {}
    with own_log_handlers():
        for name in ("empty", "office"):
            root = base / name
            with Workspace.open(root) as ws:
                if name == "office":
                    _build_office(ws)
            made[name] = root
    return made


@pytest.fixture
def workspace(
    _workspace_templates: dict[str, Path], tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    """An empty workspace (schema created, no office yet); for a test that asks for `office_ws`
    (or `admin`, `worker`) the same workspace with the office already in it."""
    office = "office_ws" in request.fixturenames
    root = tmp_path / "ws"
    shutil.copytree(_workspace_templates["office" if office else "empty"], root)
    ws = Workspace.open(root)
    yield ws
    ws.close()


@pytest.fixture
def office_ws(workspace: Workspace) -> Workspace:
    """A workspace with an office, three communities, an administrator and a caseworker."""
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
