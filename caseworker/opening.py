"""What the workspace asks of the services, registered by them: the checks every workspace open
runs once its schema is current, and how a setting is read.

The workspace sits below the services (sync imports it; it only calls what they register here),
and this module imports nothing of either, so registering never makes an import cycle. Today one
check: a dated visit interval whose day has come since the last open recomputes the due dates
(`caseworker.services.elderly.schedule.follow_intervals_at_open`, registered by
`caseworker.services`). Each hook handles its own failures: an open never fails for one.

The setting reader is the services' `settings.get` (a setting's value in force today: a dated
change, the stored row, the catalog's default); the workspace reads its backup retention with
it. Unlike an open hook it has no silent default: pruning backups by the catalog's counts when a
district set more would delete copies someone meant to keep, so asking before it is registered
is a programming error and raises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

_HOOKS: list[Callable[[Engine], object]] = []
SettingReader = Callable[[Session, str], Any]
_SETTING_READER: list[SettingReader] = []


def on_open(hook: Callable[[Engine], object]) -> None:
    """Run `hook(engine)` at every open from now on (registering twice is harmless)."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)


def run(engine: Engine) -> None:
    for hook in _HOOKS:
        hook(engine)


def read_settings_with(reader: SettingReader) -> None:
    """Read settings with `reader(session, key)` from now on (the last registered wins)."""
    _SETTING_READER[:] = [reader]


def setting_reader() -> SettingReader:
    """The registered setting reader; RuntimeError when `caseworker.services` was never imported."""
    if not _SETTING_READER:
        raise RuntimeError("no setting reader registered: import caseworker.services first")
    return _SETTING_READER[0]
