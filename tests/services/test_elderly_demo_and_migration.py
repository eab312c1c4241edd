"""Demo data for programme 1 (journaled, deterministic per seed, realistic spread) and the
0001 → 0002 migration of a workspace that holds data (backup first, data kept)."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, func, select

from caseworker import demo
from caseworker.domain.roles import Actor
from caseworker.services.elderly import schedule
from caseworker.workspace import Workspace
from db.elderly import ElderlyReferral, ElderlyResident, ElderlyVisit
from db.models import JournalEntry
from db.schema import HEAD, MIGRATIONS, alembic_head


def _content(ws: Workspace) -> list[tuple]:
    with ws.reader() as s:
        return sorted(
            s.execute(
                select(
                    ElderlyResident.name,
                    ElderlyResident.id_number,
                    ElderlyResident.categories,
                    ElderlyResident.tier,
                    ElderlyResident.status,
                    ElderlyResident.next_due,
                    func.count(ElderlyVisit.id),
                )
                .outerjoin(ElderlyVisit, ElderlyVisit.resident_id == ElderlyResident.id)
                .group_by(ElderlyResident.id)
            ).all()
        )


@pytest.mark.slow  # over 10 s on a loaded 2-core machine: in the full suite, not in --fast
def test_demo_roster_is_journaled_realistic_and_deterministic(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "a") as ws:
        report = demo.build(ws, residents=120, seed=42)
        assert report.counts["老年人"] == 120 and report.counts["探访记录"] > 500
        first = _content(ws)
        today = date.today()
        with ws.reader() as s:
            residents = s.scalar(select(func.count()).select_from(ElderlyResident))
            inserts = {
                table: n
                for table, n in s.execute(
                    select(JournalEntry.table_name, func.count())
                    .where(JournalEntry.op == "insert")
                    .group_by(JournalEntry.table_name)
                )
            }
            assert residents == 120 and inserts["elderly_resident"] == 120
            assert inserts["elderly_visit"] == report.counts["探访记录"]
            assert inserts["elderly_referral"] == report.counts["转介（合计）"]
            actor = Actor.system("t")
            assert schedule.overdue_count(s, actor, today=today) > 0
            listed = schedule.open_referrals(s, actor, today=today)
            assert report.counts["转介（未办结）"] == len(listed)
            # the counts (on the status index alone) agree with the list, overall and by
            # community and owner, and the late ones are those past their due date
            owners = set(s.scalars(select(ElderlyReferral.owner_staff_id)))
            for owner in [None, *owners]:
                rows = schedule.open_referrals(s, actor, owner_id=owner, today=today)
                late = sum(1 for r in rows if r.due_on < today)
                assert schedule.open_referral_counts(s, actor, owner_id=owner, today=today) == (
                    len(rows),
                    late,
                )
            for community in set(s.scalars(select(ElderlyResident.community_id))):
                rows = schedule.open_referrals(s, actor, community_id=community, today=today)
                assert schedule.open_referral_counts(
                    s, actor, community_id=community, today=today
                ) == (len(rows), sum(1 for r in rows if r.due_on < today))
            assert sum(1 for r in listed if r.due_on < today) > 0
            assert s.scalar(select(func.count()).select_from(ElderlyReferral)) > 0
            # Derived columns are consistent with what recompute would compute.
            assert schedule.recompute(s) == 0
            statuses = set(s.scalars(select(ElderlyResident.status).distinct()))
            assert "在册" in statuses and len(statuses) >= 2
            assert s.scalar(select(func.max(ElderlyVisit.visit_date))) <= today
    with Workspace.open(tmp_path / "b") as ws:
        demo.build(ws, residents=120, seed=42)
        assert _content(ws) == first
    with Workspace.open(tmp_path / "c") as ws:
        demo.build(ws, residents=120, seed=43)
        assert _content(ws) != first


def _make_0001_workspace(root: Path) -> Path:
    root.mkdir()
    db = root / "caseworker.sqlite3"
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    con = sqlite3.connect(db)
    now = "2026-01-01 00:00:00"
    con.execute(
        "INSERT INTO office (id, code, name, district_name, phone, address, created_at, updated_at)"
        " VALUES ('o1', '110105001', '旧街道', '旧区', '', '', ?, ?)",
        (now, now),
    )
    con.execute(
        "INSERT INTO community (id, office_id, code, name, kind, sort_order, active, created_at,"
        " updated_at) VALUES ('c1', 'o1', '', '老社区', '社区', 0, 1, ?, ?)",
        (now, now),
    )
    for n, (table, record) in enumerate((("office", "o1"), ("community", "c1"))):
        # as the journal of that version recorded every insert (restore and check verify it)
        con.execute(
            "INSERT INTO journal (change_id, tx_id, hlc, device_id, actor_name, table_name,"
            " record_id, op, recorded_at, source) VALUES (?, 't1', ?, 'd1', '系统', ?, ?,"
            " 'insert', ?, 'local')",
            (f"ch{n}", f"{n:024d}", table, record, now),
        )
    con.commit()
    con.close()
    return db


def test_a_0001_workspace_is_backed_up_then_migrated_with_its_data(tmp_path: Path) -> None:
    root = tmp_path / "old"
    db = _make_0001_workspace(root)
    with Workspace.open(root) as ws:
        assert ws.schema_status == "migrated"
        with ws.reader() as s:
            assert s.scalar(select(func.count()).select_from(ElderlyResident)) == 0
        with ws.engine.connect() as conn:
            assert (
                conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                == HEAD
                == alembic_head()
            )
            assert (
                conn.exec_driver_sql("SELECT name FROM community WHERE id='c1'").scalar()
                == "老社区"
            )
        assert ws.integrity_problems() == []
    backups = list((root / "backups").glob("*pre-migration*"))
    assert len(backups) == 1
    from db.backup import unpack

    unpack(backups[0], tmp_path / "pre-migration.sqlite3")  # backups are gzip-compressed
    con = sqlite3.connect(tmp_path / "pre-migration.sqlite3")
    try:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert con.execute("SELECT name FROM office").fetchone() == ("旧街道",)
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "elderly_resident" not in tables
    finally:
        con.close()
    assert db.exists()
