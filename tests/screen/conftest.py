"""Fixtures of the real-window suite: one desktop for the session, a demo workspace copied per
test, and the application started in a child process whose exit code is checked at the end.

`python3 dev.py screen` runs this suite and writes the screenshots into docs/screenshots/;
otherwise they go to the test's temporary folder. Without Xvfb, openbox and xdotool the suite
is skipped, unless CASEWORKER_REQUIRE_SCREEN is set (as .ci/run does).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.screen import desktop as desktop_mod
from tests.screen.driver import RunningApp, env_flag

SCREENSHOTS_ENV = "CASEWORKER_SCREENSHOTS"  # a folder: keep the screenshots there


@pytest.fixture(scope="session")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[desktop_mod.Desktop]:
    missing = desktop_mod.missing_tools()
    if missing:
        message = "real-window suite needs " + ", ".join(missing)
        if env_flag(desktop_mod.REQUIRE_ENV):
            pytest.fail(message)
        pytest.skip(message)
    d = desktop_mod.start(tmp_path_factory.mktemp("desktop"))
    yield d
    d.stop()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace made once (every account's password is demo1234); tests get copies."""
    from caseworker import demo
    from caseworker.workspace import Workspace

    root = tmp_path_factory.mktemp("demo-template") / "ws"
    with Workspace.open(root) as ws:
        demo.build(ws, residents=300, seed=1)
    return root


@pytest.fixture(scope="session")
def district_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo district (区级平台: four offices, three ingested, a bundle on the stick), once."""
    from caseworker.demo import district

    home = tmp_path_factory.mktemp("district-template") / "district-home"
    district.build(home, residents=20)
    return home


@pytest.fixture
def district_home(district_template: Path, tmp_path: Path) -> Path:
    home = tmp_path / "district-home"
    shutil.copytree(district_template, home)
    return home


@pytest.fixture
def demo_ws(demo_template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(demo_template, root)
    return root


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where this test's screenshots go."""
    import os

    folder = os.environ.get(SCREENSHOTS_ENV)
    return Path(folder) if folder else tmp_path / "shots"


@pytest.fixture
def launch(desktop: desktop_mod.Desktop, tmp_path: Path) -> Iterator[Callable[..., RunningApp]]:
    """`launch(workspace)` starts the application; every run must have ended with exit 0 by
    the end of the test (one still running is quit as 文件 → 退出 would)."""
    runs: list[RunningApp] = []
    home = tmp_path / "home"

    def start(workspace: Path, name: str | None = None, *, district: bool = False) -> RunningApp:
        app = RunningApp(desktop, workspace, home, name or f"run{len(runs) + 1}", district)
        runs.append(app)
        return app.start()

    yield start
    failures = []
    for app in runs:
        code = app.exit_code
        if code is None:
            try:
                code = app.quit()
            except AssertionError as exc:
                failures.append(f"{app.name}: {exc}")
                continue
        if code != 0:
            failures.append(f"{app.name} ended with exit code {code}:\n{app.log_tail()}")
    if failures:
        pytest.fail("\n".join(failures))
