"""Checks every workspace open runs once its schema is current, registered by the services.

The workspace sits below the services (it only calls what they register here), and this module
imports nothing of either, so registering never makes an import cycle. Today one check: a dated
visit interval whose day has come since the last open recomputes the due dates
(`caseworker.services.elderly.schedule.follow_intervals_at_open`, registered by
`caseworker.services`). Each hook handles its own failures: an open never fails for one.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

_HOOKS: list[Callable[[Engine], object]] = []


def on_open(hook: Callable[[Engine], object]) -> None:
    """Run `hook(engine)` at every open from now on (registering twice is harmless)."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)


def run(engine: Engine) -> None:
    for hook in _HOOKS:
        hook(engine)
