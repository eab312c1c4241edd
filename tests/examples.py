"""How many examples a property test tries: all of them in CI and in the full suite, a quarter
under `dev.py test --fast` (CASEWORKER_EXAMPLES=few), so quick feedback stays quick while CI
keeps the counts the tests were written with."""

from __future__ import annotations

import os

FEW = os.environ.get("CASEWORKER_EXAMPLES", "full") == "few"


def examples(full: int) -> int:
    """`full` in the full suite; a quarter of it (at least 5) for a quick run."""
    return max(5, full // 4) if FEW else full
