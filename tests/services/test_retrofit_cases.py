"""Programme 2 services on real SQLite workspaces: the path of a case, who may take each step,
exact money frozen at approval, the catalogue kept by the district, lists and work lists."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from caseworker.district import scope
from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.retrofit import Action, Step
from caseworker.domain.retrofit import HouseholdCategory as H
from caseworker.domain.roles import Actor
from caseworker.services import settings
from caseworker.services.retrofit import assessment, cases, catalogue, search
from caseworker.workspace import Workspace
from db.ids import stable_id
from db.models import JournalEntry
from db.retrofit import RetrofitCase, RetrofitCatalogueItem
from tests.services._elderly import TODAY, add
from tests.services._retrofit import assess, contractor, open_case, step, supervisor


def _full_path(ws: Workspace, worker: Actor, chief: Actor, case_id: str) -> None:
    step(ws, worker, case_id, Action.CHECK, on=date(2026, 10, 9))
    assess(ws, worker, case_id, [("R01", 1250), ("R13", 300), ("R14", 100)])
    step(ws, worker, case_id, Action.SUBMIT, on=date(2026, 10, 12))
    step(ws, chief, case_id, Action.APPROVE, on=date(2026, 10, 15))


def test_a_case_from_application_to_acceptance_is_journaled(
    office_ws: Workspace, worker: Actor
) -> None:
    chief = supervisor(office_ws)
    firm = contractor(office_ws, worker)
    case = open_case(office_ws, worker)
    assert case.step is Step.APPLIED and case.eligible and "低保" in case.eligibility_reason
    assert case.case_no.startswith("110105001-2026-")
    _full_path(office_ws, worker, chief, case.id)
    step(
        office_ws,
        worker,
        case.id,
        Action.START,
        contractor_id=firm,
        start=date(2026, 10, 20),
        planned_end=date(2026, 11, 5),
    )
    step(office_ws, worker, case.id, Action.FINISH, on=date(2026, 11, 4))
    back = step(office_ws, worker, case.id, Action.FAIL, reason="扶手安装高度不对")
    assert back.step is Step.CONSTRUCTION and back.construction_done_on is None
    step(office_ws, worker, case.id, Action.FINISH, on=date(2026, 11, 10))
    done = step(
        office_ws, worker, case.id, Action.ACCEPT, signed_by="陈桂兰", on=date(2026, 11, 12)
    )
    assert done.step is Step.COMPLETED and done.signed_by == "陈桂兰"
    with office_ws.reader() as s:
        d = cases.detail(s, worker, case.id, today=TODAY)
        journaled = s.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.table_name == "retrofit_case_event")
        )
    assert [e.action for e in d.events] == [
        "申请",
        "资格审核通过",
        "提交评估",
        "审批通过",
        "开始施工",
        "施工完成",
        "验收不通过",
        "施工完成",
        "验收通过",
    ]
    assert d.events[6].note == "扶手安装高度不对" and d.events[-1].actor_name == "李专干"
    assert journaled == len(d.events)
    assert d.actions == ()  # a completed case takes no more steps
    # Money: 12.5 m² × 80 + 3 × 280 + 1 × 1600 = 3,440 yuan; subsidy capped at 3,000 household.
    assert d.totals.cost_fen == 344000
    assert d.totals.subsidy_uncapped_fen == 100000 + 84000
    assert d.totals.subsidy_fen == 184000 and d.totals.household_fen == 160000


def test_refused_steps_say_why_and_change_nothing(office_ws: Workspace, worker: Actor) -> None:
    chief = supervisor(office_ws)
    case = open_case(office_ws, worker)
    with pytest.raises(ValidationError, match="不能“审批通过”"):
        step(office_ws, chief, case.id, Action.APPROVE)
    with pytest.raises(ValidationError, match="原因"):
        step(office_ws, worker, case.id, Action.REJECT, reason=" ")
    step(office_ws, worker, case.id, Action.CHECK)
    with pytest.raises(ValidationError, match="还没有任何改造项目"):
        step(office_ws, worker, case.id, Action.SUBMIT)
    assess(office_ws, worker, case.id, [("R17", 100)])
    step(office_ws, worker, case.id, Action.SUBMIT)
    with pytest.raises(ValidationError, match="科长"):
        step(office_ws, worker, case.id, Action.APPROVE)
    with pytest.raises(ValidationError, match="不能再修改"):
        assess(office_ws, worker, case.id, [("R17", 200)])
    with office_ws.reader() as s:
        assert cases.get(s, worker, case.id).step is Step.ASSESSED
        events = cases.detail(s, worker, case.id).events
    assert len(events) == 3  # 申请, 资格审核通过, 提交评估: the refusals left no trace


def test_a_supervisor_cannot_approve_their_own_assessment(office_ws: Workspace) -> None:
    chief = supervisor(office_ws)
    other = supervisor(office_ws, "chief2", "刘科长")
    case = open_case(office_ws, chief)
    step(office_ws, chief, case.id, Action.CHECK)
    assess(office_ws, chief, case.id, [("R24", 100)])
    step(office_ws, chief, case.id, Action.SUBMIT)
    with pytest.raises(ValidationError, match="不能自己审批"):
        step(office_ws, chief, case.id, Action.APPROVE)
    assert step(office_ws, other, case.id, Action.APPROVE).step is Step.APPROVED


def test_withdraw_reject_terminate_and_return_need_reasons(
    office_ws: Workspace, worker: Actor
) -> None:
    chief = supervisor(office_ws)
    a = open_case(office_ws, worker, "甲", seq=31)
    r = step(office_ws, worker, a.id, Action.REJECT, reason="户籍不在本街道")
    assert r.step is Step.REJECTED and r.closed_reason == "户籍不在本街道"
    b = open_case(office_ws, worker, "乙", seq=33)
    _full_path(office_ws, worker, chief, b.id)
    with pytest.raises(ValidationError, match="科长"):
        step(office_ws, worker, b.id, Action.TERMINATE, reason="老人去世")
    t = step(office_ws, chief, b.id, Action.TERMINATE, reason="老人去世")
    assert t.step is Step.TERMINATED
    c = open_case(office_ws, worker, "丙", seq=35)
    step(office_ws, worker, c.id, Action.CHECK)
    assess(office_ws, worker, c.id, [("R24", 100)])
    step(office_ws, worker, c.id, Action.SUBMIT)
    ret = step(office_ws, chief, c.id, Action.RETURN, reason="卫生间还需要扶手")
    assert ret.step is Step.ELIGIBLE
    w = step(office_ws, worker, c.id, Action.WITHDRAW, reason="子女自行改造")
    assert w.step is Step.WITHDRAWN


def test_applications_are_checked(office_ws: Workspace, worker: Actor, admin: Actor) -> None:
    with pytest.raises(ValidationError, match="未满 60"):
        open_case(office_ws, worker, birth=date(1970, 5, 5))
    first = open_case(office_ws, worker)
    with pytest.raises(ValidationError, match=f"已有改造档案 {first.case_no}"):
        open_case(office_ws, worker)
    with pytest.raises(PermissionDenied):
        open_case(office_ws, admin, seq=41)
    # Not eligible: the rule's reason is kept; the case can still go on at the household's cost.
    own = open_case(office_ws, worker, "周秀英", seq=43, categories=frozenset({H.DISABLED}))
    assert not own.eligible and "家庭承担" in own.eligibility_reason
    # After a withdrawal a new application is allowed.
    step(office_ws, worker, first.id, Action.WITHDRAW, reason="暂不改造")
    assert open_case(office_ws, worker).id != first.id


def test_application_from_the_roster_links_and_prefills(
    office_ws: Workspace, worker: Actor
) -> None:
    from caseworker.domain.elderly import Category

    person = add(
        office_ws,
        worker,
        "马玉珍",
        date(1941, 6, 1),
        seq=51,
        categories=frozenset({Category.LOW_INCOME, Category.LIVING_ALONE}),
    )
    with office_ws.writer(worker) as s:
        draft = cases.prefill_from_resident(s, worker, person.id)
        assert draft.categories == frozenset({H.LOW_INCOME}) and draft.resident_id == person.id
        case = cases.apply(s, worker, draft, today=TODAY)
    assert case.resident_id == person.id and case.eligible and "高龄" in case.eligibility_reason
    with office_ws.reader() as s:
        assert cases.case_of_resident(s, worker, person.id).id == case.id  # type: ignore[union-attr]


def test_approved_case_keeps_its_prices_when_the_district_changes_them(
    office_ws: Workspace, worker: Actor
) -> None:
    chief = supervisor(office_ws)
    approved = open_case(office_ws, worker, "甲", seq=61)
    _full_path(office_ws, worker, chief, approved.id)
    pending = open_case(office_ws, worker, "乙", seq=63)
    step(office_ws, worker, pending.id, Action.CHECK)
    assess(office_ws, worker, pending.id, [("R13", 300)])
    # The district's new price arrives (as sync would write it) together with a new cap.
    with office_ws.writer(Actor.system("sync")) as s:
        s.add(
            RetrofitCatalogueItem(
                id=stable_id("retrofit_item", "R13"),
                code="R13",
                part="如厕洗浴",
                name="如厕洗浴扶手",
                unit="个",
                basic=True,
                price_fen=35000,
                cap_fen=30000,
            )
        )
        settings.set_value(s, Actor.system("sync"), "retrofit.household_cap_yuan", 1000)
    step(office_ws, worker, pending.id, Action.SUBMIT)
    with office_ws.reader() as s:
        old = cases.detail(s, worker, approved.id)
        new = cases.detail(s, worker, pending.id)
        stored = s.get(RetrofitCase, approved.id)
    assert [i.unit_price_fen for i in old.items if i.item_code == "R13"] == [28000]
    assert old.totals.cost_fen == 344000 and old.totals.household_cap_fen == 300000
    assert (stored.cost_fen, stored.subsidy_fen) == (344000, 184000)  # type: ignore[union-attr]
    assert new.items[0].unit_price_fen == 35000 and new.totals.cost_fen == 105000
    assert new.totals.subsidy_fen == 90000  # 3 × 300 cap = 900 ≤ household cap 1,000


def test_catalogue_is_edited_only_at_the_district(
    office_ws: Workspace, worker: Actor, tmp_path: Path
) -> None:
    with (
        office_ws.writer(Actor.system("test")) as s,
        pytest.raises(PermissionDenied, match="区民政局"),
    ):
        catalogue.set_price(s, Actor.system("test"), "R01", 9000)
    from caseworker.district import service
    from caseworker.district.hub import Hub

    district = Actor.system("district")
    with Hub.open(tmp_path / "hub") as hub:
        service.init(hub, "测试区民政局")
        with hub.writer(district) as s:
            catalogue.set_price(s, district, "r01", 9000, 8500)
            catalogue.add(
                s,
                district,
                code="X01",
                part=catalogue.Part.AIDS,
                name="助浴凳",
                unit="个",
                price_fen=15000,
            )
            catalogue.retire(s, district, "R26")
            with pytest.raises(ValidationError, match="已被使用"):
                catalogue.add(
                    s,
                    district,
                    code="x01",
                    part=catalogue.Part.AIDS,
                    name="重复",
                    unit="个",
                    price_fen=1,
                )
            with pytest.raises(ValidationError, match="补贴上限"):
                catalogue.set_price(s, district, "R24", 5000, 6000)
        with hub.reader() as s:
            items = {i.code: i for i in catalogue.items(s)}
            everything = {i.code: i for i in catalogue.items(s, include_retired=True)}
    assert items["R01"].price_fen == 9000 and items["R01"].cap_fen == 8500
    assert items["X01"].name == "助浴凳" and not items["X01"].basic
    assert "R26" not in items and everything["R26"].retired
    assert len(everything) == 31


def test_tables_reach_their_office_and_the_catalogue_goes_everywhere() -> None:
    assert scope.office_path("retrofit_catalogue_item") is None
    assert scope.office_path("retrofit_case") == (
        ("community_id", "community"),
        ("office_id", "office"),
    )
    for table in ("retrofit_case_event", "retrofit_assessment_item", "retrofit_photo"):
        path = scope.office_path(table)
        assert path is not None and path[0] == ("case_id", "retrofit_case")
    assert scope.office_path("retrofit_contractor") == (("office_id", "office"),)


def test_case_list_filters_searches_and_work_lists(office_ws: Workspace, worker: Actor) -> None:
    chief = supervisor(office_ws)
    firm = contractor(office_ws, worker)
    a = open_case(office_ws, worker, "陈桂兰", seq=71)
    b = open_case(office_ws, worker, "陈建国", seq=73, community="安贞社区")
    c = open_case(office_ws, worker, "林淑芬", seq=75, applied_on=date(2025, 12, 1))
    step(office_ws, worker, a.id, Action.CHECK)
    _full_path(office_ws, worker, chief, b.id)
    step(
        office_ws,
        worker,
        b.id,
        Action.START,
        contractor_id=firm,
        start=date(2026, 10, 20),
        planned_end=date(2026, 11, 1),
    )

    def ids(**kw: object) -> list[str]:
        q = search.CaseQuery(**kw)  # type: ignore[arg-type]
        with office_ws.reader() as s:
            rows = search.page(s, worker, q, 0, 50, today=TODAY)
            assert search.count(s, worker, q, today=TODAY) == len(rows)
        return [r.id for r in rows]

    assert set(ids(text="陈")) == {a.id, b.id}
    assert ids(text="林淑") == [c.id]
    # Pinyin, as on the roster and the child register (issue 18: `aqs` found nothing).
    assert set(ids(text="cgl")) == {a.id} and set(ids(text="chen")) == {a.id, b.id}
    assert ids(text="linshufen") == [c.id] and ids(text="LSF") == [c.id]
    assert ids(text=c.case_no) == [c.id]
    assert set(ids(year=2026)) == {a.id, b.id} and ids(year=2025) == [c.id]
    assert ids(step=Step.APPLIED) == [c.id]
    assert ids(work_list="assess") == [a.id]
    assert ids(work_list="overdue") == [b.id]
    with office_ws.reader() as s:
        rows = search.page(s, worker, search.CaseQuery(work_list="overdue"), 0, 10, today=TODAY)
        counts = search.work_list_counts(s, worker, today=TODAY)
    assert rows[0].days_overdue == 17 and rows[0].contractor_name.startswith("安居")
    assert counts == {"assess": 1, "approve": 0, "overdue": 1, "inspect": 0}
    assert ids(text="2222") == [b.id, a.id, c.id]  # phone digits; newest application first


def test_the_case_list_sorts_names_by_pinyin(office_ws: Workspace, worker: Actor) -> None:
    """As the roster does (Excel's order of Chinese names); by character code it was
    丁 严 单 曾 王 阿."""
    names = ["王小红", "丁一", "严冬", "单雄信", "曾国藩", "阿秀"]
    for i, name in enumerate(names):
        open_case(office_ws, worker, name, seq=81 + 2 * i)
    with office_ws.reader() as s:
        up = search.page(s, worker, search.CaseQuery(sort="name", descending=False), 0, 50)
        down = search.page(s, worker, search.CaseQuery(sort="name"), 0, 50)
        found = search.page(s, worker, search.CaseQuery(text="x", sort="name"), 0, 50)
    expected = ["阿秀", "丁一", "单雄信", "王小红", "严冬", "曾国藩"]
    assert [r.name for r in up] == expected
    assert [r.name for r in down] == expected[::-1]
    # a search sorts its few matches the same way
    assert [r.name for r in found] == ["王小红", "单雄信", "阿秀"]  # xiaohong, xiongxin, xiu


def test_assessment_items_are_replaced_as_a_whole(office_ws: Workspace, worker: Actor) -> None:
    case = open_case(office_ws, worker)
    step(office_ws, worker, case.id, Action.CHECK)
    assess(office_ws, worker, case.id, [("R01", 1000), ("R13", 200)])
    with office_ws.reader() as s:
        first = cases.detail(s, worker, case.id).items
    with office_ws.writer(worker) as s:
        assessment.save_items(
            s,
            worker,
            case.id,
            [assessment.ItemDraft("R13", 300, "卫生间", "马桶旁", id=first[1].id)],
        )
        with pytest.raises(ValidationError, match="第 1 行"):
            assessment.save_items(s, worker, case.id, [assessment.ItemDraft("R13", 0)])
    with office_ws.reader() as s:
        after = cases.detail(s, worker, case.id).items
        gone = s.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.record_id == first[0].id, JournalEntry.op == "delete")
        )
    assert [(i.id, i.quantity_centi, i.note) for i in after] == [(first[1].id, 300, "马桶旁")]
    assert gone == 1


def test_a_district_account_holds_none_of_an_office_permission_on_a_case() -> None:
    """`permissions_of` answers for every actor the type allows: a district account (a role of
    the hub, which an office's table of permissions does not list) holds none, not a KeyError."""
    from caseworker.domain.roles import Actor, DistrictRole
    from caseworker.services.retrofit._common import permissions_of

    district = Actor("d1", "qu01", "区民政局", DistrictRole.CLERK)
    assert permissions_of(district) == frozenset()
    assert permissions_of(Actor.system("test")) is None
