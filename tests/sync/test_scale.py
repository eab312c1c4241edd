"""A real office's first bundle, under the parameter limit of Python's Windows build.

tests/conftest.py sets SQLite's stock limit of 32,766 parameters on every connection; a
3,000-resident office (about 40,000 visits) was already past it when a statement grew with the
data. The round trip office → district → office must go through whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from caseworker import demo
from caseworker.district import service
from caseworker.sync import office
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident, ElderlyVisit
from tests.sync.helpers import ADMIN, make_world, table_rows


def _counts(replica) -> tuple[int, int]:
    with replica.reader() as s:
        return (
            s.scalar(select(func.count()).select_from(ElderlyResident)) or 0,
            s.scalar(select(func.count()).select_from(ElderlyVisit)) or 0,
        )


def test_a_3000_resident_office_round_trips_under_the_stock_limit(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A"])
    try:
        a = w.offices["A"]
        with a.engine.connect() as conn:
            raw = conn.connection.driver_connection
            import sqlite3

            assert raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) == 32766
        demo.build(a, residents=3000, seed=7)
        residents, visits = _counts(a)
        assert residents == 3000 and visits > 32766
        up = w.office_to_district("A")
        [done] = service.ingest(w.hub, [up])
        assert done.refused == "", done.refused
        assert _counts(w.hub) == (residents, visits)
        with w.hub.reader() as s:
            due = s.scalar(select(func.count()).where(ElderlyResident.next_due.is_not(None)))
        assert due and due > 0.9 * residents  # derived schedule recomputed at the district
        back = office.import_bundle(a, ADMIN, w.district_to_office("A"))
        assert back.refused == 0
        again = service.ingest(w.hub, [w.office_to_district("A")])[0]
        assert again.applied == 0 and again.refused == ""
    finally:
        w.close()


# -- the district's bundle back to an office, at size (issue 19) --------------------------------

MOVED = 20_000
MEMORY_MB = 500
# VmHWM, this process's own peak (ru_maxrss survives exec on Linux: it would be the parent's)
_IMPORT = """
import json, sys
from caseworker.cli import main
code = main(["--workspace", sys.argv[1], "sync", "import", sys.argv[2], "--json"])
with open("/proc/self/status", encoding="ascii") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
print(json.dumps({"code": code, "peak_mb": peak}))
"""


def _import_in_own_process(root: Path, bundle: Path) -> tuple[dict, float]:
    """`caseworker sync import` in a process of its own: its result and its peak memory (MB)."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _IMPORT, str(root), str(bundle)],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    return json.loads("\n".join(lines[:-1])), json.loads(lines[-1])["peak_mb"]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM (Linux)")
def test_a_district_transfer_of_20000_records_reaches_both_offices(tmp_path: Path) -> None:
    """A whole community of 20,000 residents moves from A to B (a boundary change): the hub's
    transfer, its bundle to B (every record with its history) and to A (20,000 notices), and
    each office's import, all under the stock parameter limit, each import in its own process
    under 500 MB."""
    from datetime import date, timedelta

    from caseworker.district import transfer
    from caseworker.domain import idnumber
    from db.models import Community

    w = make_world(tmp_path, ["A", "B"])
    try:
        a = w.offices["A"]
        with a.writer(ADMIN) as s:
            office_id = s.scalar(select(Community.office_id).limit(1))
            moving = Community(office_id=office_id, name="A新区社区", kind="社区", sort_order=9)
            s.add(moving)
            s.flush()
            community = moving.id
        for start in range(0, MOVED, 2000):
            with a.writer(ADMIN) as s:
                for i in range(start, start + 2000):
                    born = date(1930, 1, 1) + timedelta(days=i % 10_000)
                    s.add(
                        ElderlyResident(
                            name=f"迁居老人{i}",
                            id_number=idnumber.make("110105", born, 100 + 2 * (i // 10_000)),
                            birth_date=born,
                            sex="男" if i % 2 else "女",
                            community_id=community,
                            tier="一般",
                            status="在册",
                            enrolled_on=date(2026, 1, 5),
                        )
                    )
        assert _counts(a)[0] == MOVED
        service.ingest(w.hub, [w.office_to_district("A")])
        office.import_bundle(a, ADMIN, w.district_to_office("A"))
        office.import_bundle(w.offices["B"], ADMIN, w.district_to_office("B"))

        done = transfer.transfer_record(w.hub, "community", community, "B")
        assert done.records["elderly_resident"] == MOVED and done.total == MOVED + 1

        for code in ("B", "A"):
            ws = w.offices[code]
            root = ws.paths.root
            bundle = w.district_to_office(code)
            ws.close()
            result, peak = _import_in_own_process(root, bundle)
            ws = w.offices[code] = Workspace.open(root)
            assert result["refused"] == 0
            assert peak < MEMORY_MB, f"{code}: {peak:.0f} MB"
            with ws.reader() as s:
                held = s.scalar(
                    select(func.count())
                    .select_from(ElderlyResident)
                    .where(ElderlyResident.community_id == community)
                )
            if code == "B":
                assert held == MOVED and result["added"]["elderly_resident"] == MOVED
                assert table_rows(
                    ws.engine, "community", f"WHERE id='{community}'", "office_id"
                ) == table_rows(ws.engine, "office", "WHERE code='B'", "id")
            else:  # A keeps its copy, told that all of it moved out
                assert held == MOVED
                assert len(office.transferred_out(ws, ADMIN)) == MOVED + 1
        # both acknowledge: nothing is pushed again
        for code in ("A", "B"):
            assert service.ingest(w.hub, [w.office_to_district(code)])[0].refused == ""
        again = office.preview_bundle(w.offices["B"], ADMIN, w.district_to_office("B"))
        assert again.new_changes == 0
    finally:
        w.close()
