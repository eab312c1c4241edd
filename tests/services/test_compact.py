"""`caseworker compact`: an upgraded workspace's plain journal rows are packed and the file shrinks,
through a verified copy; the original is kept; an open or older workspace is refused untouched."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, select

from caseworker.cli import main
from caseworker.compact import compact
from caseworker.domain import idnumber
from caseworker.domain.errors import WorkspaceError
from caseworker.domain.roles import Actor
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident, ElderlyVisit
from db.journal import insert_many
from db.journal_packing import unpack
from db.models import Community
from db.schema import _alembic_config, migration_connection


def _fill(ws: Workspace, residents: int = 200, visits_each: int = 10) -> None:
    with ws.reader() as s:
        community = s.scalar(select(Community.id))
    people = [
        {
            "id": f"r{i:05d}",
            "name": "周春兰",
            "id_number": idnumber.make("110105", date(1944, 3, 2), i + 1),
            "birth_date": date(1944, 3, 2),
            "sex": "女",
            "address": f"和平路{i}号",
            "community_id": community,
            "categories": "独居",
            "tier": "重点",
            "enrolled_on": date(2026, 1, 5),
        }
        for i in range(residents)
    ]
    visits = [
        {
            "resident_id": f"r{i:05d}",
            "visit_date": date(2026, 1, 1) + timedelta(days=k * 30),
            "visitors": "李专干",
            "method": "入户",
            "status": "已完成",
            "living_food": "有保障",
            "problems": "卫生间地面湿滑，有跌倒风险",
        }
        for i in range(residents)
        for k in range(visits_each)
    ]
    with ws.writer(Actor.system("demo")) as s:
        insert_many(s, ElderlyResident, people)
        insert_many(s, ElderlyVisit, visits)


def _as_before_0013(db: Path) -> None:
    """Every journal value back to plain text, as a workspace upgraded from before 0013 holds."""
    con = sqlite3.connect(db)
    con.create_function("cw_unpack", 1, lambda v: unpack(v), deterministic=True)
    with con:
        con.execute(
            "UPDATE journal SET new_value = cw_unpack(new_value), old_value = cw_unpack(old_value)"
        )
    con.execute("VACUUM")
    con.close()


def _journal(db: Path) -> list[tuple]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT seq, change_id, old_value, new_value FROM journal ORDER BY seq")
        return [(seq, cid, unpack(old), unpack(new)) for seq, cid, old, new in rows]
    finally:
        con.close()


def _blobs(db: Path) -> tuple[int, int]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(
            "SELECT sum(typeof(new_value) = 'blob'), sum(typeof(new_value) = 'text' "
            "AND length(CAST(new_value AS BLOB)) >= 64) FROM journal"
        ).fetchone()
    finally:
        con.close()


@pytest.fixture
def upgraded(office_ws: Workspace) -> Path:
    _fill(office_ws)
    root = office_ws.paths.root
    office_ws.close()
    _as_before_0013(root / "caseworker.sqlite3")
    return root


def test_compact_packs_old_rows_shrinks_the_file_and_keeps_the_original(upgraded: Path) -> None:
    db = upgraded / "caseworker.sqlite3"
    before_rows = _journal(db)
    assert _blobs(db) == (0, len(before_rows) - sum(1 for r in before_rows if len(r[3] or "") < 64))
    lines: list[str] = []
    done = compact(upgraded, progress=lines.append)
    assert done.packed_rows >= 2_000 and done.after_bytes < 0.75 * done.before_bytes
    assert db.stat().st_size == done.after_bytes
    assert _journal(db) == before_rows  # every value reads back exactly as before
    packed, long_plain = _blobs(db)
    assert packed >= 2_000 and long_plain == 0
    assert any("压缩操作日志" in line for line in lines)
    # the original is kept in backups/ as it was (plain rows), and the workspace opens and reads
    assert done.kept.parent == upgraded / "backups" and "pre-compact" in done.kept.name
    assert _journal(done.kept) == before_rows and _blobs(done.kept)[0] == 0
    ws = Workspace.open(upgraded)
    try:
        with ws.reader() as s:
            assert len(list(s.scalars(select(ElderlyVisit.id)))) == 2_000
    finally:
        ws.close()
    assert not list(upgraded.glob("*.partial"))


def test_an_open_workspace_is_refused_and_left_as_it_was(upgraded: Path) -> None:
    db = upgraded / "caseworker.sqlite3"
    ws = Workspace.open(upgraded)
    try:
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        with pytest.raises(WorkspaceError):
            compact(upgraded)
        assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    finally:
        ws.close()
    assert not list((upgraded / "backups").glob("*pre-compact*"))


def test_the_command_reports_json_and_refuses_an_older_schema(
    upgraded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = upgraded / "caseworker.sqlite3"
    copy = upgraded.parent / "older"
    copy.mkdir()
    (copy / "caseworker.sqlite3").write_bytes(db.read_bytes())
    engine = create_engine(f"sqlite:///{copy / 'caseworker.sqlite3'}")
    with migration_connection(engine) as conn:
        command.downgrade(_alembic_config(conn), "0012")
    engine.dispose()
    older = (copy / "caseworker.sqlite3").read_bytes()
    assert main(["compact", "--workspace", str(copy)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "先用本程序打开一次工作区" in err[0]
    assert (copy / "caseworker.sqlite3").read_bytes() == older

    assert main(["compact", "--workspace", str(upgraded), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["after_bytes"] < report["before_bytes"] and report["packed_rows"] >= 2_000
    assert Path(report["previous_kept_at"]).is_file()
