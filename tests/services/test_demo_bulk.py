"""A demo built the district-sized way (most retrofit cases and children copied from ones the
services made, written by insert_many) is valid for every programme: every record journaled,
`db.verify` clean, every list, detail and report of the services reads it (the narratives of
copied children decrypt with the office key), a sync bundle of it goes through the district,
and the same seed gives the same content."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from caseworker import demo
from caseworker.demo import children as demo_children
from caseworker.demo import retrofit as demo_retrofit
from caseworker.domain import periods
from caseworker.services import reports
from caseworker.services.children import cases as child_cases
from caseworker.services.children import exports as child_exports
from caseworker.services.children import register, search, worklists
from caseworker.services.retrofit import cases as retrofit_cases
from caseworker.services.retrofit import exports as retrofit_exports
from caseworker.services.retrofit import search as retrofit_search
from caseworker.workspace import Workspace
from db.base import Base, Journaled
from db.children import Child, ChildCase
from db.ids import new_ids
from db.models import JournalEntry
from db.retrofit import RetrofitCase
from db.verify import verify
from tests.conftest import login
from tests.sync.helpers import make_world

TODAY = date.today()
RESIDENTS = 200  # 23 children and 12 retrofit cases


def _few_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small demo takes the district-sized path: most cases and children are copies."""
    monkeypatch.setattr(demo_children, "SERVICE_CHILDREN", 8)
    monkeypatch.setattr(demo_retrofit, "SERVICE_CASES", 5)


@pytest.fixture(autouse=True)
def few_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    _few_templates(monkeypatch)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The demo as built, still open (the pragmas the build set must be gone from this very
    engine): built once for the module's two tests (the second writes only the children's
    view log, journaled like every table: the first's counts hold in either order)."""
    ws = Workspace.open(tmp_path_factory.mktemp("bulk") / "ws")
    with pytest.MonkeyPatch.context() as patch:
        _few_templates(patch)
        demo.build(ws, residents=RESIDENTS, seed=3)
    yield ws
    ws.close()


def _journaled_tables() -> list[str]:
    # The sync tests register tables of their own (synctest_*) in the same metadata: they are
    # not part of the application's schema.
    return sorted(
        m.class_.__tablename__
        for m in Base.registry.mappers
        if issubclass(m.class_, Journaled) and not m.class_.__tablename__.startswith("synctest_")
    )


def test_new_ids_are_uuid7_ascending_and_unique() -> None:
    import uuid

    ids = new_ids(2000)
    assert ids == sorted(ids) and len(set(ids)) == 2000
    for text in ids[:50]:
        u = uuid.UUID(text)
        assert u.version == 7 and u.variant == uuid.RFC_4122 and str(u) == text
    assert new_ids(1)[0] > ids[-1]  # a later batch sorts after


def test_fillers_run_in_programme_order_whatever_was_imported_first() -> None:
    # This module imports the children's filler before the retrofit one; retrofit cases come
    # from the elderly roster, so the elderly filler must still run first.
    assert [f.__module__ for f in demo._fillers()] == list(demo.PROGRAMMES)


def test_copied_records_are_journaled_and_verify_clean(office: Workspace) -> None:
    with office.reader() as s:
        for table in _journaled_tables():
            rows = s.scalar(select(func.count()).select_from(Base.metadata.tables[table])) or 0
            journaled = s.scalar(
                select(func.count(func.distinct(JournalEntry.record_id))).where(
                    JournalEntry.table_name == table, JournalEntry.op == "insert"
                )
            )
            assert journaled == rows, table
        children = s.scalar(select(func.count()).select_from(Child))
        cases = s.scalar(select(func.count()).select_from(RetrofitCase))
        numbers = s.scalar(select(func.count(func.distinct(RetrofitCase.case_no))))
    assert children == 23 and cases == 12 and numbers == 12
    assert verify(office.paths.db) == []
    with office.engine.connect() as conn:  # the build's pragmas ended with it
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_every_list_detail_and_report_reads_the_copies(office: Workspace) -> None:
    dudao = login(office, "dudao", demo.DEMO_PASSWORD)
    worker = login(office, "zhuangan1", demo.DEMO_PASSWORD)
    chief = login(office, "kezhang", demo.DEMO_PASSWORD)
    with office.writer(dudao) as s:  # a child's detail writes the view log
        q = search.ChildQuery()
        rows = search.page(s, dudao, q, 0, 100, today=TODAY)
        assert len(rows) == search.count(s, dudao, q) == 23
        narratives = 0
        for row in rows:
            detail = register.detail(s, dudao, row.id, today=TODAY)
            narratives += "演示：" in str(detail)
        assert narratives == 23  # every child's sealed notes open with the office key
        for case_id in s.scalars(select(ChildCase.id)):
            shown = child_cases.detail(s, dudao, case_id)
            assert "（未授权" not in str(shown)
        lists = worklists.work_lists(s, dudao, today=TODAY)
        assert lists is not None
        for key in worklists.CASE_LISTS:
            worklists.case_list(s, dudao, key, today=TODAY)
        worklists.figures(s, dudao, today=TODAY)
        log = child_exports.ViewLogger(s, dudao, "儿童台账")
        assert len(list(child_exports.register_rows(s, dudao, q, TODAY, log))) >= 23
        assert len(list(child_exports.case_rows(s, dudao, None, False, log))) >= 1
    with office.reader() as s:
        q2 = retrofit_search.CaseQuery()
        found = retrofit_search.page(s, worker, q2, 0, 100, today=TODAY)
        assert len(found) == retrofit_search.count(s, worker, q2, today=TODAY) == 12
        for case in found:
            shown = retrofit_cases.detail(s, worker, case.id, today=TODAY)
            assert shown is not None
        assert len(list(retrofit_exports.case_rows(s, worker, q2, TODAY))) >= 12
        for actor in (worker, chief, dudao):
            report = reports.build(s, actor, periods.year(TODAY.year), today=TODAY)
            assert report.sections


@pytest.mark.slow  # over 10 s on a loaded 2-core machine: in the full suite, not in --fast
def test_a_bundle_of_the_demo_goes_through_the_district(tmp_path: Path) -> None:
    from caseworker.district import service

    w = make_world(tmp_path, ["A"])
    try:
        a = w.offices["A"]
        demo.build(a, residents=RESIDENTS, seed=3)
        [done] = service.ingest(w.hub, [w.office_to_district("A")])
        assert done.refused == "", done.refused
        with w.hub.reader() as s:
            assert s.scalar(select(func.count()).select_from(Child)) == 23
            assert s.scalar(select(func.count()).select_from(RetrofitCase)) == 12
    finally:
        w.close()


def _content(ws: Workspace) -> list[tuple]:
    with ws.reader() as s:
        kids = s.execute(select(Child.name, Child.id_number, Child.categories, Child.notes != ""))
        homes = s.execute(
            select(RetrofitCase.case_no, RetrofitCase.applicant_name, RetrofitCase.step)
        )
        return sorted(kids.all()) + sorted(homes.all())


@pytest.mark.slow  # over 10 s on a loaded 2-core machine: in the full suite, not in --fast
def test_same_seed_same_copies(tmp_path: Path) -> None:
    built = []
    for name in ("a", "b"):
        with Workspace.open(tmp_path / name) as ws:
            demo.build(ws, residents=RESIDENTS, seed=3)
            built.append(_content(ws))
    assert built[0] == built[1] and len(built[0]) == 23 + 12
