"""The programmes' after-merge hooks, registered with the sync layer once (the one list of them:
a programme with derived columns a merge must refresh adds its hook here). Each is imported
when a merge first needs it, so importing `caseworker.services` stays cheap for commands that
merge nothing."""

from __future__ import annotations

from caseworker.sync import derived


def _elderly_schedule() -> derived.AfterMerge:
    from caseworker.services.elderly.after_merge import ScheduleAfterMerge

    return ScheduleAfterMerge()


derived.register(_elderly_schedule)

# A visit's effective date is its visit date until an amendment moves it (the schedule's
# recompute applies amendments at the import's end): written with the row, so a first bundle's
# visits are not all rewritten at its end, and a visit date a later change moves moves it too.
derived.register_prefill(
    "elderly_visit", ("visit_date",), "effective_date", lambda row: row.get("visit_date")
)
