"""Derived schedule columns are not journaled, so an import must recompute them."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from caseworker.district import service
from caseworker.domain import idnumber
from caseworker.domain.elderly import Category
from caseworker.services import accounts, settings
from caseworker.services.elderly import roster, visits
from caseworker.sync import office
from db.elderly import ElderlyResident
from tests.sync.helpers import ADMIN, make_world


def _due(engine_owner, resident_id: str) -> date | None:
    with engine_owner.reader() as s:
        return s.scalar(select(ElderlyResident.next_due).where(ElderlyResident.id == resident_id))


def _living_alone_visited_today(ws, name: str, birth: date) -> str:
    """A 独居 (key tier) resident of the office's first community, visited today; returns the id."""
    today = date.today()
    with ws.writer(ADMIN) as s:
        community = accounts.communities(s)[0]
        draft = roster.ResidentDraft(
            name,
            idnumber.make("110105", birth, 11),
            community.id,
            categories=frozenset({Category.LIVING_ALONE}),
        )
        rid = roster.register(s, ADMIN, draft, today=today).resident.id
    with ws.writer(ADMIN) as s:
        visits.complete(s, ADMIN, visits.VisitDraft(rid, today, visitors=("李专干",)), today=today)
    return rid


def test_visit_and_interval_changes_move_due_dates_on_the_receiving_side(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A"])
    try:
        a = w.offices["A"]
        today = date.today()
        rid = _living_alone_visited_today(a, "测试老人", date(1940, 3, 1))
        due_at_office = _due(a, rid)
        assert due_at_office is not None and due_at_office > today
        service.ingest(w.hub, [w.office_to_district("A")])
        assert _due(w.hub, rid) == due_at_office  # recomputed at the district

        # The district lengthens the interval for this tier: the office's due date moves.
        with w.hub.writer(ADMIN) as s:
            current = settings.get(s, "visit.interval_days.key")
            settings.set_value(s, ADMIN, "visit.interval_days.key", current + 30)
        office.import_bundle(a, ADMIN, w.district_to_office("A"))
        assert _due(a, rid) == due_at_office + timedelta(days=30)
    finally:
        w.close()


def test_reversing_a_conflict_moves_the_due_date_back(tmp_path: Path) -> None:
    from caseworker.domain.elderly import Tier
    from caseworker.sync.conflicts import list_conflicts, resolve
    from tests.sync.helpers import supervisor

    w = make_world(tmp_path, ["A"])
    try:
        a = w.offices["A"]
        today = date.today()
        rid = _living_alone_visited_today(a, "周爷爷", date(1941, 7, 2))
        service.ingest(w.hub, [w.office_to_district("A")])
        # The office lowers the tier; the district, later, raises it.
        with a.writer(ADMIN) as s:
            roster.set_tier(s, ADMIN, rid, Tier.GENERAL, "家属已回家同住", today=today)
        general_due = _due(a, rid)
        with w.hub.writer(ADMIN) as s:
            resident = s.get(ElderlyResident, rid)
            resident.tier = Tier.HIGH_RISK.value
        office.import_bundle(a, ADMIN, w.district_to_office("A"))
        high_risk_due = _due(a, rid)
        assert high_risk_due is not None and general_due is not None
        assert high_risk_due < general_due  # the district's later change won
        with a.reader() as s:
            [conflict] = [c for c in list_conflicts(s, ADMIN) if c.field == "tier"]
        assert conflict.lost_value == Tier.GENERAL.value
        chief = supervisor(a)
        with a.writer(chief) as s:
            resolve(s, chief, conflict.id, "reverse")
        assert _due(a, rid) == general_due  # recomputed with the restored tier
    finally:
        w.close()


def test_the_sync_layer_recomputes_through_the_registered_hooks_and_never_without_them(
    monkeypatch,
) -> None:
    """Sync knows no programme: elderly's schedule is a registered hook, and a merge made with
    no hook registered refuses to run instead of leaving due dates stale."""
    import pytest

    from caseworker.services.elderly.after_merge import ScheduleAfterMerge
    from caseworker.sync import derived

    assert ScheduleAfterMerge in [type(h) for h in derived.Pending().hooks]
    monkeypatch.setattr(derived, "_HOOKS", [])
    with pytest.raises(RuntimeError, match="after-merge hook"):
        derived.Pending()


def _visits_rewritten(engine) -> list[int]:
    """Rows each UPDATE of elderly_visit touched while the listener is on (issue 23)."""
    from sqlalchemy import event

    counts: list[int] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("UPDATE ELDERLY_VISIT"):
            counts.append(cursor.rowcount)

    event.listen(engine, "after_cursor_execute", seen)
    return counts


def test_a_first_bundle_writes_each_visit_once_and_a_moved_date_moves_it(
    tmp_path: Path, district_db: str | None
) -> None:
    """Issue 23: a visit's effective date is written with the visit, not by an UPDATE of every
    visit at the import's end (a first bundle of 100,000 residents brings 1.3 million); and a
    draft whose date the office moves after the district has it moves its effective date at the
    district too (before, only a NULL effective date was ever filled in: it stayed stale)."""
    from db.elderly import ElderlyVisit

    w = make_world(tmp_path, ["A"], db_url=district_db)
    try:
        a = w.offices["A"]
        today = date.today()
        rid = _living_alone_visited_today(a, "钱奶奶", date(1939, 5, 6))
        with a.writer(ADMIN) as s:
            draft = visits.save_draft(
                s, ADMIN, visits.VisitDraft(rid, today - timedelta(days=3)), today=today
            )
        rewritten = _visits_rewritten(w.hub.engine)
        service.ingest(w.hub, [w.office_to_district("A")])
        assert sum(n for n in rewritten if n > 0) == 0
        with w.hub.reader() as s:
            assert s.get(ElderlyVisit, draft.id).effective_date == today - timedelta(days=3)
        with a.writer(ADMIN) as s:
            visits.save_draft(
                s,
                ADMIN,
                visits.VisitDraft(rid, today - timedelta(days=1)),
                today=today,
                visit_id=draft.id,
            )
        service.ingest(w.hub, [w.office_to_district("A")])
        with w.hub.reader() as s:
            assert s.get(ElderlyVisit, draft.id).effective_date == today - timedelta(days=1)
    finally:
        w.close()
