"""Programme 3 rules: age, every condition, the parent matrix, the 6-month day boundaries,
left-behind under 16, lapses flagged for review, and the case's steps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseworker.domain import children as r
from caseworker.domain.children import (
    CaseAction,
    CaseStep,
    ChildCategory,
    ChildFact,
    Condition,
    ParentCondition,
)

P = ParentCondition
TODAY = date(2026, 11, 18)
BIRTH = date(2015, 3, 1)
DEFACTO_KINDS = sorted(r.DE_FACTO_CONDITIONS)


def cond(kind: str, start: date = date(2025, 1, 10), **kw: object) -> Condition:
    if kind == P.SEVERE_DISABILITY and "disability_grade" not in kw:
        kw = {"disability_kind": "肢体", "disability_grade": 1, **kw}
    return Condition(kind, start, **kw)  # type: ignore[arg-type]


def finding(facts: r.ChildFacts, cat: ChildCategory, day: date = TODAY) -> r.Finding:
    return next(f for f in r.evaluate(facts, day) if f.category is cat)


# -- age ----------------------------------------------------------------------------------------


def test_age_refused_at_18_warned_at_17_and_plain_below() -> None:
    assert not r.check_age(date(2008, 11, 18), TODAY).allowed  # 18 today
    seventeen = r.check_age(date(2008, 11, 19), TODAY)  # 18 tomorrow
    assert (
        seventeen.allowed and "2026年11月19日" in seventeen.message and "1 天" in seventeen.message
    )
    months = r.check_age(date(2009, 5, 20), TODAY)
    assert months.allowed and "还有 6 个月" in months.message
    assert r.check_age(date(2009, 11, 19), TODAY).message == ""  # 16


def test_leap_day_birthday_turns_18_on_1_march() -> None:
    assert r.birthday(date(2008, 2, 29), 18) == date(2026, 3, 1)
    assert r.check_age(date(2008, 2, 29), date(2026, 2, 28)).allowed
    assert not r.check_age(date(2008, 2, 29), date(2026, 3, 1)).allowed


@given(st.dates(date(2000, 1, 1), date(2030, 12, 31)), st.integers(0, 40))
def test_add_months_never_overflows_and_keeps_order(day: date, months: int) -> None:
    later = r.add_months(day, months)
    assert later >= day
    assert (later.year - day.year) * 12 + later.month - day.month == months


# -- single conditions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", [k for k in P if k not in r.TERM_CONDITIONS and k != P.UNREACHABLE]
)
def test_plain_conditions_hold_from_their_date_until_they_end(kind: ParentCondition) -> None:
    status = r.condition_status(cond(kind, date(2026, 3, 1), ended_on=date(2026, 9, 1)))
    assert status.counts
    assert not status.holds_on(date(2026, 2, 28))
    assert status.holds_on(date(2026, 3, 1)) and status.holds_on(date(2026, 8, 31))
    assert not status.holds_on(date(2026, 9, 1))


def test_severe_disability_grades() -> None:
    def counts(kind: str, grade: int) -> bool:
        c = cond(P.SEVERE_DISABILITY, disability_kind=kind, disability_grade=grade)
        return r.condition_status(c).counts

    assert counts("肢体", 1) and counts("视力", 2)
    assert not counts("肢体", 3) and not counts("听力", 4)
    assert counts("智力", 3) and counts("精神", 4)
    assert not r.condition_status(cond(P.SEVERE_DISABILITY, disability_grade=None)).counts


@pytest.mark.parametrize("kind", sorted(r.TERM_CONDITIONS))
def test_terms_count_only_from_six_months(kind: ParentCondition) -> None:
    start = date(2026, 1, 15)
    six = r.condition_status(cond(kind, start, end=date(2026, 7, 14)))  # exactly 6 months
    assert six.counts and six.eligible_from == start and six.lapses_on == date(2026, 7, 15)
    short = r.condition_status(cond(kind, start, end=date(2026, 7, 13)))  # one day short
    assert not short.counts and "不足 6 个月" in short.reason
    # Term not decided: it counts once it has lasted 6 months.
    open_ = r.condition_status(cond(kind, start))
    assert open_.eligible_from == date(2026, 7, 15)
    assert not open_.holds_on(date(2026, 7, 14)) and open_.holds_on(date(2026, 7, 15))


def test_unreachable_counts_six_months_after_the_police_report() -> None:
    st_ = r.condition_status(cond(P.UNREACHABLE, date(2026, 5, 31)))
    assert st_.eligible_from == date(2026, 11, 30)  # no 31 November
    assert not st_.holds_on(date(2026, 11, 29)) and st_.holds_on(date(2026, 11, 30))
    found = r.condition_status(cond(P.UNREACHABLE, date(2026, 1, 1), ended_on=date(2026, 3, 1)))
    assert found.counts and not found.holds_on(TODAY) and not found.pending_on(TODAY)


def test_a_condition_without_a_start_date_cannot_count() -> None:
    assert not r.condition_status(Condition(P.DEAD, None)).counts


# -- the parent matrix --------------------------------------------------------------------------


@pytest.mark.parametrize("father", DEFACTO_KINDS)
@pytest.mark.parametrize("mother", DEFACTO_KINDS)
def test_both_parents_in_any_de_facto_condition(father: str, mother: str) -> None:
    facts = r.ChildFacts(BIRTH, [cond(father)], [cond(mother)])
    found = finding(facts, ChildCategory.DE_FACTO)
    assert found.holds, found.reason
    assert "父亲" in found.reason and "母亲" in found.reason
    assert not finding(facts, ChildCategory.ORPHAN).holds


@pytest.mark.parametrize("loss", sorted(r.LOSS))
@pytest.mark.parametrize("other", DEFACTO_KINDS)
@pytest.mark.parametrize("lost_parent", ["father", "mother"])
def test_one_parent_lost_the_other_in_a_condition(loss: str, other: str, lost_parent: str) -> None:
    a, b = [cond(loss)], [cond(other)]
    facts = r.ChildFacts(BIRTH, a, b) if lost_parent == "father" else r.ChildFacts(BIRTH, b, a)
    assert finding(facts, ChildCategory.DE_FACTO).holds


@pytest.mark.parametrize("kind", DEFACTO_KINDS + sorted(r.LOSS))
def test_one_parent_alone_is_not_enough(kind: str) -> None:
    assert not finding(r.ChildFacts(BIRTH, [cond(kind)], []), ChildCategory.DE_FACTO).holds
    healthy = [cond(P.WORKING_AWAY)]
    assert not finding(r.ChildFacts(BIRTH, healthy, [cond(kind)]), ChildCategory.DE_FACTO).holds


def test_orphan_both_parents_lost_or_parents_unknown_and_not_also_de_facto() -> None:
    both = r.ChildFacts(BIRTH, [cond(P.DEAD)], [cond(P.DECLARED_MISSING)])
    assert finding(both, ChildCategory.ORPHAN).holds
    de_facto = finding(both, ChildCategory.DE_FACTO)
    assert not de_facto.holds and "孤儿" in de_facto.reason
    unknown = r.ChildFacts(BIRTH, child=[Condition(ChildFact.PARENTS_UNKNOWN, date(2015, 3, 5))])
    assert finding(unknown, ChildCategory.ORPHAN).holds
    assert not finding(r.ChildFacts(BIRTH, [cond(P.DEAD)], []), ChildCategory.ORPHAN).holds


def test_the_day_a_child_becomes_de_facto_eligible_is_the_later_parents_day() -> None:
    facts = r.ChildFacts(
        BIRTH,
        [cond(P.SENTENCE, date(2026, 1, 10), end=date(2028, 1, 9))],
        [cond(P.UNREACHABLE, date(2026, 6, 1))],
    )
    before = finding(facts, ChildCategory.DE_FACTO, date(2026, 11, 30))
    assert not before.holds and before.eligible_from == date(2026, 12, 1)
    assert "将于 2026-12-01 起符合" in before.reason
    assert finding(facts, ChildCategory.DE_FACTO, date(2026, 12, 1)).holds


def test_release_lapses_the_category_and_review_flags_it() -> None:
    released = r.ChildFacts(
        BIRTH,
        [cond(P.SENTENCE, date(2025, 1, 10), end=date(2027, 1, 9), ended_on=date(2026, 10, 1))],
        [cond(P.SERIOUS_ILLNESS)],
    )
    assert finding(released, ChildCategory.DE_FACTO, date(2026, 9, 30)).holds
    after = r.evaluate(released, date(2026, 10, 1))
    rev = r.review({ChildCategory.DE_FACTO}, after, date(2026, 10, 1))
    assert [f.category for f in rev.to_review] == [ChildCategory.DE_FACTO]
    assert "父亲服刑在押已于 2026-09-30 结束" in rev.to_review[0].reason
    assert rev.to_add == ()


def test_sentence_term_ending_lapses_on_the_day_after_its_last_day() -> None:
    facts = r.ChildFacts(
        BIRTH, [cond(P.SENTENCE, date(2025, 1, 10), end=date(2026, 11, 17))], [cond(P.DEAD)]
    )
    assert finding(facts, ChildCategory.DE_FACTO, date(2026, 11, 17)).holds
    assert not finding(facts, ChildCategory.DE_FACTO, date(2026, 11, 18)).holds


# -- left-behind and difficulty -----------------------------------------------------------------


def test_left_behind_both_away_or_one_away_other_unable_and_under_16() -> None:
    away = cond(P.WORKING_AWAY, date(2024, 2, 1))
    assert finding(r.ChildFacts(BIRTH, [away], [away]), ChildCategory.LEFT_BEHIND).holds
    for unable in (P.UNABLE_TO_CARE, P.SERIOUS_ILLNESS, P.DEAD):
        assert finding(r.ChildFacts(BIRTH, [cond(unable)], [away]), ChildCategory.LEFT_BEHIND).holds
    assert not finding(r.ChildFacts(BIRTH, [away], []), ChildCategory.LEFT_BEHIND).holds
    born = date(2010, 11, 18)
    facts = r.ChildFacts(born, [away], [away])
    assert finding(facts, ChildCategory.LEFT_BEHIND, date(2026, 11, 17)).holds
    sixteen = finding(facts, ChildCategory.LEFT_BEHIND, date(2026, 11, 18))
    assert not sixteen.holds and "16" in sixteen.reason


@pytest.mark.parametrize(
    ("fact", "category"),
    [
        *((f, ChildCategory.DIFFICULTY_ECONOMIC) for f in sorted(r.ECONOMIC_FACTS)),
        *((f, ChildCategory.DIFFICULTY_OWN) for f in sorted(r.OWN_FACTS)),
        *((f, ChildCategory.DIFFICULTY_SAFETY) for f in sorted(r.SAFETY_FACTS)),
    ],
)
def test_each_difficulty_fact_gives_its_subtype_only(fact: str, category: ChildCategory) -> None:
    grade = (
        {"disability_kind": "肢体", "disability_grade": 3} if fact == ChildFact.DISABILITY else {}
    )
    facts = r.ChildFacts(BIRTH, child=[Condition(fact, date(2026, 1, 1), **grade)])  # type: ignore[arg-type]
    held = r.holding(r.evaluate(facts, TODAY))
    assert held == {category}
    assert fact in finding(facts, category).reason


def test_nothing_holds_from_the_18th_birthday() -> None:
    born = date(2008, 11, 18)
    facts = r.ChildFacts(born, [cond(P.DEAD)], [cond(P.DEAD)])
    assert r.holding(r.evaluate(facts, date(2026, 11, 17))) == {ChildCategory.ORPHAN}
    assert r.holding(r.evaluate(facts, date(2026, 11, 18))) == frozenset()


@given(
    st.dates(date(2020, 1, 1), date(2026, 6, 1)),
    st.integers(0, 400),
)
def test_unreachable_eligibility_day_is_exactly_six_months_after_report(
    report: date, later: int
) -> None:
    facts = r.ChildFacts(BIRTH, [cond(P.DEAD, date(2019, 5, 1))], [cond(P.UNREACHABLE, report)])
    eligible = r.add_months(report, 6)
    day = report + timedelta(days=later)
    assert finding(facts, ChildCategory.DE_FACTO, day).holds == (day >= eligible)


def test_categories_round_trip() -> None:
    cats = {ChildCategory.LEFT_BEHIND, ChildCategory.ORPHAN}
    assert r.encode_categories(cats) == ",孤儿,留守儿童,"
    assert r.decode_categories(r.encode_categories(cats)) == cats
    assert r.decode_categories("") == frozenset()


# -- cases --------------------------------------------------------------------------------------


def test_case_path_and_refusals() -> None:
    step = CaseStep.REPORTED
    for action, expected in (
        (CaseAction.VERIFY, CaseStep.VERIFIED),
        (CaseAction.ASSESS, CaseStep.ASSESSED),
        (CaseAction.PLAN, CaseStep.PLANNED),
        (CaseAction.VISIT, CaseStep.FOLLOW_UP),
        (CaseAction.VISIT, CaseStep.FOLLOW_UP),
        (CaseAction.ASSESS, CaseStep.FOLLOW_UP),
        (CaseAction.CLOSE, CaseStep.CLOSED),
        (CaseAction.REOPEN, CaseStep.VERIFIED),
    ):
        step = r.next_step(step, action)
        assert step is expected
    with pytest.raises(r.StepRefused, match="请先核实"):
        r.next_step(CaseStep.REPORTED, CaseAction.ASSESS)
    with pytest.raises(r.StepRefused, match="请先制定帮扶计划"):
        r.next_step(CaseStep.ASSESSED, CaseAction.VISIT)
    with pytest.raises(r.StepRefused, match="已经结案"):
        r.next_step(CaseStep.CLOSED, CaseAction.CLOSE)


@given(st.lists(st.sampled_from(list(CaseAction)), max_size=12))
def test_any_sequence_of_actions_stays_on_the_path(actions: list[CaseAction]) -> None:
    step = CaseStep.REPORTED
    for action in actions:
        try:
            step = r.next_step(step, action)
        except r.StepRefused:
            assert action not in r.allowed_actions(step)
        else:
            assert step in CaseStep


def test_visit_due_and_masks() -> None:
    assert r.visit_due(date(2026, 11, 13), 7) == date(2026, 11, 20)
    with pytest.raises(ValueError):
        r.visit_due(TODAY, 0)
    assert r.mask_address("和平路12号3单元401") == "和平路****"
    assert r.mask_address("12号楼") == "****"
    assert r.mask_address("") == ""


# -- evidence fits the condition ------------------------------------------------------------------


def test_each_condition_lists_the_evidence_that_proves_it_and_nothing_else() -> None:
    every = {*(k.value for k in ParentCondition), *(k.value for k in ChildFact)}
    assert set(r.EVIDENCE_FOR) == every  # no condition without its evidence
    assert all(set(kinds) <= set(r.EVIDENCE_KINDS) for kinds in r.EVIDENCE_FOR.values())
    assert not any("其他" in kinds for kinds in r.EVIDENCE_FOR.values())
    # the reported case: 失联 with a disability certificate is refused, the police record fits
    bad = r.check_evidence("失联", "残疾人证", date(2026, 3, 1), date(2026, 3, 1))
    assert bad is not None and bad.field == "evidence_kind"
    assert "公安机关报案回执/证明" in bad.reason
    assert (
        r.check_evidence("失联", "公安机关报案回执/证明", date(2026, 3, 1), date(2026, 3, 1))
        is None
    )
    assert r.check_evidence("重病", "其他", date(2026, 3, 1), date(2026, 3, 1)) is not None


def test_evidence_dated_before_the_condition_is_refused_at_the_day() -> None:
    start = date(2026, 3, 10)
    assert r.check_evidence("重残", "残疾人证", start, start) is None
    early = r.check_evidence("重残", "残疾人证", start - timedelta(days=1), start)
    assert early is not None and early.field == "evidence_date" and "早于" in early.reason


def test_a_judgment_may_precede_the_term_it_orders_by_60_days_not_a_year() -> None:
    start, end = date(2026, 3, 10), date(2027, 3, 9)
    judge = "法院判决书/裁定书"
    assert r.check_evidence("服刑在押", judge, start - timedelta(days=60), start, end) is None
    one_more = r.check_evidence("服刑在押", judge, start - timedelta(days=61), start, end)
    assert one_more is not None and "60 天" in one_more.reason
    year = r.check_evidence("服刑在押", "羁押/服刑证明", date(2025, 3, 10), start, end)
    assert year is not None and year.field == "evidence_date"  # the reported case
    # a prison's certificate does not precede the term at all
    assert (
        r.check_evidence("服刑在押", "羁押/服刑证明", start - timedelta(days=1), start) is not None
    )
    # within the term, to its last day; not after it
    assert r.check_evidence("服刑在押", "羁押/服刑证明", end, start, end) is None
    late = r.check_evidence("服刑在押", "羁押/服刑证明", end + timedelta(days=1), start, end)
    assert late is not None and "截止日期" in late.reason


def test_the_form_offers_only_fitting_kinds() -> None:
    assert r.evidence_kinds_for("服刑在押") == ("法院判决书/裁定书", "羁押/服刑证明")
    assert r.evidence_kinds_for("死亡") == ("死亡证明", "法院判决书/裁定书")
    assert r.evidence_kinds_for("不存在") == ()


# -- leaving the register -------------------------------------------------------------------------


def test_on_register_until_the_18th_birthday_and_the_leave_day() -> None:
    birth, registered = date(2008, 11, 18), date(2020, 1, 1)
    assert r.on_register(registered, "在册", None, birth, date(2026, 11, 17))
    assert not r.on_register(registered, "在册", None, birth, date(2026, 11, 18))  # 18 today
    assert not r.on_register(registered, "在册", None, birth, date(2019, 12, 31))  # not yet
    left = date(2024, 6, 1)  # the first day off the register
    assert r.on_register(registered, "离册", left, birth, left - timedelta(days=1))
    assert not r.on_register(registered, "离册", left, birth, left)
    # born on 29 February: 18 on 1 March; the SQL limit agrees with the rule
    leap = date(2008, 2, 29)
    for day in (date(2026, 2, 28), date(2026, 3, 1), date(2028, 2, 29)):
        assert r.on_register(registered, "在册", None, leap, day) == (
            leap > r.adult_birth_limit(day)
        )
    assert r.on_register(registered, "在册", None, leap, date(2026, 2, 28))
    assert not r.on_register(registered, "在册", None, leap, date(2026, 3, 1))


@given(st.dates(date(1990, 1, 1), date(2030, 12, 31)), st.dates(date(2008, 1, 1), date(2040, 1, 1)))
def test_the_sql_limit_is_the_rule(birth: date, day: date) -> None:
    assert (day < r.birthday(birth, 18)) == (birth > r.adult_birth_limit(day))


def test_a_leave_is_dated_between_registration_and_today_and_18_not_before_the_birthday() -> None:
    birth, registered, today = date(2008, 11, 18), date(2020, 1, 1), date(2026, 12, 1)
    r.check_leave(r.LeaveReason.TURNED_18, date(2026, 11, 18), birth, registered, today)
    with pytest.raises(r.LeaveRefused, match="年满 18 周岁"):
        r.check_leave(r.LeaveReason.TURNED_18, date(2026, 11, 17), birth, registered, today)
    with pytest.raises(r.LeaveRefused, match="晚于今天"):
        r.check_leave(r.LeaveReason.MOVED_AWAY, date(2026, 12, 2), birth, registered, today)
    with pytest.raises(r.LeaveRefused, match="登记日期"):
        r.check_leave(r.LeaveReason.ADOPTED, date(2019, 12, 31), birth, registered, today)
    r.check_leave(r.LeaveReason.ADOPTED, registered, birth, registered, today)
    with pytest.raises(r.LeaveRefused, match="说明"):
        r.check_leave(r.LeaveReason.OTHER, today, birth, registered, today, "  ")
    assert r.LeaveReason.DECEASED.closes_with is r.CloseReason.DECEASED


def test_leaving_is_proposed_on_the_18th_birthday() -> None:
    birth = date(2008, 11, 18)
    facts = r.ChildFacts(birth)
    before = date(2026, 11, 17)
    assert r.leave_proposal(birth, r.evaluate(facts, before), (), facts, 1, before) is None
    day = date(2026, 11, 18)
    p = r.leave_proposal(birth, r.evaluate(facts, day), (), facts, 2, day)
    assert p is not None and p.reason is r.LeaveReason.TURNED_18 and p.on == day
    assert "2 件在办个案" in p.text


def test_leaving_is_proposed_when_every_category_ended_and_no_case_is_open() -> None:
    father = [cond(P.SENTENCE, date(2024, 1, 1), end=date(2025, 12, 31))]
    mother = [cond(P.DEAD, date(2023, 5, 1))]
    facts = r.ChildFacts(BIRTH, father, mother)
    during = date(2025, 6, 1)
    held = r.evaluate(facts, during)
    cats = {ChildCategory.DE_FACTO}
    assert r.leave_proposal(BIRTH, held, cats, facts, 0, during) is None  # still holds
    after = date(2026, 1, 1)  # the term's last day has passed
    ended = r.evaluate(facts, after)
    p = r.leave_proposal(BIRTH, ended, cats, facts, 0, after)
    assert p is not None and p.reason is r.LeaveReason.NO_CATEGORY and p.on == after
    assert "父亲服刑在押" in p.text
    assert r.leave_proposal(BIRTH, ended, cats, facts, 1, after) is None  # a case is open
    # a child who never held a category (reported, no condition): nothing to propose
    bare = r.ChildFacts(BIRTH)
    assert r.leave_proposal(BIRTH, r.evaluate(bare, after), (), bare, 0, after) is None


def test_children_in_difficulty_are_counted_once_whatever_their_subtypes() -> None:
    C = ChildCategory
    assert r.in_difficulty({C.DIFFICULTY_ECONOMIC, C.DIFFICULTY_OWN, C.DIFFICULTY_SAFETY})
    assert r.in_difficulty({C.DIFFICULTY_SAFETY})
    assert not r.in_difficulty({C.ORPHAN, C.LEFT_BEHIND})
    assert not r.in_difficulty(())
