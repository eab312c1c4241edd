"""Major changes (跌倒, 住院, 失去照料人, 家属联系不上): recorded in a visit, a referral's outcome,
a change of status or by itself, each makes a visit due the next day and proposes the 高风险
tier; the 工作台 lists them first; the next visit answers them; the month's rate, its
history path and the report agree."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from caseworker.domain import periods
from caseworker.domain.elderly import Category, ChangeSource, MajorChange, Status, Tier
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor
from caseworker.domain.visit_form import Method, ReferralStatus
from caseworker.services import reports
from caseworker.services.elderly import changes, roster, schedule, visits
from caseworker.services.reports.elderly import visit_counts
from caseworker.workspace import Workspace
from tests.services._elderly import TODAY, add

EMPTY_NEST = frozenset({Category.EMPTY_NEST})  # 重点: monthly


def _visit(
    ws: Workspace, a: Actor, rid: str, day: date, *, found: tuple[MajorChange, ...] = ()
) -> visits.VisitInfo:
    with ws.writer(a) as s:
        return visits.complete(
            s,
            a,
            visits.VisitDraft(rid, day, method=Method.PHONE, visitors=("李专干",)),
            changes=found,
            today=TODAY,
        )


def _due(ws: Workspace, a: Actor, rid: str) -> date | None:
    with ws.reader() as s:
        return roster.get(s, a, rid, today=TODAY).next_due


def test_a_change_found_in_a_visit_makes_a_visit_due_the_next_day(
    office_ws: Workspace, worker: Actor
) -> None:
    r = add(office_ws, worker, "跌倒", date(1940, 1, 1), categories=EMPTY_NEST)
    _visit(office_ws, worker, r.id, date(2026, 11, 2))
    assert _due(office_ws, worker, r.id) == date(2026, 12, 2)  # monthly
    # a phone call on 11-10 hears she fell: a visit is due on 11-11, not 12-10
    _visit(office_ws, worker, r.id, date(2026, 11, 10), found=(MajorChange.FALL,))
    assert _due(office_ws, worker, r.id) == date(2026, 11, 11)
    with office_ws.reader() as s:
        items = changes.open_changes(s, worker, today=TODAY)
        page = roster.detail(s, worker, r.id, today=TODAY)
    assert [(i.name, i.kind, i.due, i.days_overdue) for i in items] == [
        ("跌倒", "跌倒", date(2026, 11, 11), 7)
    ]
    assert items[0].proposal == "建议调为高风险"
    assert page.change_proposal.startswith("建议调为高风险")
    assert page.changes[0].source == ChangeSource.VISIT.value and not page.changes[0].answered
    # the next visit answers it: the tier's interval applies again from that visit
    _visit(office_ws, worker, r.id, date(2026, 11, 12))
    assert _due(office_ws, worker, r.id) == date(2026, 12, 12)
    with office_ws.reader() as s:
        assert changes.open_changes(s, worker, today=TODAY) == []
        assert changes.open_count(s, worker) == 0
        assert roster.detail(s, worker, r.id, today=TODAY).change_proposal == ""


def test_a_referral_outcome_a_hospital_stay_and_a_change_by_itself_each_count(
    office_ws: Workspace, worker: Actor
) -> None:
    a = add(office_ws, worker, "转介", date(1940, 1, 1), seq=13, categories=EMPTY_NEST)
    b = add(office_ws, worker, "住院", date(1940, 1, 2), seq=15, categories=EMPTY_NEST)
    c = add(office_ws, worker, "独自", date(1940, 1, 3), seq=17, categories=EMPTY_NEST)
    for rid in (a.id, b.id, c.id):
        _visit(office_ws, worker, rid, date(2026, 11, 2))
    with office_ws.writer(worker) as s:
        v = visits.complete(
            s,
            worker,
            visits.VisitDraft(a.id, date(2026, 11, 3), visitors=("李专干",)),
            referrals=[visits.ReferralDraft("医疗机构", date(2026, 11, 20))],
            today=TODAY,
        )
        visits.update_referral(
            s,
            worker,
            v.referrals[0].id,
            ReferralStatus.CLOSED,
            "就医时得知老伴去世，无人照料",
            closed_on=date(2026, 11, 14),
            change=MajorChange.CARER_LOST,
            today=TODAY,
        )
        roster.set_status(s, worker, b.id, Status.HOSPITAL, date(2026, 11, 15), today=TODAY)
        changes.record(
            s, worker, c.id, MajorChange.FAMILY_UNREACHABLE, date(2026, 11, 16), today=TODAY
        )
        with pytest.raises(ValidationError, match="晚于今天"):
            changes.record(s, worker, c.id, MajorChange.FALL, TODAY + timedelta(1), today=TODAY)
        with pytest.raises(ValidationError, match="只能选"):
            changes.record(s, worker, c.id, "走失", TODAY, today=TODAY)  # type: ignore[arg-type]
    assert _due(office_ws, worker, a.id) == date(2026, 11, 15)
    assert _due(office_ws, worker, b.id) == date(2026, 11, 16)
    assert _due(office_ws, worker, c.id) == date(2026, 11, 17)
    with office_ws.reader() as s:
        items = changes.open_changes(s, worker, today=TODAY)
    assert [(i.name, i.kind) for i in items] == [
        ("转介", "失去照料人"),
        ("住院", "住院"),
        ("独自", "家属联系不上"),
    ]
    with office_ws.writer(worker) as s:
        roster.set_tier(s, worker, c.id, Tier.HIGH_RISK, "家属联系不上", today=TODAY)
    with office_ws.reader() as s:
        proposals = {i.name: i.proposal for i in changes.open_changes(s, worker, today=TODAY)}
    assert proposals == {"转介": "建议调为高风险", "住院": "建议调为高风险", "独自": ""}


def test_the_months_rate_its_history_and_the_report_agree_with_a_change(
    office_ws: Workspace, worker: Actor
) -> None:
    """A change known in November makes a person due in November who was not; both paths of
    the month's rate and the report count them alike."""
    r = add(office_ws, worker, "十月", date(1940, 1, 1), categories=EMPTY_NEST)
    _visit(office_ws, worker, r.id, date(2026, 10, 28))  # due 11-27 by the tier
    late = add(office_ws, worker, "月底", date(1940, 1, 2), seq=13, categories=EMPTY_NEST)
    _visit(office_ws, worker, late.id, date(2026, 10, 25))
    with office_ws.writer(worker) as s:
        changes.record(s, worker, r.id, MajorChange.FALL, date(2026, 11, 5), today=TODAY)
    nov = date(2026, 11, 1)
    with office_ws.reader() as s:
        current = {x.community_name: (x.due, x.visited) for x in schedule.visit_rates(
            s, worker, nov, today=TODAY)}  # fmt: skip
        history = {x.community_name: (x.due, x.visited) for x in schedule.visit_rates(
            s, worker, nov, today=date(2027, 3, 1))}  # fmt: skip
        counts = visit_counts(s, worker, [nov], today=TODAY)
        report = reports.build(s, worker, periods.month(nov), today=TODAY)
    assert current == history
    assert current["和平里社区"] == (2, 0)  # both due: 十月 by the change, 月底 by the tier
    assert sum(c.due for c in counts.values()) == 2
    row = next(t for t in report.sections[0].tables if t.key == "探访情况").rows[0]
    assert row[:3] == ("和平里社区", 2, 0)


def test_a_voided_visit_counts_neither_in_the_rate_nor_in_the_report(
    office_ws: Workspace, worker: Actor, admin: Actor
) -> None:
    from tests.services._retrofit import supervisor

    chief = supervisor(office_ws)
    r = add(office_ws, worker, "作废", date(1940, 1, 1), categories=EMPTY_NEST)
    v = _visit(office_ws, worker, r.id, date(2026, 11, 3))
    with office_ws.writer(chief) as s:
        visits.void(s, chief, v.id, "重复录入的表", today=TODAY)
    nov = date(2026, 11, 1)
    with office_ws.reader() as s:
        rates = schedule.visit_rates(s, worker, nov, today=TODAY)
        report = reports.build(s, worker, periods.month(nov), today=TODAY)
    table = next(t for t in report.sections[0].tables if t.key == "探访情况")
    assert (rates[-1].due, rates[-1].visited) == (1, 0)
    assert table.rows[-1][1:3] == (1, 0)
    assert table.rows[-1][6:8] == (0, 0)  # 探访人数, 探访次数: the voided visit is not one
