"""Sync at a real office's size: a demo office of 20,000 and of 100,000 residents with 12 months
of visits sends its first bundle; the district ingests it and sends its first bundle back.

Each step runs in its own process so that its peak memory (ru_maxrss) is its own; the floors are
raw sqlite3 `executemany` of the same rows (A: the journal rows; B: the journal rows and the
record rows they produce) in one transaction, as in bench_sync.

    python -m benchmarks --only sync_scale
    CASEWORKER_BENCH_SYNC_RESIDENTS=20000 python -m benchmarks --only sync_scale
    CASEWORKER_BENCH_SYNC_RESIDENTS=20000 python -m benchmarks --only sync_scale \
        --db postgresql://caseworker@127.0.0.1/caseworker_test

With `--db`, the same bundle is also ingested by a PostgreSQL hub, a copy of the SQLite hub as
it stood before the ingest (same keys, same office) in a fresh database on that server, and the
district's bundle back and the district report are made on both: each PostgreSQL time is
printed beside SQLite's with the ratio (target <= 1.5x, issue 26); then 20 offices' monthly
bundles (5,000 changes each, as in bench_sync) are ingested by a SQLite and a PostgreSQL hub.

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
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks import PG_ENV, Result

PASSPHRASE = "bench-pass"
# Building a 100,000-resident demo office takes minutes: it is kept here between runs.
CACHE = Path(os.environ.get("CASEWORKER_BENCH_CACHE", Path.home() / ".cache" / "caseworker-bench"))
CODE = "S001"
TARGET_PEAK_MB = 500.0
TARGET_END_TO_END_S = 120.0
TARGET_PG_RATIO = 1.5  # the PostgreSQL hub against the SQLite hub, same bundle (issue 26)
MONTHLY_OFFICES = 20
MONTHLY_CHANGES = 5000
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
    c0 = time.process_time()
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
    elif name == "clone-pg":
        _clone_to_postgresql(root / "district", root / "district-pg", os.environ[_HUB_URL])
    elif name in ("ingest-pg", "district-export-pg", "report", "report-pg"):
        pg = name.endswith("-pg")
        home = root / ("district-pg" if pg else "district")
        with Hub.open(home, os.environ[_HUB_URL] if pg else None) as hub:
            t0 = time.perf_counter()
            c0 = time.process_time()
            if name == "ingest-pg":
                [done] = service.ingest(hub, [root / "up.cwbundle"])
                if done.refused:
                    raise RuntimeError(done.refused)
                figures["applied"] = done.applied
            elif name == "district-export-pg":
                figures["changes"] = service.export_for(
                    hub, CODE, root / "down-pg.cwbundle"
                ).changes
            else:
                figures["sections"] = _report(hub)
    elif name == "export":
        with Workspace.open(root / "office") as ws:
            t0 = time.perf_counter()  # opening (its integrity check) is start-up, not sync
            c0 = time.process_time()
            r = office.export_bundle(ws, actor, root / "up.cwbundle")
        figures["changes"] = r.changes
        figures["bundle_mb"] = (root / "up.cwbundle").stat().st_size / 1e6
        (root / "bundle_id").write_text(r.bundle_id)
    elif name == "ingest":
        with Hub.open(root / "district") as hub:
            t0 = time.perf_counter()
            c0 = time.process_time()
            [done] = service.ingest(hub, [root / "up.cwbundle"])
        if done.refused:
            raise RuntimeError(done.refused)
        figures["applied"] = done.applied
    elif name == "district-export":
        with Hub.open(root / "district") as hub:
            t0 = time.perf_counter()
            c0 = time.process_time()
            r = service.export_for(hub, CODE, root / "down.cwbundle")
        figures["changes"] = r.changes
    elif name == "office-import":
        with Workspace.open(root / "office") as ws:
            t0 = time.perf_counter()
            c0 = time.process_time()
            office.import_bundle(ws, actor, root / "down.cwbundle")
    else:
        raise SystemExit(f"unknown step {name}")
    figures["seconds"] = time.perf_counter() - t0
    # this process's CPU (SQLite's work included): on a shared machine the load moves the wall
    # time by 2x between runs, the CPU far less (issue 23)
    figures["cpu_s"] = time.process_time() - c0
    figures["peak_mb"] = _peak_mb()
    return figures


_HUB_URL = "CASEWORKER_BENCH_HUB_URL"  # the fresh PostgreSQL database of this run (steps)


def _report(hub: Any) -> int:
    """The district's month report, every office side by side (what `caseworker-district
    report` computes before it draws the PDF)."""
    from caseworker.domain import periods
    from caseworker.domain.roles import Actor
    from caseworker.services import reports

    with hub.reader() as s:
        report = reports.build(
            s, Actor.system("district"), periods.month(date.today()), by_office=True
        )
    return len(report.sections)


def _clone_to_postgresql(home: Path, target: Path, url: str) -> None:
    """A PostgreSQL copy of a (small) SQLite hub: its key files, and every row of every table
    in a database migrated to the same schema, with the hub's own device id."""
    from sqlalchemy import delete, insert, select, text

    from caseworker.district.hub import Hub
    from db.base import Base
    from db.engine import make_engine

    shutil.copytree(home, target, ignore=shutil.ignore_patterns("district.sqlite3*", "backups"))
    source = make_engine(home / "district.sqlite3")
    with Hub.open(target, url) as hub, source.connect() as src, hub.engine.begin() as dst:
        for t in reversed(Base.metadata.sorted_tables):
            dst.execute(delete(t))
        for t in Base.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in src.execute(select(t))]
            if rows:
                dst.execute(insert(t), rows)
            for col in t.primary_key.columns:
                if col.autoincrement is True or (
                    len(t.primary_key.columns) == 1 and col.type.python_type is int
                ):
                    dst.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{t.name}', '{col.name}'), "
                            f'COALESCE((SELECT MAX("{col.name}") FROM "{t.name}"), 0) + 1, false)'
                        )
                    )
    source.dispose()


def _fresh_database(url: str) -> tuple[str, Any]:
    """A new database on the server of `url` (the role may create databases); returns its URL
    and a function that drops it."""
    import psycopg

    name = f"cwbench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url.rsplit("/", 1)[0] + "/" + name, drop


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
        pg_url = os.environ.get(PG_ENV)
        drop = None
        names = ["export", "ingest", "district-export", "office-import"]
        if pg_url:
            hub_url, drop = _fresh_database(pg_url)
            os.environ[_HUB_URL] = hub_url
            _step("clone-pg", root)  # the hub before the ingest, on PostgreSQL
            names[2:2] = ["ingest-pg", "district-export-pg", "report", "report-pg"]
        steps = {}
        try:
            for name in names:
                steps[name] = _step(name, root)
                print(f"  {name}: {json.dumps(steps[name], ensure_ascii=False)}", flush=True)
        finally:
            if drop is not None:
                drop()
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
    for step, what in (
        ("ingest", "district ingest"),
        ("district-export", "district first bundle back"),
        ("report", "district month report"),
    ):
        if f"{step}-pg" in steps:
            lite, pg = steps[step]["seconds"], steps[f"{step}-pg"]["seconds"]
            print(f"  PostgreSQL / SQLite, {what}: {pg:.1f}s / {lite:.1f}s = {pg / lite:.2f}x")
            out.append(
                Result(
                    f"sync {label}: PostgreSQL {what}",
                    pg * 1000,
                    lite * 1000,
                    f"<= {TARGET_PG_RATIO}x SQLite",
                    pg <= TARGET_PG_RATIO * lite,
                    "floor: the SQLite hub, same bundle",
                )
            )
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


def _monthly(pg_url: str) -> list[Result]:
    """20 offices' monthly bundles (5,000 changes each) ingested in one run by a SQLite hub and
    by a PostgreSQL hub."""
    from benchmarks.bench_sync import _district, _fill
    from caseworker.district import service
    from caseworker.domain.roles import Actor
    from caseworker.sync import office

    codes = [f"O{i:02d}" for i in range(MONTHLY_OFFICES)]
    took: dict[str, float] = {}
    for kind in ("sqlite", "postgresql"):
        drop = None
        url = None
        if kind == "postgresql":
            url, drop = _fresh_database(pg_url)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                hub, offices = _district(root, codes, url)
                files = []
                for code, ws in offices.items():
                    _fill(ws, MONTHLY_CHANGES)
                    files.append(root / f"{code}.cwbundle")
                    office.export_bundle(ws, Actor.system("bench"), files[-1])
                    ws.close()
                t0 = time.perf_counter()
                done = service.ingest(hub, files)
                took[kind] = time.perf_counter() - t0
                hub.close()
                if any(d.refused for d in done):
                    raise RuntimeError([d.refused for d in done if d.refused])
        finally:
            if drop is not None:
                drop()
        print(f"  20 offices' monthly bundles, {kind} hub: {took[kind]:.1f}s", flush=True)
    lite, pg = took["sqlite"], took["postgresql"]
    return [
        Result(
            f"sync: PostgreSQL ingest, {MONTHLY_OFFICES} offices x {MONTHLY_CHANGES}",
            pg * 1000,
            lite * 1000,
            f"<= {TARGET_PG_RATIO}x SQLite",
            pg <= TARGET_PG_RATIO * lite,
            "floor: the SQLite hub, same bundles",
        )
    ]


def run() -> list[Result]:
    sizes = os.environ.get("CASEWORKER_BENCH_SYNC_RESIDENTS", "20000,100000")
    results: list[Result] = []
    for n in (int(x) for x in sizes.split(",") if x.strip()):
        results.extend(_one(n))
    pg_url = os.environ.get(PG_ENV)
    if pg_url:
        results.extend(_monthly(pg_url))
    return results


if __name__ == "__main__":
    if len(sys.argv) == 3:
        print(json.dumps(_do(sys.argv[1], Path(sys.argv[2]))))
    else:
        from benchmarks.__main__ import main

        sys.exit(main(["--only", "sync_scale"]))
