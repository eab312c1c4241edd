"""Bundles crafted with an office's real keys: signed, well-formed files whose changes carry
values that do not fit the schema, or writes outside the office's own records. Each is refused
with a message that names what is wrong, and the district is left byte-for-byte unchanged."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from caseworker.district import service
from caseworker.domain import idnumber
from caseworker.services import accounts
from caseworker.sync import exchange, merge
from caseworker.sync.identity import KEY_FILE, find_identity, peers
from db.ids import new_id
from tests.sync.helpers import make_world, snapshot


@pytest.fixture
def world(tmp_path: Path):
    w = make_world(tmp_path, ["A", "B"])
    yield w
    w.close()


def _row(table: str, record: str, op: str, field: str | None, new: Any, old: Any = None) -> list:
    return [
        new_id(),
        new_id(),
        "001790000000100-000000",
        "",  # device: filled in by _craft
        None,
        "攻击者",
        table,
        record,
        op,
        field,
        None if old is None else json.dumps(old, ensure_ascii=False),
        None if new is None and op == "update" else json.dumps(new, ensure_ascii=False),
        "2026-11-29 10:00:00.000000",
    ]


def _craft(world, code: str, rows: list[list], name: str) -> Path:
    """A bundle signed and sealed with office `code`'s own keys, carrying `rows`."""
    ws = world.offices[code]
    with ws.engine.connect() as conn:
        me = find_identity(conn, ws.paths.root / KEY_FILE)
        district = next(p for p in peers(conn) if p.role == "district")
    assert me is not None
    for r in rows:
        r[3] = ws.device_id
    out = world.root / "stick" / f"{name}.cwbundle"
    extras = {"have": {}, "imported": [], "devices": [ws.device_id]}
    exchange.write_bundle(
        out, me, district, [rows], extras, created_ms=world.clock(), kind="office"
    )
    return out


def _community(world, code: str) -> str:
    with world.offices[code].reader() as s:
        return accounts.communities(s)[0].id


def _resident_values(community_id: str, **over: Any) -> dict[str, Any]:
    values = {
        "name": "伪造",
        "id_number": idnumber.make("110105", date(1940, 1, 1), 77),
        "birth_date": "1940-01-01",
        "sex": "男",
        "community_id": community_id,
        "tier": "重点",
        "enrolled_on": "2026-01-01",
    }
    values.update(over)
    return values


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", "not-a-date"),
        ("birth_date", 19400101),
        ("name", ["列表"]),
        ("name", "长" * 61),
        ("sex", None),
        ("enrolled_on", "2026-02-30"),
    ],
)
def test_a_value_that_does_not_fit_its_column_is_kept_out(world, field, value) -> None:
    """The change is refused alone, into the conflicts list (issue 20: a refused value never
    refuses the whole bundle); no record is written."""
    values = _resident_values(_community(world, "A"), **{field: value})
    rid = new_id()
    good = _resident_values(
        _community(world, "A"), id_number=idnumber.make("110105", date(1940, 3, 3), 81)
    )
    rows = [
        _row("elderly_resident", rid, "insert", None, values),
        _row("elderly_resident", new_id(), "insert", None, good),
    ]
    [result] = service.ingest(world.hub, [_craft(world, "A", rows, "bad")])
    assert result.refused == "" and result.refused_reasons == {"elderly_resident:invalid": 1}
    assert result.applied == 1
    from tests.sync.helpers import table_rows

    assert table_rows(world.hub.engine, "elderly_resident", f"WHERE id='{rid}'") == []
    [entry] = service.conflicts(world.hub)
    assert (entry.record_id, entry.reason, entry.field) == (rid, "invalid", "")


def test_a_good_crafted_insert_goes_through(world) -> None:
    """The crafting itself is sound: the same bundle with proper values is taken."""
    values = _resident_values(_community(world, "A"))
    good = _craft(world, "A", [_row("elderly_resident", new_id(), "insert", None, values)], "ok")
    [result] = service.ingest(world.hub, [good])
    assert result.refused == "" and result.applied == 1


def test_merge_checks_values_on_the_office_side_too() -> None:
    """The same check runs in `merge.plan` wherever a bundle is merged (office or district)."""
    from caseworker.sync import tables

    t = tables.info("elderly_resident")
    assert t is not None
    assert t.bad_value([("birth_date", "1940-01-01"), ("name", "张三")]) is None
    assert t.bad_value([("birth_date", "昨天")]) == "birth_date"
    assert t.bad_value([("next_due", "2026-01-01")]) == "next_due"  # local: never travels
    assert merge.COLUMNS[6] == "table_name"


# -- the hub decides what each office may write: one test per row of docs/sync.md's table -----


def _ids(world, code: str) -> dict[str, str]:
    with world.hub.reader() as s:
        from sqlalchemy import select

        from db.models import Community, Office

        office_id = s.scalar(select(Office.id).where(Office.code == code))
        community = s.scalar(select(Community.id).where(Community.office_id == office_id))
    return {"office": office_id, "community": community}


def _ingest(world, path: Path):
    [result] = service.ingest(world.hub, [path])
    assert result.refused == "", result.refused
    return result


def _reaches_b(world) -> list[tuple]:
    """What office B holds after importing the district's next bundle."""
    from caseworker.sync import office as office_sync
    from tests.sync.helpers import ADMIN, table_rows

    b = world.offices["B"]
    office_sync.import_bundle(b, ADMIN, world.district_to_office("B"))
    return table_rows(b.engine, "staff", columns="username") + table_rows(
        b.engine, "elderly_resident", columns="name"
    )


def _scope_conflicts(world) -> list[tuple]:
    from tests.sync.helpers import table_rows

    return table_rows(
        world.hub.engine, "sync_conflict", "WHERE reason='scope'", "table_name, lost_device"
    )


def test_scope_no_staff_for_another_office(world) -> None:
    b = _ids(world, "B")
    staff = {
        "office_id": b["office"],
        "username": "evil",
        "display_name": "冒名管理员",
        "role": "admin",
        "password_hash": "<已隐去>",
    }
    before_b = _reaches_b(world)
    done = _ingest(world, _craft(world, "A", [_row("staff", new_id(), "insert", None, staff)], "s"))
    assert done.refused_changes == 1 and done.refused_reasons == {"staff:scope": 1}
    assert _reaches_b(world) == before_b
    assert {t for t, _ in _scope_conflicts(world)} == {"staff"}  # one row per field
    shown = service.conflicts(world.hub)
    assert {(c.reason, c.source) for c in shown} == {("scope", "第1街道办事处")}


def test_scope_no_resident_in_another_offices_community(world) -> None:
    b = _ids(world, "B")
    values = _resident_values(b["community"])
    before_b = _reaches_b(world)
    rows = [_row("elderly_resident", new_id(), "insert", None, values)]
    done = _ingest(world, _craft(world, "A", rows, "r"))
    assert done.refused_reasons == {"elderly_resident:scope": 1}
    assert _reaches_b(world) == before_b


def test_scope_no_district_wide_settings(world) -> None:
    from db.ids import stable_id

    sid = stable_id("setting", "security.lock_minutes")
    row = _row("setting", sid, "insert", None, {"key": "security.lock_minutes", "value": "9999"})
    done = _ingest(world, _craft(world, "A", [row], "set"))
    assert done.refused_reasons == {"setting:scope": 1}
    from tests.sync.helpers import table_rows

    assert table_rows(world.hub.engine, "setting", f"WHERE id='{sid}'") == []


def test_scope_no_moving_a_community_to_another_office(world) -> None:
    a, b = _ids(world, "A"), _ids(world, "B")
    row = _row("community", a["community"], "update", "office_id", b["office"], a["office"])
    done = _ingest(world, _craft(world, "A", [row], "move"))
    assert done.refused_reasons == {"community:scope": 1}
    # B's bundles still go through
    _reaches_b(world)


def test_scope_own_office_record_but_not_its_code_nor_another_office(world) -> None:
    a, b = _ids(world, "A"), _ids(world, "B")
    rows = [
        _row("office", a["office"], "update", "phone", "010-12345678", ""),
        _row("office", a["office"], "update", "code", "B", "A"),
        _row("office", b["office"], "update", "name", "被改名的街道", "第2街道办事处"),
        _row("office", new_id(), "insert", None, {"code": "X", "name": "假街道"}),
    ]
    done = _ingest(world, _craft(world, "A", rows, "office"))
    assert done.applied == 1 and done.refused_reasons == {"office:scope": 3}


def test_scope_claiming_the_hubs_device_is_refused(world) -> None:
    ws = world.offices["A"]
    values = _resident_values(_community(world, "A"))
    path = _craft(world, "A", [_row("elderly_resident", new_id(), "insert", None, values)], "d")
    # the same rows, but claimed as written by the district's own device
    from caseworker.sync.identity import KEY_FILE, find_identity, peers

    with ws.engine.connect() as conn:
        me = find_identity(conn, ws.paths.root / KEY_FILE)
        district = next(p for p in peers(conn) if p.role == "district")
    assert me is not None
    row = _row("elderly_resident", new_id(), "insert", None, values)
    row[3] = world.hub.device_id
    forged = world.root / "stick" / "forged.cwbundle"
    extras = {"have": {}, "imported": [], "devices": [ws.device_id, world.hub.device_id]}
    exchange.write_bundle(
        forged, me, district, [[row]], extras, created_ms=world.clock(), kind="office"
    )
    before = snapshot(world.hub.engine)
    [result] = service.ingest(world.hub, [forged])
    assert "设备编号" in result.refused
    assert snapshot(world.hub.engine) == before
    assert _ingest(world, path).applied == 1  # A's honest bundle still goes in
