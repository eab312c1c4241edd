"""The journal's ids, clock and time stored compactly (migration 0025) read back exactly as the
text and datetimes written before it, on SQLite and on the district's PostgreSQL; the clock's
order and comparisons hold; the upgrade and downgrade keep every column of every row."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, select, text

from caseworker.domain.hlc import Hlc
from caseworker.domain.roles import Actor
from caseworker.services import audit
from caseworker.workspace import Workspace
from db.among import among
from db.journal_packing import (
    hlc_from_disk,
    hlc_to_disk,
    id_from_disk,
    id_to_disk,
    time_from_disk,
    time_to_disk,
    unpack,
)
from db.models import Community, JournalEntry
from db.schema import HEAD, _alembic_config, migration_connection
from tests.examples import examples
from tests.sync.conftest import district_db  # noqa: F401  (the SQLite/PostgreSQL fixture)

COLUMNS = [c.name for c in JournalEntry.__table__.columns]
BEFORE = "0024"  # the revision before the journal's compact columns


@given(st.uuids())
@settings(max_examples=examples(200), deadline=None)
def test_a_uuid_takes_16_bytes_in_its_text_order(u: uuid.UUID) -> None:
    text_id = str(u)
    assert id_to_disk(text_id) == u.bytes
    assert id_from_disk(id_to_disk(text_id)) == text_id
    other = str(uuid.UUID(int=u.int ^ 0xFFFF))
    assert (text_id < other) == (id_to_disk(text_id) < id_to_disk(other))


@given(st.text(max_size=40).filter(lambda t: "\x00" not in t))
@settings(max_examples=examples(300), deadline=None)
def test_any_other_id_comes_back_exactly(value: str) -> None:
    stored = id_to_disk(value)
    assert id_from_disk(stored) == value
    assert len(stored) != 16 or value == str(uuid.UUID(bytes=stored))


def test_ids_that_are_almost_uuids_are_kept_as_text() -> None:
    u = "0190a6b2-7c1d-7e3f-8a4b-5c6d7e8f9a0b"
    for value in (u.upper(), u.replace("-", ""), u[:-1] + "g", "d1", "x" * 15, "x" * 16, ""):
        assert id_from_disk(id_to_disk(value)) == value
        assert len(id_to_disk(value)) != 16
    with pytest.raises(ValueError):
        id_to_disk("a\x00b")


@given(st.integers(0, 9_223_372_036_853), st.integers(0, 999_999))
@settings(max_examples=examples(300), deadline=None)
def test_a_clock_is_an_integer_in_the_same_order(wall: int, counter: int) -> None:
    clock = Hlc(wall, counter).encode()
    stored = hlc_to_disk(clock)
    assert isinstance(stored, int) and hlc_from_disk(stored) == clock
    for other in (Hlc(wall, counter + 1), Hlc(wall + 1, 0), Hlc(max(wall - 1, 0), 999_999)):
        o = other.encode()
        if len(o) == 22:
            assert (clock < o) == (stored < hlc_to_disk(o))
    assert hlc_to_disk("") < stored  # "" (nothing acknowledged) stays below every clock


def test_a_clock_past_2262_or_of_another_form_stays_text() -> None:
    for value in ("999999999999999-000000", "0" * 24, "1-2"):
        assert hlc_to_disk(value) == value and hlc_from_disk(value) == value
    assert hlc_from_disk(hlc_to_disk("")) == ""


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1)))
@settings(max_examples=examples(300), deadline=None)
def test_a_time_is_integer_microseconds(value: datetime) -> None:
    assert time_from_disk(time_to_disk(value)) == value
    later = value + timedelta(microseconds=1)
    if later.year < 9999:
        assert time_to_disk(later) == time_to_disk(value) + 1


# --- The upgrade on a journal written in the old form ----------------------------------------------


def _old_rows() -> list[dict[str, Any]]:
    """Journal rows as the program wrote them before 0025 (text ids, text clock): every op, a
    NULL actor, a bundle's source, ids that are not UUIDs (a test's, a crafted bundle's), the
    empty clock and clocks whose text order differs from their wall order's digits."""
    base = datetime(2026, 3, 1, 8, 0, 0)
    walls = [1_767_000_000_000, 1_767_000_000_000, 1_767_000_000_001, 999_999_999_999, 5]
    rows = []
    for n in range(40):
        device = str(uuid.UUID(int=(n % 3 + 1) << 96)) if n % 7 else "d1"
        rows.append(
            {
                "seq": n + 1,
                "change_id": str(uuid.uuid4()) if n % 11 else f"ch{n}",
                "tx_id": str(uuid.UUID(int=n // 3)) if n % 5 else "t" * 15,
                "hlc": Hlc(walls[n % 5] + n // 5, n % 4 * 250_000 + n).encode(),
                "device_id": device,
                "actor_id": None if n % 4 == 0 else str(uuid.UUID(int=n + 1000)),
                "actor_name": "系统" if n % 4 == 0 else f"李专干{n % 3}",
                "table_name": ("community", "staff", "setting")[n % 3],
                "record_id": f"rec-{n // 2}",
                "op": ("insert", "update", "delete")[n % 3],
                "field": None if n % 3 == 0 else "name",
                "old_value": None if n % 3 == 0 else '"旧"',
                "new_value": '{"name": "新值"}' if n % 3 == 0 else '"新"',
                "recorded_at": base + timedelta(minutes=n, microseconds=n * 7),
                "source": "local" if n % 2 else f"bundle-{n}",
            }
        )
    return rows


def _to(engine: Engine, revision: str, *, down: bool = False) -> None:
    with migration_connection(engine) as conn:
        (command.downgrade if down else command.upgrade)(_alembic_config(conn), revision)


def _text_columns(engine: Engine) -> list[tuple[Any, ...]]:
    """Every row as the old schema stored it, read raw (no column type converting)."""
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {', '.join(COLUMNS)} FROM journal ORDER BY seq")).all()
    out = []
    for r in rows:
        row = list(r)
        at = row[COLUMNS.index("recorded_at")]
        if isinstance(at, str):  # SQLite held it as text
            row[COLUMNS.index("recorded_at")] = datetime.fromisoformat(at)
        for name in ("old_value", "new_value"):  # packed, or UTF-8 on PostgreSQL (since 0013)
            row[COLUMNS.index(name)] = unpack(row[COLUMNS.index(name)])
        out.append(tuple(row))
    return out


def _orm_rows(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(JournalEntry.__table__).order_by("seq"))]


def _engine(tmp_path: Path, url: str | None) -> Engine:
    return create_engine(url or f"sqlite:///{tmp_path / 'hub.sqlite3'}")


def test_the_upgrade_keeps_every_column_and_the_clock_order(
    tmp_path: Path,
    district_db: str | None,  # noqa: F811
) -> None:
    engine = _engine(tmp_path, district_db)
    try:
        _to(engine, BEFORE)
        rows = _old_rows()
        old = JournalEntry.__table__
        with engine.begin() as conn:  # written in the old schema's own column types
            conn.execute(
                text(
                    f"INSERT INTO journal ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join(':' + c for c in COLUMNS)})"
                ),
                rows,
            )
        before = _text_columns(engine)
        assert before == [tuple(r[c] for c in COLUMNS) for r in rows]
        assert old.c.hlc.type.__class__.__name__ == "PackedHlc"

        _to(engine, HEAD)
        assert _orm_rows(engine) == before  # every column of every row, as text and datetime
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                kinds = conn.execute(
                    text("SELECT DISTINCT typeof(hlc), typeof(recorded_at) FROM journal")
                ).all()
                assert kinds == [("integer", "integer")]
            by_clock = conn.execute(
                select(old.c.hlc, old.c.seq).order_by(old.c.hlc, old.c.seq)
            ).all()
            assert [h for h, _ in by_clock] == sorted(r["hlc"] for r in rows)
            middle = sorted(r["hlc"] for r in rows)[17]
            newer = conn.execute(select(old.c.hlc).where(old.c.hlc > middle)).scalars().all()
            assert sorted(newer) == sorted(r["hlc"] for r in rows if r["hlc"] > middle)
            assert conn.execute(select(old.c.seq).where(old.c.hlc > "")).all().__len__() == 40
            for device in {r["device_id"] for r in rows}:
                newest = conn.execute(
                    select(old.c.hlc).where(old.c.device_id == device).order_by(old.c.hlc.desc())
                ).scalar()
                assert newest == max(r["hlc"] for r in rows if r["device_id"] == device)
            wanted = [r["change_id"] for r in rows[::3]] + [str(uuid.uuid4())]
            found = conn.execute(
                select(old.c.change_id).where(among(conn, old.c.change_id, wanted))
            ).scalars()
            assert sorted(found) == sorted(wanted[:-1])
            uuids = [r["change_id"] for r in rows if len(r["change_id"]) == 36][:9]
            found = conn.execute(
                select(old.c.change_id).where(among(conn, old.c.change_id, uuids))
            ).scalars()
            assert sorted(found) == sorted(uuids)
            day = datetime(2026, 3, 1, 8, 20)
            since = conn.execute(select(old.c.seq).where(old.c.recorded_at >= day)).scalars()
            assert sorted(since) == [r["seq"] for r in rows if r["recorded_at"] >= day]

        _to(engine, BEFORE, down=True)  # and back: what the older program reads
        assert _text_columns(engine) == before
    finally:
        engine.dispose()


def test_an_office_journal_reads_the_same_after_the_upgrade(
    office_ws: Workspace, admin: Actor, tmp_path: Path
) -> None:
    """Real rows of every kind (inserts, updates, a tombstone, bulk inserts, a system actor)
    read the same through the ORM before and after 0025, and the audit view finds them."""
    with office_ws.writer(admin) as s:
        c = s.scalars(select(Community)).first()
        assert c is not None
        c.name = "改过的社区"
    with office_ws.writer(admin) as s:
        c2 = s.scalars(select(Community).order_by(Community.sort_order.desc())).first()
        assert c2 is not None
        c2.deleted_at = datetime(2026, 5, 1)
    with office_ws.reader() as s:
        before = [tuple(getattr(e, n) for n in COLUMNS) for e in s.scalars(select(JournalEntry))]
    ops = {row[COLUMNS.index("op")] for row in before}
    assert ops == {"insert", "update", "delete"}
    assert any(row[COLUMNS.index("actor_id")] is None for row in before)
    office_ws.close()
    engine = create_engine(f"sqlite:///{office_ws.paths.db}")
    try:
        _to(engine, BEFORE, down=True)
        with sqlite3.connect(office_ws.paths.db) as con:
            kinds = set(
                con.execute(
                    "SELECT typeof(change_id), typeof(hlc), typeof(recorded_at) FROM journal"
                )
            )
        assert kinds == {("text", "text", "text")}  # the old form, as 0023 wrote it
        assert _text_columns(engine) == before
        _to(engine, HEAD)
        assert _orm_rows(engine) == before
    finally:
        engine.dispose()
    ws = Workspace.open(office_ws.paths.root)
    try:
        with ws.reader() as s:
            today = audit.AuditFilter(actor_name="张管理", date_from=date.today())
            rows = audit.first_page(s, admin, today).rows
            assert rows and {r.actor_name for r in rows} == {"张管理"}
            assert {r.op for r in rows} == {"update", "delete"}
            one = audit.first_page(s, admin, audit.AuditFilter(record_id=c.id)).rows
            assert {r.new_value for r in one if r.field == "name"} >= {"改过的社区"}
            gone = audit.AuditFilter(date_to=date.today() - timedelta(days=1))
            assert audit.first_page(s, admin, gone).rows == []
    finally:
        ws.close()


def test_looking_up_change_ids_searches_the_unique_index(office_ws: Workspace) -> None:
    """The journal's ids go to SQLite as one BLOB cut into 16-byte pieces; each is searched in
    the change id's index (no scan of the journal), whatever the number of ids."""
    j = JournalEntry.__table__
    with office_ws.reader() as s:
        conn = s.connection()
        held = list(conn.execute(select(j.c.change_id)).scalars())
        wanted = [*held[:3], *(str(uuid.uuid4()) for _ in range(2000))]
        q = select(j.c.change_id).where(among(conn, j.c.change_id, wanted))
        assert sorted(conn.execute(q).scalars()) == sorted(held[:3])
        compiled = q.compile(conn)
        params = tuple(compiled.params[k] for k in compiled.positiontup or ())
        plan = " ".join(
            str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params)
        )
    assert "SEARCH journal USING COVERING INDEX" in plan and "SCAN journal" not in plan, plan
