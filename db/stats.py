"""Planner statistics kept true inside one long transaction (PostgreSQL).

PostgreSQL plans every statement from the statistics of its tables (`pg_class.reltuples`,
`pg_statistic`), which only ANALYZE (or autovacuum, after a commit) brings up to date. A bundle
is ingested in one transaction: hundreds of thousands of rows land in `journal` and the record
tables while the statistics still describe the tables as they were at BEGIN (often nearly
empty), and lookups such as "which of these 500 ids did this office write before" get plans
that scan everything of a table name or of a device, a cost that grows with every frame: the
ingest turns quadratic (issue 26: a 20,000-resident office's first bundle took over 13 minutes
instead of a minute).

ANALYZE runs inside a transaction and counts the rows that transaction inserted, and the
statistics it writes are visible to that transaction at once (and committed with it). So the
writer of a long transaction tells `PlannerStats` how many rows it wrote to each table; a table
is analyzed each time it has grown by as many rows as the planner last knew it to hold (never
for fewer than `FLOOR` rows), so a table of n rows is analyzed about log2(n) times, each one a
sample of at most 30,000 rows. `SKIP_LOCKED`: a table another transaction is analyzing (another
ingest, autovacuum) is left as it is rather than waited for, so two ingests never wait on each
other's ANALYZE (nor deadlock on two tables analyzed in opposite orders).

SQLite is left alone: its planner uses no statistics unless `ANALYZE` wrote `sqlite_stat1`,
which no workspace has, and chooses indexes by their shape.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, text

FLOOR = 2000  # rows: below this a wrong plan costs less than the ANALYZE
SETTLE_SHARE = 0.1  # growth of a table, against its size at BEGIN, that `settle` refreshes


class PlannerStats:
    """Counts rows written per table in the caller's transaction; ANALYZEs a table that has
    outgrown what the planner knows (PostgreSQL only; a no-op elsewhere)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.enabled = conn.dialect.name == "postgresql"
        self.known: dict[str, float] = {}  # rows the planner believes the table holds
        self.pending: Counter[str] = Counter()  # rows written since it last looked
        self.written: Counter[str] = Counter()  # rows written in this transaction
        self.at_start: dict[str, float] = {}  # rows the planner knew of when it began
        self.analyzed: Counter[str] = Counter()  # how many times, per table (tests, figures)

    def wrote(self, table: str, rows: int) -> None:
        """`rows` rows were inserted into `table`; analyze it if it outgrew its statistics."""
        if not self.enabled or rows <= 0:
            return
        if table not in self.known:
            self.known[table] = self.at_start[table] = self._reltuples(table)
        self.pending[table] += rows
        self.written[table] += rows
        if self.pending[table] >= max(FLOOR, self.known[table]):
            self.analyze(table)

    def settle(self) -> None:
        """Once the transaction's writes are done (derived columns included: the visits'
        effective dates are filled in after every frame is merged): analyze again each table
        it wrote at least `FLOOR` rows to, so that the statistics committed with it describe
        the tables as they are. The district's export and reports that follow are planned from
        them before autovacuum comes round (a month report read 'no completed visit' from
        statistics taken while every effective date was still empty, and took 2.4x SQLite's
        time). A table that grew by less than a tenth (a month's bundle into a hub that holds
        years) is left to autovacuum, whose own threshold is about the same."""
        for table, rows in sorted(self.written.items()):
            if rows >= max(FLOOR, SETTLE_SHARE * self.at_start.get(table, 0.0)):
                self.analyze(table)

    def analyze(self, table: str) -> None:
        # The name is a table of our own schema (never input), quoted all the same.
        quoted = '"' + table.replace('"', '""') + '"'
        self.conn.exec_driver_sql(f"ANALYZE (SKIP_LOCKED) {quoted}")
        self.known[table] = self._reltuples(table)
        self.pending[table] = 0
        self.analyzed[table] += 1

    def _reltuples(self, table: str) -> float:
        found = self.conn.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"),
            {"t": table},
        ).scalar()
        return max(float(found or 0), 0.0)  # -1: never analyzed
