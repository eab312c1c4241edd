"""Programme 3 as the bureau runs it: a child leaves the register (离册) with a reason and a date,
its cases closed with it, proposals at 18 and when every category ended; lists, figures and
reports count only children on the register on their day; evidence must fit the condition;
the conflicts list a child director reads is their community's."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from caseworker.domain import periods
from caseworker.domain.children import CaseStep, LeaveReason, Risk
from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor
from caseworker.services import reports
from caseworker.services.audit import record_history
from caseworker.services.children import cases, register, search, worklists
from caseworker.sync import conflicts
from caseworker.workspace import Workspace
from db.base import utcnow
from db.children import Child, ChildCase, ChildCondition
from db.sync_models import SyncConflict
from tests.services._children import TODAY, add_child

D = date(2026, 11, 10)


@pytest.fixture
def staff(child_staff: dict[str, Actor]) -> dict[str, Actor]:
    return child_staff  # add_child_staff(office_ws), from its template


def _case(ws: Workspace, sup: Actor, child_id: str, *, planned: bool = True) -> str:
    with ws.writer(sup) as s:
        case = cases.report(
            s, sup, cases.ReportDraft(child_id, "学校", D, "孩子常独自在家"), today=TODAY
        )
        if planned:
            cases.verify(s, sup, case.id, D, True, "属实", today=TODAY)
            cases.assess(s, sup, case.id, D, Risk.MEDIUM, [], "中", today=TODAY)
            cases.plan(
                s,
                sup,
                case.id,
                D,
                [cases.ServiceDraft("心理介入", "每周谈话", "王督导", date(2026, 12, 1))],
                today=TODAY,
            )
    return case.id


def test_leaving_closes_the_cases_keeps_the_history_and_empties_the_lists(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    sup, director = staff["dudao"], staff["ertong1"]
    child = add_child(office_ws, sup, "周小雨", date(2014, 6, 2))
    case_id = _case(office_ws, sup, child.id)
    with office_ws.writer(director) as s, pytest.raises(PermissionDenied, match="儿童督导员"):
        register.leave(s, director, child.id, LeaveReason.MOVED_AWAY, TODAY, today=TODAY)
    with office_ws.writer(sup) as s:
        with pytest.raises(ValidationError, match="不能早于登记日期"):
            register.leave(s, sup, child.id, LeaveReason.MOVED_AWAY, D, today=TODAY)
        with pytest.raises(ValidationError, match="年满 18 周岁"):
            register.leave(s, sup, child.id, LeaveReason.TURNED_18, TODAY, today=TODAY)
        info = register.leave(
            s, sup, child.id, LeaveReason.MOVED_AWAY, TODAY, "随父母迁往外省", today=TODAY
        )
    assert (info.status, info.left_on, info.left_reason) == ("离册", TODAY, "迁出本辖区")
    assert not info.on_register
    with office_ws.writer(sup) as s:  # reading a child's history is logged (a view-log row)
        case = s.get(ChildCase, case_id)
        assert (case.step, case.closed_on, case.close_reason) == ("结案", TODAY, "迁出本辖区")
        history = record_history(s, sup, "child", child.id)
        assert any(h.field == "status" and h.new_value == "离册" for h in history)
        # the register lists only children on it; the leavers are one filter away
        assert search.count(s, sup, search.ChildQuery(day=TODAY)) == 0
        left = search.page(s, sup, search.ChildQuery(register="离册", day=TODAY), 0, 10)
        assert [r.name for r in left] == ["周小雨"]
        lists = worklists.work_lists(s, sup, today=TODAY)
        assert not lists.visits_due and not lists.services_overdue and not lists.leaving
        assert worklists.figures(s, sup, today=TODAY).children == 0
    with office_ws.writer(sup) as s:
        with pytest.raises(ValidationError, match="已于 2026-11-18 离册"):
            register.leave(s, sup, child.id, LeaveReason.OTHER, TODAY, "再次", today=TODAY)
        with pytest.raises(ValidationError, match="离册"):
            cases.report(s, sup, cases.ReportDraft(child.id, "学校", TODAY, "又见到"), today=TODAY)
        # a form from before the leave is still typed back
        cases.record_visit(
            s,
            sup,
            cases.VisitDraft(child.id, D + timedelta(days=2), "入户", "赵主任", "正常"),
            today=TODAY,
        )
        back = register.rejoin(s, sup, child.id, TODAY, "又迁回本社区", today=TODAY)
    assert back.on_register and "恢复在册" in back.left_note


def test_proposals_at_18_and_when_every_category_ended(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    sup = staff["dudao"]
    older = add_child(office_ws, sup, "将成年", date(2008, 12, 2), seq=23)
    _case(office_ws, sup, older.id, planned=False)
    ended = add_child(office_ws, sup, "刑满", date(2015, 3, 1), seq=25)
    with office_ws.writer(sup) as s:
        father = register.add_guardian(s, sup, ended.id, register.GuardianDraft("父亲", "刑父"))
        mother = register.add_guardian(s, sup, ended.id, register.GuardianDraft("母亲", "某母"))
        for guardian, kind, start, end, evidence in (
            (father.id, "服刑在押", date(2025, 1, 5), date(2026, 12, 2), "羁押/服刑证明"),
            (mother.id, "死亡", date(2024, 5, 1), None, "死亡证明"),
        ):
            register.add_condition(
                s,
                sup,
                ended.id,
                register.ConditionDraft(
                    guardian, kind, start, evidence, "市监狱", start, end_on=end
                ),
                today=TODAY,
            )
    with office_ws.reader() as s:
        assert worklists.leave_items(s, sup, today=TODAY) == []
        on_birthday = worklists.leave_items(s, sup, today=date(2026, 12, 2))
        after_term = worklists.leave_items(s, sup, today=date(2026, 12, 3))
    assert [(i.child_name, i.reason, i.on) for i in on_birthday] == [
        ("将成年", "年满18周岁", date(2026, 12, 2))
    ]
    assert "1 件在办个案" in on_birthday[0].text
    assert [(i.child_name, i.reason) for i in after_term] == [
        ("将成年", "年满18周岁"),
        ("刑满", "不再符合保障条件"),
    ]
    with office_ws.writer(sup) as s:
        page = register.detail(s, sup, ended.id, today=date(2026, 12, 3))
        assert page.leave_proposal is not None and page.leave_proposal.on == date(2026, 12, 3)
        info = register.leave(
            s, sup, older.id, LeaveReason.TURNED_18, date(2026, 12, 2), today=date(2026, 12, 3)
        )
        assert info.left_on == date(2026, 12, 2)
        closed = s.scalars(select(ChildCase).where(ChildCase.child_id == older.id)).all()
        assert [(c.step, c.close_reason) for c in closed] == [("结案", "年满18周岁")]


def test_a_report_of_a_later_year_counts_no_grown_up_child_nor_their_open_cases(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    """The issue's case: a report dated 2040 still counted the children and their open cases."""
    sup = staff["dudao"]
    kid = add_child(office_ws, sup, "小明", date(2014, 6, 2))
    _case(office_ws, sup, kid.id)
    with office_ws.reader() as s:
        now = reports.build(s, sup, periods.month(TODAY), today=TODAY)
        later = reports.build(s, sup, periods.year(2040), today=date(2040, 12, 31))

    def regs(report: reports.Report) -> tuple[object, object]:
        section = report.sections[-1]
        reg = next(t for t in section.tables if t.key == "儿童类别").rows[-1]
        open_cases = next(t for t in section.tables if t.key == "儿童个案").rows[-1][4]
        return reg[1], open_cases

    assert regs(now) == (1, 1)
    assert regs(later) == (0, 0)  # 18 in 2032: off the register, its case not 在办
    with office_ws.reader() as s:
        assert worklists.figures(s, sup, today=date(2040, 1, 1)).children == 0
        assert search.count(s, sup, search.ChildQuery(day=date(2040, 1, 1))) == 0


def test_evidence_that_does_not_fit_is_refused_and_nothing_is_written(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    sup = staff["dudao"]
    kid = add_child(office_ws, sup, "证明", date(2014, 6, 2))
    with office_ws.writer(sup) as s:
        father = register.add_guardian(s, sup, kid.id, register.GuardianDraft("父亲", "某父"))
    for draft, field, words in (
        (  # the 失联 proved by a disability certificate
            register.ConditionDraft(
                father.id, "失联", date(2026, 1, 2), "残疾人证", "区残联", date(2026, 1, 2)
            ),
            "evidence_kind",
            "公安机关报案回执/证明",
        ),
        (  # evidence dated a year before the sentence began
            register.ConditionDraft(
                father.id,
                "服刑在押",
                date(2025, 9, 1),
                "羁押/服刑证明",
                "市监狱",
                date(2024, 9, 1),
                end_on=date(2027, 8, 31),
            ),
            "evidence_date",
            "早于",
        ),
    ):
        with office_ws.writer(sup) as s, pytest.raises(ValidationError, match=words) as err:
            register.add_condition(s, sup, kid.id, draft, today=TODAY)
        assert err.value.field == field
    with office_ws.reader() as s:
        assert s.scalars(select(ChildCondition)).all() == []
        assert s.get(Child, kid.id).categories == ""


def _conflict(ws: Workspace, table: str, record_id: str, value: str) -> None:
    with ws.writer(Actor.system("test")) as s:
        s.add(
            SyncConflict(
                table_name=table,
                record_id=record_id,
                field="address",
                reason="clock",
                kept_value='"现值"',
                lost_value=f'"{value}"',
                lost_hlc="",
                lost_device="dev",
                lost_actor="某人",
                detected_at=utcnow(),
            )
        )


def test_a_child_directors_conflicts_list_is_their_communitys(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    sup = staff["dudao"]
    here = add_child(office_ws, sup, "和平", date(2014, 6, 2))  # 和平里社区: ertong1's
    there = add_child(office_ws, sup, "安贞", date(2013, 6, 2), community="安贞社区", seq=41)
    here_case = _case(office_ws, sup, here.id)
    there_case = _case(office_ws, sup, there.id)
    with office_ws.reader() as s:
        here_event = s.scalar(
            select(cases.ChildCaseEvent.id).where(cases.ChildCaseEvent.case_id == here_case)
        )
        there_event = s.scalar(
            select(cases.ChildCaseEvent.id).where(cases.ChildCaseEvent.case_id == there_case)
        )
    _conflict(office_ws, "child", here.id, "和平里的值")
    _conflict(office_ws, "child_case_event", here_event, "和平里的经过")
    _conflict(office_ws, "child", there.id, "安贞的值")
    _conflict(office_ws, "child_case_event", there_event, "安贞的经过")
    _conflict(office_ws, "child_office_key", "k" * 36, "密钥")
    _conflict(office_ws, "elderly_resident", "r" * 36, "老人")
    with office_ws.reader() as s:
        seen = {
            who: sorted(c.lost_value for c in conflicts.list_conflicts(s, staff[who]))
            for who in ("dudao", "ertong1", "ertong2")
        }
        counts = {who: conflicts.count_conflicts(s, staff[who]) for who in seen}
    assert seen["ertong1"] == ["和平里的值", "和平里的经过"]
    assert seen["ertong2"] == ["安贞的值", "安贞的经过"]
    assert len(seen["dudao"]) == 5  # every child record and the key, no elderly one
    assert counts == {who: len(values) for who, values in seen.items()}
    with office_ws.writer(staff["ertong1"]) as s, pytest.raises(PermissionDenied):
        first = conflicts.list_conflicts(s, staff["ertong1"])[0]
        conflicts.resolve(s, staff["ertong1"], first.id, "keep")  # reading, not deciding


def test_the_case_step_of_a_left_child_is_closed_at_the_leave_not_before_its_report(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    sup = staff["dudao"]
    kid = add_child(office_ws, sup, "后报", date(2014, 6, 2))
    case_id = _case(office_ws, sup, kid.id, planned=False)
    with office_ws.writer(sup) as s:
        register.leave(s, sup, kid.id, LeaveReason.ADOPTED, TODAY, today=TODAY)
        row = s.get(ChildCase, case_id)
        assert row.step == CaseStep.CLOSED.value and row.closed_on >= row.reported_on
