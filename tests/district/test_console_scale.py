"""The district console at twenty offices (issue 24, s31): 工作台's table is a handful of grouped
statements whatever the number of offices; the duplicates notices a bundle carries are read a
table at a time, not a case at a time; `caseworker-district duplicates` lists a page."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from caseworker.district import cli as district_cli
from caseworker.district import console, duplicates, service
from caseworker.sync.identity import peers
from tests.cli.conftest import run_main
from tests.district.test_district_queue_counts import _same_person_on_both
from tests.sync.helpers import ADMIN, World, make_world


def _sent(w: World, call: object) -> list[str]:
    sent: list[str] = []

    def record(_c: object, _cur: object, sql: str, *_a: object) -> None:
        sent.append(sql)

    event.listen(w.hub.engine, "before_cursor_execute", record)
    try:
        call()  # type: ignore[operator]
    finally:
        event.remove(w.hub.engine, "before_cursor_execute", record)
    return [s for s in sent if s.lstrip().upper().startswith(("SELECT", "WITH"))]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = make_world(tmp_path_factory.mktemp("scale"), ["A", "B", "C", "D"])
    _same_person_on_both(w, 5)  # A's and B's bundles ingested, 5 cases
    for code in ("A", "B"):
        service.export_for(w.hub, code, w.path(f"{code}-down"))
    yield w
    w.close()


def test_the_dashboard_reads_every_office_in_a_handful_of_statements(world: World) -> None:
    """Before: ~10 statements per office (its acknowledgements, devices, sent bundles, what
    each carried, its pushes, its count): 45 for three offices, 230 for twenty; now 38."""
    sent = _sent(world, lambda: console.dashboard(world.hub, ADMIN))
    # one count of the journal per office (what each lacks is its own WHERE), the rest grouped
    assert sum("FROM journal" in s for s in sent) == 4
    assert len(sent) <= 18 + 4, "\n".join(s.split("\n")[0] for s in sent)
    # what was read per office is read once for all of them
    for table in ("sync_ack", "local_meta", "sync_push"):
        assert sum(f"FROM {table}" in s for s in sent) == 1, table
    rows = {r.code: r for r in console.dashboard(world.hub, ADMIN)}
    assert set(rows) == {"A", "B", "C", "D"}
    # the counts are those of the office one at a time (what `export_for` would carry)
    with world.hub.engine.connect() as conn:
        for p in peers(conn, "office"):
            [alone] = service._waiting_counts(conn, [p]).values()
            assert rows[p.office_code].waiting == alone


def _notices(w: World, office: object) -> list[list[object]]:
    with w.hub.engine.connect() as conn:
        return duplicates.notices_for(conn, office)  # type: ignore[arg-type]


def test_duplicate_notices_are_read_a_table_at_a_time(world: World) -> None:
    """Before: one owner lookup per open case (5 here, 5,000 in a district)."""
    notices: list[list[object]] = []
    with world.hub.engine.connect() as conn:
        [a] = [p for p in peers(conn, "office") if p.office_code == "A"]
    sent = _sent(world, lambda: notices.extend(_notices(world, a)))
    assert len(notices) == 5
    assert all(n[0] == "elderly_resident" and n[2].startswith("第2街道") for n in notices)
    lookups = [s for s in sent if "elderly_resident" in s]
    assert len(lookups) == 1, lookups


def test_the_duplicates_command_lists_a_page(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    home = ["--home", str(world.hub.home), "duplicates"]
    code, out, err = run_main(district_cli.main, [*home, "--limit", "2", "--json"], capsys)
    assert code == 0, err
    first = json.loads(out)
    assert first["total"] == 5 and len(first["duplicates"]) == 2
    code, out, err = run_main(
        district_cli.main, [*home, "--limit", "2", "--offset", "4", "--json"], capsys
    )
    last = json.loads(out)
    assert [c["id"] for c in last["duplicates"]] == [
        c.id for c in duplicates.list_cases(world.hub)
    ][4:]
    code, out, err = run_main(district_cli.main, [*home, "--limit", "3"], capsys)
    assert code == 0 and "5 条（显示第 1–3 条）" in out
    assert out.count("先登记于") == 3
    code, out, err = run_main(district_cli.main, [*home, "--offset", "-1"], capsys)
    assert code == 2 and "应为 0 或更大的整数" in err


def test_the_duplicates_command_settles_one_and_says_which_record_stays(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """The page and the settling share one path with `conflicts` (issue 22): pin both texts."""
    home = ["--home", str(world.hub.home)]
    first = duplicates.list_cases(world.hub)[0]
    code, out, err = run_main(
        district_cli.main, [*home, "duplicates", "--keep-later", str(first.id)], capsys
    )
    assert code == 0, err
    assert out.strip() == (
        f"重复人员 #{first.id} 已处理：保留 {first.later_office} 的记录，另一条已注销"
        "（随数据包通知两个街道）"
    )
    code, out, err = run_main(district_cli.main, [*home, "duplicates"], capsys)
    assert "：4 条（显示第 1–4 条）" in out and out.rstrip().endswith("保留后登记的记录")
    code, out, err = run_main(district_cli.main, [*home, "duplicates", "--all"], capsys)
    assert "：5 条" in out and "处理：" not in out
    code, out, err = run_main(district_cli.main, [*home, "conflicts"], capsys)
    assert code == 0 and out.strip() == "冲突：0 条"
    # the conflicts' page is read as the duplicates' is: a negative offset is a usage error
    code, out, err = run_main(district_cli.main, [*home, "conflicts", "--offset", "-1"], capsys)
    assert code == 2 and "应为 0 或更大的整数" in err
