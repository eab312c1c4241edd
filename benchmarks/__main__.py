"""Run all benchmark modules and print one table of every target (name, figure, floor, ratio,
target, met or MISSED; `python3 dev.py bench` runs this). Every module has `run()` returning its
results, so nothing is printed outside the table. Exit 1 when a target is missed or a module
crashed; the last line says which (a crash is reported as a missed target, with its traceback
above the table, and the other modules still run)."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import traceback
from pathlib import Path

from benchmarks import PG_ENV, Result


def _modules(only: str | None) -> list[str]:
    here = Path(__file__).resolve().parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    return [n for n in names if only is None or only in n]


def _table(results: list[Result]) -> str:
    """One line a target: name, the figure (ms unless its note says otherwise), its floor, the
    ratio, the target, and met or MISSED."""
    lines = [
        f"{'name':<52} {'figure':>10} {'floor':>10} {'ratio':>7}  {'target':<22} met",
        "-" * 112,
    ]
    for r in results:
        floor = "" if r.floor_ms is None else f"{r.floor_ms:10.1f}"
        ratio = "" if r.ratio is None else f"{r.ratio:6.2f}x"
        lines.append(
            f"{r.name:<52} {r.ms:10.1f} {floor:>10} {ratio:>7}  {r.target:<22} "
            f"{'met' if r.ok else 'MISSED'}" + (f"  ({r.note})" if r.note else "")
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--only", help="run only modules whose name contains this")
    parser.add_argument(
        "--db",
        metavar="URL",
        help="also run the district hub on this PostgreSQL server (postgresql://user@host/db, "
        "a role that may create databases; `postgresql` alone: $CASEWORKER_TEST_PG_URL) and "
        "print its times beside SQLite's (sync_scale)",
    )
    args = parser.parse_args(argv)
    if args.db:
        url = os.environ.get("CASEWORKER_TEST_PG_URL", "") if args.db == "postgresql" else args.db
        if not url.startswith(("postgresql://", "postgres://")):
            parser.error("--db: a postgresql:// URL (or set CASEWORKER_TEST_PG_URL)")
        os.environ[PG_ENV] = url
    names = _modules(args.only)
    if not names:
        parser.error(f"--only {args.only}: no benchmark module has this in its name")
    results: list[Result] = []
    for name in names:
        print(f"· {name}", flush=True)
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            found = module.run()
            if not found:  # a module that measured nothing has gone wrong
                raise RuntimeError("no figure measured")
            results.extend(found)
        except Exception as exc:  # a crash is a missed target, not the end of the run
            traceback.print_exc()
            results.append(Result(f"{name}: crashed", 0.0, None, "no crash", False, repr(exc)))
    print()
    print(_table(results))
    print(verdict(results))
    return 0 if all(r.ok for r in results) else 1


def verdict(results: list[Result]) -> str:
    """The last line: every target met, or how many were missed and which."""
    missed = [r for r in results if not r.ok]
    if not missed:
        return f"all {len(results)} targets met"
    names = "; ".join(r.name for r in missed)
    return f"NOT MET: {len(missed)} of {len(results)} targets missed: {names}"


if __name__ == "__main__":
    sys.exit(main())
