"""Settings and the retrofit catalogue changed with the day each takes effect (issue 24), on real
SQLite workspaces and a real hub: reads as of a day, pending changes with who set them, a past
day refused without a change, cancelling before the day only, due dates recomputed once when an
interval's day comes (a fake clock crosses it), prices in force on the day of submission, and
migration 0023 turning the values an existing database holds into the history's first
entries."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select, text

from caseworker.domain.elderly import Category, Tier
from caseworker.domain.errors import NotFound, ValidationError
from caseworker.domain.retrofit import Action
from caseworker.domain.roles import Actor
from caseworker.services import dated, settings
from caseworker.services.elderly import schedule, visits
from caseworker.services.retrofit import cases, catalogue
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident
from db.ids import stable_id
from db.models import LocalMeta, Setting
from db.schema import MIGRATIONS
from tests.services._elderly import TODAY, add
from tests.services._retrofit import assess, open_case, step, supervisor
from tests.sync.helpers import journal_count, snapshot

KEY = "visit.interval_days.key"


def _visited(ws: Workspace, worker: Actor, name: str, seq: int) -> str:
    """A 独居 resident enrolled on 2026-11-01 and visited on 2026-11-10; returns the id (the due
    date is then the last visit plus the tier's interval)."""
    r = add(
        ws,
        worker,
        name,
        date(1940, 3, 1),
        seq=seq,
        categories=frozenset({Category.LIVING_ALONE}),
        enrolled_on=date(2026, 11, 1),
    )
    with ws.writer(worker) as s:
        visits.complete(
            s,
            worker,
            visits.VisitDraft(r.id, date(2026, 11, 10), visitors=("李专干",)),
            today=TODAY,
        )
    return r.id


def _tier_key(ws: Workspace, rid: str) -> str:
    with ws.reader() as s:
        tier = s.scalar(select(ElderlyResident.tier).where(ElderlyResident.id == rid))
    return Tier(tier).setting_key


def _move_to(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    """The fake clock: every "as of today" read of dated values now reads `day`."""
    monkeypatch.setattr(dated, "today", lambda: day)


def test_a_dated_setting_is_pending_until_its_day_then_in_force(
    office_ws: Workspace, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = date.today()
    later = today + timedelta(days=20)
    with office_ws.writer(admin) as s:
        settings.set_value(s, admin, KEY, 12, effective=later)
    with office_ws.reader() as s:
        assert settings.get(s, KEY) == 30  # today: the default still
        assert settings.get(s, KEY, later - timedelta(days=1)) == 30
        assert settings.get(s, KEY, later) == 12
        values = {v.key: v.value for v in settings.get_all(s, later)}
        assert values[KEY] == 12
        [waiting] = settings.pending(s)
    assert (waiting.key, waiting.value, waiting.effective_from) == (KEY, 12, later)
    assert waiting.changed_by == "张管理"
    _move_to(monkeypatch, later)
    with office_ws.reader() as s:
        assert settings.get(s, KEY) == 12
        assert settings.pending(s) == []


def test_a_past_day_is_refused_and_changes_nothing(office_ws: Workspace, admin: Actor) -> None:
    before = snapshot(office_ws.engine)
    with pytest.raises(ValidationError, match="已经过去"), office_ws.writer(admin) as s:
        settings.set_value(s, admin, KEY, 12, effective=date.today() - timedelta(days=1))
    assert snapshot(office_ws.engine) == before
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        dated.parse_day("2027-13-01")


def test_a_pending_change_is_cancelled_before_its_day_only(
    office_ws: Workspace, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = date.today() + timedelta(days=3)
    with office_ws.writer(admin) as s:
        settings.set_value(s, admin, KEY, 12, effective=later)
        settings.set_value(s, admin, KEY, 14, effective=later)  # the same day: replaced
    with office_ws.reader() as s:
        assert [p.value for p in settings.pending(s)] == [14]
    with office_ws.writer(admin) as s:
        gone = settings.cancel_pending(s, admin, KEY, later)
    assert gone.value == 14
    with office_ws.reader() as s:
        assert settings.pending(s) == [] and settings.get(s, KEY, later) == 30
    with pytest.raises(NotFound), office_ws.writer(admin) as s:
        settings.cancel_pending(s, admin, KEY, later)
    # scheduled again, then its day comes: it can no longer be cancelled
    with office_ws.writer(admin) as s:
        settings.set_value(s, admin, KEY, 15, effective=later)
    _move_to(monkeypatch, later)
    with pytest.raises(ValidationError, match="已经生效"), office_ws.writer(admin) as s:
        settings.cancel_pending(s, admin, KEY, later)


def test_due_dates_follow_an_interval_once_its_day_has_come(
    office_ws: Workspace, admin: Actor, worker: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = _visited(office_ws, worker, "测试老人", 11)

    def due() -> date | None:
        with office_ws.reader() as s:
            return s.scalar(select(ElderlyResident.next_due).where(ElderlyResident.id == rid))

    first = due()
    assert first is not None
    tier_key = _tier_key(office_ws, rid)
    with office_ws.reader() as s:
        interval = settings.get(s, tier_key)
    later = date.today() + timedelta(days=10)
    with office_ws.writer(admin) as s:
        settings.set_value(s, admin, tier_key, interval + 20, effective=later)
    with office_ws.writer(admin) as s:
        assert schedule.follow_intervals(s) == 0  # not yet its day: nothing moves
    assert due() == first
    _move_to(monkeypatch, later)
    journal = journal_count(office_ws.engine)
    with office_ws.writer(admin) as s:
        assert schedule.follow_intervals(s) == 1
    assert due() == first + timedelta(days=20)
    with office_ws.writer(admin) as s:
        assert schedule.follow_intervals(s) == 0  # once: the second check changes nothing
        mark = s.get(LocalMeta, schedule.INTERVALS_APPLIED)
    tier = next(t for t in Tier if t.setting_key == tier_key)
    assert mark is not None and json.loads(mark.value)[tier.value] == interval + 20
    assert journal_count(office_ws.engine) == journal  # local columns: nothing journaled


def test_the_check_runs_when_the_workspace_opens(
    office_ws: Workspace, admin: Actor, worker: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = _visited(office_ws, worker, "开门老人", 13)
    tier_key = _tier_key(office_ws, rid)
    with office_ws.reader() as s:
        interval = settings.get(s, tier_key)
        first = s.scalar(select(ElderlyResident.next_due).where(ElderlyResident.id == rid))
    later = date.today() + timedelta(days=1)
    with office_ws.writer(admin) as s:
        settings.set_value(s, admin, tier_key, interval - 1, effective=later)
    root = office_ws.paths.root
    office_ws.close()
    _move_to(monkeypatch, later)
    again = Workspace.open(root)
    try:
        with again.reader() as s:
            moved = s.scalar(select(ElderlyResident.next_due).where(ElderlyResident.id == rid))
    finally:
        again.close()
    assert first is not None and moved == first - timedelta(days=1)


def _hub(tmp_path: Path):
    from caseworker.district import service
    from caseworker.district.hub import Hub

    hub = Hub.open(tmp_path / "hub")
    service.init(hub, "测试区民政局")
    return hub


def test_a_catalogue_price_and_a_retirement_take_effect_on_their_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    district = Actor.system("district")
    later = date.today() + timedelta(days=31)
    with _hub(tmp_path) as hub:
        with hub.writer(district) as s:
            catalogue.set_price(s, district, "R13", 35000, effective=later)
            catalogue.retire(s, district, "R26", effective=later)
            catalogue.set_price(s, district, "R14", 9900)  # today: at once, as before
            with pytest.raises(ValidationError, match="已经过去"):
                catalogue.retire(s, district, "R01", effective=date.today() - timedelta(days=1))
        with hub.reader() as s:
            now = {i.code: i for i in catalogue.items(s)}
            then = {i.code: i for i in catalogue.items(s, on=later)}
            waiting = {p.code: p for p in catalogue.pending(s)}
        assert now["R13"].price_fen == 28000 and then["R13"].price_fen == 35000
        assert "R26" in now and "R26" not in then
        assert now["R14"].price_fen == then["R14"].price_fen == 9900
        assert "R01" in then  # the refused retirement left nothing behind
        assert set(waiting) == {"R13", "R26"} and waiting["R26"].change == "停用"
        assert waiting["R13"].change.startswith("单价 350.00 元")
        with hub.writer(district) as s:
            catalogue.cancel_pending(s, district, "R26", later)
        _move_to(monkeypatch, later)
        with hub.reader() as s:
            now = {i.code: i for i in catalogue.items(s)}
            assert catalogue.pending(s) == []
        assert now["R13"].price_fen == 35000 and "R26" in now


def test_a_submission_takes_the_prices_in_force_on_its_day(
    office_ws: Workspace, worker: Actor
) -> None:
    # The district's price for R13 from 2026-10-20 arrives (as sync writes it).
    with office_ws.writer(Actor.system("sync")) as s:
        dated.record(
            s,
            Actor.system("sync"),
            dated.CATALOGUE,
            "R13",
            {"price_fen": 35000, "cap_fen": 30000},
            date(2026, 10, 20),
        )
    chief = supervisor(office_ws)
    early = open_case(office_ws, worker, "甲", seq=61)
    late = open_case(office_ws, worker, "乙", seq=63)
    for case, submitted in ((early, date(2026, 10, 12)), (late, date(2026, 10, 21))):
        step(office_ws, worker, case.id, Action.CHECK, on=date(2026, 10, 9))
        assess(office_ws, worker, case.id, [("R13", 300)])
        step(office_ws, worker, case.id, Action.SUBMIT, on=submitted)
    step(office_ws, chief, early.id, Action.APPROVE, on=date(2026, 10, 15))
    with office_ws.reader() as s:
        before = cases.detail(s, worker, early.id)
        after = cases.detail(s, worker, late.id)
    assert before.items[0].unit_price_fen == 28000
    assert after.items[0].unit_price_fen == 35000
    assert before.totals.cost_fen == 84000  # approved money never changes


def test_migration_0023_makes_the_values_held_the_first_entries(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")

    def run(fn, target: str) -> None:
        with engine.begin() as conn:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = conn
            fn(cfg, target)

    run(command.upgrade, "0022")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO setting (id, created_at, updated_at, key, value) VALUES "
                "(:id, '2026-05-01 08:00:00', '2026-05-01 08:00:00', :k, '21')"
            ),
            {"id": stable_id("setting", KEY), "k": KEY},
        )
        conn.execute(
            text(
                "INSERT INTO journal (change_id, tx_id, hlc, device_id, actor_name, table_name, "
                "record_id, op, recorded_at, source) VALUES ('c1', 't1', '1', 'd', '李业务', "
                "'setting', :id, 'insert', '2026-05-01 08:00:00', 'local')"
            ),
            {"id": stable_id("setting", KEY)},
        )
        conn.execute(
            text(
                "INSERT INTO retrofit_catalogue_item (id, created_at, updated_at, code, part, "
                "name, unit, basic, price_fen, cap_fen, retired, sort_order) VALUES (:id, "
                "'2026-06-01 08:00:00', '2026-06-01 08:00:00', 'R13', '如厕洗浴', '如厕洗浴扶手', "
                "'个', 1, 35000, 30000, 0, 13)"
            ),
            {"id": stable_id("retrofit_item", "R13")},
        )
    run(command.upgrade, "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, kind, key, value, effective_from, changed_by FROM dated_value "
                "ORDER BY kind"
            )
        ).all()
    assert [(r.kind, r.key, r.effective_from, r.changed_by) for r in rows] == [
        ("catalogue", "R13", "2000-01-01", ""),
        ("setting", KEY, "2000-01-01", "李业务"),
    ]
    assert json.loads(rows[0].value) == {"price_fen": 35000, "cap_fen": 30000, "retired": False}
    assert rows[1].value == "21"
    # the same ids every replica derives
    assert rows[1].id == dated.entry_id("setting", KEY, dated.SINCE_EVER)
    run(command.downgrade, "0022")
    engine.dispose()


def test_the_migrated_first_entry_decides_past_days_and_the_row_today(
    office_ws: Workspace, admin: Actor
) -> None:
    """What migration 0023 makes of a value held before (an entry since 2000-01-01) gives a
    past day its value; today the row decides, also when a hub not yet upgraded sends a newer
    row without an entry."""
    system = Actor.system("sync")
    with office_ws.writer(system) as s:
        s.add(Setting(id=stable_id("setting", KEY), key=KEY, value="21"))
        dated.record(s, system, dated.SETTING, KEY, 21, dated.SINCE_EVER)
    with office_ws.writer(system) as s:
        row = s.get(Setting, stable_id("setting", KEY))
        assert row is not None
        row.value = "40"  # as an old hub's bundle writes it: the row alone
    yesterday = date.today() - timedelta(days=1)
    with office_ws.reader() as s:
        assert settings.get(s, KEY) == 40
        assert settings.get(s, KEY, yesterday) == 21
    with office_ws.writer(admin) as s:
        settings.set_value(s, admin, KEY, 25)  # today
    with office_ws.reader() as s:
        assert settings.get(s, KEY, yesterday) == 21
        assert {v.key: v.value for v in settings.get_all(s, yesterday)}[KEY] == 21
        assert settings.get(s, KEY) == settings.get(s, KEY, date.today()) == 25
        assert {v.key: v.value for v in settings.get_all(s)}[KEY] == 25
