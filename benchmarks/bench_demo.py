"""Building a demo (`caseworker demo`) beside its floor: the same rows (every table's records and
journal rows, read back from the demo's file) written by plain sqlite3 executemany into a fresh
file with the same schema and indexes, 10,000 rows per call and per transaction. Both figures
are given in seconds per 100,000 rows written (shown in the ms columns as ms per 100,000 rows).

CASEWORKER_BENCH_DEMO_RESIDENTS sets the size (default 20,000, about 600,000 rows and 700 MB of
disk; 100,000 writes about 2.9 million rows into 3.4 GB). At 2,000 the fixed cost of the cases
and children made through the services weighs more (about 11x the floor).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import Result

RESIDENTS_ENV = "CASEWORKER_BENCH_DEMO_RESIDENTS"
CHUNK = 10_000
# Runs the command line in a child process and prints that process's peak memory (Unix only).
RUN = """
import sys
from caseworker.cli import main
rc = main(sys.argv[1:])
try:
    import resource
    print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
except ImportError:
    pass
sys.exit(rc)
"""


def _demo(ws: Path, residents: int) -> tuple[float, int | None]:
    """Seconds to build the demo in a fresh process, and that process's peak RSS in KB."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", RUN, "demo", "--workspace", str(ws), "--residents", str(residents)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - start
    rss = [int(line.split()[1]) for line in out.stderr.splitlines() if line.startswith("PEAK_RSS")]
    return seconds, rss[0] if rss else None


def _floor(source: Path, target: Path) -> tuple[float, int]:
    """Seconds spent in executemany writing every row of `source` into an empty copy of its
    schema (WAL, synchronous=NORMAL as while a demo is built), and how many rows."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, isolation_level=None)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=NORMAL")
    schema = src.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite_%' ORDER BY type = 'index', rowid"
    ).fetchall()
    for _type, _name, sql in schema:
        dst.execute(sql)
    seconds, rows = 0.0, 0
    for _type, name, _sql in (t for t in schema if t[0] == "table"):
        width = len(src.execute(f'SELECT * FROM "{name}" LIMIT 0').description)
        insert = f'INSERT INTO "{name}" VALUES ({", ".join("?" * width)})'
        cur = src.execute(f'SELECT * FROM "{name}"')
        while chunk := cur.fetchmany(CHUNK):
            start = time.perf_counter()
            dst.execute("BEGIN")
            dst.executemany(insert, chunk)
            dst.execute("COMMIT")
            seconds += time.perf_counter() - start
            rows += len(chunk)
    src.close()
    dst.close()
    return seconds, rows


def run() -> list[Result]:
    residents = int(os.environ.get(RESIDENTS_ENV, "20000"))
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        demo_s, rss = _demo(ws, residents)
        floor_s, rows = _floor(ws / "caseworker.sqlite3", Path(tmp) / "floor.sqlite3")
    per = 100_000 / rows
    demo_ms, floor_ms = demo_s * per * 1000, floor_s * per * 1000
    load = f", load {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    memory = f", peak RSS {rss / 1024:.0f} MB" if rss else ""
    note = f"{residents:,} residents: {rows:,} rows in {demo_s:.1f} s{memory}{load}"
    return [
        Result("demo: plain executemany, per 100k rows (floor)", floor_ms, None, "", True, note),
        Result(
            "demo: caseworker demo, per 100k rows",
            demo_ms,
            floor_ms,
            "<= 4x floor",
            demo_ms <= 4 * floor_ms,
            note,
        ),
    ]


def main() -> None:
    for r in run():
        ratio = f"{r.ratio:.1f}x" if r.ratio else ""
        print(f"{r.name:<48} {r.ms:10.0f} ms {ratio:>7}  {r.note}")


if __name__ == "__main__":
    main()
