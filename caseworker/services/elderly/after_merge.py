"""Elderly's after-merge hook: a merge brought visits, amendments, major changes, residents or a
changed visit interval, and the residents' due dates (local, not journaled) are recomputed once
at the end of the import. Every import also checks whether a dated interval change has come
into force since the due dates were last computed (`schedule.follow_intervals`). Registered with `caseworker.sync.derived` by `caseworker.services`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from caseworker.services.elderly import schedule
from db.among import among
from db.elderly import ElderlyChange, ElderlyVisit, ElderlyVisitAmendment
from db.models import Setting

_SCHEDULE_SETTINGS = ("visit.interval_days.",)


class ScheduleAfterMerge:
    """What the frames of one import touched, recomputed once at its end: a first bundle's
    frames touch the same residents over and over (a visit per frame), and recomputing them
    per frame cost five times the work. Holds resident ids only (bounded by the roster)."""

    def __init__(self) -> None:
        self.residents: set[str] = set()
        self.everyone = False

    def add_records(self, conn: Connection, touched: dict[str, set[str]]) -> None:
        self.residents.update(touched.get("elderly_resident", ()))
        visits = set(touched.get("elderly_visit", ()))
        A, V = ElderlyVisitAmendment, ElderlyVisit
        for part in _chunks(touched.get("elderly_visit_amendment", ())):
            visits.update(conn.execute(select(A.visit_id).where(among(conn, A.id, part))).scalars())
        for part in _chunks(visits):
            self.residents.update(
                conn.execute(select(V.resident_id).where(among(conn, V.id, part))).scalars()
            )
        # A major change makes a visit due the next day: its person's due date moves.
        C = ElderlyChange
        for part in _chunks(touched.get("elderly_change", ())):
            self.residents.update(
                conn.execute(select(C.resident_id).where(among(conn, C.id, part))).scalars()
            )
        # A changed visit interval moves every resident's due date: then recompute them all.
        if not self.everyone:
            self.everyone = _interval_setting_changed(conn, touched.get("setting", set()))

    def flush(self, conn: Connection) -> int:
        """Recompute in the caller's transaction; returns how many due dates changed."""
        # A savepoint inside the import's transaction: all of it commits or rolls back as one.
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            if self.everyone:  # an interval changed today (a `setting` row): all, and the mark
                changed = schedule.follow_intervals(session, force=True)
            else:
                # a dated interval whose day has come (brought now or earlier): all, once
                changed = schedule.follow_intervals(session)
                if self.residents and not changed:
                    changed = schedule.recompute(session, self.residents)
            session.commit()
        self.residents.clear()
        self.everyone = False
        return changed


def _chunks(ids: Iterable[str], size: int = schedule.PAGE) -> Iterator[list[str]]:
    items = sorted(ids)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _interval_setting_changed(conn: Connection, setting_ids: set[str]) -> bool:
    for part in _chunks(setting_ids):
        keys = conn.execute(select(Setting.key).where(among(conn, Setting.id, part))).scalars()
        if any(k.startswith(_SCHEDULE_SETTINGS) for k in keys):
            return True
    return False
