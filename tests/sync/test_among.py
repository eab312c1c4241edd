"""`db.among` on SQLite: a chunk of text ids is one JSON parameter, answered through the
column's index (issue 23: expanding 5,000-parameter IN lists cost SQLAlchemy more than SQLite
spent answering them)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event, select, text

from db.among import among


def test_a_chunk_of_ids_is_one_parameter_searched_by_the_index(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'among.sqlite3'}")
    sent: list[tuple[str, int]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append((statement, len(parameters)))

    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE rec (id VARCHAR(36) PRIMARY KEY, n INTEGER)")
            conn.exec_driver_sql("CREATE INDEX ix_rec_n ON rec (n)")
            conn.execute(
                text("INSERT INTO rec (id, n) VALUES (:id, :n)"),
                [{"id": f"r{i}", "n": i} for i in range(6000)],
            )
        from sqlalchemy import Integer, String, column, table

        t = table("rec", column("id", String(36)), column("n", Integer))
        with engine.connect() as conn:
            wanted = [f"r{i}" for i in range(0, 10000, 2)]  # 5,000 ids, half of them held
            sent.clear()
            found = set(conn.execute(select(t.c.id).where(among(conn, t.c.id, wanted))).scalars())
            assert found == {f"r{i}" for i in range(0, 6000, 2)}
            assert [n for _s, n in sent] == [1]
            short = conn.execute(select(t.c.id).where(among(conn, t.c.id, ["r1", "王"])))
            assert list(short.scalars()) == ["r1"]
            assert sent[0][0] == sent[1][0]  # one statement text whatever the number of ids
            plan = " ".join(
                str(r[-1])
                for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + sent[0][0], (f'["{wanted[0]}"]',)
                )
            )
            assert "SEARCH" in plan and "rec" in plan, plan
            # numbers keep the IN list, with the same answers
            numbers = conn.execute(select(t.c.n).where(among(conn, t.c.n, [3, 5, 99999])))
            assert sorted(numbers.scalars()) == [3, 5]
            assert conn.execute(select(t.c.id).where(among(conn, t.c.id, []))).all() == []
    finally:
        engine.dispose()
