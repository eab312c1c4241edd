"""The journal's values are stored packed and read back exactly as written, in every form."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select

from caseworker.domain import idnumber
from caseworker.domain.roles import Actor
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident, ElderlyVisit
from db.journal_packing import MIN_PACKED, VERSION_1, pack, unpack
from db.models import Community, JournalEntry
from db.schema import _alembic_config, migration_connection
from tests.examples import examples

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=30,
)


@given(JSON)
@settings(max_examples=examples(300), deadline=None)
def test_any_json_text_comes_back_exactly(value: object) -> None:
    text = json.dumps(value, ensure_ascii=False)
    stored = pack(text)
    assert unpack(stored) == text
    if isinstance(stored, bytes):
        assert stored[0] == VERSION_1 and len(stored) < len(text.encode())
    # the plain forms the reader meets too: text (SQLite) and UTF-8 bytes (PostgreSQL)
    assert unpack(text) == text and unpack(text.encode()) == text
    assert unpack(memoryview(text.encode())) == text


def test_short_values_stay_plain_and_a_visit_shrinks_fivefold() -> None:
    assert pack('"已完成"') == '"已完成"'
    assert isinstance(pack("x" * (MIN_PACKED - 3)), str)
    visit = {
        "resident_id": "01a2277a-520b-7af2-8c62-fca6c6e4993d",
        "visit_date": "2026-01-16",
        "visitors": "曾武克",
        "method": "电话",
        "status": "已完成",
        "completed_at": "2026-11-29T13:24:17.142845",
        "health_communication": "正常",
        "health_mobility": "自理",
        "living_food": "有保障",
        "living_benefits": "已按时领取",
        "safety_hazards": "跌倒风险",
        "problems": "",
        "next_visit_on": None,
        "deleted_at": None,
    }
    text = json.dumps(visit, ensure_ascii=False)
    stored = pack(text)
    assert isinstance(stored, bytes) and len(stored) * 3 < len(text.encode())
    assert unpack(stored) == text


def test_long_values_and_any_window_size_read_back() -> None:
    """A value far longer than the packer's 8 KiB window, and a stream made with another window
    and memory level: the stored form is raw deflate with the dictionary, whatever made it."""
    import zlib

    from db.journal_packing import DICTIONARY_1

    long_text = json.dumps(
        {"notes": "老人独居，家中卫生间地面湿滑。" * 4000, "n": 1}, ensure_ascii=False
    )
    stored = pack(long_text)
    assert isinstance(stored, bytes) and len(stored) < len(long_text.encode()) // 10
    assert unpack(stored) == long_text
    other = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARY_1)
    raw = long_text[:3000].encode()
    assert unpack(bytes((VERSION_1,)) + other.compress(raw) + other.flush()) == long_text[:3000]


def _raw_journal(ws: Workspace, record_id: str) -> tuple[str, object]:
    with sqlite3.connect(ws.paths.db) as c:
        return c.execute(
            "SELECT typeof(new_value), new_value FROM journal WHERE record_id = ?", (record_id,)
        ).fetchone()


def test_a_record_is_journaled_packed_both_ways_and_read_back_as_json(
    office_ws: Workspace,
) -> None:
    from db.journal import insert_many

    with office_ws.reader() as s:
        community = s.scalar(select(Community.id))
    resident = {
        "name": "周春兰",
        "birth_date": date(1944, 3, 2),
        "sex": "女",
        "address": "和平路5号",
        "community_id": community,
        "categories": "独居",
        "tier": "重点",
        "enrolled_on": date(2026, 1, 5),
    }
    system = Actor.system("demo")
    with office_ws.writer(system) as s:
        s.add(
            ElderlyResident(
                id="r-orm", id_number=idnumber.make("110105", date(1944, 3, 2), 1), **resident
            )
        )
        s.flush()
        insert_many(
            s,
            ElderlyVisit,
            [
                {
                    "id": "v-bulk",
                    "resident_id": "r-orm",
                    "visit_date": date(2026, 5, 1),
                    "visitors": "李专干",
                    "method": "入户",
                    "status": "已完成",
                }
            ],
        )
    for record_id in ("r-orm", "v-bulk"):
        kind, stored = _raw_journal(office_ws, record_id)
        assert kind == "blob" and stored[0] == VERSION_1
        with office_ws.reader() as s:
            entry = s.scalar(select(JournalEntry).where(JournalEntry.record_id == record_id))
        values = json.loads(entry.new_value)
        assert len(stored) * 2 < len(entry.new_value.encode())
        if record_id == "r-orm":
            assert values["name"] == "周春兰" and values["birth_date"] == "1944-03-02"
        else:
            assert values["resident_id"] == "r-orm" and values["visit_date"] == "2026-05-01"


def test_rows_written_before_the_upgrade_read_as_they_were(office_ws: Workspace) -> None:
    """A workspace from before 0013 keeps its plain rows; they read as before beside packed ones."""
    old = json.dumps({"name": "旧记录", "notes": "升级前写入" * 20}, ensure_ascii=False)
    with sqlite3.connect(office_ws.paths.db) as c:
        seq = c.execute("SELECT max(seq) FROM journal").fetchone()[0]
        c.execute("UPDATE journal SET new_value = ? WHERE seq = ?", (old, seq))
    with office_ws.reader() as s:
        entry = s.scalar(select(JournalEntry).where(JournalEntry.seq == seq))
    assert entry.new_value == old


def test_the_downgrade_unpacks_every_value(office_ws: Workspace, tmp_path: Path) -> None:
    """Going back to 0012 leaves plain JSON text that the older program reads as it always did."""
    with office_ws.reader() as s:
        before = {e.seq: (e.old_value, e.new_value) for e in s.scalars(select(JournalEntry))}
    with sqlite3.connect(office_ws.paths.db) as c:
        packed = c.execute("SELECT count(*) FROM journal WHERE typeof(new_value) = 'blob'")
        assert packed.fetchone()[0] > 0
    office_ws.close()
    engine = create_engine(f"sqlite:///{office_ws.paths.db}")
    with migration_connection(engine) as conn:
        command.downgrade(_alembic_config(conn), "0012")
    engine.dispose()
    with sqlite3.connect(office_ws.paths.db) as c:
        rows = c.execute("SELECT seq, old_value, new_value FROM journal").fetchall()
    assert {seq: (old, new) for seq, old, new in rows} == before
    assert all(isinstance(v, str | None) for _, o, n in rows for v in (o, n))
