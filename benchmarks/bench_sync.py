"""Sync speed: export and import of 100,000 changes beside the floor of inserting the same journal
rows with raw sqlite3 executemany in one transaction; and a district ingest of 20 offices'
monthly bundles.

    python3 dev.py bench sync            (or: python -m benchmarks sync)
    CASEWORKER_BENCH_CHANGES=20000 ...   (a smaller run)
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from pathlib import Path

from benchmarks import FIGURE, Result
from caseworker.district import service
from caseworker.district.hub import Hub
from caseworker.domain.roles import Actor
from caseworker.sync import office
from caseworker.workspace import Workspace
from db.models import Community, Office

ACTOR = Actor.system("bench")
PASSPHRASE = "bench-pass"


def _fill(ws: Workspace | Hub, changes: int, code: str = "", prefix: str = "基准社区") -> None:
    """`changes` journal changes: one insert and two field updates per community."""
    with ws.reader() as s:
        q = s.query(Office.id)
        office_id = (q.filter(Office.code == code) if code else q).scalar()
    records = changes // 3
    batch = 5000
    for start in range(0, records, batch):
        with ws.writer(ACTOR) as s:
            rows = [
                Community(office_id=office_id, name=f"{prefix}{i:07d}", code=f"C{i}")
                for i in range(start, min(records, start + batch))
            ]
            s.add_all(rows)
            s.flush()
            for r in rows:
                r.code = f"D{r.name[-7:]}"
            s.flush()
            for r in rows:
                r.sort_order = 7
    left = changes - records * 3
    if left:
        with ws.writer(ACTOR) as s:
            for i in range(left):
                s.add(Community(office_id=office_id, name=f"补充{prefix}{i}"))


def _district(
    root: Path, codes: list[str], db_url: str | None = None
) -> tuple[Hub, dict[str, Workspace]]:
    hub = Hub.open(root / "district", db_url)
    service.init(hub, "基准区民政局")
    offices = {}
    for code in codes:
        f = root / f"{code}.cwenroll"
        service.add_office(
            hub, code=code, name=f"街道{code}", communities=["一社区"], out=f, passphrase=PASSPHRASE
        )
        ws = Workspace.open(root / f"office-{code}")
        office.enroll(ws, f, PASSPHRASE)
        offices[code] = ws
    return hub, offices


def _floor(source: Path, root: Path, name: str, tables: dict[str, str]) -> float:
    """Raw sqlite3: the same rows, executemany, one transaction, same pragmas and schema.

    `tables` maps a table to the WHERE clause choosing the rows copied from `source`."""
    with sqlite3.connect(source) as src:
        data = {
            t: src.execute(f"SELECT * FROM {t} WHERE {w}").fetchall() for t, w in tables.items()
        }
    target = Workspace.open(root / name)
    target.close()
    con = sqlite3.connect(target.paths.db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=OFF")
    for t in tables:
        con.execute(f"DELETE FROM {t}")
    start = time.perf_counter()
    con.execute("BEGIN")
    for t, rows in data.items():
        if rows:
            marks = ",".join("?" * len(rows[0]))
            con.executemany(f"INSERT INTO {t} VALUES ({marks})", rows)
    con.execute("COMMIT")
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def bench_100k(root: Path, changes: int) -> list[Result]:
    hub, offices = _district(root, ["B100"])
    ws = offices["B100"]
    t0 = time.perf_counter()
    _fill(ws, changes)
    print(f"  setup: {changes} changes written through the ORM in {time.perf_counter() - t0:.1f}s")
    out = root / "up.cwbundle"
    t0 = time.perf_counter()
    r = office.export_bundle(ws, ACTOR, out)
    export_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    [ing] = service.ingest(hub, [out])
    ingest_s = time.perf_counter() - t0
    assert ing.applied == r.changes, (ing.applied, r.changes)
    backup_t0 = time.perf_counter()
    hub.backup("manual")
    backup_s = time.perf_counter() - backup_t0
    hub_db = root / "district" / "district.sqlite3"
    journal_floor = _floor(hub_db, root, "floor1", {"journal": f"source='{r.bundle_id}'"})
    full_floor = _floor(
        hub_db,
        root,
        "floor2",
        {
            "office": "1",
            "community": "1",
            "journal": f"source='{r.bundle_id}'",
        },
    )
    print(f"  bundle: {out.stat().st_size / 1e6:.1f} MB for {r.changes} changes")
    print(f"  floor A (raw executemany of the {r.changes} journal rows): {journal_floor:.2f}s")
    print(f"  floor B (the journal rows and the record rows they produce): {full_floor:.2f}s")
    print(
        f"  export:  {export_s:.2f}s = {export_s / journal_floor:.1f}x floor A, "
        f"{export_s / full_floor:.1f}x floor B"
    )
    print(
        f"  import:  {ingest_s:.2f}s = {ingest_s / journal_floor:.1f}x floor A, "
        f"{ingest_s / full_floor:.1f}x floor B (includes the pre-import backup, ~{backup_s:.2f}s)"
    )
    # the other way: the district writes as many changes to the office's records
    _fill(hub, changes, "B100", prefix="区里的社区")
    down = root / "down.cwbundle"
    t0 = time.perf_counter()
    service.export_for(hub, "B100", down)
    d_export_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = office.import_bundle(ws, ACTOR, down)
    o_import_s = time.perf_counter() - t0
    assert result.new_changes >= changes, result.new_changes
    print(
        f"  district -> office: export {d_export_s:.2f}s, office import {o_import_s:.2f}s "
        f"= {o_import_s / journal_floor:.1f}x floor A, {o_import_s / full_floor:.1f}x floor B "
        f"(including its pre-import backup of the office database)"
    )
    ws.close()
    hub.close()
    floor_b = full_floor * 1000
    return [
        Result(
            f"sync: office export of {changes:,} changes", export_s * 1000, floor_b, FIGURE, True
        ),
        Result(
            f"sync: hub ingest of {changes:,} changes",
            ingest_s * 1000,
            floor_b,
            FIGURE,
            True,
            f"floor B; includes the pre-import backup (~{backup_s:.1f} s)",
        ),
        Result(
            f"sync: office import of {changes:,} district changes",
            o_import_s * 1000,
            floor_b,
            FIGURE,
            True,
            f"district export {d_export_s:.1f} s; includes the office's backup",
        ),
    ]


def bench_20_offices(root: Path, per_office: int) -> list[Result]:
    codes = [f"O{i:02d}" for i in range(20)]
    hub, offices = _district(root, codes)
    files = []
    for code, ws in offices.items():
        _fill(ws, per_office)
        out = root / f"{code}.cwbundle"
        office.export_bundle(ws, ACTOR, out)
        files.append(out)
        ws.close()
    t0 = time.perf_counter()
    results = service.ingest(hub, files)
    elapsed = time.perf_counter() - t0
    total = sum(r.applied for r in results)
    print(
        f"  district ingest of 20 offices x {per_office} changes ({total} in all): {elapsed:.1f}s "
        f"(target < 60s)"
    )
    t0 = time.perf_counter()
    for code in codes[:5]:
        service.export_for(hub, code, root / f"{code}-down.cwbundle")
    each = (time.perf_counter() - t0) / 5
    print(f"  district export to an office (5 offices): {each:.2f}s each")
    hub.close()
    return [
        Result(
            f"sync: hub ingest of 20 offices x {per_office:,} changes",
            elapsed * 1000,
            None,
            "< 60000 ms",
            elapsed < 60,
            f"{total} changes",
        ),
        Result("sync: district export to one office", each * 1000, None, FIGURE, True),
    ]


def run() -> list[Result]:
    changes = int(os.environ.get("CASEWORKER_BENCH_CHANGES", "100000"))
    per_office = int(os.environ.get("CASEWORKER_BENCH_PER_OFFICE", "5000"))
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        print(f"export/import of {changes} changes")
        results += bench_100k(Path(tmp) / "a", changes)
    with tempfile.TemporaryDirectory() as tmp:
        print("20 offices' monthly bundles")
        results += bench_20_offices(Path(tmp) / "b", per_office)
    return results


def main() -> None:
    for r in run():
        print(f"  {r.name:<52} {r.ms / 1000:8.2f} s  {r.target}  {'met' if r.ok else 'MISSED'}")


if __name__ == "__main__":
    main()
