"""A small real office and district for the command-failure matrix, built once per test process
through the commands themselves, then copied afresh for each case."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from caseworker import cli
from caseworker.district import cli as district_cli
from tests.conftest import shared_template
from tests.isolation import own_log_handlers

PASSPHRASE = "abcdefgh12345678"
CJK = re.compile(r"[\u4e00-\u9fff]")
LEFTOVERS = ("*.part", "*.partial", "*.partial-journal", "*.probe", "*.tmp")


@dataclass(frozen=True)
class Built:
    """The pristine office workspace and district home, and residents' ID numbers."""

    ws: Path
    hub: Path
    enrollment: Path
    down_bundle: Path  # a district bundle with one change (a setting) for the office
    id_numbers: tuple[str, ...]
    resident_ids: tuple[str, ...]


@dataclass
class Case:
    """One case's own copies, and what to check on them."""

    root: Path
    ws: Path
    hub: Path
    built: Built

    def db_digest(self, which: str = "ws") -> str:
        return db_digest(self.ws / "caseworker.sqlite3" if which == "ws" else self.hub_db)

    @property
    def hub_db(self) -> Path:
        return self.hub / "district.sqlite3"


def db_digest(path: Path) -> str:
    """A digest of the database's content (every row of every table), not of its bytes."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        h = hashlib.sha256()
        for line in con.iterdump():
            h.update(line.encode())
        return h.hexdigest()
    finally:
        con.close()


def run_main(main, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def run_sub(argv: list[str], prefix: list[str] | None = None) -> tuple[int, str, str]:
    """The real entry point in a new process (`python -m caseworker` or the district's)."""
    program = argv[0]
    module = {"caseworker": "caseworker", "caseworker-district": "caseworker.district.cli"}[program]
    r = subprocess.run(
        [*(prefix or []), sys.executable, "-m", module, *argv[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CASEWORKER_ENROLL_PASSPHRASE": ""},
    )
    return r.returncode, r.stdout, r.stderr


def assert_clean_refusal(
    code: int, out: str, err: str, *, case: Case | None = None, secrets: tuple[str, ...] = ()
) -> None:
    """Exit 2, exactly one line on stderr, in Chinese, no traceback, no personal data, no
    half-written file left anywhere in the case's folders."""
    assert code == 2, (code, out, err)
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert CJK.search(err), err
    assert "Traceback" not in err + out and "Error:" not in err, err
    for secret in secrets:
        assert secret not in err and secret not in out, err
    if case is not None:
        left = [p for pattern in LEFTOVERS for p in case.root.rglob(pattern)]
        assert not left, left


def unprivileged_prefix() -> list[str]:
    """What takes away the power to ignore file permissions: nothing for a normal user; for
    root, `setpriv` dropping CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (root ignores chmod)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot be taken away")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


# Once per test run, not per module or worker (tests/conftest.py's `shared_template`): the
# modules that use it share one build (a demo, a district, an enrollment and a sync round
# through the commands).
@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    def build(base: Path) -> None:
        base.mkdir(parents=True)
        _build(base / "ws", base / "hub", base / "e.cwenroll", base)

    base = shared_template(tmp_path_factory, "cli-office-and-district", build)
    ws, hub, enroll = base / "ws", base / "hub", base / "e.cwenroll"
    con = sqlite3.connect(f"file:{hub / 'district.sqlite3'}?immutable=1", uri=True)  # shared
    rows = con.execute("SELECT id, id_number FROM elderly_resident ORDER BY id LIMIT 3").fetchall()
    con.close()
    return Built(
        ws,
        hub,
        enroll,
        base / "down.cwbundle",
        tuple(r[1] for r in rows),
        tuple(r[0] for r in rows),
    )


def _build(ws: Path, hub: Path, enroll: Path, base: Path) -> None:
    def ok(main, *argv: str) -> None:
        assert main(list(argv)) == 0, argv

    ok(cli.main, "demo", "--workspace", str(ws), "--residents", "20", "--seed", "3")
    ok(district_cli.main, "--home", str(hub), "init", "--name", "测试区民政局")
    ok(
        district_cli.main,
        *("--home", str(hub), "office", "add", "--code", "110105001", "--name", "示范街道"),
        *("--existing", "--passphrase", PASSPHRASE, "--out", str(enroll)),
    )
    ok(
        cli.main,
        "init",
        "--workspace",
        str(ws),
        "--enrollment",
        str(enroll),
        "--passphrase",
        PASSPHRASE,
    )
    up = base / "up.cwbundle"
    ok(cli.main, "sync", "export", "--workspace", str(ws), "--out", str(up))
    ok(district_cli.main, "--home", str(hub), "ingest", str(up))
    ok(district_cli.main, "--home", str(hub), "settings", "--set", "visit.interval_days.key=20")
    down = base / "down.cwbundle"
    ok(district_cli.main, "--home", str(hub), "export", "--office", "110105001", "--out", str(down))


@pytest.fixture
def case(built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Case]:
    ws, hub = tmp_path / "ws", tmp_path / "hub"
    shutil.copytree(built.ws, ws)
    shutil.copytree(built.hub, hub)
    monkeypatch.chdir(tmp_path)  # a default folder (`district/`) lands here, not in the checkout
    # a command run without --workspace opens the default one: this test's, never the machine's
    # own (shared by every checkout on it, at whatever schema the last run left)
    monkeypatch.setenv("CASEWORKER_WORKSPACE", str(tmp_path / "default-ws"))
    (tmp_path / "out").mkdir()
    (tmp_path / "empty").touch()
    (tmp_path / "garbage.sqlite3").write_bytes(b"not a database at all " * 100)
    for old in [*(ws / "logs").iterdir(), *(hub / "logs").glob("*")]:
        old.unlink()
    with own_log_handlers():
        yield Case(tmp_path, ws, hub, built)
    for p in tmp_path.rglob("*"):  # give back what a test made read-only
        if p.is_dir() and not p.is_symlink():
            p.chmod(0o755)
