"""README's command list and the two command lines' parsers say the same: every command and
subcommand either parser accepts is named in README, and every `caseworker …` command README
names exists (issue 22: the two had drifted — `report`, `catalogue`, `retrofit-figures` and
`children` of the district were missing)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> set[tuple[str, ...]]:
    """Every command path the parser accepts: ("print", "route-sheet"), ("backup",), …"""
    found: set[tuple[str, ...]] = set()
    for action in parser._actions:  # argparse keeps subparsers here; no public way to list them
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = (*prefix, name)
                found.add(path)
                found |= _commands(sub, path)
    return found


def _leaves(paths: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
    return {p for p in paths if not any(q[: len(p)] == p and q != p for q in paths)}


def test_every_office_command_is_in_readme_and_readme_names_no_other() -> None:
    from caseworker.cli import build_parser

    paths = _commands(build_parser())
    assert len(paths) > 10  # the parser was read
    missing = [
        " ".join(p) for p in sorted(_leaves(paths)) if f"caseworker {' '.join(p)}" not in README
    ]
    assert missing == [], f"README does not name: {missing}"
    named = set(re.findall(r"`caseworker ([a-z][a-z-]*)", README))
    top = {p[0] for p in paths}
    assert named - top == set(), f"README names commands that do not exist: {named - top}"


def test_every_district_command_is_in_readme() -> None:
    from caseworker.district.cli import build_parser

    paths = _commands(build_parser())
    assert {("init",), ("ingest",), ("export",)} <= paths
    section = README[README.index("**For the district**") :]
    missing = [
        " ".join(p)
        for p in sorted(_leaves(paths))
        if not re.search(rf"`(caseworker-district )?{re.escape(' '.join(p))}\b", section)
    ]
    assert missing == [], f"README's district paragraph does not name: {missing}"
