"""Chosen keystrokes of the search, each measured alone: the thread CPU of the list's read
(each programme's `first_page` with the capped count and a page of 200, as
`benchmarks/bench_search.py` and the list pages call it), min / median of $N runs (default 15),
beside its floor (the same statements replayed through raw sqlite3, min / median).

    python -m benchmarks.search_keys elderly 1338 cu
    python -m benchmarks.search_keys children-sup f fe      # a child supervisor
    python -m benchmarks.search_keys children-dir f 冯       # a child director (one community)
    python -m benchmarks.search_keys retrofit 21

On a shared machine pair runs of two trees (base, branch, base, branch, each a fresh process
with PYTHONPATH and CASEWORKER_BENCH_CACHE of its own: a newer tree migrates the cached
workspace) and compare the columns (docs/performance.md, issue 23's fourth pass).
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

PAGE = 200


def _measure(fn: Callable[[], Any], n: int) -> tuple[float, float]:
    fn()
    cpu = []
    for _ in range(n):
        c0 = time.thread_time()
        fn()
        cpu.append((time.thread_time() - c0) * 1000)
    return min(cpu), statistics.median(cpu)


def _run(
    which: str, engine: Any, db: Any, call: Callable[[str], Callable[[], Any]], keys: list[str]
) -> None:
    n = int(os.environ.get("N", "15"))
    raw = sqlite3.connect(db)
    captured: list[tuple[str, Any]] = []
    on = [False]

    def hook(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        if on[0]:
            captured.append((statement, params))

    event.listen(engine, "before_cursor_execute", hook)
    for key in keys:
        fn = call(key)
        captured.clear()
        on[0] = True
        fn()
        on[0] = False
        statements = [
            (sql, p)
            for sql, p in captured
            if not sql.lstrip().startswith(("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK"))
        ]

        def replay(statements: list[tuple[str, Any]] = statements) -> None:
            for sql, p in statements:
                raw.execute(sql, p).fetchall()

        pm, pmed = _measure(fn, n)
        fm, fmed = _measure(replay, n)
        print(
            f"{which} {key!r}: product {pm:.1f}/{pmed:.1f}  floor {fm:.1f}/{fmed:.1f}  "
            f"stmts {len(statements)}",
            flush=True,
        )
    raw.close()


def main(argv: list[str]) -> None:
    from caseworker.domain.roles import Actor
    from caseworker.services import accounts, person_search
    from caseworker.workspace import Workspace

    which, keys = argv[0], argv[1:]
    if which == "elderly":
        from benchmarks import bench_elderly
        from caseworker.services.elderly import search as roster

        actor = Actor.system("bench")
        with Workspace.open(bench_elderly.ensure_db()) as ws:

            def call(t: str) -> Callable[[], Any]:
                q = roster.RosterQuery(text=t)

                def go() -> Any:
                    with ws.reader() as s:
                        return roster.first_page(
                            s,
                            actor,
                            q,
                            PAGE,
                            today=bench_elderly.TODAY,
                            cap=person_search.COUNT_CAP,
                        )

                return go

            _run(which, ws.engine, ws.paths.db, call, keys)
    elif which in ("children-sup", "children-dir"):
        from benchmarks import bench_children
        from caseworker.services.children import search as register

        with Workspace.open(bench_children.ensure_workspace()) as ws:
            with ws.writer(Actor.system("login")) as s:
                user = "dudao" if which == "children-sup" else "ertong01"
                found = accounts.authenticate(s, user, bench_children.PASSWORD).actor
            assert found is not None
            child_actor = found

            def call(t: str) -> Callable[[], Any]:
                q = register.ChildQuery(text=t)

                def go() -> Any:
                    with ws.reader() as s:
                        return register.first_page(
                            s, child_actor, q, PAGE, cap=person_search.COUNT_CAP
                        )

                return go

            _run(which, ws.engine, ws.paths.db, call, keys)
    elif which == "retrofit":
        from benchmarks import bench_retrofit
        from caseworker.services.retrofit import search as cases

        actor = Actor.system("bench")
        ws = bench_retrofit._workspace()
        try:

            def call(t: str) -> Callable[[], Any]:
                q = cases.CaseQuery(text=t)

                def go() -> Any:
                    with ws.reader() as s:
                        return cases.first_page(s, actor, q, PAGE, cap=person_search.COUNT_CAP)

                return go

            _run(which, ws.engine, ws.paths.db, call, keys)
        finally:
            ws.close()
    else:
        raise SystemExit("elderly | children-sup | children-dir | retrofit, then the keystrokes")


if __name__ == "__main__":
    main(sys.argv[1:])
