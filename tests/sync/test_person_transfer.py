"""Transferring a person of any programme to another office (issue 19).

An elderly resident with a retrofit case moves with the case (its community becomes the new
office's, its links kept, its contractor copied for the new office); a child moves with its
narratives re-sealed at the hub for the new office's key, its view log with it, and the old
office keeps nothing of it once its own work there is acknowledged. One command, one service.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from caseworker.district import service, transfer
from caseworker.district.cli import main as district_main
from caseworker.domain import idnumber
from caseworker.domain.elderly import Category
from caseworker.domain.errors import ValidationError
from caseworker.domain.retrofit import Action, HouseholdCategory, PhotoStage
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.services.children import cases as child_cases
from caseworker.services.children import register
from caseworker.services.elderly import roster, visits
from caseworker.services.retrofit import assessment, cases, contractors
from caseworker.sync import office
from db.children import ChildViewLog
from tests.services._elderly import TODAY, make_id
from tests.sync.helpers import (
    ADMIN,
    World,
    account,
    child_supervisor,
    journal_count,
    make_world,
    table_rows,
)

PASSWORD = "Child2026x"
SECRET = "孩子说晚上常常一个人在家害怕"


def _sync(w: World, code: str) -> None:
    [done] = service.ingest(w.hub, [w.office_to_district(code)])
    assert done.refused == "", done.refused
    assert office.import_bundle(w.offices[code], ADMIN, w.district_to_office(code)).refused == 0


def _community(w: World, code: str, name: str) -> str:
    with w.offices[code].reader() as s:
        return next(c.id for c in accounts.communities(s) if c.name == name)


def _resident_with_case(w: World, seq: int, firm_name: str = "安居公司") -> tuple[str, str, str]:
    """Office A: a resident on the roster with a completed visit and a retrofit case under
    construction by A's contractor. Returns (ID number, resident id, case id)."""
    a = w.offices["A"]
    worker = account(a, f"worker{seq}", "李专干", Role.CASEWORKER)
    chief = account(a, f"chief{seq}", "王科长", Role.SUPERVISOR)
    number = make_id(date(1941, 3, 10), seq)
    with a.writer(worker) as s:
        firm = (
            next((f.id for f in contractors.listing(s, worker) if f.name == firm_name), None)
            or contractors.add(
                s, worker, contractors.ContractorDraft(firm_name, licence_no=f"LIC-{firm_name}")
            ).id
        )
        resident = roster.register(
            s,
            worker,
            roster.ResidentDraft(
                "陈奶奶",
                number,
                _community(w, "A", "A和平社区"),
                categories=frozenset({Category.LIVING_ALONE}),
                assigned_staff_id=worker.staff_id,
            ),
            today=TODAY,
        ).resident
        visits.complete(
            s,
            worker,
            visits.VisitDraft(
                resident.id,
                TODAY,
                visitors=("李专干",),
                visitor_staff_id=worker.staff_id,
                problems="卫生间湿滑",
            ),
            today=TODAY,
        )
        case = cases.apply(
            s,
            worker,
            cases.ApplicationDraft(
                "陈奶奶",
                number,
                _community(w, "A", "A和平社区"),
                address="A和平社区1号",
                categories=frozenset({HouseholdCategory.MIN_ALLOWANCE}),
                resident_id=resident.id,
            ),
            today=TODAY,
        )
        cases.act(s, worker, case.id, cases.StepRequest(Action.CHECK), today=TODAY)
        assessment.save_items(s, worker, case.id, [assessment.ItemDraft("R13", 300)])
        # The household's photos are not what this test is about: the chief records why none.
        cases.waive_photos(s, chief, case.id, PhotoStage.BEFORE, "户主不同意拍照", today=TODAY)
        cases.act(s, worker, case.id, cases.StepRequest(Action.SUBMIT), today=TODAY)
        cases.act(s, chief, case.id, cases.StepRequest(Action.APPROVE), today=TODAY)
        cases.act(
            s,
            worker,
            case.id,
            cases.StepRequest(Action.START, contractor_id=firm, planned_end=TODAY),
            today=TODAY,
        )
    return number, resident.id, case.id


def test_an_elderly_resident_moves_with_their_retrofit_case(
    tmp_path: Path, district_db: str | None
) -> None:
    w = make_world(tmp_path, ["A", "B"], db_url=district_db)
    try:
        number, resident, case = _resident_with_case(w, 31)
        _sync(w, "A")
        _sync(w, "B")
        done = transfer.transfer_person(w.hub, number, "B", "B光明社区")
        assert done.roots == [("elderly_resident", resident), ("retrofit_case", case)]
        assert done.records["retrofit_case"] == 1 and done.records["elderly_visit"] == 1
        assert done.reparented == {"elderly_resident": 1, "retrofit_case": 1}
        assert done.contractors == ["安居公司"]
        assert done.from_offices == ["A"]
        _sync(w, "B")
        b = w.offices["B"]
        b_comm = _community(w, "B", "B光明社区")
        [(resident_id, community, staff)] = table_rows(
            b.engine, "elderly_resident", columns="id, community_id, assigned_staff_id"
        )
        assert (resident_id, community, staff) == (resident, b_comm, None)
        [(case_id, case_resident, case_comm, firm, step)] = table_rows(
            b.engine,
            "retrofit_case",
            columns="id, resident_id, community_id, contractor_id, step",
        )
        # the link to the resident is kept; the community is B's; the contractor travelled
        assert (case_id, case_resident, case_comm, step) == (case, resident, b_comm, "施工中")
        [(firm_id, firm_name, firm_office)] = table_rows(
            b.engine, "retrofit_contractor", columns="id, name, office_id"
        )
        assert firm == firm_id and firm_name == "安居公司"
        assert firm_office == table_rows(b.engine, "office", "WHERE code='B'", "id")[0][0]
        assert len(table_rows(b.engine, "retrofit_case_event")) == 5
        assert len(table_rows(b.engine, "retrofit_assessment_item")) == 1
        assert len(table_rows(b.engine, "elderly_visit")) == 1
        # the old office keeps its copy, told it moved out; its contractor is still its own
        _sync(w, "A")
        a = w.offices["A"]
        assert {t.table_name for t in office.transferred_out(a, ADMIN)} >= {
            "elderly_resident",
            "retrofit_case",
            "elderly_visit",
        }
        assert len(table_rows(a.engine, "retrofit_case")) == 1
        assert len(table_rows(w.hub.engine, "retrofit_contractor")) == 2

        # a second household of the same contractor: the copy at B is reused, not duplicated
        number2, _r2, _c2 = _resident_with_case(w, 33)
        _sync(w, "A")
        again = transfer.transfer_person(w.hub, number2, "B", "B和平社区")
        assert again.contractors == ["安居公司"]
        _sync(w, "B")
        assert len(table_rows(w.offices["B"].engine, "retrofit_contractor")) == 1
        assert len(table_rows(w.offices["B"].engine, "retrofit_case")) == 2
    finally:
        w.close()


def test_a_retrofit_household_not_on_the_roster_moves_alone(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A", "B"])
    try:
        a = w.offices["A"]
        worker = account(a, "worker", "李专干", Role.CASEWORKER)
        number = make_id(date(1944, 3, 1), 22)
        with a.writer(worker) as s:
            case = cases.apply(
                s,
                worker,
                cases.ApplicationDraft(
                    "赵奶奶",
                    number,
                    _community(w, "A", "A柳村"),
                    address="A柳村2号",
                    categories=frozenset({HouseholdCategory.MIN_ALLOWANCE}),
                ),
                today=TODAY,
            )
        _sync(w, "A")
        done = transfer.transfer_person(w.hub, number, "B", "B柳村")
        assert done.roots == [("retrofit_case", case.id)]
        _sync(w, "B")
        assert table_rows(w.offices["B"].engine, "retrofit_case", columns="case_no") == [
            (case.case_no,)
        ]
    finally:
        w.close()


def test_the_command_moves_a_person_and_previews_without_changing_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = make_world(tmp_path, ["A", "B"])
    try:
        number, resident, _case = _resident_with_case(w, 31)
        _sync(w, "A")
        home = ["--home", str(w.hub.home)]
        before = journal_count(w.hub.engine)
        move = ["transfer", "--person", number, "--to", "B", "--community", "B光明社区"]
        code = district_main([*home, *move, "--dry-run", "--json"])
        assert code == 0
        preview = json.loads(capsys.readouterr().out)
        assert preview["dry_run"] is True and preview["total"] >= 8
        assert preview["records"]["retrofit_case"] == 1
        assert journal_count(w.hub.engine) == before
        assert district_main([*home, *move, "--reason", "迁居到女儿家"]) == 0
        out = capsys.readouterr().out
        assert "已转移到" in out and "老年人探访" in out and "适老化改造" in out
        # the reason is in the hub's transfer log, as the console's is (the command's actor)
        [logged] = table_rows(w.hub.engine, "sync_transfer_log", columns="actor_name, reason")
        assert logged == ("系统（区民政局）", "迁居到女儿家")
        [(community,)] = table_rows(
            w.hub.engine, "elderly_resident", f"WHERE id='{resident}'", "community_id"
        )
        assert community == _community(w, "B", "B光明社区")
        # one Chinese line and exit 2 for what cannot be done
        assert district_main([*home, "transfer", "--person", "123", "--to", "B"]) == 2
        err = capsys.readouterr().err
        assert "身份证号不正确" in err and "Traceback" not in err
        assert district_main([*home, *move]) == 2
        assert "已属于街道 B" in capsys.readouterr().err
    finally:
        w.close()


# -- children ------------------------------------------------------------------------------------


def _child_supervisor(w: World, code: str, login: str) -> Actor:
    """A child supervisor who logged in once enrolled: the office's key exists, wrapped for the
    district, and the district receives the wrap with the office's next bundle."""
    return child_supervisor(w.offices[code], login, f"{code}督导", PASSWORD)[0]


def _child(w: World, sup: Actor) -> tuple[str, str, str]:
    a = w.offices["A"]
    number = idnumber.make("110105", date(2015, 9, 9), 51)
    with a.writer(sup) as s:
        child = register.register(
            s,
            sup,
            register.ChildDraft("韩小雪", number, _community(w, "A", "A和平社区"), notes=SECRET),
        ).child
        register.detail(s, sup, child.id)  # a view-log row, which travels with the child
        case = child_cases.report(
            s,
            sup,
            child_cases.ReportDraft(child.id, "学校", date.today(), "老师发现孩子身上有伤"),
        )
        child_cases.record_visit(
            s,
            sup,
            child_cases.VisitDraft(child.id, date.today(), "入户", "A督导", "家中无人照看"),
        )
    return number, child.id, case.id


def test_a_child_moved_to_another_office_can_be_opened_there(
    tmp_path: Path, district_db: str | None
) -> None:
    w = make_world(tmp_path, ["A", "B"], db_url=district_db)
    try:
        sup_a = _child_supervisor(w, "A", "dudao_a")
        sup_b = _child_supervisor(w, "B", "dudao_b")
        number, child, case = _child(w, sup_a)
        _sync(w, "A")
        _sync(w, "B")  # B's key wrap reaches the district
        done = transfer.transfer_person(w.hub, number, "B", "B和平社区")
        assert done.roots == [("child", child)]
        assert done.resealed == 4  # notes of the child, the report, its event, the visit
        _sync(w, "B")
        b = w.offices["B"]
        with b.writer(sup_b) as s:
            page = register.detail(s, sup_b, child)
            assert page.child.notes == SECRET
            assert [v.notes for v in page.visits] == ["家中无人照看"]
            seen = child_cases.detail(s, sup_b, case)
        assert "老师发现孩子身上有伤" in repr(seen)
        with b.reader() as s:
            log = sorted(
                (r.staff_name, r.action)
                for r in s.scalars(select(ChildViewLog).where(ChildViewLog.child_id == child))
            )
        assert ("A督导", "打开档案") in log  # the view log travelled
        assert ("区级平台", "区级转移（重新加密）") in log
        # the old office keeps nothing of the child once its own work is acknowledged
        _sync(w, "A")
        a = w.offices["A"]
        for table in ("child", "child_case", "child_visit", "child_view_log", "child_case_event"):
            assert table_rows(a.engine, table) == [], table
        with a.engine.connect() as conn:
            left = conn.exec_driver_sql(
                "SELECT count(*) FROM journal WHERE table_name LIKE 'child%' "
                "AND table_name != 'child_office_key'"
            ).scalar()
        assert left == 0
        assert {t.table_name for t in office.transferred_out(a, ADMIN)} >= {"child"}
        assert a.integrity_problems() == []
        # later bundles still go both ways, nothing comes back to A
        _sync(w, "A")
        _sync(w, "B")
        assert table_rows(a.engine, "child") == []
    finally:
        w.close()


def test_the_old_office_edits_a_moved_child_before_it_hears_of_it(tmp_path: Path) -> None:
    """A's child director keeps working before the notice arrives: the visit travels to the
    new office, re-sealed at the hub; A deletes its copy only after that work is acknowledged."""
    w = make_world(tmp_path, ["A", "B"])
    try:
        sup_a = _child_supervisor(w, "A", "dudao_a")
        sup_b = _child_supervisor(w, "B", "dudao_b")
        number, child, _case = _child(w, sup_a)
        _sync(w, "A")
        _sync(w, "B")
        transfer.transfer_person(w.hub, number, "B", "B和平社区")
        down = w.district_to_office("A")  # carries the notice, not imported yet
        with w.offices["A"].writer(sup_a) as s:
            late = child_cases.record_visit(
                s,
                sup_a,
                child_cases.VisitDraft(child, date.today(), "电话", "A督导", "电话里说已搬家"),
            )
        office.import_bundle(w.offices["A"], ADMIN, down)
        # A's visit is not acknowledged yet: A still holds the child
        assert table_rows(w.offices["A"].engine, "child_visit", f"WHERE id='{late.id}'")
        _sync(w, "A")
        _sync(w, "A")
        assert table_rows(w.offices["A"].engine, "child") == []
        _sync(w, "B")
        with w.offices["B"].writer(sup_b) as s:
            notes = {v.notes for v in register.detail(s, sup_b, child).visits}
        assert "电话里说已搬家" in notes
    finally:
        w.close()


def test_a_child_cannot_move_to_an_office_without_a_child_data_key(tmp_path: Path) -> None:
    w = make_world(tmp_path, ["A", "B"])
    try:
        sup_a = _child_supervisor(w, "A", "dudao_a")
        number, _child_id, _case = _child(w, sup_a)
        _sync(w, "A")
        before = table_rows(w.hub.engine, "child", columns="id, community_id, notes")
        with pytest.raises(ValidationError, match="还没有儿童档案密钥"):
            transfer.transfer_person(w.hub, number, "B", "B和平社区")
        assert table_rows(w.hub.engine, "child", columns="id, community_id, notes") == before
        with w.hub.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM sync_push").scalar() == 0
    finally:
        w.close()
