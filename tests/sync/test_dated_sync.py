"""Dated settings through real signed bundles (issue 24): the hub schedules an interval for a
later day → its bundle → the office takes it in (pending there, due dates unchanged) → the day
comes (a fake clock) → the office's next import recomputes every due date it governs, once; a
cancelled change travels as its tombstone; an office's crafted bundle writing the history is
refused (scope) and changes nothing at the hub. On SQLite and on a PostgreSQL hub."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from caseworker.district import service
from caseworker.domain import idnumber
from caseworker.domain.elderly import Category
from caseworker.services import accounts, dated, settings
from caseworker.services.elderly import roster, schedule, visits
from caseworker.services.retrofit import catalogue
from caseworker.sync import office
from db.elderly import ElderlyResident
from tests.sync.conftest import pg_database
from tests.sync.helpers import ADMIN, journal_count, make_world, table_rows
from tests.sync.test_crafted import _craft, _ingest, _row

KEY = "visit.interval_days.key"  # 独居 residents are 重点


@pytest.fixture(params=["sqlite", "postgresql"])
def world(tmp_path: Path, request: pytest.FixtureRequest):
    """Two offices and a hub on SQLite, and on PostgreSQL where CASEWORKER_TEST_PG_URL is set."""
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(pg_database()) if request.param == "postgresql" else None
        w = make_world(tmp_path, ["A", "B"], db_url=url)
        yield w
        w.close()


def _visited_today(ws) -> str:
    today = date.today()
    with ws.writer(ADMIN) as s:
        community = accounts.communities(s)[0]
        draft = roster.ResidentDraft(
            "定期老人",
            idnumber.make("110105", date(1940, 3, 1), 11),
            community.id,
            categories=frozenset({Category.LIVING_ALONE}),
        )
        rid = roster.register(s, ADMIN, draft, today=today).resident.id
    with ws.writer(ADMIN) as s:
        visits.complete(s, ADMIN, visits.VisitDraft(rid, today, visitors=("李专干",)), today=today)
    return rid


def _due(replica, rid: str) -> date | None:
    with replica.reader() as s:
        return s.scalar(select(ElderlyResident.next_due).where(ElderlyResident.id == rid))


def test_a_scheduled_interval_reaches_the_office_and_moves_due_dates_on_its_day(
    world, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = world.offices["A"]
    rid = _visited_today(a)
    today = date.today()
    assert _due(a, rid) == today + timedelta(days=30)
    later = today + timedelta(days=5)
    with world.hub.writer(ADMIN) as s:
        settings.set_value(s, ADMIN, KEY, 10, effective=later)
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    with a.reader() as s:
        [waiting] = settings.pending(s)
        assert settings.get(s, KEY) == 30
    assert (waiting.value, waiting.effective_from) == (10, later)
    assert _due(a, rid) == today + timedelta(days=30)  # not yet its day

    monkeypatch.setattr(dated, "today", lambda: later)  # the day comes
    # at sync: the office's next import (even one that carries nothing new) recomputes
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    assert _due(a, rid) == today + timedelta(days=10)
    journal = journal_count(a.engine)
    with a.writer(ADMIN) as s:
        assert schedule.follow_intervals(s) == 0  # once: nothing left to do
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    assert _due(a, rid) == today + timedelta(days=10)
    assert journal_count(a.engine) == journal
    with a.reader() as s:
        assert settings.get(s, KEY) == 10 and settings.pending(s) == []
    # the hub's copy of the resident follows too, at its next ingest
    service.ingest(world.hub, [world.office_to_district("A")])
    assert _due(world.hub, rid) == today + timedelta(days=10)


def test_a_cancelled_change_is_cancelled_at_the_office_too(world) -> None:
    a = world.offices["A"]
    later = date.today() + timedelta(days=40)
    district = ADMIN
    with world.hub.writer(district) as s:
        settings.set_value(s, district, KEY, 12, effective=later)
        catalogue.set_price(s, district, "R13", 36000, effective=later)
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    with a.reader() as s:
        assert settings.get(s, KEY, later) == 12
        assert catalogue.item(s, "R13", later).price_fen == 36000
        assert [p.code for p in catalogue.pending(s)] == ["R13"]
    with world.hub.writer(district) as s:
        settings.cancel_pending(s, district, KEY, later)
        catalogue.cancel_pending(s, district, "R13", later)
    office.import_bundle(a, ADMIN, world.district_to_office("A"))
    with a.reader() as s:
        assert settings.get(s, KEY, later) == 30
        assert catalogue.item(s, "R13", later).price_fen == 28000
        assert settings.pending(s) == [] and catalogue.pending(s) == []


def test_an_office_cannot_write_the_history(world) -> None:
    later = (date.today() + timedelta(days=3)).isoformat()
    rid = dated.entry_id(dated.SETTING, KEY, date.fromisoformat(later))
    values = {
        "kind": "setting",
        "key": KEY,
        "value": "1",
        "effective_from": later,
        "changed_by": "攻击者",
        "changed_at": "2026-11-29 10:00:00",
    }
    row = _row("dated_value", rid, "insert", None, values)
    done = _ingest(world, _craft(world, "A", [row], "dated"))
    assert done.refused_reasons == {"dated_value:scope": 1}
    assert table_rows(world.hub.engine, "dated_value", f"WHERE id='{rid}'") == []
    with world.hub.reader() as s:
        assert settings.get(s, KEY, date.fromisoformat(later)) == 30
    # and an office's services refuse it before any bundle
    with pytest.raises(Exception, match="区民政局"), world.offices["A"].writer(ADMIN) as s:
        settings.set_value(s, ADMIN, KEY, 1, effective=date.fromisoformat(later))
