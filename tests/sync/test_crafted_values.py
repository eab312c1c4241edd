"""Crafted change values, round 3 (issue 20): bundles signed with an office's (or the district's)
real keys whose values are not what an honest program writes. Each value is checked on its own;
a value the receiver refuses goes to its conflicts list, once per change, and never stops the
rest of the bundle — so nothing one office sends can cut another office off from sync."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from caseworker.district import service
from caseworker.domain import idnumber
from caseworker.domain.errors import CaseworkerError, ValidationError
from caseworker.domain.roles import Role
from caseworker.services.elderly import roster
from caseworker.sync import conflicts as conflict_service
from caseworker.sync import exchange, office
from caseworker.sync.identity import load_identity, peers
from db.elderly import ElderlyResident
from db.ids import new_id
from tests.sync.helpers import ADMIN, account, make_world, snapshot, table_rows
from tests.sync.test_crafted import _community, _craft, _resident_values, _row

TODAY = date.today()


@pytest.fixture
def world(tmp_path: Path, district_db: str | None):
    """Offices A and B, and a hub on SQLite and (when CASEWORKER_TEST_PG_URL is set) on
    PostgreSQL, whose column lengths are enforced."""
    w = make_world(tmp_path, ["A", "B"], db_url=district_db)
    yield w
    w.close()


def _resident(ws, name: str = "钱奶奶", serial: int = 31) -> str:
    from caseworker.services import accounts

    with ws.writer(ADMIN) as s:
        community = accounts.communities(s)[0]
        draft = roster.ResidentDraft(
            name, idnumber.make("110105", date(1941, 5, 9), serial), community.id
        )
        return roster.register(s, ADMIN, draft, today=TODAY).resident.id


def _raw_row(table: str, record: str, op: str, field: str | None, old: Any, new: Any) -> list:
    """A change row whose value columns are put in as given (not JSON-encoded here)."""
    row = _row(table, record, op, field, None)
    row[10], row[11] = old, new
    return row


def _craft_down(world, code: str, rows: list[list], name: str) -> Path:
    """A bundle signed and sealed with the district's own keys, to office `code`."""
    with world.hub.engine.connect() as conn:
        me = load_identity(conn, world.hub.key_file)
        to = next(p for p in peers(conn, "office") if p.office_code == code)
    for r in rows:
        r[3] = me.device_id
    out = world.root / "stick" / f"{name}.cwbundle"
    extras = {"acks": {}, "imported": []}
    exchange.write_bundle(out, me, to, [rows], extras, created_ms=world.clock(), kind="district")
    return out


def _journal_updates(engine, record_id: str) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        sql = "SELECT count(*) FROM journal WHERE record_id=:r AND op='update'"
        return conn.execute(text(sql), {"r": record_id}).scalar()


def _open_conflicts(engine, reason: str) -> list[tuple]:
    return table_rows(
        engine, "sync_conflict", f"WHERE reason='{reason}'", "table_name, record_id, field"
    )


# -- 1. values that parse only as a group --------------------------------------------------


def test_values_that_parse_only_together_never_cut_another_office_off(world) -> None:
    """`"甲","乙"` then `"丙` then `丁"` are three invalid JSON texts that parse as one list
    when joined. The hub checks each on its own and keeps them out (conflicts list, reason
    invalid); after the resident moves to office B, B's bundles go through."""
    a, b = world.offices["A"], world.offices["B"]
    rid = _resident(a)
    service.ingest(world.hub, [world.office_to_district("A")])
    rows = [
        _raw_row("elderly_resident", rid, "update", "name", '"钱奶奶"', '"甲","乙"'),
        _raw_row("elderly_resident", rid, "update", "address", '""', '"丙'),
        _raw_row("elderly_resident", rid, "update", "notes", '""', '丁"'),
    ]
    for i, r in enumerate(rows):
        r[2] = f"0017900000{i + 1:05d}-000000"
    before = table_rows(world.hub.engine, "elderly_resident", f"WHERE id='{rid}'")
    done = service.ingest(world.hub, [_craft(world, "A", rows, "joined")])[0]
    assert done.refused == "" and done.refused_reasons == {"elderly_resident:invalid": 3}
    assert table_rows(world.hub.engine, "elderly_resident", f"WHERE id='{rid}'") == before
    assert _journal_updates(world.hub.engine, rid) == 0
    assert len(_open_conflicts(world.hub.engine, "invalid")) == 3
    service.transfer(world.hub, "elderly_resident", rid, "B", community="B光明社区")
    result = office.import_bundle(b, ADMIN, world.district_to_office("B"))
    assert table_rows(b.engine, "elderly_resident", f"WHERE id='{rid}'", "name") == [("钱奶奶",)]
    assert result.new_changes > 0
    # and the next one too
    office.import_bundle(b, ADMIN, world.district_to_office("B"))


def test_an_office_keeps_out_a_value_it_cannot_read_and_takes_the_rest(world) -> None:
    """A hub that already holds such texts (written before the fix) sends them on: the office
    refuses those changes into its own conflicts list and imports everything else."""
    b = world.offices["B"]
    community = _community(world, "B")
    good_id, bad_id = new_id(), new_id()
    good = _row("elderly_resident", good_id, "insert", None, _resident_values(community))
    broken = _raw_row("elderly_resident", good_id, "update", "notes", '""', '"丙')
    bad_insert = _row(
        "elderly_resident",
        bad_id,
        "insert",
        None,
        _resident_values(community, id_number=idnumber.make("110105", date(1940, 2, 2), 79)),
    )
    bad_insert[11] = bad_insert[11][:-3]  # cut: not JSON any more
    number = _raw_row("elderly_resident", good_id, "update", "address", '""', 7)
    broken[2] = "001790000000200-000000"
    path = _craft_down(world, "B", [good, broken, bad_insert], "down")
    result = office.import_bundle(b, ADMIN, path)
    assert result.refused == 2 and result.refused_reasons == {"elderly_resident:invalid": 2}
    assert table_rows(b.engine, "elderly_resident", f"WHERE id='{good_id}'", "name, notes") == [
        ("伪造", "")
    ]
    assert table_rows(b.engine, "elderly_resident", f"WHERE id='{bad_id}'") == []
    assert sorted(_open_conflicts(b.engine, "invalid")) == sorted(
        [("elderly_resident", good_id, "notes"), ("elderly_resident", bad_id, "")]
    )
    # the same changes in a later bundle: nothing new, nothing refused twice
    again = office.import_bundle(b, ADMIN, _craft_down(world, "B", [good, broken, bad_insert], "2"))
    assert again.nothing_new and len(_open_conflicts(b.engine, "invalid")) == 2
    # a JSON number where the text of a value belongs is a malformed row: one clear line
    before = snapshot(b.engine)
    with pytest.raises(CaseworkerError, match="格式不对"):
        office.import_bundle(b, ADMIN, _craft_down(world, "B", [number], "number"))
    assert snapshot(b.engine) == before


def test_a_refused_invalid_value_cannot_be_written_back(world) -> None:
    b = world.offices["B"]
    rid = new_id()
    row = _row("elderly_resident", rid, "insert", None, _resident_values(_community(world, "B")))
    row[11] = row[11] + "]"
    office.import_bundle(b, ADMIN, _craft_down(world, "B", [row], "down"))
    kezhang = account(b, "kezhang", "王科长", Role.SUPERVISOR)
    with b.writer(kezhang) as s:
        [entry] = conflict_service.list_conflicts(s, kezhang)
        assert entry.reason == "invalid" and entry.field == ""
        with pytest.raises(ValidationError):
            conflict_service.resolve(s, kezhang, entry.id, "reverse")
        assert conflict_service.resolve(s, kezhang, entry.id, "keep").status == "kept"


# -- 6. a JSON number, or any other type, where the value's text belongs ---------------------


@pytest.mark.parametrize("value", [7, 1.5, True, ["x"], {"a": 1}])
def test_a_value_column_of_the_wrong_type_is_one_clear_line_at_the_hub(world, value) -> None:
    rid = _resident(world.offices["A"])
    service.ingest(world.hub, [world.office_to_district("A")])
    row = _raw_row("elderly_resident", rid, "update", "name", '"钱奶奶"', value)
    before = snapshot(world.hub.engine)
    [result] = service.ingest(world.hub, [_craft(world, "A", [row], "typed")])
    assert "格式不对" in result.refused
    assert snapshot(world.hub.engine) == before


@pytest.mark.parametrize("column", [0, 1, 4, 5, 7, 9, 10, 12])
def test_any_column_of_a_change_of_the_wrong_type_or_size_is_one_clear_line(world, column) -> None:
    rid = _resident(world.offices["A"])
    service.ingest(world.hub, [world.office_to_district("A")])
    row = _row("elderly_resident", rid, "update", "notes", "新的备注", "")
    row[column] = 12345 if column != 12 else "not a time"
    if column in (0, 7):
        row[column] = "x" * 37  # longer than an id column holds (PostgreSQL would refuse it)
    before = snapshot(world.hub.engine)
    [result] = service.ingest(world.hub, [_craft(world, "A", [row], "typed")])
    assert "格式不对" in result.refused, result
    assert snapshot(world.hub.engine) == before


# -- 12. a change refused whole is one row of the conflicts list ------------------------------


def test_a_refused_insert_is_one_conflict_row(world) -> None:
    """An insert into another office's community carries every field of the record: it is
    kept out whole, as one entry (it used to be one entry per field, 10-24 of them)."""
    from tests.sync.test_crafted import _ids

    b = _ids(world, "B")
    rows = [
        _row("elderly_resident", new_id(), "insert", None, _resident_values(b["community"])),
        _row(
            "staff",
            new_id(),
            "insert",
            None,
            {
                "office_id": b["office"],
                "username": "evil",
                "display_name": "冒名管理员",
                "role": "admin",
                "password_hash": "<已隐去>",
            },
        ),
    ]
    done = service.ingest(world.hub, [_craft(world, "A", rows, "scope")])[0]
    assert done.refused_changes == 2
    found = table_rows(world.hub.engine, "sync_conflict", "", "table_name, field, change_id")
    assert sorted((t, f) for t, f, _c in found) == [("elderly_resident", ""), ("staff", "")]
    assert all(c is not None for _t, _f, c in found)
    [entry] = [c for c in service.conflicts(world.hub) if c.table_name == "elderly_resident"]
    assert entry.lost_value["name"] == "伪造"  # the whole record, for the reviewer


def test_a_future_insert_is_one_row_and_is_released_whole(world) -> None:
    row = _row(
        "elderly_resident", new_id(), "insert", None, _resident_values(_community(world, "A"))
    )
    row[2] = f"{world.clock.now + 3 * 86_400_000:015d}-000000"
    path = _craft(world, "A", [row], "future")
    done = service.ingest(world.hub, [path])[0]
    assert done.refused_reasons == {"elderly_resident:future": 1}
    assert len(_open_conflicts(world.hub.engine, "future")) == 1
    world.clock.now += 4 * 86_400_000
    again = _craft(world, "A", [row], "again")
    done = service.ingest(world.hub, [again])[0]
    assert done.applied == 1
    statuses = table_rows(world.hub.engine, "sync_conflict", "", "status")
    assert statuses == [("released",)]


# -- 7. control characters in a value from a bundle --------------------------------------------


@pytest.mark.parametrize("text", ["张\x00三", "李\x1b[31m四", "王\u202e五", "赵\x7f六"])
def test_a_text_value_with_control_characters_is_kept_out(world, text) -> None:
    rid = _resident(world.offices["A"])
    service.ingest(world.hub, [world.office_to_district("A")])
    row = _row("elderly_resident", rid, "update", "name", text, "钱奶奶")
    done = service.ingest(world.hub, [_craft(world, "A", [row], "ctl")])[0]
    assert done.refused_reasons == {"elderly_resident:invalid": 1}
    assert table_rows(world.hub.engine, "elderly_resident", f"WHERE id='{rid}'", "name") == [
        ("钱奶奶",)
    ]


def test_line_breaks_and_tabs_in_a_note_still_travel(world) -> None:
    rid = _resident(world.offices["A"])
    service.ingest(world.hub, [world.office_to_district("A")])
    row = _row("elderly_resident", rid, "update", "notes", "第一行\n第二行\t(缩进)\r\n", "")
    done = service.ingest(world.hub, [_craft(world, "A", [row], "lines")])[0]
    assert done.refused_changes == 0 and done.applied == 1


def test_an_unreadable_update_cannot_be_written_back_either(world) -> None:
    """What is kept of an unreadable value is its text, for the reviewer: never a value."""
    b = world.offices["B"]
    rid = new_id()
    insert = _row("elderly_resident", rid, "insert", None, _resident_values(_community(world, "B")))
    broken = _raw_row("elderly_resident", rid, "update", "notes", '""', '"丙')
    broken[2] = "001790000000200-000000"
    office.import_bundle(b, ADMIN, _craft_down(world, "B", [insert, broken], "down"))
    kezhang = account(b, "kezhang", "王科长", Role.SUPERVISOR)
    with b.writer(kezhang) as s:
        [entry] = conflict_service.list_conflicts(s, kezhang)
        assert (entry.reason, entry.field, entry.lost_value) == ("invalid", "notes", '"丙')
        with pytest.raises(ValidationError, match="不能写回"):
            conflict_service.resolve(s, kezhang, entry.id, "reverse")


def test_a_hub_that_stored_such_texts_before_keeps_every_office_syncing(world) -> None:
    """A hub upgraded from a version that joined texts before parsing holds `"丙` in its
    journal. The record moves to office B; B edits it; the hub takes B's bundle (the stored text
    decides nothing) and B takes the hub's (keeping the text out)."""
    from sqlalchemy import insert

    from db.journal import CHANGE_COLUMNS
    from db.models import JournalEntry

    a, b = world.offices["A"], world.offices["B"]
    rid = _resident(a)
    service.ingest(world.hub, [world.office_to_district("A")])
    bad = _raw_row("elderly_resident", rid, "update", "notes", '""', '"丙')
    bad[2], bad[3] = "001790000000300-000000", a.device_id
    with world.hub.engine.begin() as conn:  # stored as the journal's column types store it
        conn.execute(
            insert(JournalEntry).values(
                dict(zip(CHANGE_COLUMNS[:12], bad[:12], strict=True))
                | {"recorded_at": datetime(2026, 11, 29), "source": "old-version"}
            )
        )
    service.transfer(world.hub, "elderly_resident", rid, "B", community="B光明社区")
    first = office.import_bundle(b, ADMIN, world.district_to_office("B"))
    assert first.refused_reasons == {"elderly_resident:invalid": 1}
    with b.writer(ADMIN) as s:
        s.get(ElderlyResident, rid).notes = "B 街道的备注"
    [done] = service.ingest(world.hub, [world.office_to_district("B")])
    assert done.refused == "" and done.applied == 1
    assert table_rows(world.hub.engine, "elderly_resident", f"WHERE id='{rid}'", "notes") == [
        ("B 街道的备注",)
    ]
    office.import_bundle(b, ADMIN, world.district_to_office("B"))
