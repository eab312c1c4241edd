"""Several clerks on one PostgreSQL hub (区级平台 on many PCs, issue 24): two processes taking in
the same office's bundle, or settling the same conflict, at the same moment. One does the work,
the other is told it is done; nothing is applied twice and no clerk sees a false refusal.

PostgreSQL only (a SQLite hub has one writer at a time): the processes start together at a
barrier so that their transactions overlap."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from caseworker import demo
from caseworker.district import service
from caseworker.district.hub import Hub
from tests.sync.helpers import make_world

CODE = "110101001"


def _ingest(home: str, url: str, bundle: str, barrier: Any, out: Any) -> None:
    hub = Hub.open(Path(home), url)
    try:
        barrier.wait(timeout=60)
        (r,) = service.ingest(hub, [Path(bundle)])
        out.put(("ok", r.already, r.refused, r.applied))
    except BaseException as exc:  # reported to the test, never swallowed
        out.put(("error", type(exc).__name__, str(exc), 0))
    finally:
        hub.close()


def _resolve(home: str, url: str, conflict_id: int, barrier: Any, out: Any) -> None:
    hub = Hub.open(Path(home), url)
    try:
        barrier.wait(timeout=60)
        service.resolve_conflict(hub, conflict_id, "reverse")
        out.put(("ok", "", "", 0))
    except BaseException as exc:
        out.put(("error", type(exc).__name__, str(exc), 0))
    finally:
        hub.close()


def _race(target: Any, *args: Any) -> list[tuple]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, barrier, out)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [out.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


@pytest.fixture
def pg_world(tmp_path: Path, district_db: str | None):
    if district_db is None:
        pytest.skip("two clerks race on a PostgreSQL hub only")
    world = make_world(tmp_path, [CODE], db_url=district_db)
    demo.build(world.offices[CODE], residents=40, seed=5)
    yield world, district_db
    world.close()


def _count(hub: Hub, sql: str) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def test_two_clerks_ingesting_the_same_bundle_apply_it_once(pg_world) -> None:
    world, url = pg_world
    bundle = world.office_to_district(CODE)
    before = _count(world.hub, "SELECT count(*) FROM journal")
    results = _race(_ingest, str(world.hub.home), url, str(bundle))
    assert [r[0] for r in results] == ["ok", "ok"], results
    assert sorted(r[1] for r in results) == [False, True]  # one imported, one told it was done
    assert all(r[2] == "" for r in results)  # no false refusal
    applied = next(r[3] for r in results if not r[1])
    assert applied > 1000
    assert _count(world.hub, "SELECT count(*) FROM journal") == before + applied
    received = "SELECT count(*) FROM sync_bundle WHERE direction = 'received'"
    assert _count(world.hub, received) == 1


def test_two_clerks_reversing_the_same_conflict_write_it_once(pg_world) -> None:
    world, url = pg_world
    from sqlalchemy import select

    from db.elderly import ElderlyResident

    service.ingest(world.hub, [world.office_to_district(CODE)])
    ws = world.offices[CODE]
    with ws.reader() as s:
        rid = s.scalar(select(ElderlyResident.id).order_by(ElderlyResident.id).limit(1))
    service.correct(world.hub, "elderly_resident", rid, {"phone": "13800000001"})
    from tests.sync.helpers import ADMIN

    with ws.writer(ADMIN) as s:
        s.get(ElderlyResident, rid).phone = "13900000002"
    service.ingest(world.hub, [world.office_to_district(CODE)])
    (conflict,) = service.conflicts(world.hub, "open")
    before = _count(world.hub, "SELECT count(*) FROM journal")
    results = _race(_resolve, str(world.hub.home), url, conflict.id)
    outcomes = sorted((r[0], r[1]) for r in results)
    assert outcomes == [("error", "ValidationError"), ("ok", "")], results
    assert any("已经处理过了" in r[2] for r in results)
    # the reversal was journaled once (one field changed), not twice
    assert _count(world.hub, "SELECT count(*) FROM journal") == before + 1
