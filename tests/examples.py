"""How many examples a property test tries, set by one flag: the Hypothesis profile.

- `ci` (`.ci/run`: `dev.py test --hypothesis-profile=ci`): the counts the tests were written
  with (Hypothesis' 100 where a test names none).
- `dev` (the default: `dev.py test`, a bare `pytest`): a half of them.
- `fast` (`dev.py test --fast`): a quarter of them.

tests/conftest.py registers the profiles and loads `dev`; Hypothesis' `--hypothesis-profile`
option chooses another. A test that names a count writes `max_examples=examples(full)` with the
count CI runs; one that names none follows the profile's `max_examples` directly."""

from __future__ import annotations

from hypothesis import settings

# The share of each test's full count a profile runs.
SHARES = {"ci": 1.0, "dev": 0.5, "fast": 0.25}
FULL = 100  # Hypothesis' own default: the `ci` profile's max_examples


def register_profiles() -> None:
    # Property tests check rules, not speed (benchmarks/ does that): no per-example deadline,
    # which would make them flaky on a busy 2-core CI machine.
    for name, share in SHARES.items():
        settings.register_profile(name, deadline=None, max_examples=max(5, round(FULL * share)))


def examples(full: int) -> int:
    """`full` under the `ci` profile; the loaded profile's share of it (at least 5) otherwise."""
    share = settings.default.max_examples / FULL
    return full if share >= 1 else max(5, round(full * share))
