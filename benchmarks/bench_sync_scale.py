"""Sync at a real office's size: a demo office of 20,000 and of 100,000 residents with 12 months
of visits sends its first bundle; the district ingests it and sends its first bundle back.

Each step runs in its own process so that its peak memory (ru_maxrss) is its own; the floors are
raw sqlite3 `executemany` of the same rows (A: the journal rows; B: the journal rows and the
record rows they produce) in one transaction, as in bench_sync.

    python -m benchmarks --only sync_scale
    CASEWORKER_BENCH_SYNC_RESIDENTS=20000 python -m benchmarks --only sync_scale

The demo offices are built once (several minutes at 100,000 residents) and kept in
~/.cache/caseworker-bench (CASEWORKER_BENCH_CACHE) for later runs.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import Result

PASSPHRASE = "bench-pass"
# Building a 100,000-resident demo office takes minutes: it is kept here between runs.
CACHE = Path(os.environ.get("CASEWORKER_BENCH_CACHE", Path.home() / ".cache" / "caseworker-bench"))
CODE = "S001"
TARGET_PEAK_MB = 500.0
TARGET_END_TO_END_S = 120.0
RECORD_TABLES = (
    "office",
    "community",
    "staff",
    "setting",
    "elderly_resident",
    "elderly_visit",
    "elderly_visit_amendment",
    "elderly_referral",
)


def _step(name: str, root: Path) -> dict[str, float]:
    """Run one step in a fresh interpreter; returns its seconds, peak MB and figures."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_sync_scale", name, str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"step {name} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _do(name: str, root: Path) -> dict[str, float]:
    from caseworker import demo
    from caseworker.district import service
    from caseworker.district.hub import Hub
    from caseworker.domain.roles import Actor
    from caseworker.sync import office
    from caseworker.workspace import Workspace

    actor = Actor.system("bench")
    figures: dict[str, float] = {}
    t0 = time.perf_counter()
    if name == "setup":
        residents = int((root / "residents").read_text())
        with Hub.open(root / "district") as hub:
            service.init(hub, "基准区民政局")
            service.add_office(
                hub,
                code=CODE,
                name="基准街道",
                communities=[f"第{i + 1}社区" for i in range(12)],
                out=root / "enroll.cwenroll",
                passphrase=PASSPHRASE,
            )
        with Workspace.open(root / "office") as ws:
            office.enroll(ws, root / "enroll.cwenroll", PASSPHRASE)
            # the elderly programme only: this measures sync at an office's elderly roster size
            import random

            from caseworker.demo import elderly, reference

            rng = random.Random(5)
            report = demo.DemoReport()
            with ws.writer(actor) as s:
                reference.fill(s, rng, report)
            elderly.fill(ws, rng, residents, report)
            figures["visits"] = report.counts.get("探访记录", 0)
    elif name == "open":
        Hub.open(root / "district").close()
        Workspace.open(root / "office").close()
    elif name == "export":
        with Workspace.open(root / "office") as ws:
            t0 = time.perf_counter()  # opening (its integrity check) is start-up, not sync
            r = office.export_bundle(ws, actor, root / "up.cwbundle")
        figures["changes"] = r.changes
        figures["bundle_mb"] = (root / "up.cwbundle").stat().st_size / 1e6
        (root / "bundle_id").write_text(r.bundle_id)
    elif name == "ingest":
        with Hub.open(root / "district") as hub:
            t0 = time.perf_counter()
            [done] = service.ingest(hub, [root / "up.cwbundle"])
        if done.refused:
            raise RuntimeError(done.refused)
        figures["applied"] = done.applied
    elif name == "district-export":
        with Hub.open(root / "district") as hub:
            t0 = time.perf_counter()
            r = service.export_for(hub, CODE, root / "down.cwbundle")
        figures["changes"] = r.changes
    elif name == "office-import":
        with Workspace.open(root / "office") as ws:
            t0 = time.perf_counter()
            office.import_bundle(ws, actor, root / "down.cwbundle")
    else:
        raise SystemExit(f"unknown step {name}")
    figures["seconds"] = time.perf_counter() - t0
    figures["peak_mb"] = _peak_mb()
    return figures


def _peak_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the process's own memory map
    (new at exec); ru_maxrss is kept across exec on Linux and would report the benchmark
    parent's peak at the fork instead."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _floors(root: Path) -> tuple[float, float]:
    from benchmarks.bench_sync import _floor

    hub_db = root / "district" / "district.sqlite3"
    bundle_id = (root / "bundle_id").read_text()
    journal = {"journal": f"source='{bundle_id}'"}
    a = _floor(hub_db, root, "floorA", journal)
    b = _floor(hub_db, root, "floorB", {**dict.fromkeys(RECORD_TABLES, "1"), **journal})
    return a, b


def _one(residents: int) -> list[Result]:
    out: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "residents").write_text(str(residents))
        cached = CACHE / f"sync-{residents}"
        if (cached / "done").exists():  # the demo office of this size, built by an earlier run
            shutil.copytree(cached, root, dirs_exist_ok=True)
            print(f"  {residents} residents: demo office reused from {cached}", flush=True)
        else:
            setup = _step("setup", root)
            print(
                f"  {residents} residents, {setup['visits']:.0f} visits: "
                f"demo in {setup['seconds']:.0f}s",
                flush=True,
            )
            shutil.rmtree(cached, ignore_errors=True)
            shutil.copytree(root, cached)
            (cached / "done").write_text("")
        _step("open", root)  # a cached office of an older schema is migrated here, unmeasured
        steps = {}
        for name in ("export", "ingest", "district-export", "office-import"):
            steps[name] = _step(name, root)
            print(f"  {name}: {json.dumps(steps[name], ensure_ascii=False)}", flush=True)
        floor_a, floor_b = _floors(root)
        changes = steps["export"]["changes"]
        print(
            f"  {changes:.0f} changes, bundle {steps['export']['bundle_mb']:.1f} MB; "
            f"floor A {floor_a:.1f}s, floor B {floor_b:.1f}s",
            flush=True,
        )
    label = f"{residents // 1000}k residents"
    ex, ing = steps["export"], steps["ingest"]
    out.append(
        Result(
            f"sync {label}: office first export",
            ex["seconds"] * 1000,
            floor_a * 1000,
            "",
            True,
            f"{changes:.0f} changes",
        )
    )
    out.append(
        Result(
            f"sync {label}: district ingest",
            ing["seconds"] * 1000,
            floor_b * 1000,
            "<= 3x floor B",
            ing["seconds"] <= 3 * floor_b,
            "ratio vs floor B, incl. backup",
        )
    )
    end_to_end = ex["seconds"] + ing["seconds"]
    out.append(
        Result(
            f"sync {label}: export + ingest",
            end_to_end * 1000,
            None,
            "< 120 s",
            end_to_end < TARGET_END_TO_END_S,
        )
    )
    dex, oim = steps["district-export"], steps["office-import"]
    out.append(
        Result(
            f"sync {label}: district first bundle back",
            dex["seconds"] * 1000,
            None,
            "",
            True,
            f"{dex['changes']:.0f} changes",
        )
    )
    out.append(Result(f"sync {label}: office imports it", oim["seconds"] * 1000, None, "", True))
    for name, s in steps.items():
        out.append(
            Result(
                f"sync {label}: peak MB, {name}",
                s["peak_mb"],
                None,
                "< 500 MB",
                s["peak_mb"] < TARGET_PEAK_MB,
                "MB, not ms",
            )
        )
    return out


def run() -> list[Result]:
    sizes = os.environ.get("CASEWORKER_BENCH_SYNC_RESIDENTS", "20000,100000")
    results: list[Result] = []
    for n in (int(x) for x in sizes.split(",") if x.strip()):
        results.extend(_one(n))
    return results


if __name__ == "__main__":
    if len(sys.argv) == 3:
        print(json.dumps(_do(sys.argv[1], Path(sys.argv[2]))))
    else:
        from benchmarks.__main__ import main

        sys.exit(main(["--only", "sync_scale"]))
