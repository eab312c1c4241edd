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

from benchmarks import SqlCapture, replay, runs_ms
from benchmarks.bench_search import keystroke


def _measure(fn: Callable[[], Any], n: int) -> tuple[float, float]:
    cpu = runs_ms(fn, n, time.thread_time)
    return min(cpu), statistics.median(cpu)


def _run(
    which: str, engine: Any, db: Any, call: Callable[[str], Callable[[], Any]], keys: list[str]
) -> None:
    n = int(os.environ.get("N", "15"))
    raw = sqlite3.connect(db)
    cap = SqlCapture(engine)
    for key in keys:
        fn = call(key)
        statements = cap.capture(fn)
        pm, pmed = _measure(fn, n)
        fm, fmed = _measure(replay(raw, statements), n)
        print(
            f"{which} {key!r}: product {pm:.1f}/{pmed:.1f}  floor {fm:.1f}/{fmed:.1f}  "
            f"stmts {len(statements)}",
            flush=True,
        )
    raw.close()


def main(argv: list[str]) -> None:
    from caseworker.domain.roles import Actor
    from caseworker.services import accounts
    from caseworker.workspace import Workspace

    which, keys = argv[0], argv[1:]
    if which == "elderly":
        from benchmarks import bench_elderly
        from caseworker.services.elderly import search as roster

        actor = Actor.system("bench")
        with Workspace.open(bench_elderly.ensure_db()) as ws:
            call = keystroke(
                ws, actor, roster.first_page, roster.RosterQuery, today=bench_elderly.TODAY
            )
            _run(which, ws.engine, ws.paths.db, call, keys)
    elif which in ("children-sup", "children-dir"):
        from benchmarks import bench_children
        from caseworker.services.children import search as register

        with Workspace.open(bench_children.ensure_workspace()) as ws:
            with ws.writer(Actor.system("login")) as s:
                user = "dudao" if which == "children-sup" else "ertong01"
                found = accounts.authenticate(s, user, bench_children.PASSWORD).actor
            assert found is not None
            call = keystroke(ws, found, register.first_page, register.ChildQuery)
            _run(which, ws.engine, ws.paths.db, call, keys)
    elif which == "retrofit":
        from benchmarks import bench_retrofit
        from caseworker.services.retrofit import search as cases

        actor = Actor.system("bench")
        ws = bench_retrofit._workspace()
        try:
            call = keystroke(ws, actor, cases.first_page, cases.CaseQuery)
            _run(which, ws.engine, ws.paths.db, call, keys)
        finally:
            ws.close()
    else:
        raise SystemExit("elderly | children-sup | children-dir | retrofit, then the keystrokes")


if __name__ == "__main__":
    main(sys.argv[1:])
