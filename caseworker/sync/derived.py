"""Local derived columns that a merge must bring up to date (they are not journaled, so they do
not travel): today the elderly visit schedule (next due date, last visit, effective visit date),
which visits, amendments and major changes move."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from caseworker.services.elderly import schedule
from db.elderly import ElderlyChange, ElderlyVisit, ElderlyVisitAmendment

_SCHEDULE_SETTINGS = ("visit.interval_days.",)


def refresh_records(conn: Connection, touched: dict[str, set[str]]) -> int:
    """The same for records named by table: {"elderly_resident": {id, ...}, ...}. Every lookup
    goes in chunks, so a bundle's worth of ids never makes a statement too large."""
    pending = Pending()
    pending.add_records(conn, touched)
    return pending.flush(conn)


class Pending:
    """What the frames of one import touched, recomputed once at its end: a first bundle's
    frames touch the same residents over and over (a visit per frame), and recomputing them
    per frame cost five times the work. Holds resident ids only (bounded by the roster)."""

    def __init__(self) -> None:
        self.residents: set[str] = set()
        self.everyone = False

    def add(self, conn: Connection, changes: Iterable[object]) -> None:
        touched: dict[str, set[str]] = {}
        for c in changes:
            touched.setdefault(c.table_name, set()).add(c.record_id)  # type: ignore[attr-defined]
        self.add_records(conn, touched)

    def add_records(self, conn: Connection, touched: dict[str, set[str]]) -> None:
        self.residents.update(touched.get("elderly_resident", ()))
        visits = set(touched.get("elderly_visit", ()))
        A, V = ElderlyVisitAmendment, ElderlyVisit
        for part in _chunks(touched.get("elderly_visit_amendment", ())):
            visits.update(conn.execute(select(A.visit_id).where(A.id.in_(part))).scalars())
        for part in _chunks(visits):
            self.residents.update(
                conn.execute(select(V.resident_id).where(V.id.in_(part))).scalars()
            )
        # A major change makes a visit due the next day: its person's due date moves.
        C = ElderlyChange
        for part in _chunks(touched.get("elderly_change", ())):
            self.residents.update(
                conn.execute(select(C.resident_id).where(C.id.in_(part))).scalars()
            )
        # A changed visit interval moves every resident's due date: then recompute them all.
        if not self.everyone:
            self.everyone = _interval_setting_changed(conn, touched.get("setting", set()))

    def flush(self, conn: Connection) -> int:
        """Recompute in the caller's transaction; returns how many due dates changed."""
        if not self.residents and not self.everyone:
            return 0
        # A savepoint inside the import's transaction: all of it commits or rolls back as one.
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            changed = schedule.recompute(session, None if self.everyone else self.residents)
            session.commit()
        self.residents.clear()
        self.everyone = False
        return changed


def _chunks(ids: Iterable[str], size: int = schedule.PAGE) -> Iterator[list[str]]:
    items = sorted(ids)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _interval_setting_changed(conn: Connection, setting_ids: set[str]) -> bool:
    from db.models import Setting

    for part in _chunks(setting_ids):
        keys = conn.execute(select(Setting.key).where(Setting.id.in_(part))).scalars()
        if any(k.startswith(_SCHEDULE_SETTINGS) for k in keys):
            return True
    return False
