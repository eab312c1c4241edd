"""Backups, restore and start-up at an office's size: 2,000 and 20,000 residents (100,000 with
CASEWORKER_BENCH_BACKUP_100K=1 when bench_sync_scale's 100,000-resident office is cached;
CASEWORKER_BENCH_BACKUP_SIZES=100000 runs only the sizes listed).

For each size, each step runs in a fresh interpreter (its peak memory is its own, VmHWM):
- backup (`Workspace.backup`: online backup, quick_check, gzip level 1) beside two floors: a
  plain file copy of the database and gzip -1 of the file (Python's gzip module, same level);
- restore (unpack, the full verification, a pre-restore backup of the replaced file, rename);
- the full check alone (`db.verify.verify`), and the `PRAGMA quick_check` that used to run at
  every open, for reference;
- process start to a usable login window (`caseworker gui` with CASEWORKER_STARTUP_PROBE=ready,
  offscreen), warm: the OS page cache cannot be dropped here, so a cold start is not measured.

    python -m benchmarks --only backup
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import Result

CACHE = Path(os.environ.get("CASEWORKER_BENCH_CACHE", Path.home() / ".cache" / "caseworker-bench"))
TARGET_LOGIN_S = 1.0
STARTS = 5


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _do(name: str, root: Path, arg: str) -> dict[str, float]:
    figures: dict[str, float] = {}
    db = root / "caseworker.sqlite3"
    t0 = time.perf_counter()
    if name == "demo":
        from caseworker import demo
        from caseworker.workspace import Workspace

        with Workspace.open(root) as ws:
            demo.build(ws, residents=int(arg), seed=1)
    elif name == "open":  # unmeasured: migrates a cached workspace of an older schema
        from caseworker.workspace import Workspace

        with Workspace.open(root) as ws:
            ws.mark_checked()
    elif name == "copy":
        shutil.copyfile(db, arg)
    elif name == "gzip":
        with open(db, "rb") as src, gzip.open(arg, "wb", compresslevel=1) as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
    elif name == "backup":
        from caseworker.workspace import Workspace

        with Workspace.open(root) as ws:
            t0 = time.perf_counter()
            path = ws.backup(out=Path(arg))
        figures["size_mb"] = path.stat().st_size / 1e6
    elif name == "restore":
        from caseworker.workspace import restore

        restore(root, Path(arg))
    elif name == "verify":
        from db.verify import expected_shape, verify

        expected_shape("0009")  # built once per process (~1 s), not part of the file's check
        from db.schema import HEAD

        expected_shape(HEAD)
        t0 = time.perf_counter()
        problems = verify(db)
        figures["problems"] = len(problems)
    elif name == "open_time":
        from caseworker.workspace import Workspace

        t0 = time.perf_counter()
        with Workspace.open(root) as ws:
            ws.is_initialised()
            figures["seconds"] = time.perf_counter() - t0
    elif name == "quick_check":
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        con.execute("PRAGMA quick_check").fetchall()
        con.close()
    figures.setdefault("seconds", time.perf_counter() - t0)
    figures["peak_mb"] = _peak_mb()
    return figures


def _step(name: str, root: Path, arg: str = "") -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_backup", name, str(root), arg],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"step {name} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _login_ready(root: Path, probe: str = "ready") -> float:
    """Process start to the login window shown ("login", before the workspace is opened: the
    floor) or usable ("ready": the workspace opened and checked, the office's name shown)."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["CASEWORKER_STARTUP_PROBE"] = probe
    cmd = [sys.executable, "-m", "caseworker", "gui", "--workspace", str(root)]

    def once() -> float:
        start = time.time()
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        for line in out.stdout.splitlines():
            if line.startswith(f"PROBE {probe}"):
                return float(line.split()[2]) - start
        raise RuntimeError(f"no probe line: {out.stdout}\n{out.stderr[-2000:]}")

    once()  # warm the page cache: a warm start is what can be measured here
    return statistics.median(once() for _ in range(STARTS))


def _source(residents: int) -> Path | None:
    """A cached demo office of this size (built here for 2,000; bench_sync_scale's otherwise)."""
    if residents <= 2000:
        cached = CACHE / f"backup-{residents}"
        if not (cached / "done").exists():
            shutil.rmtree(cached, ignore_errors=True)
            cached.mkdir(parents=True)
            step = _step("demo", cached, str(residents))
            print(f"  {residents} residents: demo in {step['seconds']:.0f}s", flush=True)
            (cached / "done").write_text("")
        return cached
    office = CACHE / f"sync-{residents}" / "office"
    return office if (CACHE / f"sync-{residents}" / "done").exists() else None


def _one(residents: int) -> list[Result]:
    source = _source(residents)
    label = f"{residents // 1000}k residents"
    if source is None:
        print(f"  {residents}: no cached office (run bench_sync_scale first); skipped", flush=True)
        return []
    out: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        shutil.copytree(
            source, root, ignore=shutil.ignore_patterns("backups", "locks", "*.lock", "done")
        )
        _step("open", root)
        db_mb = (root / "caseworker.sqlite3").stat().st_size / 1e6
        copy = _step("copy", root, str(Path(tmp) / "copy.sqlite3"))
        gz = _step("gzip", root, str(Path(tmp) / "floor.sqlite3.gz"))
        gz_mb = (Path(tmp) / "floor.sqlite3.gz").stat().st_size / 1e6
        (Path(tmp) / "copy.sqlite3").unlink()
        (Path(tmp) / "floor.sqlite3.gz").unlink()
        bk = _step("backup", root, str(Path(tmp) / "b.sqlite3.gz"))
        restore = _step("restore", root, str(Path(tmp) / "b.sqlite3.gz"))
        shutil.rmtree(root / "backups", ignore_errors=True)
        verify = _step("verify", root)
        quick = _step("quick_check", root)
        login = _login_ready(root)
        window = _login_ready(root, "login")
        opened = _step("open_time", root)
        figures = {
            "db_mb": db_mb,
            "copy": copy,
            "gzip": gz,
            "gzip_mb": gz_mb,
            "backup": bk,
            "restore": restore,
            "verify": verify,
            "quick_check": quick,
            "login_ready_s": login,
            "login_window_s": window,
            "open_time": opened,
        }
        print(f"  {residents}: {json.dumps(figures, ensure_ascii=False)}", flush=True)
    out.append(
        Result(
            f"backup {label} (vs file copy)",
            bk["seconds"] * 1000,
            copy["seconds"] * 1000,
            "",
            True,
            f"{db_mb:.0f} MB -> {bk['size_mb']:.0f} MB, peak {bk['peak_mb']:.0f} MB",
        )
    )
    out.append(
        Result(
            f"backup {label} (vs gzip -1 of the file)",
            bk["seconds"] * 1000,
            gz["seconds"] * 1000,
            "",
            True,
            f"gzip -1: {gz_mb:.0f} MB",
        )
    )
    out.append(
        Result(
            f"restore {label} (verify + keep + swap)",
            restore["seconds"] * 1000,
            verify["seconds"] * 1000,
            "",
            restore["peak_mb"] < 300,
            f"floor = the full check alone; peak {restore['peak_mb']:.0f} MB",
        )
    )
    out.append(
        Result(
            f"full check {label}",
            verify["seconds"] * 1000,
            quick["seconds"] * 1000,
            "",
            verify["problems"] == 0,
            "floor = PRAGMA quick_check (no longer run at open)",
        )
    )
    out.append(
        Result(
            f"start to usable login {label} (warm)",
            login * 1000,
            window * 1000,
            f"< {TARGET_LOGIN_S * 1000:.0f} ms after the window",
            login - window < TARGET_LOGIN_S,
            "floor = the login window shown; page cache warm, cold not measurable here",
        )
    )
    out.append(
        Result(
            f"Workspace.open {label} (warm)",
            opened["seconds"] * 1000,
            quick["seconds"] * 1000,
            "< 1000 ms",
            opened["seconds"] < TARGET_LOGIN_S,
            "reference = the quick_check open used to run",
        )
    )
    return out


def run() -> list[Result]:
    sizes = [2000, 20000]
    if os.environ.get("CASEWORKER_BENCH_BACKUP_100K"):
        sizes.append(100000)
    chosen = os.environ.get("CASEWORKER_BENCH_BACKUP_SIZES")  # e.g. "100000"
    if chosen:
        sizes = [int(x) for x in chosen.split(",") if x.strip().isdigit()]
    results: list[Result] = []
    for residents in sizes:
        results.extend(_one(residents))
    return results


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] in (
        "demo",
        "open",
        "copy",
        "gzip",
        "backup",
        "restore",
        "verify",
        "quick_check",
        "open_time",
    ):
        print(
            json.dumps(
                _do(sys.argv[1], Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "")
            )
        )
    else:
        from benchmarks.__main__ import _table

        print(_table(run()))
