"""Run all benchmarks, or those named: `python -m benchmarks [startup elderly sync ...]`."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import benchmarks


def main(argv: list[str]) -> int:
    names = sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    )
    wanted = [f"bench_{a}" if not a.startswith("bench_") else a for a in argv]
    for name in wanted or names:
        if name not in names:
            print(f"no such benchmark: {name} (have: {', '.join(names)})")
            return 2
        print(f"\n=== {name} ===", flush=True)
        importlib.import_module(f"benchmarks.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
