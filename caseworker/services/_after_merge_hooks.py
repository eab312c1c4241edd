"""The programmes' after-merge hooks, registered with the sync layer once (the one list of them:
a programme with derived columns a merge must refresh adds its hook here). Each is imported
when a merge first needs it, so importing `caseworker.services` stays cheap for commands that
merge nothing. Also the workspace's open hook: a dated visit interval whose day has come since
the last open recomputes the due dates (the same check every import makes). And the workspace's
setting reader (its backup retention), `settings.get`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from caseworker import opening
from caseworker.sync import derived


def _elderly_schedule() -> derived.AfterMerge:
    from caseworker.services.elderly.after_merge import ScheduleAfterMerge

    return ScheduleAfterMerge()


def _follow_intervals(engine: Engine) -> None:
    from caseworker.services.elderly.schedule import follow_intervals_at_open

    follow_intervals_at_open(engine)


def _setting(session: Session, key: str) -> Any:
    from caseworker.services import settings

    return settings.get(session, key)


derived.register(_elderly_schedule)
opening.on_open(_follow_intervals)
opening.read_settings_with(_setting)

# A visit's effective date is its visit date until an amendment moves it (the schedule's
# recompute applies amendments at the import's end): written with the row, so a first bundle's
# visits are not all rewritten at its end, and a visit date a later change moves moves it too.
derived.register_prefill(
    "elderly_visit", ("visit_date",), "effective_date", lambda row: row.get("visit_date")
)
