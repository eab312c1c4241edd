"""Demo workspaces shared by the benchmarks that drive the application: built once per size with
`caseworker demo` and kept in ~/.cache/caseworker-bench (CASEWORKER_BENCH_CACHE); each run
works on a copy."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

CACHE = Path(os.environ.get("CASEWORKER_BENCH_CACHE", Path.home() / ".cache" / "caseworker-bench"))
_MIGRATE = (
    "import sys; from caseworker.workspace import Workspace; Workspace.open(sys.argv[1]).close()"
)


# The benchmark office: its communities (18 社区 and two 村) and every account's password.
COMMUNITIES = [f"第{i + 1}社区" for i in range(18)] + ["东村", "西村"]
PASSWORD = "Bench2026x"


def generated(name: str) -> Path:
    """Where a benchmark keeps the workspace it generates with its own SQL: under
    CASEWORKER_BENCH_CACHE when set (read at each call), else under the temp folder."""
    base = os.environ.get("CASEWORKER_BENCH_CACHE")
    root = Path(base) if base else Path(tempfile.gettempdir()) / "caseworker-bench"
    return root / name


def start_office(
    s: Any,
    system: Any,
    *,
    office_code: str = "110105001",
    office_name: str = "基准测试街道",
    communities: Sequence[str] = COMMUNITIES,
) -> None:
    """Set up the benchmark office in a fresh workspace's writer session `s`: the office of the
    基准区 district, its communities and the administrator `admin`."""
    from caseworker.domain.roles import Role
    from caseworker.services import accounts

    accounts.initialise_office(
        s,
        system,
        office_code=office_code,
        office_name=office_name,
        district_name="基准区",
        community_names=list(communities),
        admin=accounts.StaffDraft("admin", "管理员", Role.ADMIN),
        admin_password=PASSWORD,
    )


def workspace_for(residents: int, source: Path | None = None) -> Path:
    """The cached demo workspace of this size, built on first use (or copied from `source`,
    e.g. bench_sync_scale's office of that size, which is much quicker than a new demo)."""
    cached = CACHE / f"ui-{residents}"
    if source is not None and not (cached / "done").exists():
        shutil.rmtree(cached, ignore_errors=True)
        shutil.copytree(source, cached, ignore=shutil.ignore_patterns("backups", "*-wal", "*-shm"))
        (cached / "done").write_text(f"copied from {source}\n")
    if (cached / "done").exists():
        # A cache of an older schema is migrated here once, unmeasured (its pre-migration
        # backup is dropped: the cache is rebuilt from the demo when in doubt).
        subprocess.run(
            [sys.executable, "-c", _MIGRATE, str(cached)], check=True, capture_output=True
        )
        shutil.rmtree(cached / "backups", ignore_errors=True)
        return cached
    shutil.rmtree(cached, ignore_errors=True)
    cached.parent.mkdir(parents=True, exist_ok=True)
    print(f"  building a {residents}-resident demo workspace (kept in {cached})…", flush=True)
    t0 = time.perf_counter()
    command = [sys.executable, "-m", "caseworker", "demo", "--residents", str(residents)]
    subprocess.run(
        [*command, "--workspace", str(cached)],
        check=True,
        capture_output=True,
    )
    (cached / "done").write_text(f"{time.perf_counter() - t0:.0f} s\n")
    return cached


def office_for(residents: int) -> Path:
    """bench_sync_scale's enrolled demo office of this size with its district (elderly programme,
    12 months of visits), kept in the cache as sync-N (`office/`, `district/`); built if missing."""
    from benchmarks.bench_sync_scale import _step

    cached = CACHE / f"sync-{residents}"
    if (cached / "done").exists():
        return cached
    import tempfile

    print(f"  building a {residents}-resident enrolled office (kept in {cached})…", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "residents").write_text(str(residents))
        _step("setup", root)
        shutil.rmtree(cached, ignore_errors=True)
        shutil.copytree(root, cached)
    (cached / "done").write_text("")
    return cached


@contextlib.contextmanager
def working_copy(cached: Path, into: Path) -> Iterator[Path]:
    """A copy of a cached workspace (or office folder) under `into`, deleted afterwards: the
    cache itself is never written to nor deleted."""
    target = into / cached.name
    shutil.copytree(cached, target, ignore=shutil.ignore_patterns("done", "backups"))
    try:
        yield target
    finally:
        shutil.rmtree(target, ignore_errors=True)
