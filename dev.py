#!/usr/bin/env python3
"""One entry point for a fresh machine: `python3 dev.py run` starts the app, `python3 dev.py test`
runs the whole suite. `python3 dev.py run --district` opens the district console (区级平台) on
./district-home, building a demo district there the first time. Both create `.venv` and install the project into it when needed.

`python3 dev.py test --fast` runs the lint, the rules, the services and the commands only (no
PostgreSQL, no windows, no slow tests; property tests at a quarter of their examples).

`python3 dev.py screen` runs only the real-window suite (tests/screen: the application on a
virtual 1366x768 screen with a 40 px taskbar, driven by keys and clicks) and keeps its
screenshots in docs/screenshots/. It needs Debian's xvfb, openbox, xdotool and imagemagick."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".caseworker-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_venv() -> None:
    """Create the virtual environment and (re)install when pyproject.toml changed."""
    if not PY.exists():
        print("· creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("· installing caseworker and its dependencies into .venv", flush=True)
    subprocess.check_call([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    subprocess.check_call([str(PY), "-m", "pip", "install", "-q", "-e", f"{ROOT}[dev]"])
    STAMP.write_text(_fingerprint())


# `dev.py test --fast`: the rules, the services and the commands, without PostgreSQL, windows,
# the installer or the slow tests, and property tests at a quarter of their examples (the
# Hypothesis profile `fast`; `dev` is the default, `ci` what .ci/run asks for: tests/examples.py).
FAST_TESTS = ["tests/domain", "tests/services", "tests/cli", "tests/test_readme_commands.py"]
FAST_OPTIONS = ["-m", "not slow", "-q"]


def _names_profile(args: list[str]) -> bool:
    return any(a.startswith("--hypothesis-profile") for a in args)


def run_tests(extra: list[str]) -> int:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if "--fast" in extra:
        extra = [a for a in extra if a != "--fast"]
        for name in (
            "CASEWORKER_TEST_PG_URL",
            "CASEWORKER_REQUIRE_PG",
            "CASEWORKER_REQUIRE_SCREEN",
        ):
            env.pop(name, None)
        # the fast set unless paths were given (options such as `-x` keep it)
        paths = [a for a in extra if a.startswith("tests")]
        profile = [] if _names_profile(extra) else ["--hypothesis-profile=fast"]
        extra = [*FAST_OPTIONS, *profile, *extra, *([] if paths else FAST_TESTS)]
    # One worker per core (pytest-xdist); `-n 0` or `-p no:xdist` runs in one process.
    if not any(a.startswith(("-n", "--numprocesses")) or a.endswith("no:xdist") for a in extra):
        extra = ["-n", "auto", "--dist", "loadgroup", *extra]
    steps = [
        [str(PY), "-m", "ruff", "check", "."],
        [str(PY), "-m", "ruff", "format", "--check", "."],
        [str(BIN / "lint-imports")],
        [str(PY), "-m", "mypy"],  # the files [tool.mypy] names
        [str(PY), "-m", "pytest", *extra],
    ]
    for step in steps:
        print(
            "·",
            " ".join(Path(step[0]).name if i == 0 else a for i, a in enumerate(step)),
            flush=True,
        )
        rc = subprocess.call(step, cwd=ROOT, env=env)
        if rc != 0:
            return rc
    return 0


def run_screen(extra: list[str]) -> int:
    env = dict(
        os.environ,
        CASEWORKER_REQUIRE_SCREEN="1",  # a missing tool fails here instead of skipping
        CASEWORKER_SCREENSHOTS=str(ROOT / "docs" / "screenshots"),
    )
    # Paths given narrow the run (`dev.py screen tests/screen/test_x.py`); options alone do not.
    where = [] if any(a.startswith("tests/screen") for a in extra) else ["tests/screen"]
    return subprocess.call([str(PY), "-m", "pytest", *where, *extra], cwd=ROOT, env=env)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "screen", "bench", "build"}:
        print(__doc__)
        print(
            "usage: python3 dev.py run [caseworker args] | run --district | test [--fast] [pytest args] "
            "| screen | bench | build"
        )
        return 2
    ensure_venv()
    cmd, rest = argv[0], argv[1:]
    if cmd == "run" and rest[:1] == ["--district"]:
        # The district console on ./district-home, with a demo district made the first time.
        home = ROOT / "district-home"
        district = [str(PY), "-m", "caseworker.district", "--home", str(home)]
        if not (home / "district.sqlite3").exists():
            code = subprocess.call([*district, "demo"], cwd=ROOT)
            if code:
                return code
        return subprocess.call([*district, *(rest[1:] or ["gui"])], cwd=ROOT)
    if cmd == "run":
        args = rest or ["gui"]
        # From a checkout, the app works on ./workspace unless told otherwise.
        if "--workspace" not in args and not os.environ.get("CASEWORKER_WORKSPACE"):
            args += ["--workspace", str(ROOT / "workspace")]
        return subprocess.call([str(PY), "-m", "caseworker", *args], cwd=ROOT)
    if cmd == "test":
        return run_tests(rest)
    if cmd == "screen":
        return run_screen(rest)
    if cmd == "bench":
        return subprocess.call([str(PY), "-m", "benchmarks", *rest], cwd=ROOT)
    return subprocess.call([str(PY), str(ROOT / "build_installer.py"), *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
