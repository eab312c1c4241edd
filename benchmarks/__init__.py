"""Performance benchmarks: `python -m benchmarks` runs every `bench_*` module and prints a table.

Each measurement stands beside its floor measured in the same run (the same SQL through raw
sqlite3, or plain reportlab pages with the same font), with the ratio and the target.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The PostgreSQL server of `--db` (benchmarks that can run the district hub there read it).
PG_ENV = "CASEWORKER_BENCH_PG_URL"

# The target of a figure kept in the table for comparison with the last round, with no target of
# its own (it cannot be missed; a crash still is).
FIGURE = "figure only"


@dataclass(frozen=True)
class Result:
    name: str
    ms: float
    floor_ms: float | None  # None: no floor for this figure
    target: str  # e.g. "< 100 ms"
    ok: bool
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.floor_ms is None or self.floor_ms <= 0:
            return None
        return self.ms / self.floor_ms


# -- timing and pairing: a figure beside its floor ------------------------------------------


def runs_ms(
    fn: Callable[[], Any], repeat: int, clock: Callable[[], float] = time.perf_counter
) -> list[float]:
    """Milliseconds of `clock` (wall by default; `time.thread_time` for this thread's CPU) each
    of `repeat` runs of `fn` took, after one warm-up run (page cache, statement cache)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append((clock() - t0) * 1000)
    return times


def median_ms(fn: Callable[[], Any], repeat: int = 5) -> float:
    """Median wall milliseconds of `fn` over `repeat` runs, after a warm-up run."""
    return statistics.median(runs_ms(fn, repeat))


class SqlCapture:
    """Records the SQL a service call runs, to replay it through raw sqlite3 as the floor."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.statements: list[tuple[str, Any]] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._hook)

    def _hook(self, conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        if self.on:
            self.statements.append((statement, params))

    def capture(self, fn: Callable[[], Any]) -> list[tuple[str, Any]]:
        """The statements `fn` ran, without the transaction's own (BEGIN, PRAGMA, ...)."""
        self.statements, self.on = [], True
        try:
            fn()
        finally:
            self.on = False
        return [
            (sql, params)
            for sql, params in self.statements
            if not sql.lstrip().startswith(("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK"))
        ]


def replay(con: sqlite3.Connection, statements: list[tuple[str, Any]]) -> Callable[[], None]:
    """A floor: the captured statements run again through raw sqlite3, every row fetched."""

    def run() -> None:
        for sql, params in statements:
            con.execute(sql, params).fetchall()

    return run
