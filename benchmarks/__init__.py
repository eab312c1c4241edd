"""Performance benchmarks: `python -m benchmarks` runs every `bench_*` module and prints a table.

Each measurement stands beside its floor measured in the same run (the same SQL through raw
sqlite3, or plain reportlab pages with the same font), with the ratio and the target.
"""

from __future__ import annotations

from dataclasses import dataclass

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
