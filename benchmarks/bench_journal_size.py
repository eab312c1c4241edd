"""The database file ÷ its records (issue 23: target ≤ 2), and the journal's upgrade timed.

Sizes are SQLite's own (`dbstat`): "records" are every table but the journal with their indexes,
"journal" the journal table and its indexes, the file its pages. A cached workspace may have
been migrated in place (free pages left by the upgrade), so it is measured on a `VACUUM INTO`
copy: the file a new workspace of that size has.

`python -m benchmarks.bench_journal_size --upgrade DIR` times opening a workspace of an older
schema (its pre-migration backup, then every migration up to HEAD) on a copy of DIR, CPU and
wall, and measures the file before and after `VACUUM`.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from benchmarks import Result
from benchmarks.workspaces import workspace_for

RESIDENTS = 20_000


def sizes(db: Path) -> dict[str, float]:
    """Bytes of the file, of the records (all but the journal) and of the journal, and rows."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
        journal = {"journal"} | {
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'journal'"
            )
        }
        per = dict(con.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
        page = con.execute("PRAGMA page_size").fetchone()[0]
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        rows = con.execute("SELECT count(*) FROM journal").fetchone()[0]
    j = sum(v for k, v in per.items() if k in journal)
    records = sum(v for k, v in per.items() if k not in journal)
    return {
        "file": page * pages,
        "records": records,
        "journal": j,
        "ratio": page * pages / records,
        "journal_rows": rows,
        "journal_per_row": j / max(rows, 1),
    }


def vacuumed_sizes(db: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "v.sqlite3"
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
            con.execute("VACUUM INTO ?", (str(copy),))
        return sizes(copy)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def time_upgrade(source: Path) -> dict[str, float]:
    """Open a copy of an older workspace (backup, then the migrations), timed; sizes after."""
    from caseworker.workspace import Workspace

    with tempfile.TemporaryDirectory(dir=source.parent) as tmp:
        root = Path(tmp) / "ws"
        shutil.copytree(source, root, ignore=shutil.ignore_patterns("backups", "done"))
        (root / "backups").mkdir()
        before = sizes(root / "caseworker.sqlite3")
        import db.backup as backups

        took: dict[str, float] = {}
        take = backups.take

        def timed_take(*args: object, **kwargs: object) -> object:  # the backup's own share
            c, w = _cpu(), time.perf_counter()
            try:
                return take(*args, **kwargs)  # type: ignore[arg-type]
            finally:
                took["backup_cpu_s"], took["backup_wall_s"] = _cpu() - c, time.perf_counter() - w

        backups.take = timed_take  # type: ignore[assignment]
        try:
            cpu, wall = _cpu(), time.perf_counter()
            ws = Workspace.open(root)
            cpu, wall = _cpu() - cpu, time.perf_counter() - wall
        finally:
            backups.take = take  # type: ignore[assignment]
        status = ws.schema_status
        ws.close()
        backup = sum(p.stat().st_size for p in (root / "backups").iterdir())
        after = sizes(root / "caseworker.sqlite3")
        vac = vacuumed_sizes(root / "caseworker.sqlite3")
    return {
        "status": status,
        "cpu_s": cpu,
        "wall_s": wall,
        "backup_bytes": backup,
        **took,
        "before": before,
        "after": after,
        "after_vacuum": vac,
    }  # type: ignore[return-value]


def time_floor(source: Path) -> dict[str, float]:
    """The upgrade's floor on a copy of the same older workspace: the journal copied as it is
    (no conversion) into a new table in one transaction, and its five indexes made."""
    with tempfile.TemporaryDirectory(dir=source.parent) as tmp:
        root = Path(tmp) / "ws"
        shutil.copytree(source, root, ignore=shutil.ignore_patterns("backups", "done"))
        con = sqlite3.connect(root / "caseworker.sqlite3", isolation_level=None)
        cpu, wall = _cpu(), time.perf_counter()
        con.execute("BEGIN")
        con.execute("CREATE TABLE j2 AS SELECT * FROM journal ORDER BY seq")
        con.execute("CREATE UNIQUE INDEX j2_change ON j2 (change_id)")
        con.execute("CREATE INDEX j2_record ON j2 (record_id)")
        con.execute("CREATE INDEX j2_device ON j2 (device_id, hlc)")
        con.execute("CREATE INDEX j2_actor ON j2 (actor_name, recorded_at)")
        con.execute("CREATE INDEX j2_time ON j2 (recorded_at)")
        con.execute("COMMIT")
        cpu, wall = _cpu() - cpu, time.perf_counter() - wall
        con.close()
    return {"cpu_s": cpu, "wall_s": wall}


def run(residents: int = RESIDENTS) -> list[Result]:
    s = vacuumed_sizes(workspace_for(residents) / "caseworker.sqlite3")
    return [
        Result(
            f"database file ÷ its records ({residents})",
            s["ratio"],
            None,
            "≤ 2 (a ratio, not ms)",
            s["ratio"] <= 2,
            f"file {s['file'] / 1e6:.1f} MB, records {s['records'] / 1e6:.1f} MB, journal "
            f"{s['journal'] / 1e6:.1f} MB ({s['journal_per_row']:.0f} B a row)",
        )
    ]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--upgrade", type=Path, help="an older workspace to time the upgrade of")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--sizes", type=Path, help="a database file to measure as it is")
    a = p.parse_args()
    if a.sizes:
        print(sizes(a.sizes))
        print("vacuumed:", vacuumed_sizes(a.sizes))
    if a.upgrade:  # product and floor alternating, each on a fresh copy
        for _ in range(a.repeat):
            print("upgrade", time_upgrade(a.upgrade), flush=True)
            print("floor", time_floor(a.upgrade), flush=True)


if __name__ == "__main__":
    main()
