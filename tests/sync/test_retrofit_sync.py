"""Retrofit records through the real bundles (sync code untouched): a case with its items,
events and photo rows reaches the district and never another office; the district's catalogue
change and household cap reach every office; an approved case keeps its prices there too."""

from __future__ import annotations

from pathlib import Path

from caseworker.district import service
from caseworker.domain.retrofit import Action, HouseholdCategory, PhotoStage
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts, settings
from caseworker.services.retrofit import assessment, cases, catalogue, contractors
from caseworker.sync import office
from tests.services._elderly import TODAY, make_id
from tests.sync.helpers import account, make_world, table_rows


def test_a_case_travels_to_the_district_only_and_the_catalogue_to_everyone(
    tmp_path: Path,
) -> None:
    w = make_world(tmp_path, ["A", "B"])
    try:
        a = w.offices["A"]
        worker = account(a, "worker", "李专干", Role.CASEWORKER)
        chief = account(a, "chief", "王科长", Role.SUPERVISOR)
        with a.writer(worker) as s:
            community = accounts.communities(s)[0].id
            firm = contractors.add(s, worker, contractors.ContractorDraft("安居公司")).id
            case = cases.apply(
                s,
                worker,
                cases.ApplicationDraft(
                    "陈桂兰",
                    make_id(TODAY.replace(year=1944), 22),
                    community,
                    address="A和平社区1号",
                    categories=frozenset({HouseholdCategory.MIN_ALLOWANCE}),
                ),
                today=TODAY,
            )
            cases.act(s, worker, case.id, cases.StepRequest(Action.CHECK), today=TODAY)
            assessment.save_items(s, worker, case.id, [assessment.ItemDraft("R13", 300)])
            # no photo files in this test: the supervisor records why (the waiver travels too)
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
        service.ingest(w.hub, [w.office_to_district("A")])
        hub_cases = table_rows(w.hub.engine, "retrofit_case", columns="case_no, step, subsidy_fen")
        assert hub_cases == [(case.case_no, "施工中", 84000)]
        waived = table_rows(w.hub.engine, "retrofit_case", columns="photos_waived_before")
        assert waived[0][0].startswith("户主不同意拍照（王科长")
        assert len(table_rows(w.hub.engine, "retrofit_case_event")) == 5
        assert len(table_rows(w.hub.engine, "retrofit_assessment_item")) == 1
        assert len(table_rows(w.hub.engine, "retrofit_contractor")) == 1

        district = Actor.system("district")
        with w.hub.writer(district) as s:
            catalogue.set_price(s, district, "R13", 30000, 30000)
            settings.set_value(s, district, "retrofit.household_cap_yuan", 5000)
        for code in ("A", "B"):
            office.import_bundle(w.offices[code], Actor.system("test"), w.district_to_office(code))
        b = w.offices["B"]
        for ws in (a, b):
            with ws.reader() as s:
                assert catalogue.item(s, "R13").price_fen == 30000
                assert catalogue.household_cap_fen(s) == 500000
        # Office B never sees office A's household, its items, events or contractor.
        for table in (
            "retrofit_case",
            "retrofit_case_event",
            "retrofit_assessment_item",
            "retrofit_contractor",
        ):
            assert table_rows(b.engine, table) == []
        # A's approved case keeps the price it was approved with.
        with a.reader() as s:
            d = cases.detail(s, worker, case.id, today=TODAY)
        assert d.items[0].unit_price_fen == 28000 and d.totals.cost_fen == 84000
    finally:
        w.close()
