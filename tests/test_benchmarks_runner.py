"""`python -m benchmarks` (and `python3 dev.py bench`): one table of every target with met or
MISSED, the last line says what was missed or crashed, and the exit code says it too (issue 23:
`--only children` missed seven targets and exited 0; `--only retrofit` crashed with no table)."""

from __future__ import annotations

import sys
import types

import pytest

from benchmarks import Result
from benchmarks import __main__ as runner


def _fake(monkeypatch: pytest.MonkeyPatch, **runs: object) -> None:
    for name, run in runs.items():
        module = types.ModuleType(f"benchmarks.{name}")
        module.run = run  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, f"benchmarks.{name}", module)
    monkeypatch.setattr(runner, "_modules", lambda only: sorted(runs))


def _ok() -> list[Result]:
    return [Result("fast thing", 5.0, 4.0, "< 10 ms", True)]


def _missed() -> list[Result]:
    return [Result("slow thing", 50.0, 4.0, "< 10 ms", False)]


def _crash() -> list[Result]:
    raise RuntimeError("AccountChanged: 此账号已被删除")


def test_all_met_exits_0_with_one_table(monkeypatch, capsys) -> None:
    _fake(monkeypatch, bench_a=_ok)
    assert runner.main([]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    header = lines[lines.index(next(x for x in lines if x.startswith("name")))]
    assert header.split() == ["name", "figure", "floor", "ratio", "target", "met"]
    row = next(x for x in lines if x.startswith("fast thing"))
    assert "1.25x" in row and row.split()[-1] == "met"
    assert lines[-1] == "all 1 targets met"


def test_a_missed_target_or_a_crash_is_the_last_line_and_exit_1(monkeypatch, capsys) -> None:
    _fake(monkeypatch, bench_a=_ok, bench_b=_missed, bench_c=_crash, bench_d=lambda: [])
    assert runner.main([]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert "MISSED" in next(x for x in out if x.startswith("slow thing"))
    assert out[-1].startswith("NOT MET: 3 of 4 targets missed")
    assert "slow thing" in out[-1] and "bench_c: crashed" in out[-1]
    assert "bench_d: crashed" in out[-1]  # a module that measured nothing is a crash too


def test_only_with_no_module_is_refused(monkeypatch, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        runner.main(["--only", "no-such-benchmark"])
    assert exc.value.code == 2 and "no-such-benchmark" in capsys.readouterr().err


def test_every_benchmark_module_has_run() -> None:
    """Every module reports into the one table (bench_sync and bench_transfer printed their own
    lines, outside it)."""
    import importlib

    for name in runner._modules(None):
        module = importlib.import_module(f"benchmarks.{name}")
        assert callable(getattr(module, "run", None)), name
