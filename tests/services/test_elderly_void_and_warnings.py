"""A visit typed twice: warned before completing; a supervisor voids it, the history keeps it,
the schedule and the month's rate no longer count it, and the void travels in the journal."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from caseworker.domain.elderly import Category, Tier
from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.services.elderly import roster, schedule, visits
from caseworker.workspace import Workspace
from db.elderly import ElderlyVisit
from db.models import JournalEntry
from tests.conftest import STAFF_PASSWORD, login
from tests.services._elderly import TODAY, add
from tests.services.test_elderly_visits import draft as thin_draft


@pytest.fixture
def person(office_ws: Workspace, worker: Actor) -> roster.ResidentInfo:
    return add(
        office_ws,
        worker,
        "王秀英",
        date(1944, 5, 6),
        categories=frozenset({Category.LIVING_ALONE}),
        enrolled_on=date(2026, 10, 1),
    )


@pytest.fixture
def supervisor(office_ws: Workspace, system: Actor) -> Actor:
    with office_ws.writer(system) as s:
        accounts.create_staff(
            s,
            system,
            accounts.StaffDraft("kezhang", "赵科长", Role.SUPERVISOR),
            STAFF_PASSWORD,
            force_password_change=False,
        )
    return login(office_ws, "kezhang", STAFF_PASSWORD)


def draft(person: roster.ResidentInfo, **kw: object) -> visits.VisitDraft:
    """A visit with something written in every area of the form."""
    full = {"living_food": "有保障", "family_contact": "经常", "needs_services": "无"}
    return thin_draft(person, **{**full, **kw})


def _warnings(ws: Workspace, actor: Actor, d: visits.VisitDraft) -> list[str]:
    with ws.reader() as s:
        return visits.warnings(s, actor, d, today=TODAY)


def test_the_same_paper_form_twice_is_warned(
    office_ws: Workspace, worker: Actor, person: roster.ResidentInfo
) -> None:
    assert person.tier is Tier.KEY  # visited monthly: a second visit the same week is odd
    first = draft(person, visit_date=date(2026, 11, 10))
    assert _warnings(office_ws, worker, first) == []
    with office_ws.writer(worker) as s:
        visits.complete(s, worker, first, today=TODAY)
    same_day = _warnings(office_ws, worker, first)
    assert len(same_day) == 1 and "同一天" in same_day[0] and "2026-11-10" in same_day[0]
    same_week = _warnings(office_ws, worker, draft(person, visit_date=date(2026, 11, 14)))
    assert len(same_week) == 1 and "同一周内" in same_week[0]
    assert _warnings(office_ws, worker, draft(person, visit_date=date(2026, 11, 17))) == []


def test_a_high_risk_resident_may_be_visited_twice_a_week(
    office_ws: Workspace, worker: Actor
) -> None:
    frail = add(
        office_ws,
        worker,
        "李桂兰",
        date(1938, 2, 2),
        seq=21,
        categories=frozenset({Category.LIVING_ALONE, Category.SEVERELY_DISABLED}),
    )
    with office_ws.writer(worker) as s:
        roster.set_tier(s, worker, frail.id, Tier.HIGH_RISK, "独居重残", today=TODAY)
        visits.complete(s, worker, draft(frail, visit_date=date(2026, 11, 10)), today=TODAY)
    assert _warnings(office_ws, worker, draft(frail, visit_date=date(2026, 11, 13))) == []
    assert "同一天" in _warnings(office_ws, worker, draft(frail, visit_date=date(2026, 11, 10)))[0]


def test_blank_areas_are_named(
    office_ws: Workspace, worker: Actor, person: roster.ResidentInfo
) -> None:
    thin = visits.VisitDraft(
        person.id, date(2026, 11, 10), visitors=("李专干",), health_mental="良好"
    )
    (said,) = _warnings(office_ws, worker, thin)
    assert "二、生活与经济" in said and "五、服务需求" in said and "一、健康状况" not in said


def test_a_supervisor_voids_a_duplicate_and_it_stops_counting(
    office_ws: Workspace, worker: Actor, supervisor: Actor, person: roster.ResidentInfo
) -> None:
    with office_ws.writer(worker) as s:
        visits.complete(s, worker, draft(person, visit_date=date(2026, 11, 3)), today=TODAY)
        dup = visits.complete(s, worker, draft(person, visit_date=date(2026, 11, 10)), today=TODAY)
    with office_ws.reader() as s:
        before = roster.get(s, worker, person.id)
    assert before.last_visit_on == date(2026, 11, 10)
    with office_ws.writer(worker) as s, pytest.raises(PermissionDenied):
        visits.void(s, worker, dup.id, "重复录入")
    with office_ws.writer(supervisor) as s, pytest.raises(ValidationError):
        visits.void(s, supervisor, dup.id, "  ")
    with office_ws.writer(supervisor) as s:
        voided = visits.void(s, supervisor, dup.id, "同一张纸质表录入了两次", today=TODAY)
    assert voided.voided and voided.void.reason == "同一张纸质表录入了两次"
    assert voided.void.amended_by == "赵科长"
    assert voided.values == dup.values  # the record itself is untouched
    with office_ws.reader() as s:
        after = roster.get(s, worker, person.id)
        history = visits.history(s, worker, person.id)
        row = s.get(ElderlyVisit, dup.id)
        journaled = s.scalar(
            select(JournalEntry.actor_name).where(
                JournalEntry.table_name == "elderly_visit_amendment"
            )
        )
        november = schedule.visit_rates(s, worker, date(2026, 11, 1), today=TODAY)
        october = schedule.visit_rates(s, worker, date(2026, 10, 1), today=TODAY)
    assert after.last_visit_on == date(2026, 11, 3)  # the voided visit no longer counts
    assert [(h.visit_date, h.status_text) for h in history] == [
        (date(2026, 11, 10), "已作废"),
        (date(2026, 11, 3), "已完成"),
    ]
    assert row is not None and row.status == "已完成"  # kept, byte for byte
    assert journaled == "赵科长"  # the void is journaled (and travels) like any amendment
    assert november[-1].visited == 1
    assert october[-1].visited == 0
    with office_ws.writer(supervisor) as s, pytest.raises(ValidationError):
        visits.void(s, supervisor, dup.id, "再作废一次")
    with office_ws.writer(worker) as s, pytest.raises(ValidationError):
        visits.amend(s, worker, dup.id, {"problems": "x"}, "补充")
    # voiding the only visit of a past month takes it out of that month's (historical) rate
    with office_ws.writer(worker) as s:
        old = visits.complete(s, worker, draft(person, visit_date=date(2026, 10, 20)), today=TODAY)
    with office_ws.reader() as s:
        assert schedule.visit_rates(s, worker, date(2026, 10, 1), today=TODAY)[-1].visited == 1
    with office_ws.writer(supervisor) as s:
        visits.void(s, supervisor, old.id, "录错了老人", today=TODAY)
    with office_ws.reader() as s:
        assert schedule.visit_rates(s, worker, date(2026, 10, 1), today=TODAY)[-1].visited == 0


def test_the_history_agrees_with_each_visit_read_alone_in_two_statements(
    office_ws: Workspace, worker: Actor, supervisor: Actor, person: roster.ResidentInfo
) -> None:
    """history() reads the amendments of all the resident's visits in one join (issue 9: one
    query per visit before); what it shows is what each visit's own read says."""
    from sqlalchemy import event

    with office_ws.writer(worker) as s:
        made = [
            visits.complete(s, worker, draft(person, visit_date=date(2026, 10, d)), today=TODAY)
            for d in (6, 13, 20, 27)
        ]
        visits.amend(s, worker, made[0].id, {"visit_date": date(2026, 10, 7)}, "日期写错")
        visits.amend(s, worker, made[1].id, {"problems": "腿脚不便"}, "漏写")
        visits.amend(s, worker, made[1].id, {"problems": "腿脚不便，需扶手"}, "补充")
    with office_ws.writer(supervisor) as s:
        visits.void(s, supervisor, made[2].id, "重复录入", today=TODAY)
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *rest: object) -> None:
        statements.append(statement)

    with office_ws.reader() as s:
        engine = s.get_bind()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            history = visits.history(s, worker, person.id)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        alone = {v.id: visits.get(s, worker, v.id) for v in made}
    assert len([q for q in statements if q.lstrip().upper().startswith("SELECT")]) == 2
    assert [h.id for h in history] == [made[3].id, made[2].id, made[1].id, made[0].id]
    for h in history:
        info = alone[h.id]
        assert (h.visit_date, h.problems, h.next_visit_on) == (
            info.values.visit_date,
            info.values.problems,
            info.values.next_visit_on,
        )
        assert (h.amended, h.voided, h.status) == (bool(info.amendments), info.voided, info.status)
    assert history[3].visit_date == date(2026, 10, 7) and history[2].problems == "腿脚不便，需扶手"
    assert history[1].voided and not history[0].amended
