"""Shared fixtures: real workspaces on temporary folders, an office with staff, actors."""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable, Iterator
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


def shared_template(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """The folder `build(folder)` makes, made once per test run and shared by its workers
    (pytest-xdist): the first to need it builds it in a folder of its own and renames it into
    the run's folder; a worker that needs it later finds it there (a race builds twice, the
    first rename wins). `name` must say everything the build depends on. Only the run's own
    folder is shared: a run with `-n 0` keeps its templates to itself."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder; each worker's is popen-gwN inside it
    root = base / "templates" / name
    if root.is_dir():
        return root
    staging = tmp_path_factory.mktemp("building") / name
    with own_log_handlers():
        build(staging)
    root.parent.mkdir(parents=True, exist_ok=True)
    try:
        staging.rename(root)  # atomic: another worker sees all of it or none
    except OSError:
        if not root.is_dir():
            raise
        shutil.rmtree(staging, ignore_errors=True)  # another worker's came first: the same
    return root


def _build_workspace(office: bool) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        with Workspace.open(root) as ws:
            if office:
                _build_office(ws)

    return build


@pytest.fixture(scope="session")
def _workspace_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An empty workspace and an office workspace, made once per test run through the real
    services (every migration from zero, the office's password hashes) and closed cleanly;
    `workspace` and `office_ws` open a copy of one (0.03 s instead of 0.15 s and 0.45 s of CPU
    each). A copy is the same replica as the original (same device id, ids and journal), as a
    test's own build would be: no test sees another's."""
    return {
        name: shared_template(tmp_path_factory, f"workspace-{name}", _build_workspace(office))
        for name, office in (("empty", False), ("office", True))
    }


def _build_demo(residents: int, seed: int) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        from caseworker import demo

        with Workspace.open(root) as ws:
            demo.build(ws, residents=residents, seed=seed)

    return build


DemoCopy = Callable[[int, int], Path]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoCopy:
    """`demo_template(residents, seed)`: that demo workspace (every password demo1234), built
    once per test run (4-7 s of CPU: the accounts' password hashes, the children's keys) and
    closed; never open it, copy it (`demo_copy`)."""

    def template(residents: int, seed: int) -> Path:
        name = f"demo-{residents}-{seed}"
        return shared_template(tmp_path_factory, name, _build_demo(residents, seed))

    return template


@pytest.fixture(scope="session")
def demo_copy(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoCopy) -> DemoCopy:
    """`demo_copy(residents, seed)`: the root of a fresh copy of that demo workspace, copied in
    milliseconds, so modules that agree on one demo share its build."""

    def copy(residents: int, seed: int) -> Path:
        root = tmp_path_factory.mktemp(f"demo-{residents}-{seed}") / "ws"
        shutil.copytree(demo_template(residents, seed), root)
        return root

    return copy


CHILD_STAFF = "child-staff.pickle"  # beside the children's office template's ws/


def _build_child_office(folder: Path) -> None:
    """The office, then `add_child_staff` on it (three accounts, the key granted, each logged
    in), and what the logins left in this process: the actors and their unlocked keys."""
    from caseworker.services.children import keys
    from tests.services._children import add_child_staff

    with Workspace.open(folder / "ws") as ws:
        _build_office(ws)
        staff = add_child_staff(ws)
    unlocked = {a.staff_id: keys.unlocked(a) for a in staff.values()}
    (folder / CHILD_STAFF).write_bytes(pickle.dumps((staff, unlocked)))


@pytest.fixture(scope="session")
def _child_office_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The office with `add_child_staff` done, made once per test run: the six password hashes
    and key wraps of three accounts and their three logins (about 1.5 s of CPU) are paid once,
    not by each of the sixty tests that start with them."""
    return shared_template(tmp_path_factory, "workspace-children", _build_child_office)


@pytest.fixture
def workspace(
    _workspace_templates: dict[str, Path], tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    """An empty workspace (schema created, no office yet); for a test that asks for `office_ws`
    (or `admin`, `worker`) the same workspace with the office already in it; for one that asks
    for `child_staff`, with the child staff too."""
    if "child_staff" in request.fixturenames:
        template = request.getfixturevalue("_child_office_template") / "ws"
    else:
        office = "office_ws" in request.fixturenames
        template = _workspace_templates["office" if office else "empty"]
    root = tmp_path / "ws"
    shutil.copytree(template, root)
    ws = Workspace.open(root)
    yield ws
    ws.close()


@pytest.fixture
def office_ws(workspace: Workspace) -> Workspace:
    """A workspace with an office, three communities, an administrator and a caseworker."""
    return workspace


@pytest.fixture
def child_staff(office_ws: Workspace, request: pytest.FixtureRequest) -> dict[str, Actor]:
    """What `add_child_staff(office_ws)` gives (tests/services/_children.py: a child
    supervisor and two child directors, logged in, the key granted), from a template: the
    workspace is a copy of one where it was done, and this process holds the keys their logins
    unlocked there, as after those logins."""
    from caseworker.services.children import keys

    folder = request.getfixturevalue("_child_office_template")
    staff, unlocked = pickle.loads((folder / CHILD_STAFF).read_bytes())
    for staff_id, key in unlocked.items():
        if key is not None:
            keys._remember(staff_id, key)
    return dict(staff)


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
