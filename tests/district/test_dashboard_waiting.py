"""工作台's "changes the office has not received" for every office at once (issue 24, s32):
the hub's grouped count (`service._waiting_counts`: the journal after the oldest base read
once, each row's owner found by primary keys, counted by owner and device) against the count
from scratch, office by office, of what `_office_where` selects over the whole journal (the
rows the next bundle carries), through a month's round: ingests, exports, acknowledgements of
an earlier bundle and not the last, district corrections on both sides of an office's
acknowledgement, conflicts, cross-office duplicates, a district-wide price and a transfer. On
SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from caseworker.district import console, rules, service, transfer
from caseworker.sync import office
from caseworker.sync.identity import peers
from db.elderly import ElderlyResident
from tests.district.test_district_people import _clerk
from tests.district.test_district_queue_counts import _same_person_on_both
from tests.sync.helpers import ADMIN, World, make_world
from tests.sync.test_district_waiting import _resident


def _from_scratch(w: World) -> dict[str, int]:
    """Office by office: the journal rows its next bundle would carry, counted over all of
    the journal with the export's own WHERE (no base, no grouping)."""
    out: dict[str, int] = {}
    with w.hub.engine.begin() as conn:  # PostgreSQL's WHERE fills temporary tables
        for p in peers(conn, "office"):
            where = service._office_where(conn, p)
            out[p.office_code] = conn.execute(select(func.count()).where(where)).scalar() or 0
    return out


def _same(w: World) -> dict[str, int]:
    shown = {r.code: r.waiting for r in console.dashboard(w.hub, ADMIN)}
    assert shown == _from_scratch(w)
    return shown


def _ingest(w: World, code: str) -> None:
    [done] = service.ingest(w.hub, [w.office_to_district(code)])
    assert done.refused == ""


def _imports(w: World, code: str, bundle: Path) -> None:
    assert office.import_bundle(w.offices[code], ADMIN, bundle).refused == 0


def test_the_grouped_waiting_counts_are_the_counts_from_scratch(
    tmp_path: Path, hub_url: str | None
) -> None:
    w = make_world(tmp_path, ["A", "B", "C"], db_url=hub_url)
    try:
        clerk = _clerk(w.hub)
        number_a, rid_a = _resident(w, "A", 81)
        _number_b, rid_b = _resident(w, "B", 82)
        _resident(w, "C", 83)
        _same_person_on_both(w, 2)  # A's and B's bundles in: two held duplicates
        assert {r.code: r.duplicates for r in console.dashboard(w.hub, ADMIN)}["A"] == 2
        _same(w)  # nothing sent yet: every office counted from the journal's start
        # a correction before the first bundle out, and one after: A's acknowledgement of
        # the hub's device will fall between the two (a group counted again row by row)
        service.correct(w.hub, "elderly_resident", rid_a, {"phone": "13900004441"})
        first = {code: w.district_to_office(code) for code in ("A", "B")}
        service.correct(w.hub, "elderly_resident", rid_a, {"phone": "13900004442"})
        service.correct(w.hub, "elderly_resident", rid_b, {"phone": "13900004443"})
        assert _same(w)["A"] >= 2
        # A imports the first bundle and says so; C sends its first bundle (never sent any)
        _imports(w, "A", first["A"])
        _ingest(w, "A")
        _ingest(w, "C")
        waiting = _same(w)
        assert waiting["A"] == 1  # the correction after the bundle it imported
        # a district-wide change (the catalogue's price) waits for every office
        rules.set_price(w.hub, clerk, "R02", "620")
        after = _same(w)
        assert all(after[c] > waiting[c] for c in ("A", "B", "C"))
        # a conflict: A edits the phone the district corrected, its bundle comes in
        with w.offices["A"].writer(ADMIN) as s:
            s.get(ElderlyResident, rid_a).phone = "13900004449"
        _ingest(w, "A")
        assert service.conflict_count(w.hub) >= 1
        _same(w)
        # B imports both of its bundles; a transfer of A's resident to C: its history waits
        _imports(w, "B", first["B"])
        _imports(w, "B", w.district_to_office("B"))
        _ingest(w, "B")
        transfer.transfer_person(w.hub, number_a, "C", "C光明社区")
        moved = _same(w)
        assert moved["C"] > after["C"]
        # the bundles out carry those figures; C imports and acknowledges: nothing waits
        for code in ("A", "B", "C"):
            done = service.export_for(w.hub, code, w.path(f"{code}-down"))
            assert done.changes == moved[code], code
        latest = sorted((w.root / "stick").glob("*-C-down.cwbundle"))[-1]
        _imports(w, "C", latest)
        _ingest(w, "C")
        assert _same(w)["C"] == 0
    finally:
        w.close()
