"""Every change through any service lands in the journal; a rolled-back one leaves nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, update

from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts, settings
from caseworker.workspace import Workspace
from db.journal import JournalMissing
from db.models import Community, JournalEntry, Staff


def journal(ws: Workspace) -> list[JournalEntry]:
    with ws.reader() as s:
        return list(s.scalars(select(JournalEntry).order_by(JournalEntry.seq)))


def test_setup_journals_every_insert_with_actor_and_device(office_ws: Workspace) -> None:
    rows = journal(office_ws)
    inserted = {(r.table_name, r.op) for r in rows}
    assert ("office", "insert") in inserted
    assert ("community", "insert") in inserted
    assert ("staff", "insert") in inserted
    assert all(r.device_id == office_ws.device_id for r in rows)
    with office_ws.reader() as s:
        record_ids = set(s.scalars(select(Community.id)))
    assert record_ids <= {r.record_id for r in rows}


def test_password_hash_is_redacted_in_the_journal(office_ws: Workspace) -> None:
    staff_rows = [r for r in journal(office_ws) if r.table_name == "staff"]
    values = json.loads(staff_rows[0].new_value)
    assert values["password_hash"] == "<已隐去>"
    assert "failed_logins" not in values  # local bookkeeping is not journaled


def test_update_records_field_old_and_new_value(office_ws: Workspace, admin: Actor) -> None:
    with office_ws.reader() as s:
        worker = s.scalar(select(Staff).where(Staff.username == "worker"))
        assert worker is not None
    with office_ws.writer(admin) as s:
        accounts.update_staff(
            s,
            admin,
            worker.id,
            accounts.StaffDraft("worker", "李专干", Role.SUPERVISOR, phone="13800000000"),
        )
    changes = [r for r in journal(office_ws) if r.record_id == worker.id and r.op == "update"]
    by_field = {r.field: r for r in changes}
    assert json.loads(by_field["role"].old_value) == "caseworker"
    assert json.loads(by_field["role"].new_value) == "supervisor"
    assert json.loads(by_field["phone"].new_value) == "13800000000"
    assert by_field["role"].actor_name == "张管理"
    assert by_field["role"].actor_id == admin.staff_id
    assert "display_name" not in by_field  # unchanged fields are not journaled


def test_rolled_back_transaction_leaves_nothing(office_ws: Workspace, admin: Actor) -> None:
    before = len(journal(office_ws))
    with pytest.raises(RuntimeError, match="boom"), office_ws.writer(admin) as s:
        settings.set_value(s, admin, "visit.interval_days.key", 20)
        # the setting and its dated entry (from today: caseworker.services.dated)
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == before + 2
        raise RuntimeError("boom")
    assert len(journal(office_ws)) == before
    with office_ws.reader() as s:
        assert settings.get(s, "visit.interval_days.key") == 30


def test_clock_increases_across_transactions(office_ws: Workspace, admin: Actor) -> None:
    for days in (10, 11, 12):
        with office_ws.writer(admin) as s:
            settings.set_value(s, admin, "visit.interval_days.high_risk", days)
    clocks = [r.hlc for r in journal(office_ws)]
    assert clocks == sorted(clocks)
    # one clock per transaction (each writes the setting and its dated entry, sharing it)
    setting_clocks = [r.hlc for r in journal(office_ws) if r.table_name == "setting"]
    assert len(set(setting_clocks[-3:])) == 3


def test_clock_survives_a_pc_clock_going_backwards(office_ws: Workspace, admin: Actor) -> None:
    office_ws.now_ms = lambda: 1_000  # 1970: far behind the changes already made
    with office_ws.writer(admin) as s:
        settings.set_value(s, admin, "visit.interval_days.high_risk", 5)
    rows = journal(office_ws)
    assert rows[-1].hlc > max(r.hlc for r in rows[:-1])


def test_tombstone_is_journaled_as_delete(office_ws: Workspace, admin: Actor) -> None:
    with office_ws.writer(admin) as s:
        c = s.scalar(select(Community).where(Community.name == "柳芳村"))
        assert c is not None
        from db.base import utcnow

        c.deleted_at = utcnow()
    last = journal(office_ws)[-1]
    assert (last.table_name, last.op, last.field) == ("community", "delete", "deleted_at")


def test_hard_delete_is_refused(office_ws: Workspace, admin: Actor) -> None:
    with pytest.raises(RuntimeError, match="never deleted"), office_ws.writer(admin) as s:
        s.delete(s.scalar(select(Community).limit(1)))
    with office_ws.reader() as s:
        assert s.scalar(select(func.count()).select_from(Community)) == 3


def test_bulk_update_cannot_bypass_the_journal(office_ws: Workspace, admin: Actor) -> None:
    with pytest.raises(RuntimeError, match="bypass the journal"), office_ws.writer(admin) as s:
        s.execute(update(Community).values(active=False))


def test_writing_without_journal_context_is_refused(office_ws: Workspace) -> None:
    with pytest.raises(JournalMissing), office_ws.reader() as s:
        s.add(Community(office_id="x", name="无名社区"))
        s.flush()


def test_bulk_insert_journals_exactly_as_a_flush_does(office_ws: Workspace) -> None:
    """`insert_many` (demo data at a district's size) writes the same records and the same
    journal values as adding the objects one by one, defaults included."""
    from datetime import date

    from caseworker.domain import idnumber
    from db.elderly import ElderlyResident, ElderlyVisit
    from db.journal import insert_many

    with office_ws.reader() as s:
        community = s.scalar(select(Community.id))
    base = {
        "name": "周春兰",
        "birth_date": date(1944, 3, 2),
        "sex": "女",
        "address": "和平路5号",
        "community_id": community,
        "categories": "独居",
        "tier": "重点",
        "enrolled_on": date(2026, 1, 5),
    }
    visit = {
        "visit_date": date(2026, 5, 1),
        "visitors": "李专干",
        "method": "入户",
        "status": "已完成",
    }
    system = Actor.system("demo")
    with office_ws.writer(system) as s:
        s.add(
            ElderlyResident(
                id="r-orm", id_number=idnumber.make("110105", date(1944, 3, 2), 1), **base
            )
        )
        s.flush()
        s.add(ElderlyVisit(id="v-orm", resident_id="r-orm", **visit))
        s.flush()
        insert_many(
            s,
            ElderlyResident,
            [{"id": "r-bulk", "id_number": idnumber.make("110105", date(1944, 3, 2), 2), **base}],
        )
        insert_many(s, ElderlyVisit, [{"id": "v-bulk", "resident_id": "r-bulk", **visit}])
        insert_many(s, ElderlyVisit, [])  # nothing to do, no clock tick

    def stored(table: str, record_id: str) -> dict:
        with office_ws.engine.connect() as c:
            row = (
                c.exec_driver_sql(f"SELECT * FROM {table} WHERE id = ?", (record_id,))
                .mappings()
                .one()
            )
        return {
            k: v
            for k, v in row.items()
            if k not in {"id", "id_number", "created_at", "updated_at", "resident_id"}
        }

    def journaled(record_id: str) -> dict:
        [entry] = [e for e in journal(office_ws) if e.record_id == record_id]
        assert entry.op == "insert" and entry.actor_name == system.display_name
        values = json.loads(entry.new_value)
        return {k: v for k, v in values.items() if k not in {"id_number", "resident_id"}}

    assert stored("elderly_resident", "r-bulk") == stored("elderly_resident", "r-orm")
    assert stored("elderly_visit", "v-bulk") == stored("elderly_visit", "v-orm")
    assert journaled("r-bulk") == journaled("r-orm")
    assert journaled("v-bulk") == journaled("v-orm")
    assert len(journaled("v-bulk")) > 20  # every journaled column, defaults included
    clocks = [
        e.hlc for e in journal(office_ws) if e.record_id in {"r-orm", "v-orm", "r-bulk", "v-bulk"}
    ]
    assert clocks == sorted(clocks) and len(set(clocks)) == 4  # one tick per flush / call


def test_bulk_insert_needs_a_journal_context(office_ws: Workspace) -> None:
    from db.elderly import ElderlyResident
    from db.journal import insert_many

    with office_ws.reader() as s, pytest.raises(JournalMissing):
        insert_many(s, ElderlyResident, [{"name": "x"}])


def test_the_context_records_every_table_a_transaction_wrote(
    office_ws: Workspace, admin: Actor
) -> None:
    """What the interface announces after a write: the tables the transaction wrote, however
    it wrote them (a flush, a Core statement on the session's connection, `insert_many`),
    without the journal's own bookkeeping; a transaction that only read records nothing."""
    from datetime import date

    from caseworker.domain import idnumber
    from db.elderly import ElderlyResident
    from db.journal import JournalContext, insert_many

    with office_ws.writer(admin) as s:
        read_only: JournalContext = s.info["journal"]
        s.scalar(select(func.count()).select_from(Community))
    assert read_only.touched == set()

    with office_ws.writer(admin) as s:
        by_service: JournalContext = s.info["journal"]
        accounts.add_community(s, admin, "新建社区", "社区")
    assert by_service.touched == {"community"}

    with office_ws.reader() as s:
        community = s.scalar(select(Community.id))
    with office_ws.writer(admin) as s:
        by_hand: JournalContext = s.info["journal"]
        # local bookkeeping on a journaled table, written past the ORM (as schedules are)
        s.connection().execute(update(Staff).values(failed_logins=0))
        with s.begin_nested():  # a savepoint reuses the connection: still watched, once
            s.scalar(select(Community).limit(1)).active = False
        insert_many(
            s,
            ElderlyResident,
            [
                {
                    "name": "周春兰",
                    "id_number": idnumber.make("110105", date(1944, 3, 2), 3),
                    "birth_date": date(1944, 3, 2),
                    "sex": "女",
                    "address": "和平路5号",
                    "community_id": community,
                    "categories": "独居",
                    "tier": "重点",
                    "enrolled_on": date(2026, 1, 5),
                }
            ],
        )
    assert by_hand.touched == {"staff", "community", "elderly_resident"}

    with pytest.raises(RuntimeError), office_ws.writer(admin) as s:
        later: JournalContext = s.info["journal"]
        accounts.add_community(s, admin, "又一社区", "社区")
        s.flush()
        raise RuntimeError("rolled back")
    assert later.touched == {"community"}  # recorded; the caller announces only on commit
