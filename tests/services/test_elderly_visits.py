"""Visits: drafts, completion locks, amendments keep the original, refusals save nothing,
referrals tracked until closed, next due date follows the visits."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from caseworker.domain.elderly import Category, Tier
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor
from caseworker.domain.visit_form import Method, ReferralStatus, VisitStatus
from caseworker.services.elderly import roster, schedule, visits
from caseworker.workspace import Workspace
from db.elderly import ElderlyReferral, ElderlyVisit, ElderlyVisitAmendment
from db.models import JournalEntry
from tests.services._elderly import TODAY, add


@pytest.fixture
def person(office_ws: Workspace, worker: Actor) -> roster.ResidentInfo:
    return add(
        office_ws,
        worker,
        "王秀英",
        date(1944, 5, 6),
        categories=frozenset({Category.LIVING_ALONE}),
    )


def draft(person: roster.ResidentInfo, **kw: object) -> visits.VisitDraft:
    base: dict[str, object] = {
        "resident_id": person.id,
        "visit_date": date(2026, 11, 10),
        "method": Method.HOME,
        "visitors": ("李专干",),
        "health_mental": "良好",
        "safety_hazards": "用电、跌倒风险",
        "problems": "卫生间地滑",
    }
    base.update(kw)
    return visits.VisitDraft(**base)  # type: ignore[arg-type]


def count(ws: Workspace, model: type) -> int:
    with ws.reader() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_complete_locks_and_schedules(
    office_ws: Workspace, worker: Actor, person: roster.ResidentInfo
) -> None:
    assert person.tier is Tier.KEY
    with office_ws.writer(worker) as s:
        v = visits.complete(s, worker, draft(person), today=TODAY)
    assert v.locked and v.status is VisitStatus.COMPLETED
    with office_ws.reader() as s:
        row = s.get(ElderlyVisit, v.id)
        assert row is not None and row.merge_locked()
        after = roster.get(s, worker, person.id, today=TODAY)
    assert after.last_visit_on == date(2026, 11, 10)
    assert after.next_due == date(2026, 12, 10)  # key tier: 30 days
    with office_ws.writer(worker) as s:  # an earlier proposal wins
        visits.amend(
            s, worker, v.id, {"next_visit_on": date(2026, 11, 24)}, "老人下周复查", today=TODAY
        )
    with office_ws.reader() as s:
        assert roster.get(s, worker, person.id, today=TODAY).next_due == date(2026, 11, 24)


def test_draft_is_editable_and_not_counted(
    office_ws: Workspace, worker: Actor, person: roster.ResidentInfo
) -> None:
    with office_ws.writer(worker) as s:
        d = visits.save_draft(s, worker, draft(person, visitors=()), today=TODAY)
    assert not d.locked and d.status is VisitStatus.DRAFT
    with office_ws.reader() as s:
        assert roster.get(s, worker, person.id, today=TODAY).last_visit_on is None
    with office_ws.writer(worker) as s:
        d2 = visits.save_draft(
            s, worker, draft(person, problems="改过"), visit_id=d.id, today=TODAY
        )
    assert d2.values.problems == "改过"
    with pytest.raises(ValidationError, match="探访人"), office_ws.writer(worker) as s:
        visits.complete(s, worker, draft(person, visitors=()), visit_id=d.id, today=TODAY)
    with office_ws.writer(worker) as s:
        done = visits.complete(s, worker, draft(person), visit_id=d.id, today=TODAY)
    assert done.id == d.id and done.locked
    with pytest.raises(ValidationError, match="锁定"), office_ws.writer(worker) as s:
        visits.save_draft(s, worker, draft(person, problems="偷偷改"), visit_id=d.id, today=TODAY)
    assert count(office_ws, ElderlyVisit) == 1


def test_amendment_keeps_the_original(
    office_ws: Workspace, worker: Actor, person: roster.ResidentInfo
) -> None:
    with office_ws.writer(worker) as s:
        v = visits.complete(s, worker, draft(person), today=TODAY)
    with pytest.raises(ValidationError, match="更正原因") as err, office_ws.writer(worker) as s:
        visits.amend(s, worker, v.id, {"problems": "卫生间和厨房地滑"}, "", today=TODAY)
    assert err.value.field == "reason"
    with office_ws.writer(worker) as s:
        amended = visits.amend(
            s,
            worker,
            v.id,
            {
                "problems": "卫生间和厨房地滑",
                "visit_date": date(2026, 11, 11),
                "health_mental": "良好",
            },
            "录入时漏写厨房；日期抄错",
            today=TODAY,
        )
    assert amended.values.problems == "卫生间和厨房地滑"
    assert amended.values.visit_date == date(2026, 11, 11)
    assert amended.original.problems == "卫生间地滑"
    assert amended.original.visit_date == date(2026, 11, 10)
    # Unchanged fields make no amendment rows.
    assert amended.amended_fields == {"problems", "visit_date"}
    first = {a.field: a for a in amended.amendments}
    assert (
        first["visit_date"].old_value == "2026-11-10"
        and first["visit_date"].new_value == "2026-11-11"
    )
    assert first["problems"].amended_by == "李专干" and first["problems"].reason.startswith(
        "录入时"
    )
    with office_ws.reader() as s:
        row = s.get(ElderlyVisit, v.id)
        assert row is not None and row.problems == "卫生间地滑"  # the row itself never changed
        assert row.effective_date == date(2026, 11, 11)
        assert roster.get(s, worker, person.id, today=TODAY).last_visit_on == date(2026, 11, 11)
        journaled = s.scalars(
            select(JournalEntry.table_name).where(
                JournalEntry.table_name == "elderly_visit_amendment"
            )
        ).all()
        assert len(journaled) == 2
        updates_of_visit = s.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.record_id == v.id, JournalEntry.op == "update")
        )
        assert updates_of_visit == 0
    with pytest.raises(ValidationError, match="没有任何改动"), office_ws.writer(worker) as s:
        visits.amend(s, worker, v.id, {"problems": "卫生间和厨房地滑"}, "再来一次", today=TODAY)


def test_a_corrected_visit_date_takes_the_forms_proposed_next_visit_along(
    office_ws: Workspace, worker: Actor, person: roster.ResidentInfo
) -> None:
    """Issue 18: after a visit date was corrected, the visit row said 下次探访 2027-01-02 and the
    resident's 下次应访 2027-01-01. The form's own proposal follows the date; a chosen one stays."""
    with office_ws.reader() as s:
        proposal = schedule.propose_next_visit(s, worker, person.id, date(2026, 11, 10))
    with office_ws.writer(worker) as s:
        v = visits.complete(s, worker, draft(person, next_visit_on=proposal), today=TODAY)
        amended = visits.amend(
            s, worker, v.id, {"visit_date": date(2026, 11, 8)}, "日期抄错", today=TODAY
        )
    moved = schedule.propose_next_visit
    with office_ws.reader() as s:
        expected = moved(s, worker, person.id, date(2026, 11, 8))
        due = roster.get(s, worker, person.id, today=TODAY).next_due
    assert amended.values.next_visit_on == expected == due
    assert amended.amended_fields == {"visit_date", "next_visit_on"}
    assert {a.reason for a in amended.amendments} == {"日期抄错"}
    # A next visit the visitor chose (earlier than the standard) is theirs: it stays.
    chosen = date(2026, 11, 25)
    with office_ws.writer(worker) as s:
        w = visits.complete(
            s,
            worker,
            draft(person, visit_date=date(2026, 11, 12), next_visit_on=chosen),
            today=TODAY,
        )
        again = visits.amend(
            s, worker, w.id, {"visit_date": date(2026, 11, 13)}, "抄错", today=TODAY
        )
    assert again.values.next_visit_on == chosen and again.amended_fields == {"visit_date"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"visit_date": date(2026, 11, 19)}, "visit_date"),  # in the future
        ({"visit_date": date(1944, 5, 5)}, "visit_date"),  # before birth
        ({"next_visit_on": date(2026, 11, 10)}, "next_visit_on"),  # not after the visit
        ({"method": "上门"}, "method"),
        ({"family_contact": "天天"}, "family_contact"),
    ],
)
def test_bad_visits_are_refused_and_nothing_is_saved(
    office_ws: Workspace, worker: Actor, person: roster.ResidentInfo, changes: dict, field: str
) -> None:
    with pytest.raises(ValidationError) as err, office_ws.writer(worker) as s:
        visits.complete(
            s,
            worker,
            draft(person, **changes),
            referrals=[visits.ReferralDraft("医疗机构", date(2026, 11, 30), "复查")],
            today=TODAY,
        )
    assert err.value.field == field
    assert count(office_ws, ElderlyVisit) == 0
    assert count(office_ws, ElderlyReferral) == 0
    with office_ws.reader() as s:
        assert roster.get(s, worker, person.id, today=TODAY).last_visit_on is None


def test_bad_amendment_saves_nothing(
    office_ws: Workspace, worker: Actor, person: roster.ResidentInfo
) -> None:
    with office_ws.writer(worker) as s:
        v = visits.complete(s, worker, draft(person), today=TODAY)
    with pytest.raises(ValidationError) as err, office_ws.writer(worker) as s:
        visits.amend(
            s, worker, v.id, {"problems": "改", "visit_date": date(2027, 1, 1)}, "原因", today=TODAY
        )
    assert err.value.field == "visit_date"
    assert count(office_ws, ElderlyVisitAmendment) == 0


def test_referrals_are_tracked_until_closed(
    office_ws: Workspace, worker: Actor, person: roster.ResidentInfo
) -> None:
    with office_ws.writer(worker) as s:
        v = visits.complete(
            s,
            worker,
            draft(person),
            referrals=[
                visits.ReferralDraft("医疗机构", date(2026, 11, 15), "复查血压", worker.staff_id),
                visits.ReferralDraft("适老化改造", date(2026, 12, 20), "卫生间扶手"),
            ],
            today=TODAY,
        )
    assert len(v.referrals) == 2
    with office_ws.reader() as s:
        open_rows = schedule.open_referrals(s, worker, today=TODAY)
        mine = schedule.open_referrals(s, worker, owner_id=worker.staff_id, today=TODAY)
    assert [r.target for r in open_rows] == ["医疗机构", "适老化改造"]
    assert open_rows[0].days_overdue == 3 and open_rows[1].days_overdue == 0
    assert [r.owner_name for r in mine] == ["李专干"]
    ref = v.referrals[0]
    with pytest.raises(ValidationError, match="办理结果"), office_ws.writer(worker) as s:
        visits.update_referral(s, worker, ref.id, ReferralStatus.CLOSED, today=TODAY)
    with office_ws.writer(worker) as s:
        visits.update_referral(s, worker, ref.id, ReferralStatus.IN_PROGRESS, today=TODAY)
        closed = visits.update_referral(
            s, worker, ref.id, ReferralStatus.CLOSED, "已预约社区医生", today=TODAY
        )
    assert closed.status is ReferralStatus.CLOSED and closed.closed_on == TODAY
    with office_ws.reader() as s:
        assert [r.target for r in schedule.open_referrals(s, worker, today=TODAY)] == ["适老化改造"]
    with pytest.raises(ValidationError) as err, office_ws.writer(worker) as s:
        visits.add_referral(s, worker, v.id, visits.ReferralDraft("医疗机构", date(2026, 11, 1)))
    assert err.value.field == "due_on"


def test_no_visit_after_death(
    office_ws: Workspace, worker: Actor, person: roster.ResidentInfo
) -> None:
    from caseworker.domain.elderly import Status

    with office_ws.writer(worker) as s:
        roster.set_status(s, worker, person.id, Status.DECEASED, date(2026, 11, 5), today=TODAY)
    with pytest.raises(ValidationError, match="去世") as err, office_ws.writer(worker) as s:
        visits.complete(s, worker, draft(person), today=TODAY)
    assert err.value.field == "visit_date"
    with office_ws.writer(worker) as s:  # a visit typed back from before the death is fine
        visits.complete(s, worker, draft(person, visit_date=date(2026, 11, 1)), today=TODAY)
    with office_ws.reader() as s:
        info = roster.get(s, worker, person.id, today=TODAY)
    assert info.next_due is None and info.last_visit_on == date(2026, 11, 1)


def test_propose_next_visit_follows_the_tier_setting(
    office_ws: Workspace, worker: Actor, admin: Actor, person: roster.ResidentInfo
) -> None:
    from caseworker.services import settings

    with office_ws.reader() as s:
        assert schedule.propose_next_visit(s, worker, person.id, date(2026, 11, 10)) == date(
            2026, 12, 10
        )
    with office_ws.writer(admin) as s:
        settings.set_value(s, admin, "visit.interval_days.key", 14)
    with office_ws.reader() as s:
        assert schedule.propose_next_visit(s, worker, person.id, date(2026, 11, 10)) == date(
            2026, 11, 24
        )


def test_detail_shows_visits_newest_first(
    office_ws: Workspace, worker: Actor, person: roster.ResidentInfo
) -> None:
    with office_ws.writer(worker) as s:
        visits.complete(s, worker, draft(person, visit_date=date(2026, 9, 1)), today=TODAY)
        visits.complete(s, worker, draft(person, visit_date=date(2026, 10, 1)), today=TODAY)
        visits.save_draft(s, worker, draft(person, visit_date=date(2026, 11, 1)), today=TODAY)
    with office_ws.reader() as s:
        d = roster.detail(s, worker, person.id, today=TODAY)
    assert [v.visit_date for v in d.visits] == [
        date(2026, 11, 1),
        date(2026, 10, 1),
        date(2026, 9, 1),
    ]
    assert d.visits[0].status is VisitStatus.DRAFT
    assert d.resident.last_visit_on == date(2026, 10, 1)
